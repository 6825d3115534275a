/**
 * Experiment files through the browser door: a shrunk MNIST run saved with
 * every snapshot (format version 2, base64 tensors) reopens in a fresh page
 * with its dashboards, and the same file opens through the host's reader and
 * the terminal door. Files that are not experiments get one plain sentence.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Locator } from '@playwright/test'
import { readExperimentFile } from '../src/host/experiment-files'
import { expect, ROOT, test } from './fixtures'
import { finalAccuracies, listRunIds, openLesson, setPace, waitForStatus } from './lab'
import { decodePng, luminanceVariance } from './png'
import { goTo, nextPaint, shot } from './views'

/** Pixels, not DOM: the canvas as the page drew it, and how much it varies. */
async function drawnVariance(canvas: Locator): Promise<number> {
  await canvas.scrollIntoViewIfNeeded()
  return luminanceVariance(decodePng(await canvas.screenshot()))
}

test('a shrunk mnist-shifted run saved with every snapshot reopens in a fresh page, in the host and in lab run', async ({ page, labBrowser, labServer }, testInfo) => {
  test.setTimeout(300_000)
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await openLesson(page, labServer.url, 'mnist-shifted')
  await goTo(page, 'editor')
  await page.getByLabel('train count').fill('3000')
  await page.getByLabel('val count').fill('1000')
  await page.getByLabel('epochs').fill('2')
  await page.getByRole('button', { name: 'Back to Compare' }).click()
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed', 200_000)
  const finals = await finalAccuracies(page)
  expect(Object.keys(finals).sort()).toEqual(['cnn', 'mlp'])

  // The dialog: three choices, each with its size; the final weights arrive just after the run ends.
  await page.getByRole('button', { name: 'Save…' }).click()
  const dialog = page.getByTestId('save-dialog')
  await expect(dialog).toBeVisible()
  await expect(dialog).toHaveAttribute('data-final-models', 'cnn,mlp')
  await expect(dialog).toHaveAttribute('data-snapshot-epochs', '0,1,2')
  const bytes = async (keeps: string) => Number(await page.getByTestId(`save-size-${keeps}`).getAttribute('data-bytes'))
  const sizes = { recipe: await bytes('recipe'), final: await bytes('final'), snapshots: await bytes('snapshots') }
  expect(sizes.recipe).toBeGreaterThan(0)
  expect(sizes.final).toBeGreaterThan(sizes.recipe)
  expect(sizes.snapshots).toBeGreaterThan(sizes.final)
  await expect(page.getByTestId('save-choice-snapshots').locator('input')).toBeChecked()
  await page.setViewportSize({ width: 1024, height: 768 })
  await shot(page, 'save-dialog-1024')
  await page.setViewportSize({ width: 1280, height: 800 })

  const download = page.waitForEvent('download')
  await page.getByTestId('save-confirm').click()
  const file = testInfo.outputPath((await download).suggestedFilename())
  await (await download).saveAs(file)
  await expect(dialog).toBeHidden()
  // The size the dialog showed is the size of the file.
  expect(statSync(file).size).toBe(sizes.snapshots)
  const saved = JSON.parse(readFileSync(file, 'utf8'))
  expect(saved).toMatchObject({ format: 'cnn-lab.experiment', version: 2 })
  expect(saved.results.snapshots).toHaveLength(6)
  expect(saved.results.finalWeights.cnn['0.weight']).toMatchObject({ dtype: 'float32', data: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/) })
  console.log(`[files] mnist-shifted 3,000/1,000, 2 epochs, every snapshot: ${(sizes.snapshots / 1e6).toFixed(1)} MB (final results only ${(sizes.final / 1e6).toFixed(1)} MB, recipe ${sizes.recipe} B)`)

  // A fresh page opens it with its results: metrics shown and the kernels drawn, nothing retrained.
  const runsBefore = await listRunIds(labServer.origin, labServer.token)
  const context = await labBrowser.newContext({ viewport: { width: 1280, height: 800 } })
  const fresh = await context.newPage()
  fresh.on('pageerror', (err) => errors.push(err.message))
  await fresh.goto(labServer.url)
  const chooser = fresh.waitForEvent('filechooser')
  await fresh.getByRole('button', { name: 'Open…' }).click()
  await (await chooser).setFiles(file)
  await expect(fresh.getByTestId('source-note')).toContainText('not retrained')
  await expect(fresh.getByTestId('run-progress')).toHaveAttribute('data-status', 'completed')
  expect(await finalAccuracies(fresh)).toEqual(finals)
  await goTo(fresh, 'kernels')
  const kernels = fresh.getByTestId('kernel-card')
  await expect(kernels).toHaveAttribute('data-epochs', '3')
  await nextPaint(fresh)
  expect(await drawnVariance(kernels.locator('canvas').first())).toBeGreaterThan(50)
  const wall = fresh.getByTestId('wall-card').locator('canvas').first()
  expect(await drawnVariance(wall)).toBeGreaterThan(50)
  expect(await listRunIds(labServer.origin, labServer.token)).toEqual(runsBefore)
  await context.close()

  // The host's reader (what Electron's Open… and openRecentExperiment use) gives the same numbers.
  const opened = await readExperimentFile(file)
  expect(opened.results?.snapshots).toHaveLength(6)
  expect(opened.results?.finalWeights.cnn['0.weight'].data.length).toBe(saved.results.finalWeights.cnn['0.weight'].shape.reduce((a: number, b: number) => a * b, 1))

  // The terminal door reads it with the same reader; a missing --out parent stops it right after
  // the file is read and checked (training MNIST again would add nothing here).
  const cli = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'run', file, '--out', path.join(testInfo.outputPath('no-such-parent'), 'run')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  })
  expect(cli.stderr.trim()).toMatch(/^cnn-lab: cannot create run folder .*: its parent folder .* does not exist$/)
  expect(errors).toEqual([])
})

