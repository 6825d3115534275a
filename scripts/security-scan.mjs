#!/usr/bin/env node
// `npm run scan`: the static security scan.
//  1. Electronegativity over src/ (offline: AvailableSecurityFixesGlobalCheck is
//     excluded), printing the findings and their counts per severity; any HIGH
//     finding fails the scan.
//  2. The lab's own context-bridge check over src/preload and src/renderer
//     (.ts and .vue): nothing exposed may be ipcRenderer or the electron module.
//
// Electronegativity runs through its programmatic API (the same runner its CLI
// uses): its CLI's CSV writer races its own header write and its SARIF output
// carries no severity, so neither file can be parsed reliably.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkTree } from './lib/context-bridge-check.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']

async function electronegativity() {
  const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
  const mod = require('@doyensec/electronegativity')
  const run = mod.default ?? mod
  // It asks for updated translations online first; keep that quiet (it fails offline, harmlessly).
  const log = console.log
  console.log = () => {}
  let result
  try {
    result = await run({
      input: path.join(root, 'src'),
      output: undefined,
      isSarif: false,
      customScan: [],
      excludeFromScan: ['availablesecurityfixesglobalcheck'],
      electronVersionOverride: electronVersion,
      isRelative: true,
      isVerbose: false,
    })
  } finally {
    console.log = log
  }
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0]))
  console.log(`Electronegativity (Electron ${electronVersion}, ${result.globalChecks + result.atomicChecks} checks) on src/:`)
  for (const issue of result.issues) {
    const severity = issue.severity.name
    counts[severity] = (counts[severity] ?? 0) + 1
    console.log(`  ${severity.padEnd(8)} ${issue.confidence.name.padEnd(9)} ${issue.id}  ${issue.file}:${issue.location.line}`)
  }
  for (const error of result.errors.filter((e) => !e.tolerable)) console.log(`  parse error: ${error.file}: ${error.message}`)
  console.log('  findings: ' + SEVERITIES.map((s) => `${s.toLowerCase()} ${counts[s] ?? 0}`).join(', '))
  return (counts.HIGH ?? 0) + (counts.CRITICAL ?? 0)
}

function contextBridge() {
  const { files, findings } = checkTree([path.join(root, 'src', 'preload'), path.join(root, 'src', 'renderer')])
  console.log(`Context-bridge check (${files.length} files in src/preload and src/renderer):`)
  for (const f of findings) console.log(`  FAIL ${path.relative(root, f.file)}:${f.line}: ${f.message}`)
  console.log(`  findings: ${findings.length}`)
  return findings.length
}

const high = await electronegativity()
const bridge = contextBridge()
if (high > 0 || bridge > 0) {
  console.error(`security scan failed: ${high} high/critical Electronegativity finding(s), ${bridge} context-bridge finding(s)`)
  process.exit(1)
}
console.log('security scan passed')
