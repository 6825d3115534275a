import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, startLabServer, test } from './fixtures'
import { listRunIds, openLesson } from './lab'
import { goTo, shotBothThemes } from './views'

test('a two-setting MLP width sweep runs as two saved runs and plots accuracy against parameters', async ({ page, labServer }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await openLesson(page, labServer.url, 'patterns-3')
  const runsBefore = await listRunIds(labServer.origin, labServer.token)
  await goTo(page, 'sweeps')
  await expect(page.getByTestId('sweep-values')).toHaveValue('2, 4, 8, 18, 32, 64')
  await expect(page.getByTestId('sweep-preview')).toContainText('18 → 1,227 params')
  await page.getByTestId('sweep-values').fill('2, 18')
  await expect(page.getByTestId('sweep-preview')).toContainText('2 → 139 params')
  await page.getByTestId('sweep-start').click()
  const points = page.getByTestId('sweep-point')
  await expect(points).toHaveCount(2)
  await expect(points.nth(1)).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
  await expect(points.nth(0)).toHaveAttribute('data-status', 'completed')
  for (const p of await points.all()) expect(Number(await p.getAttribute('data-accuracy'))).toBeGreaterThan(0.3)
  await expect(page.locator('figure[data-chart="Val accuracy vs parameters"]')).toHaveAttribute('data-points', '2')
  expect((await listRunIds(labServer.origin, labServer.token)).length).toBe(runsBefore.length + 2)

  // The CNN's filter count, two settings, on the same chart.
  await page.getByTestId('sweep-kind').selectOption('cnn-filters')
  await page.getByTestId('sweep-values').fill('1, 3')
  await expect(page.getByTestId('sweep-preview')).toContainText('3 → 114 params')
  await page.getByTestId('sweep-start').click()
  await expect(page.locator('[data-testid="sweep-point"][data-kind="cnn-filters"]').nth(1)).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
  await expect(page.locator('figure[data-chart="Val accuracy vs parameters"]')).toHaveAttribute('data-points', '4')
  await shotBothThemes(page, 'sweeps')

  // A reload lists the sweeps again, rebuilt from the run folders.
  await page.reload()
  await goTo(page, 'sweeps')
  await expect(page.locator('figure[data-chart="Val accuracy vs parameters"]')).toHaveAttribute('data-points', '4')
  expect(errors).toEqual([])
})

test('after a restart, a server on the data folder shows the sweep from its runs', async ({ page, labServer }) => {
  const runsBefore = await listRunIds(labServer.origin, labServer.token)
  await openLesson(page, labServer.url, 'patterns-3')
  await goTo(page, 'sweeps')
  await page.getByTestId('sweep-values').fill('4, 2')
  await page.getByTestId('sweep-start').click()
  // Run smallest first; the first test's MLP sweep (2, 18) is in the table until this one replaces it.
  const live = page.locator('[data-testid="sweep-point"][data-kind="mlp-hidden"]')
  await expect(live.nth(1).locator('td').nth(1)).toHaveText('4')
  await expect(live.nth(1)).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
  expect((await listRunIds(labServer.origin, labServer.token)).length).toBe(runsBefore.length + 2)

  // One owner per data folder: the worker's server keeps its folder, so the restart opens a copy
  // of it (without the live owner's lock), which is what a restarted server finds on disk.
  const copy = mkdtempSync(path.join(tmpdir(), 'cnn-lab-e2e-restart-'))
  cpSync(labServer.dataDir, copy, { recursive: true, filter: (source) => path.basename(source) !== 'cnn-lab.lock' })
  const restarted = await startLabServer({ dataDir: copy })
  try {
    await openLesson(page, restarted.url, 'patterns-3')
    await goTo(page, 'sweeps')
    const points = page.locator('[data-testid="sweep-point"][data-kind="mlp-hidden"]')
    await expect(points).toHaveCount(2)
    // Ordered by setting, each with its parameter count and accuracy.
    await expect(points.nth(0).locator('td').nth(1)).toHaveText('2')
    await expect(points.nth(0).locator('td').nth(2)).toHaveText('139')
    await expect(points.nth(0)).toHaveAttribute('data-seed', '0')
    await expect(points.nth(1).locator('td').nth(1)).toHaveText('4')
    for (const p of await points.all()) {
      await expect(p).toHaveAttribute('data-status', 'completed')
      expect(Number(await p.getAttribute('data-accuracy'))).toBeGreaterThan(0.3)
    }
  } finally {
    restarted.process.kill('SIGTERM')
    await new Promise((done) => restarted.process.once('exit', done))
    rmSync(copy, { recursive: true, force: true })
  }
})

