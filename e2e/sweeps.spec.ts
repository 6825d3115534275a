import { expect, test } from './fixtures'
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
  expect(errors).toEqual([])
})
