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
