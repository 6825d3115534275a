import { expect, test } from './fixtures'
import { goTo, shotBothThemes, trainLesson } from './views'

test('one input through conv → relu → pool → flatten → linear → softmax, each stage with its shape', async ({ page, labServer }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await trainLesson(page, labServer.url, 'patterns-3')
  await goTo(page, 'trace')
  const cnn = page.locator('[data-testid="trace-card"][data-model="cnn"]')
  await expect(cnn).toHaveAttribute(
    'data-stages',
    'input [1, 8, 8] > conv2d [3, 6, 6] > relu [3, 6, 6] > maxpool2d [3, 3, 3] > flatten [27] > linear [3] > softmax [3]',
  )
  await expect(cnn.locator('canvas')).toBeVisible()
  await expect(cnn.getByTestId('trace-prediction')).toHaveText(/vertical|horizontal|diagonal/)
  await expect(page.locator('[data-testid="trace-card"][data-model="mlp"]')).toHaveAttribute('data-stages', /flatten \[64\] > linear \[18\] > relu \[18\] > linear \[3\] > softmax \[3\]/)
  const before = await page.getByTestId('trace-index').textContent()
  await page.getByRole('button', { name: 'Next picture' }).click()
  await expect(page.getByTestId('trace-index')).not.toHaveText(before!)
  await shotBothThemes(page, 'trace')
  expect(errors).toEqual([])
})
