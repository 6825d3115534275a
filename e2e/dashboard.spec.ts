/**
 * The Compare dashboard on real MNIST digits: the loss moves within the first
 * epoch (per-step points), "loading data…" while the digits load, the engine's
 * confusion matrix with a cell's pictures, and no "final" on a stopped run.
 */
import type { Locator, Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { OVERLAY, chart, listRunIds, openLesson, points, setPace, waitForStatus } from './lab'
import { decodePng, luminanceVariance } from './png'
import { goTo, nextPaint, shot } from './views'

/** Whether an element's screenshot has something drawn on it (not one flat colour). */
async function drawn(locator: Locator): Promise<number> {
  return luminanceVariance(decodePng(await locator.screenshot()))
}

/** Luminance variance of a canvas's own pixels (what the page drew, not the screen). */
async function canvasVariance(canvas: Locator): Promise<number> {
  return canvas.evaluate((el) => {
    const c = el as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height)
    let sum = 0
    let sumSq = 0
    const n = data.length / 4
    for (let i = 0; i < data.length; i += 4) {
      sum += data[i]
      sumSq += data[i] * data[i]
    }
    return sumSq / n - (sum / n) ** 2
  })
}

/** Every text the run status showed, recorded by the page itself from now on. */
async function recordStatuses(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const g = globalThis as unknown as { __statuses: string[]; document: { querySelector(s: string): { textContent: string | null } | null } }
    g.__statuses = []
    const el = g.document.querySelector('[data-testid="run-status"]')!
    const Observer = (globalThis as unknown as { MutationObserver: new (fn: () => void) => { observe(n: unknown, o: object): void } }).MutationObserver
    new Observer(() => g.__statuses.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true })
  })
  return () => page.evaluate(() => (globalThis as unknown as { __statuses: string[] }).__statuses)
}