test('an empty file and a JSON file that is not an experiment each get one plain sentence', async ({ page, labServer }, testInfo) => {
  await page.goto(labServer.url)
  const open = async (name: string, text: string) => {
    const file = testInfo.outputPath(name)
    writeFileSync(file, text)
    const chooser = page.waitForEvent('filechooser')
    await page.getByRole('button', { name: 'Open…' }).click()
    await (await chooser).setFiles(file)
  }
  await open('empty.cnnlab.json', '')
  await expect(page.getByTestId('notice')).toHaveText('Could not open the file: empty.cnnlab.json: this file is empty')
  await open('package.json', JSON.stringify({ name: 'x', version: '1.0.0' }))
  await expect(page.getByTestId('notice')).toHaveText(
    'Could not open the file: package.json: this is not a CNN Lab experiment file (it has no "format": "cnn-lab.experiment")',
  )
})

test('before training, the save dialog offers the recipe alone; Esc cancels without a download', async ({ page, labServer }) => {
  await page.setViewportSize({ width: 1920, height: 1080 })
  await openLesson(page, labServer.url, 'patterns-3')
  let downloads = 0
  page.on('download', () => downloads++)
  await page.getByRole('button', { name: 'Save…' }).click()
  const dialog = page.getByTestId('save-dialog')
  await expect(dialog).toBeVisible()
  await expect(page.getByTestId('save-choice-recipe').locator('input')).toBeChecked()
  await expect(page.getByTestId('save-choice-recipe').locator('input')).toBeFocused()
  for (const keeps of ['final', 'snapshots']) {
    await expect(page.getByTestId(`save-choice-${keeps}`).locator('input')).toBeDisabled()
    await expect(page.getByTestId(`save-size-${keeps}`)).toContainText('train first')
  }
  expect(Number(await page.getByTestId('save-size-recipe').getAttribute('data-bytes'))).toBeGreaterThan(1000)
  await shot(page, 'save-dialog-recipe-1920')
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  // Ctrl+S opens it again (the browser door's own shortcut), and Save downloads the recipe.
  await page.keyboard.press('Control+s')
  await expect(dialog).toBeVisible()
  const download = page.waitForEvent('download')
  await page.getByTestId('save-confirm').click()
  expect((await download).suggestedFilename()).toBe('patterns-3.cnnlab.json')
  expect(downloads).toBe(1)
})
