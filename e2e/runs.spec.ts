import { expect, test } from './fixtures'
import { OVERLAY, listRunIds, openLesson, points, setPace, waitForStatus } from './lab'

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
