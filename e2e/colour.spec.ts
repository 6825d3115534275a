/**
 * Colour pictures through every view: the `colour` preset's RGB inputs drawn
 * in colour in the explorer, the trace and a confusion cell's pictures; its
 * first-layer kernels as RGB tiles next to the per-channel grid; the MLP's
 * first-layer weights as colour images. "In colour" is read from the pixels:
 * red, green and blue all different somewhere (grey has R = G = B).
 * A grey lesson is the control: its pictures stay grey.
 */
import type { Locator, Page } from '@playwright/test'
import { presetSummaries } from '../src/engine/experiment/presets'
import { expect, test } from './fixtures'
import { colourfulPixels, type CanvasRegion } from './pixels'
import { goTo, nextPaint, shotBothThemes, trainLesson } from './views'

const hasColourPreset = presetSummaries().some((p) => p.id === 'colour')

/**
 * The trace's input panel, inside the card's canvas: under the input column's
 * "[C, H, W]" header and the panel's own label (LABEL_HEIGHT 14 in
 * grid-figure.ts), a small square from its top-left corner.
 */
async function traceInputRegion(card: Locator, channels: number): Promise<CanvasRegion> {
  const header = card.getByTestId('grid-text').filter({ hasText: new RegExp(`^\\[${channels}, \\d+, \\d+\\]$`) }).first()
  const h = (await header.boundingBox())!
  const c = (await card.locator('canvas').first().boundingBox())!
  // A few pixels in, clear of the panel's outline (drawn in the theme's axis colour).
  return { x: h.x - c.x + 6, y: h.y + h.height - c.y + 14 + 8, width: 16, height: 16 }
}

async function expectColour(root: Locator, what: string, region?: CanvasRegion): Promise<void> {
  await expect.poll(() => colourfulPixels(root, region), { message: `${what} is drawn in colour`, timeout: 15_000 }).toBeGreaterThan(0)
}

async function openCellPictures(page: Page): Promise<Locator> {
  await goTo(page, 'compare')
  const pick = page.locator('[data-testid="cell-pick"]').first()
  await pick.selectOption((await pick.locator('option').nth(1).getAttribute('value'))!)
  const panel = page.getByTestId('cell-samples').first()
  await expect(panel.locator('canvas').first()).toBeVisible({ timeout: 30_000 })
  await expect(panel.getByRole('status')).toHaveCount(0, { timeout: 30_000 })
  return panel
}

test.describe('colour pictures', () => {
  test.skip(!hasColourPreset, 'the `colour` preset is not in the presets list yet (issue 14: the datasets branch adds it); this spec runs once that merges')

  test('the colour preset: RGB kernel tiles, colour MLP weights, colour pictures in the explorer, the trace and a confusion cell', async ({ page, labServer }) => {
    test.setTimeout(240_000)
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await trainLesson(page, labServer.url, 'colour')

    const cell = await openCellPictures(page)
    await expectColour(cell, 'a confusion cell’s pictures')

    await goTo(page, 'kernels')
    const tiles = page.getByTestId('colour-kernel-card')
    await expect(tiles).toBeVisible()
    expect(Number(await tiles.getAttribute('data-filters'))).toBeGreaterThan(0)
    await expectColour(tiles, 'the RGB kernel tiles')
    // The per-channel grid is there too, each filter's three channels with their weights written.
    const perChannel = page.getByTestId('kernel-card')
    await expect(perChannel).toHaveAttribute('data-epochs', await tiles.getAttribute('data-epochs') as string)
    const weights = (await perChannel.getByTestId('kernel-cell').first().textContent())!.trim().split(' ')
    expect(weights.length % 3).toBe(0)
    await expect(perChannel.getByTestId('grid-text').filter({ hasText: /^f1 G$/ })).toHaveCount(1)
    await expectColour(page.getByTestId('wall-card'), 'the MLP’s first-layer weight images')
    await shotBothThemes(page, 'colour-kernels')

    await goTo(page, 'explorer')
    const pad = page.getByTestId('shift-pad')
    await expectColour(pad, 'the explorer’s picture')
    await pad.focus()
    await page.keyboard.press('ArrowRight')
    await expect(pad).toHaveAttribute('data-dx', '1')
    await nextPaint(page)
    await expectColour(pad, 'the shifted picture')
    await page.getByTestId('draw-mode').click()
    await expect(page.getByTestId('paint-colours').getByRole('radio')).toHaveCount(7)
    await expectColour(page.getByTestId('draw-pad'), 'the draw pad (a copy of the picture)')
    await shotBothThemes(page, 'colour-explorer')

    await goTo(page, 'trace')
    const trace = page.getByTestId('trace-card').first()
    await expect(trace).toHaveAttribute('data-stages', /^input \[3, \d+, \d+\]/)
    await expectColour(trace, 'the trace’s input', await traceInputRegion(trace, 3))
    await shotBothThemes(page, 'colour-trace')
    expect(errors).toEqual([])
  })
})

test('control: a grey lesson’s pictures stay grey in the explorer, the trace and a confusion cell; no RGB tiles', async ({ page, labServer }) => {
  await trainLesson(page, labServer.url, 'patterns-3')
  const cell = await openCellPictures(page)
  expect(await colourfulPixels(cell)).toBe(0)
  await goTo(page, 'kernels')
  await expect(page.getByTestId('kernel-card')).toHaveAttribute('data-filters', '3')
  await expect(page.getByTestId('colour-kernel-card')).toHaveCount(0)
  await goTo(page, 'explorer')
  const pad = page.getByTestId('shift-pad')
  await expect(pad.locator('canvas')).toBeVisible()
  await nextPaint(page)
  expect(await colourfulPixels(pad)).toBe(0)
  await goTo(page, 'trace')
  const trace = page.locator('[data-testid="trace-card"][data-model="cnn"]')
  await expect(trace.locator('canvas')).toBeVisible()
  await nextPaint(page)
  const region = await traceInputRegion(trace, 1)
  expect(await colourfulPixels(trace, region)).toBe(0)
  // The region is on the input panel: the same square one stage to the right (the conv maps, viridis) is in colour.
  expect(await colourfulPixels(trace, { ...region, x: region.x + 26 * 8 + 26 })).toBeGreaterThan(0)
})