test('mnist, made small: per-step loss before the first epoch ends, the confusion matrix, a cell’s pictures', async ({ page, labServer }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await openLesson(page, labServer.url, 'mnist')
  await goTo(page, 'editor')
  await page.getByLabel('train count').fill('2000')
  await page.getByLabel('val count').fill('300')
  await page.getByLabel('epochs').fill('2')
  await page.getByRole('button', { name: 'Back to Compare' }).click()
  await setPace(page, 'full speed')
  const statuses = await recordStatuses(page)
  const runsBefore = await listRunIds(labServer.origin, labServer.token)
  await page.getByTestId('train-button').click()

  // The CNN's loss chart gains per-step points while neither model has a row past epoch 0
  // (the overlay has just the two untrained points): the run moves within its first epoch.
  const loss = chart(page, 'CNN: loss')
  await expect
    .poll(
      async () => {
        const [step, overlay] = await Promise.all([points(page, 'CNN: loss'), points(page, OVERLAY)])
        return overlay <= 2 && step > 2 ? 'moving' : overlay > 2 ? `epoch ended first (${step} loss points)` : 'waiting'
      },
      { timeout: 120_000, intervals: [50] },
    )
    .toBe('moving')
  const early = await points(page, 'CNN: loss')
  await expect.poll(() => points(page, 'CNN: loss'), { timeout: 60_000 }).toBeGreaterThan(early)
  await waitForStatus(page, 'completed', 180_000)
  const seen = await statuses()
  expect(seen).toContain('loading data…')
  console.log(`[dashboard] statuses seen: ${[...new Set(seen)].join(' → ')}; CNN loss chart: ${await points(page, 'CNN: loss')} points`)
  expect(await drawn(loss.locator('.chart-canvas'))).toBeGreaterThan(20)

  // The run folder keeps the step losses and the cells, for a run reopened later.
  const runId = (await listRunIds(labServer.origin, labServer.token)).find((id) => !runsBefore.includes(id))!
  const opened = await fetch(`${labServer.origin}/api/openRun`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lab-Token': labServer.token },
    body: JSON.stringify({ args: [runId] }),
  })
  const details = ((await opened.json()) as { value: { steps: { model: string }[]; confusionCells: Record<string, { epoch: number }> } }).value
  expect(details.steps.filter((p) => p.model === 'cnn').length).toBeGreaterThan(4)
  expect(Object.fromEntries(Object.entries(details.confusionCells).map(([m, c]) => [m, c.epoch]))).toEqual({ cnn: 2, mlp: 2 })

  // The engine's confusion matrix, for MNIST, drawn.
  const matrix = chart(page, 'CNN: validation confusion matrix')
  await expect(matrix.getByTestId('chart-summary')).toContainText('of 300 correct')
  await expect(matrix.getByTestId('chart-summary')).toContainText('At epoch 2')
  const canvas = matrix.locator('.chart-canvas')
  await nextPaint(page)
  expect(await drawn(canvas)).toBeGreaterThan(50)

  // Click the cell actual 1, predicted 1 (the grid's margins are the chart option's: left 84, right 12, top 12, bottom 44).
  const box = (await canvas.boundingBox())!
  const k = 10
  const cellW = (box.width - 96) / k
  const cellH = (box.height - 56) / k
  await canvas.click({ position: { x: 84 + 1.5 * cellW, y: 12 + 1.5 * cellH } })
  const panel = page.getByTestId('cell-samples')
  await expect(panel).toContainText('actual 1, predicted 1')
  const pictures = panel.locator('canvas')
  await expect.poll(() => pictures.count(), { timeout: 30_000 }).toBeGreaterThan(3)
  await expect(panel.getByRole('status')).toHaveCount(0, { timeout: 30_000 })
  for (const pic of (await pictures.all()).slice(0, 4)) expect(await canvasVariance(pic)).toBeGreaterThan(100)
  expect(await drawn(panel.locator('ul'))).toBeGreaterThan(50)

  // A mistake cell from the keyboard picker: every listed picture's index is shown.
  const pick = page.locator('[data-model="mlp"] [data-testid="cell-pick"]')
  const firstMistake = await pick.locator('option').nth(1).getAttribute('value')
  await pick.selectOption(firstMistake!)
  const mlpPanel = page.locator('[data-model="mlp"] [data-testid="cell-samples"]')
  await expect(mlpPanel.locator('canvas').first()).toBeVisible({ timeout: 30_000 })
  expect(await canvasVariance(mlpPanel.locator('canvas').first())).toBeGreaterThan(100)
  await shot(page, 'dashboard-mnist')
  expect(errors).toEqual([])
})

test('a run stopped early says where it stopped, never "final"', async ({ page, labServer }) => {
  await openLesson(page, labServer.url, 'patterns-3')
  await setPace(page, '2 epochs/s')
  await page.getByTestId('train-button').click()
  await expect.poll(() => points(page, OVERLAY), { timeout: 30_000 }).toBeGreaterThan(4)
  await page.getByRole('button', { name: '■ Stop' }).click()
  await waitForStatus(page, 'stopped')
  const labels = page.getByTestId('final-when')
  await expect(labels).toHaveCount(2)
  for (const label of await labels.all()) {
    await expect(label).toHaveText(/^at stop, epoch \d+$/)
  }
  await expect(page.getByTestId('final-val').first()).not.toContainText('final')
  // The confusion matrix is the stop's: its cells list pictures too.
  await expect(chart(page, 'TinyCNN: validation confusion matrix').getByTestId('chart-summary')).toContainText('Click a cell')
})

test("lesson 000's per-model settings are shown in Lessons and in Compare", async ({ page, labServer }) => {
  await page.goto(labServer.url)
  await page.locator('[data-preset-id="edge-detector"]').click()
  await expect(page.locator('[data-testid="preset-model-settings"][data-model="mlp"]')).toHaveText('80 epochs · lr 3 · batch full')
  await expect(page.locator('[data-testid="preset-model-settings"][data-model="cnn"]')).toHaveText('400 epochs · lr 1 · batch full')
  await page.getByTestId('open-in-compare').click()
  await expect(page.locator('[data-testid="model-settings"][data-model="mlp"]')).toContainText('80 epochs · lr 3')
  await expect(page.locator('[data-testid="model-settings"][data-model="cnn"]')).toContainText('400 epochs · lr 1')
})
