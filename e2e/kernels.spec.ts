import { expect, test } from './fixtures'
import { openLesson, setPace, waitForStatus } from './lab'
import { goTo, nextPaint, shot, shotBothThemes, trainLesson } from './views'

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

/** Boxes of the kernel figure's "epoch N" headers, as laid out on the page. */
async function headerBoxes(page: import('@playwright/test').Page) {
  const texts = page.getByTestId('kernel-card').getByTestId('grid-text').filter({ hasText: /^epoch \d+$/ })
  return texts.evaluateAll((els) => els.map((el) => {
    const r = el.getBoundingClientRect()
    return { text: el.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom }
  }))
}

test('MNIST (made small): epoch headers never overlap, hovering a cell shows its value, the colour scale is on screen', async ({ page, labServer }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await openLesson(page, labServer.url, 'mnist')
  await goTo(page, 'editor')
  await page.getByLabel('train count').fill('600')
  await page.getByLabel('val count').fill('100')
  await page.getByLabel('epochs').fill('3')
  await page.getByRole('button', { name: 'Back to Compare' }).click()
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed', 200_000)
  await goTo(page, 'kernels')
  const card = page.getByTestId('kernel-card')
  await expect(card).toHaveAttribute('data-filters', '32')
  await expect(card).toHaveAttribute('data-epochs', '3')

  for (const size of [{ width: 1024, height: 768 }, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(size)
    await nextPaint(page)
    const boxes = await headerBoxes(page)
    expect(boxes.map((b) => b.text)).toEqual(['epoch 0', 'epoch 1', 'epoch 3'])
    for (let i = 1; i < boxes.length; i++) expect(boxes[i].left, `${boxes[i].text} after ${boxes[i - 1].text} at ${size.width}`).toBeGreaterThanOrEqual(boxes[i - 1].right)
    // Inside the card, not clipped by it.
    const cardBox = (await card.boundingBox())!
    for (const b of boxes) expect(b.left).toBeGreaterThanOrEqual(cardBox.x)
    await shot(page, `kernels-mnist-${size.width}`)
  }

  // Hover the first kernel's centre cell (cells are 9 px; the first panel's top-left is from the figure).
  const canvas = card.locator('canvas')
  const header = (await headerBoxes(page))[0]
  const box = (await canvas.boundingBox())!
  await page.mouse.move((header.left + header.right) / 2, box.y + 20 + 13)
  const tip = page.getByTestId('heatmap-tooltip')
  await expect(tip).toBeVisible()
  await expect(tip).toHaveText(/^filter 1, epoch 0 · row \d, col \d: −?\d*\.?\d+(e-\d+)?$/)
  await shot(page, 'kernels-mnist-hover')
  await page.mouse.move(box.x + 2, box.y + 2) // the corner: no cell there
  await expect(tip).toHaveCount(0)

  // The MLP wall too: 128 units of 28×28.
  const wall = page.getByTestId('wall-card').locator('canvas')
  const wallBox = (await wall.boundingBox())!
  await page.mouse.move(wallBox.x + 10, wallBox.y + 10)
  await expect(tip).toHaveText(/^unit h1 · row \d+, col \d+: /)

  // A colour scale with min, 0 and max under each heatmap.
  const legend = card.getByTestId('color-legend')
  await expect(legend).toBeVisible()
  const ticks = await legend.getByTestId('legend-tick').allTextContents()
  expect(ticks).toHaveLength(3)
  expect(ticks[0]).toMatch(/^−/)
  expect(ticks[1]).toBe('.00')
  expect(ticks[2]).toBe(ticks[0].slice(1))
  await expect(page.getByTestId('wall-card').getByTestId('color-legend')).toBeVisible()
  expect(errors).toEqual([])
})
