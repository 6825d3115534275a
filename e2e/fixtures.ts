/**
 * End-to-end fixtures: the browser door started as a real child process
 * (`tsx src/server/main.ts --port 0`, exactly what `npm run serve` runs after
 * building), its address read from the first line it prints, and Chromium
 * launched from `findChromium()`.
 */
import { test as base, chromium, type Browser, type Page } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CHROMIUM_ARGS, findChromium } from './chromium'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const FIRST_LINE = /^CNN Lab: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+))$/

export interface LabServer {
  /** The address with its token, exactly as printed. */
  url: string
  /** The address without the token. */
  origin: string
  port: number
  token: string
  process: ChildProcess
  /** The server's --data folder (runs/ and recent files), a fresh temporary one per server. */
  dataDir: string
}

/** `dataDir` reuses another server's data folder (an app restart); its owner removes it. `args`: more server flags. */
export async function startLabServer(options: { dataDir?: string; args?: string[] } = {}): Promise<LabServer> {
  const tsx = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx')
  // A temporary data folder: runs trained by the tests never land in the user's own runs folder.
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'cnn-lab-e2e-'))
  const child = spawn(tsx, ['src/server/main.ts', '--port', '0', '--data', dataDir, ...(options.args ?? [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the lab server printed nothing in 30 s\n${stderr}`)), 30_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(line)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the lab server exited with ${code} before printing its address\n${stderr}`))
    })
  })
  const match = FIRST_LINE.exec(first)
  if (!match) {
    child.kill()
    throw new Error(`unexpected first line from the lab server: ${JSON.stringify(first)}`)
  }
  return { url: match[1], origin: `http://127.0.0.1:${match[2]}`, port: Number(match[2]), token: match[3], process: child, dataDir }
}

export async function stopLabServer(server: LabServer): Promise<void> {
  if (server.process.exitCode !== null) return
  const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()))
  server.process.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  if (server.process.exitCode === null) server.process.kill('SIGKILL')
  rmSync(server.dataDir, { recursive: true, force: true })
}

export const test = base.extend<{ page: Page }, { labServer: LabServer; labBrowser: Browser }>({
  labServer: [
    async ({}, use) => {
      const server = await startLabServer()
      await use(server)
      await stopLabServer(server)
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  labBrowser: [
    async ({}, use) => {
      const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS })
      await use(browser)
      await browser.close()
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  page: async ({ labBrowser }, use) => {
    const context = await labBrowser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await use(page)
    await context.close()
  },
})

export { expect } from '@playwright/test'
