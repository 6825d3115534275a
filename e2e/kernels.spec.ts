import { expect, test } from './fixtures'
import { goTo, shotBothThemes, trainLesson } from './views'

test('after patterns-3 trains, the kernels view shows 3 filters × 6 epochs with their weights written', async ({ page, labServer }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await trainLesson(page, labServer.url, 'patterns-3')
  await goTo(page, 'kernels')

  const card = page.getByTestId('kernel-card')
  await expect(card).toHaveAttribute('data-filters', '3')
  await expect(card).toHaveAttribute('data-epochs', '6')
  await expect(card.locator('canvas')).toBeVisible()
  await expect(card.getByTestId('kernel-row')).toHaveCount(3)
  const cells = card.getByTestId('kernel-cell')
  await expect(cells).toHaveCount(18)
  // Each cell writes its nine weights, and training changed them (epoch 0 vs epoch 80).
  const first = (await cells.nth(0).textContent())!.trim().split(' ')
  const last = (await cells.nth(5).textContent())!.trim().split(' ')
  expect(first).toHaveLength(9)
  for (const w of first) expect(w).toMatch(/^−?\d*\.\d\d$/)
  expect(last).not.toEqual(first)
  // 18 hidden units of the MLP, each an 8x8 image.
  await expect(page.getByTestId('wall-card')).toHaveAttribute('data-panels', '18')

  // The scrubber picks an epoch; play walks through them.
  await page.getByTestId('epoch-scrubber').fill('0')
  await expect(page.getByTestId('epoch-label')).toHaveText('epoch 0')
  await page.getByTestId('kernels-play').click()
  await expect(page.getByTestId('epoch-label')).toHaveText('epoch 1')
  await expect(page.getByTestId('epoch-label')).toHaveText('epoch 80', { timeout: 10_000 })
  await shotBothThemes(page, 'kernels')
  expect(errors).toEqual([])
})

test('edge-detector: the FC detector’s 8x8 weight wall next to the one 3x3 kernel', async ({ page, labServer }) => {
  await trainLesson(page, labServer.url, 'edge-detector')
  await goTo(page, 'kernels')
  await expect(page.getByTestId('kernel-card')).toHaveAttribute('data-filters', '1')
  await expect(page.getByTestId('kernel-card')).toHaveAttribute('data-epochs', '7')
  await expect(page.getByTestId('wall-card')).toHaveAttribute('data-panels', '1')
  await shotBothThemes(page, 'kernels-edge-detector')
})
