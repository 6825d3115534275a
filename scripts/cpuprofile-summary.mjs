#!/usr/bin/env node
/**
 * Self time by function in V8 .cpuprofile files (node --cpu-prof), as
 * percentages of each profile's total, the top N (default 25).
 * Usage: npx tsx scripts/cpuprofile-summary.mjs [--top N] FILE...  (tsx: it reads the committed
 * simd-binary.ts to check the names; under plain node that check is skipped)
 *
 * The engine's SIMD module ships without a name section, so V8 reports its
 * functions as "wasm-function[i]". This script names them: it compiles
 * simd.as again with the same flags plus --debug (which keeps the names and
 * the same function order) and takes the i-th function's name, after checking
 * that both builds export the same names at the same indices.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ASC_FLAGS, MODULES } from './build-wasm.mjs'
import asc from 'assemblyscript/asc'

/** Function index → name in the relaxed-SIMD build of simd.as, or null if the debug build does not line up. */
async function simdFunctionNames() {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-names-'))
  try {
    copyFileSync(MODULES.simd.source, join(dir, 'simd.ts'))
    let wat = ''
    const flags = ASC_FLAGS.map((flag) => (flag === 'simd' ? 'simd,relaxed-simd' : flag))
    const { error } = await asc.main([join(dir, 'simd.ts'), ...flags, '--debug', '--textFile', join(dir, 'simd.wat')], {
      stdout: { write: () => true },
      stderr: { write: () => true },
      writeFile: (file, contents) => {
        if (String(file).endsWith('.wat')) wat = String(contents)
      },
    })
    if (error) return null
    const names = [...wat.matchAll(/^ \(func \$([^ ]+)/gm)].map((m) => m[1].split('/').pop())
    const exported = new Map([...wat.matchAll(/^ \(export "([^"]+)" \(func \$([^ )]+)\)\)/gm)].map((m) => [m[1], names.indexOf(m[2].split('/').pop())]))
    // The committed binary's exports must sit at the same indices.
    const { RELAXED_SIMD_WASM_BASE64 } = await import('../src/engine/kernels/wasm/simd-binary.ts').catch(() => ({}))
    if (RELAXED_SIMD_WASM_BASE64) {
      const committed = exportIndices(Buffer.from(RELAXED_SIMD_WASM_BASE64, 'base64'))
      for (const [name, index] of committed) if (exported.get(name) !== index) return null
    }
    return names
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Exported function name → index, read from a .wasm binary's export section. */
function exportIndices(bytes) {
  let p = 8
  const leb = () => {
    let result = 0, shift = 0, byte
    do {
      byte = bytes[p++]
      result |= (byte & 0x7f) << shift
      shift += 7
    } while (byte & 0x80)
    return result >>> 0
  }
  const out = new Map()
  while (p < bytes.length) {
    const id = bytes[p++]
    const size = leb()
    const end = p + size
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const length = leb()
        const name = bytes.subarray(p, p + length).toString()
        p += length
        const kind = bytes[p++]
        const index = leb()
        if (kind === 0) out.set(name, index)
      }
    }
    p = end
  }
  return out
}

const wasmNames = await simdFunctionNames()

const args = process.argv.slice(2)
let top = 25
const topAt = args.indexOf('--top')
if (topAt >= 0) {
  top = Number(args[topAt + 1])
  args.splice(topAt, 2)
}
for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const hits = new Map()
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
  const self = new Map()
  let total = 0
  for (const [id, count] of hits) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame
    const wasm = /^wasm-function\[(\d+)\]$/.exec(functionName)
    const name = wasm && wasmNames?.[Number(wasm[1])]
      ? `wasm ${wasmNames[Number(wasm[1])]}`
      : `${functionName || '(anonymous)'} ${url ? basename(url) + ':' + (lineNumber + 1) : ''}`.trim()
    self.set(name, (self.get(name) ?? 0) + count)
    total += count
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6
  console.log(`${basename(file)}: ${total} samples over ${seconds.toFixed(1)} s`)
  console.log('  self time:')
  for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${((100 * count) / total).toFixed(1).padStart(5)} %  ${name}`)
  }
  // Inclusive time of the engine's own TypeScript functions (who called the kernels): a
  // sample counts once for every distinct function on its stack.
  const parent = new Map()
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  const inclusive = new Map()
  for (const [id, count] of hits) {
    const seen = new Set()
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at).callFrame
      if (!url.includes('/src/') || !functionName) continue
      seen.add(`${functionName} ${basename(url)}:${lineNumber + 1}`)
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + count)
  }
  console.log('  inclusive time, engine and host functions:')
  for (const [name, count] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${((100 * count) / total).toFixed(1).padStart(5)} %  ${name}`)
  }
}