/** Pixels of the chart's canvas in `rgb` (opaque, a line) and in `rgb` at about 20 % over the background (the band). */
async function colourCounts(page: import('@playwright/test').Page, chart: string, rgb: [number, number, number]): Promise<{ line: number; band: number }> {
  return page.locator(`figure[data-chart="${chart}"] canvas`).first().evaluate((el, [r, g, b]) => {
    const canvas = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
    // The background: the most common colour of the chart's corner row.
    const bg = [data[0], data[1], data[2], data[3]]
    const near = (i: number, c: number[], tol: number) => Math.abs(data[i] - c[0]) <= tol && Math.abs(data[i + 1] - c[1]) <= tol && Math.abs(data[i + 2] - c[2]) <= tol
    const blended = bg[3] === 0 ? null : [0, 1, 2].map((k) => bg[k] + (([r, g, b][k] - bg[k]) * 0.2))
    let line = 0
    let band = 0
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 240 && near(i, [r, g, b], 10)) line++
      // A transparent canvas keeps the fill's own colour at low alpha; an opaque one blends it.
      else if (blended ? data[i + 3] > 240 && near(i, blended, 8) : data[i + 3] > 30 && data[i + 3] < 80 && near(i, [r, g, b], 12)) band++
    }
    return { line, band }
  }, rgb)
}

test('a train-count sweep with 2 seeds draws a mean line per model with a band around each', async ({ page, labServer }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await openLesson(page, labServer.url, 'patterns-3')
  const runsBefore = await listRunIds(labServer.origin, labServer.token)
  await goTo(page, 'sweeps')
  await page.getByTestId('sweep-kind').selectOption('train-count')
  await page.getByTestId('sweep-values').fill('2, 5')
  await page.getByTestId('sweep-seeds').fill('2')
  await expect(page.getByTestId('sweep-preview')).toContainText('TinyCNN: 114 params')
  await expect(page.getByTestId('sweep-preview')).toContainText('2, 5 training pictures per class × 2 seeds')
  await expect(page.getByTestId('sweep-start')).toHaveText('Run sweep (4 runs)')
  await page.getByTestId('sweep-start').click()
  await expect(page.getByTestId('sweep-progress')).toContainText('of 4')
  const points = page.locator('[data-testid="sweep-point"][data-kind="train-count"]')
  await expect(points).toHaveCount(8) // 2 values × 2 seeds × 2 models
  await expect(points.nth(7)).toHaveAttribute('data-status', 'completed', { timeout: 90_000 })
  for (const p of await points.all()) await expect(p).toHaveAttribute('data-status', 'completed')
  expect((await listRunIds(labServer.origin, labServer.token)).length).toBe(runsBefore.length + 4)

  const title = 'Val accuracy vs training pictures'
  const figure = page.locator(`figure[data-chart="${title}"]`)
  // Two mean lines of 2 points, and under each a band of two stacked series of 2: 2 × (2 + 4).
  await expect(figure).toHaveAttribute('data-points', '12')
  await expect(figure).toContainText('2 seeds')
  // In pixels: each model's line colour is drawn, and so is its band's translucent fill.
  const cnn = await colourCounts(page, title, [0x00, 0x72, 0xb2])
  const mlp = await colourCounts(page, title, [0xd5, 0x5e, 0x00])
  expect(cnn.line).toBeGreaterThan(30)
  expect(mlp.line).toBeGreaterThan(30)
  expect(cnn.band + mlp.band).toBeGreaterThan(200)
  await shotBothThemes(page, 'sweeps-train-count')

  // Rebuilt from the run folders after a reload: the same eight points, the band still there.
  await page.reload()
  await goTo(page, 'sweeps')
  await expect(page.locator(`figure[data-chart="${title}"]`)).toHaveAttribute('data-points', '12')
  expect(errors).toEqual([])
})
