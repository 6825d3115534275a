import { expect, test } from './fixtures'
import { OVERLAY, listRunIds, openLesson, points, setPace, waitForStatus } from './lab'
import { SHOTS, nextPaint } from './views'

test('the runs view lists a finished run after a reload, reopens it, and deletes it', async ({ page, labServer }) => {
  const before = new Set(await listRunIds(labServer.origin, labServer.token))
  await openLesson(page, labServer.url, 'patterns-3')
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed')
  const id = (await listRunIds(labServer.origin, labServer.token)).find((r) => !before.has(r))
  expect(id).toBeTruthy()

  await page.getByRole('button', { name: /^Runs/ }).click()
  await page.reload()
  const row = page.locator(`tr[data-run-id="${id}"]`)
  await expect(row).toBeVisible()
  await expect(row).toHaveAttribute('data-status', 'completed')
  await expect(row).toContainText('patterns-3')
  await expect(row).toContainText(/cnn\s+\d+\.\d %/)

  // Reopen: the dashboards are rebuilt from the run folder.
  await row.getByRole('button', { name: 'Open' }).click()
  await expect(page.getByTestId('source-note')).toContainText(`Past run ${id}`)
  await expect.poll(() => points(page, OVERLAY)).toBe(2 * 81)

  // Overlay it, then delete it (the button asks once more).
  await page.getByRole('button', { name: /^Runs/ }).click()
  await row.getByRole('checkbox').check()
  await expect(page.locator('figure[data-chart="Validation accuracy, runs overlaid"]')).toHaveAttribute('data-points', String(2 * 81))
  await row.getByRole('button', { name: 'Delete' }).click()
  await row.getByRole('button', { name: 'Really delete?' }).click()
  await expect(row).toHaveCount(0)
  expect(await listRunIds(labServer.origin, labServer.token)).not.toContain(id)
})

test('two runs of different lengths overlay on their own epochs, named by experiment, the legend above the plot', async ({ page, labServer }) => {
  test.setTimeout(180_000)
  for (const preset of ['patterns-3', 'edge-detector']) {
    await openLesson(page, labServer.url, preset)
    await setPace(page, 'full speed')
    await page.getByTestId('train-button').click()
    await waitForStatus(page, 'completed', 120_000)
  }
  await page.getByRole('button', { name: /^Runs/ }).click()
  const rows = page.locator('tr[data-run-id]')
  await expect(rows.nth(1)).toBeVisible()
  await rows.nth(0).getByRole('checkbox').check()
  await rows.nth(1).getByRole('checkbox').check()
  const figure = page.locator('figure[data-chart="Validation accuracy, runs overlaid"]')
  // patterns-3: 2 models × 81 epochs (0..80); edge-detector: FC 80 epochs, conv 400.
  await expect(figure).not.toHaveAttribute('data-points', '0')
  const summary = await figure.getByTestId('chart-summary').textContent()
  expect(summary).toContain('Patterns, 3 classes')
  expect(summary).not.toMatch(/run \d \(/)
  for (const size of [{ width: 1024, height: 768 }, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(size)
    await figure.scrollIntoViewIfNeeded()
    await nextPaint(page)
    await page.screenshot({ path: `${SHOTS}/runs-overlay-${size.width}.png` })
  }
})
