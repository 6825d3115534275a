#!/usr/bin/env node
// `npm start`: launch the built app (out/main) in Electron, or explain why it cannot.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

/** The Electron executable's path, or null when the binary was never downloaded. */
export function findElectronBinary() {
  try {
    const dir = path.dirname(require.resolve('electron/package.json'))
    if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
      const candidate = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron')
      return existsSync(candidate) ? candidate : null
    }
    // Read path.txt ourselves: require('electron') would try to download the binary.
    const pathFile = path.join(dir, 'path.txt')
    if (!existsSync(pathFile)) return null
    const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim())
    return existsSync(binary) ? binary : null
  } catch {
    return null
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const binary = findElectronBinary()
  if (!binary) {
    console.error(
      [
        'CNN Lab: the Electron binary is not installed on this machine, so the desktop window cannot open.',
        'npm installs the electron package, but its binary is downloaded separately and that download',
        'did not happen here (no internet access, or install scripts were skipped). On a machine with',
        'internet access, run "node node_modules/electron/install.js" (or "npx install-electron") once,',
        'then "npm start" again. Meanwhile "npm run serve" opens the same app in your browser.',
      ].join('\n'),
    )
    process.exit(1)
  }
  const entry = path.join(root, 'out', 'main', 'index.js')
  if (!existsSync(entry)) {
    console.error('CNN Lab: out/main/index.js is missing; run "npm run build" first.')
    process.exit(1)
  }
  const env = { ...process.env }
  delete env.ELECTRON_RUN_AS_NODE
  const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit', env })
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
}
