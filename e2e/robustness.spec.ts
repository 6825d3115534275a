import { expect, test } from './fixtures'
import { openLesson, setPace, waitForStatus } from './lab'
import { goTo, measureRedraws, shotBothThemes, summarise } from './views'

test('mnist-shifted, made small in the editor: the robustness map finishes with the CNN above the MLP', async ({ page, labServer }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await openLesson(page, labServer.url, 'mnist-shifted')
  // Fewer digits and two epochs, so it trains within a test; the comparison is still made on real val digits.
  await goTo(page, 'editor')
  await page.getByLabel('train count').fill('3000')
  await page.getByLabel('val count').fill('300')
  await page.getByLabel('epochs').fill('2')
  await page.getByRole('button', { name: 'Back to Compare' }).click()
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed', 150_000)

  await goTo(page, 'explorer')
  await expect(page.getByTestId('shift-pad')).toBeVisible({ timeout: 20_000 })
  await page.getByTestId('robustness-button').click()
  await expect(page.getByTestId('robustness-progress')).toBeVisible()
  const card = page.getByTestId('robustness-card')
  await expect(card).not.toHaveAttribute('data-means', '', { timeout: 150_000 })
  const means = JSON.parse((await card.getAttribute('data-means'))!) as Record<string, number>
  console.log(`robustness map means on mnist-shifted (small): CNN ${(means.cnn * 100).toFixed(1)} %, MLP ${(means.mlp * 100).toFixed(1)} %`)
  expect(means.cnn).toBeGreaterThan(means.mlp)
  await expect(card).toHaveAttribute('data-panels', '2')
  // The map covers the drag's range, one number: ±4 on 28x28.
  await expect(page.getByTestId('shift-pad')).toHaveAttribute('aria-label', /±4 pixels/)
  await expect(card).toHaveAttribute('data-range', '4')

  const stats = summarise(await measureRedraws(page, 30))
  console.log(`redraw per drag step, MNIST CNN (28x28): median ${stats.median} ms, p95 ${stats.p95} ms over ${stats.n} steps`)
  test.info().annotations.push({ type: 'redraw mnist', description: JSON.stringify(stats) })
  await shotBothThemes(page, 'explorer-mnist')
  await page.locator('.app-main').evaluate((el) => el.scrollTo(0, el.scrollHeight))
  await shotBothThemes(page, 'explorer-mnist-robustness')
  await goTo(page, 'kernels')
  await shotBothThemes(page, 'kernels-mnist')
  await goTo(page, 'trace')
  await shotBothThemes(page, 'trace-mnist')
  expect(errors).toEqual([])
})
