/**
 * The Electron door, driven by Playwright's `_electron`. It needs the Electron
 * binary, which cannot be downloaded on every machine (not on the lab's CI
 * machines, which have no internet): there the test is skipped and says why.
 */
import { _electron as electron, expect, test } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function electronBinary(): { path: string | null; reason: string } {
  const dir = path.join(ROOT, 'node_modules', 'electron')
  const pathFile = path.join(dir, 'path.txt')
  if (!existsSync(pathFile)) {
    return { path: null, reason: 'the Electron binary is not installed (node_modules/electron/path.txt is missing; it is downloaded by electron\'s install script, which needs internet)' }
  }
  const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim())
  if (!existsSync(binary)) return { path: null, reason: `the Electron binary ${binary} is missing` }
  return { path: binary, reason: '' }
}

const binary = electronBinary()

test('the desktop window lists the lesson presets', async () => {
  if (!binary.path) console.log(`[electron.spec] skipped: ${binary.reason}. "npm run serve" runs the same app in a browser.`)
  test.skip(!binary.path, binary.reason)
  if (!existsSync(path.join(ROOT, 'out', 'main', 'index.js'))) throw new Error('out/main/index.js is missing: run "npm run build" first')

  const app = await electron.launch({ executablePath: binary.path!, args: [ROOT], cwd: ROOT })
  try {
    const window = await app.firstWindow()
    await expect(window.getByRole('heading', { name: 'CNN Lab' })).toBeVisible()
    await expect(window.getByTestId('preset-list').getByRole('option').first()).toBeVisible()
    await expect(window.getByTestId('app-status')).toContainText('Desktop')
    // The renderer sees window.lab, and nothing of Node or ipcRenderer.
    const exposed = await window.evaluate(() => ({
      lab: typeof (window as unknown as { lab?: unknown }).lab,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }))
    expect(exposed).toEqual({ lab: 'object', require: 'undefined', process: 'undefined' })
    await window.screenshot({ path: path.join(ROOT, 'test-results', 'screenshots', 'electron.png') })
  } finally {
    await app.close()
  }
})
