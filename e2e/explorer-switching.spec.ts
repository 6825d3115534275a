/**
 * The Explorer and the Trace follow whatever experiment is current, in one
 * page, without a reload: patterns-3 (8x8) → a small MNIST run (28x28) →
 * patterns-3 reopened from Runs. Every switch changes the input size, which
 * is where state kept from the previous experiment used to blank the view.
 */
import type { Locator, Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { setPace, waitForStatus } from './lab'
import { decodePng, luminanceVariance } from './png'
import { goTo, nextPaint, shot, trainLesson } from './views'

/** A canvas has drawn something: its screenshot is not one flat colour. */
async function expectDrawn(canvas: Locator, what: string): Promise<void> {
  await expect(canvas).toBeVisible()
  await expect
    .poll(async () => luminanceVariance(decodePng(await canvas.screenshot())), { message: `${what} drew pixels` })
    .toBeGreaterThan(20)
}

/** Explorer: the input, the CNN's feature maps and the MLP's hidden units drawn, the table filled, for a `size`² input. */
async function expectExplorer(page: Page, size: number, limit: number): Promise<void> {
  await goTo(page, 'explorer')
  const pad = page.getByTestId('shift-pad')
  await expect(pad).toBeVisible({ timeout: 20_000 })
  await expect(pad).toHaveAttribute('aria-label', new RegExp(`±${limit} pixels`))
  await expect(page.getByTestId('explorer')).toHaveAttribute('data-input-shape', `1,${size},${size}`)
  await expect(page.getByTestId('maps-card')).not.toHaveAttribute('data-panels', '0')
  await expect(page.getByTestId('maps-card').getByTestId('chart-summary')).toContainText('Feature maps')
  await nextPaint(page)
  await expectDrawn(pad.locator('canvas'), 'the input picture')
  await expectDrawn(page.getByTestId('maps-card').locator('canvas'), 'the feature maps')
  await expectDrawn(page.getByTestId('hidden-card').locator('canvas'), 'the hidden units')
  await expect(page.locator('[data-testid="eq-row"][data-model="cnn"]').first()).toBeVisible()
  await expect(page.locator('[data-testid="eq-row"][data-model="mlp"]').first()).toBeVisible()
  // A step still works, and the map follows it.
  await pad.focus()
  await page.keyboard.press('ArrowRight')
  await expect(pad).toHaveAttribute('data-dx', /^-?\d+$/)
  await expect(page.getByTestId('maps-card').getByTestId('chart-summary')).toContainText(`shift (${await pad.getAttribute('data-dx')}, `)
  // The robustness map's range is the drag range, one number.
  await expect(page.locator('#robust-title')).toContainText(`[−${limit}, ${limit}]²`)
}

async function expectTrace(page: Page, inputShape: string): Promise<void> {
  await goTo(page, 'trace')
  for (const model of ['cnn', 'mlp']) {
    const card = page.locator(`[data-testid="trace-card"][data-model="${model}"]`)
    await expect(card).toHaveAttribute('data-stages', new RegExp(`^input \\[${inputShape}\\] > `))
    await expectDrawn(card.locator('canvas'), `the ${model} trace`)
  }
}

/** Opens a lesson from the Lessons view (no reload) in Compare. */
async function openLessonHere(page: Page, preset: string): Promise<void> {
  await goTo(page, 'presets')
  await page.locator(`[data-preset-id="${preset}"]`).click()
  await page.getByTestId('open-in-compare').click()
  await expect(page.getByTestId('preset-select')).toHaveValue(preset)
}

test('Explorer and Trace follow the current experiment: patterns-3 → small MNIST → patterns-3 again, one page, no console errors', async ({ page, labServer }) => {
  test.setTimeout(300_000)
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (err) => errors.push(err.message))

  await trainLesson(page, labServer.url, 'patterns-3')
  await expectExplorer(page, 8, 3)
  await expectTrace(page, '1, 8, 8')

  // MNIST made small in the editor, trained in the same page.
  await openLessonHere(page, 'mnist')
  await goTo(page, 'editor')
  await page.getByLabel('train count').fill('600')
  await page.getByLabel('val count').fill('100')
  await page.getByLabel('epochs').fill('1')
  await page.getByRole('button', { name: 'Back to Compare' }).click()
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed', 150_000)
  await expectExplorer(page, 28, 4)
  await shot(page, 'explorer-switching-mnist')
  await expectTrace(page, '1, 28, 28')

  // Back to the patterns-3 run, reopened from Runs.
  await goTo(page, 'runs')
  await page.locator('tr[data-run-id]').filter({ hasText: 'patterns-3' }).first().getByRole('button', { name: 'Open' }).click()
  await expect(page.getByTestId('preset-select')).toHaveValue('patterns-3')
  await expectExplorer(page, 8, 3)
  await shot(page, 'explorer-switching-patterns')
  await expectTrace(page, '1, 8, 8')

  // And once more to MNIST, straight from Trace to Explorer (the trace view already has 28x28 pictures).
  await goTo(page, 'runs')
  await page.locator('tr[data-run-id]').filter({ hasText: 'mnist' }).first().getByRole('button', { name: 'Open' }).click()
  await expect(page.getByTestId('preset-select')).toHaveValue('mnist')
  await expectTrace(page, '1, 28, 28')
  await expectExplorer(page, 28, 4)
  expect(errors).toEqual([])
})
