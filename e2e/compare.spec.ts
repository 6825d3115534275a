import { readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from './fixtures'
import { OVERLAY, chart, finalAccuracies, listRunIds, openLesson, points, setPace, waitForStatus } from './lab'

test('patterns-3: the curves grow while training, both models reach 97 %, the parameter chart shows 114 and 1,227', async ({ page, labServer }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await openLesson(page, labServer.url, 'patterns-3')

  // Before training: the parameter counts come from the recipe.
  const params = chart(page, 'Parameters').getByTestId('chart-summary')
  await expect(params).toContainText('TinyCNN 114')
  await expect(params).toContainText('TinyMLP 1,227')
  await expect(params).toContainText('10.8×')

  await setPace(page, '20 epochs/s')
  await page.getByTestId('train-button').click()

  // A first look once some epochs are in, then a second look that sees more points.
  await expect.poll(() => points(page, OVERLAY), { timeout: 20_000 }).toBeGreaterThan(4)
  const first = await points(page, OVERLAY)
  await expect.poll(() => points(page, OVERLAY), { timeout: 20_000 }).toBeGreaterThan(first)
  expect(await page.getByTestId('run-progress').getAttribute('data-status')).toMatch(/running|completed/)

  await waitForStatus(page, 'completed')
  // 81 points per model: epoch 0 (untrained) and 80 epochs.
  await expect.poll(() => points(page, OVERLAY)).toBe(2 * 81)
  const finals = await finalAccuracies(page)
  expect(finals.cnn).toBeGreaterThanOrEqual(0.97)
  expect(finals.mlp).toBeGreaterThanOrEqual(0.97)
  await expect(page.getByTestId('verdict')).toContainText('Both reach ≥ 97 %')
  await expect(chart(page, 'TinyCNN: validation confusion matrix').getByTestId('chart-summary')).toContainText('of 90 correct')

  // "trained on": each column names the route run.json recorded, and says nothing when there is none.
  const runs = await labApi<{ id: string; startedAt?: string }[]>(labServer, 'listRuns', [])
  const newest = runs.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0]
  const run = await labApi<{ run: { models: { id: string; route?: { label: string } }[] } }>(labServer, 'openRun', [newest.id])
  for (const m of run.run.models) {
    const line = page.locator(`[data-testid="trained-on"][data-model="${m.id}"]`)
    if (m.route) await expect(line).toHaveText(`trained on: ${m.route.label}`)
    else await expect(line).toHaveCount(0)
  }
  await expect(page.locator('.model-column').first()).not.toContainText('undefined')
  expect(errors).toEqual([])
})

async function labApi<T>(server: { origin: string; token: string }, method: string, args: unknown[]): Promise<T> {
  const res = await fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lab-Token': server.token },
    body: JSON.stringify({ args }),
  })
  return ((await res.json()) as { value: T }).value
}

test('a saved experiment reopens in a fresh page with the same curves, without retraining', async ({ page, labBrowser, labServer }, testInfo) => {
  await openLesson(page, labServer.url, 'patterns-3')
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed')
  // The save waits for the final weights (fetched once the run has ended), which the confusion matrix shows.
  await expect(chart(page, 'TinyMLP: validation confusion matrix').getByTestId('chart-summary')).toContainText('correct')
  const before = { points: await points(page, OVERLAY), finals: await finalAccuracies(page) }
  const lossSummary = await chart(page, 'TinyCNN: loss').getByTestId('chart-summary').textContent()

  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Save…' }).click()
  await page.getByTestId('save-confirm').click()
  const file = testInfo.outputPath((await download).suggestedFilename())
  await (await download).saveAs(file)
  expect(path.basename(file)).toBe('patterns-3.cnnlab.json')
  const saved = JSON.parse(readFileSync(file, 'utf8'))
  expect(saved.results.metrics).toHaveLength(2 * 81)
  expect(Object.keys(saved.results.finalWeights).sort()).toEqual(['cnn', 'mlp'])

  const runsBefore = await listRunIds(labServer.origin, labServer.token)
  const context = await labBrowser.newContext({ viewport: { width: 1280, height: 800 } })
  const fresh = await context.newPage()
  await fresh.goto(labServer.url)
  const chooser = fresh.waitForEvent('filechooser')
  await fresh.getByRole('button', { name: 'Open…' }).click()
  await (await chooser).setFiles(file)

  await expect(fresh.getByTestId('source-note')).toContainText('not retrained')
  await expect.poll(() => points(fresh, OVERLAY)).toBe(before.points)
  expect(await finalAccuracies(fresh)).toEqual(before.finals)
  await expect(chart(fresh, 'TinyCNN: loss').getByTestId('chart-summary')).toHaveText(lossSummary!)
  // The confusion matrix is rebuilt from the saved weights.
  await expect(chart(fresh, 'TinyCNN: validation confusion matrix').getByTestId('chart-summary')).toContainText('of 90 correct')
  await expect(fresh.getByTestId('run-progress')).toHaveAttribute('data-status', 'completed')
  expect(await listRunIds(labServer.origin, labServer.token)).toEqual(runsBefore)
  await context.close()
})
