import type { Locator, Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { goTo, measureRedraws, shotBothThemes, summarise, trainLesson } from './views'

async function rows(page: Page, model: string): Promise<Locator[]> {
  return page.locator(`[data-testid="eq-row"][data-model="${model}"]`).all()
}

/** The CNN's conv layer is exact inside the band; the MLP's hidden code changed a lot. */
async function expectEquivariance(page: Page): Promise<void> {
  await expect(page.getByTestId('shift-readout')).toHaveText('dx +2, dy 0')
  const cnn = await rows(page, 'cnn')
  expect(cnn.length).toBeGreaterThanOrEqual(2)
  const conv = cnn[0]
  await expect(conv).toHaveAttribute('data-kind', 'equivariance')
  expect(Number(await conv.getAttribute('data-interior'))).toBeLessThan(1e-4)
  expect(Number(await conv.getAttribute('data-error'))).toBeGreaterThan(0) // the band itself is not exact
  await expect(conv.locator('td').nth(1)).toHaveText('≈ 0')
  const mlp = await rows(page, 'mlp')
  expect(mlp.length).toBeGreaterThanOrEqual(1)
  await expect(mlp[mlp.length - 1]).toHaveAttribute('data-kind', 'change')
  expect(Number(await mlp[mlp.length - 1].getAttribute('data-error'))).toBeGreaterThan(0.3)
}

test('dragging the input 2 pixels right: conv error ≈ 0 inside the band, the MLP code changes; arrow keys do the same', async ({ page, labServer }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await trainLesson(page, labServer.url, 'patterns-3')
  await goTo(page, 'explorer')
  const pad = page.getByTestId('shift-pad')
  await expect(pad).toHaveAttribute('data-dx', '0')

  // Drag with the mouse: 2 cells of 24 px to the right.
  const box = (await pad.boundingBox())!
  const x = box.x + box.width / 2
  const y = box.y + box.height / 2
  await page.mouse.move(x, y)
  await page.mouse.down()
  await page.mouse.move(x + 25, y, { steps: 3 })
  await page.mouse.move(x + 49, y, { steps: 3 })
  await page.mouse.up()
  await expect(pad).toHaveAttribute('data-dx', '2')
  await expectEquivariance(page)
  await shotBothThemes(page, 'explorer')

  // Back to the start, then the keyboard.
  await page.getByRole('button', { name: 'Reset', exact: true }).click()
  await expect(pad).toHaveAttribute('data-dx', '0')
  await pad.focus()
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowRight')
  await expect(pad).toHaveAttribute('data-dx', '2')
  await expectEquivariance(page)
  // The shift is bounded: ±3 on 8x8.
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight')
  await expect(pad).toHaveAttribute('data-dx', '3')
  // An odd shift: the pool row stays, not comparable, and says why; the MLP has nothing "inside".
  const pool = page.locator('[data-testid="eq-row"][data-model="cnn"][data-kind="misaligned"]')
  await expect(pool).toHaveCount(1)
  await expect(pool).toContainText('pool 1')
  await expect(pool).toContainText('not comparable')
  await expect(page.getByTestId('eq-notes')).toContainText('dx +3 is not a multiple of 2, the stride of pool 1')
  const mlpRow = page.locator('[data-testid="eq-row"][data-model="mlp"]').last()
  await expect(mlpRow.locator('td').nth(1)).toHaveText('—')
  await expect(page.getByTestId('eq-notes')).toContainText('TinyMLP: its units have no positions to shift back')

  const times = await measureRedraws(page, 40)
  const stats = summarise(times)
  console.log(`redraw per drag step, patterns-3 (8x8): median ${stats.median} ms, p95 ${stats.p95} ms over ${stats.n} steps`)
  test.info().annotations.push({ type: 'redraw patterns-3', description: JSON.stringify(stats) })

  // A drawn input works too.
  await page.getByTestId('draw-mode').click()
  await expect(page.getByTestId('draw-pad')).toBeVisible()
  expect(errors).toEqual([])
})

test('in presentation mode (everything drawn 25 % larger) a drag of two cells on screen shifts by two pixels', async ({ page, labServer }) => {
  await trainLesson(page, labServer.url, 'patterns-3')
  await page.locator('body').press('p')
  await expect(page.locator('html')).toHaveAttribute('data-presentation', 'on')
  await goTo(page, 'explorer')
  const pad = page.getByTestId('shift-pad')
  await expect(pad).toHaveAttribute('data-dx', '0')
  // A cell's size as drawn on screen: the 8x8 picture's canvas width over 8, in viewport pixels.
  const onScreen = await pad.evaluate((el) => el.querySelector('canvas')!.getBoundingClientRect().width / 8)
  const box = (await pad.boundingBox())!
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2]
  await page.mouse.move(x, y)
  await page.mouse.down()
  await page.mouse.move(x + 2 * onScreen, y, { steps: 6 })
  await page.mouse.up()
  await expect(pad).toHaveAttribute('data-dx', '2')
})
