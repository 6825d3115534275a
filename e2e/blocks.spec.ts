/**
 * Lesson 004 in one page: the hand-set edge kernel's column of ones in the
 * Trace, the batch-norm model's prediction going wrong in train mode, the
 * depthwise layer's per-channel kernels, and the calculator's new panels.
 * Screenshots at 1024x768 go to /work/shots-blocks/.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { setPace, waitForStatus } from './lab'
import { drawnFigures } from './pixels'
import { goTo, nextPaint, trainLesson } from './views'

const SHOTS = '/work/shots-blocks'

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  await nextPaint(page)
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) })
}

/** Switches the current experiment from Compare's picker (confirming a discard if asked) and trains it to the end. */
async function switchAndTrain(page: Page, preset: string): Promise<void> {
  await goTo(page, 'compare')
  await page.getByTestId('preset-select').selectOption(preset)
  const confirm = page.getByTestId('confirm-ok')
  if (await confirm.isVisible().catch(() => false)) await confirm.click()
  await expect(page.getByTestId('preset-select')).toHaveValue(preset)
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed', 240_000)
}

async function rows(page: Page, testId: string): Promise<string[][]> {
  return page.getByTestId(testId).evaluateAll((trs) => trs.map((tr) => Array.from((tr as unknown as { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> }).querySelectorAll('td')).map((td) => td.textContent ?? '')))
}

test('edge kernel, batch norm in train mode, depthwise kernels, calculator', async ({ page, labServer }) => {
  test.setTimeout(600_000)
  await page.setViewportSize({ width: 1024, height: 768 })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))

  // 1. The hand-set [−1, 1] kernel (0 epochs): +1 exactly one column left of each line, −1 on it.
  await trainLesson(page, labServer.url, 'edge-kernel')
  await expect(page.locator('main')).not.toContainText('NaN')
  await shoot(page, 'compare-edge-kernel-0-epochs')
  await goTo(page, 'trace')
  const card = page.locator('[data-testid="trace-card"][data-model="edge"]')
  await expect(card).toHaveAttribute('data-stages', /^input \[1, 8, 8\] > conv2d \[1, 8, 7\] > conv2d \[1, 1, 7\] > relu/)
  const input = await rows(page, 'trace-input-row')
  const map = await rows(page, 'trace-map-row')
  expect(input).toHaveLength(8)
  expect(map).toHaveLength(8)
  const line = input[0].indexOf('1.00')
  expect(line).toBeGreaterThan(0)
  for (let r = 0; r < 8; r++) {
    expect(input[r].indexOf('1.00')).toBe(line)
    const expected = map[r].map((_, c) => (c === line - 1 ? '1.00' : c === line ? '-1.00' : '0.00'))
    expect(map[r]).toEqual(expected)
  }
  await expect(card.getByTestId('trace-prediction')).toHaveText('edge')
  expect((await drawnFigures(page)).blank).toEqual([])
  await expect(page.getByTestId('trace-train-mode')).toHaveCount(0)
  await shoot(page, 'trace-edge-kernel')
  await goTo(page, 'kernels')
  await expect(page.getByTestId('kernel-card')).toHaveAttribute('data-kernel', '1x2')
  await expect(page.getByTestId('kernels-layer')).toHaveValue('edge:0')
  await shoot(page, 'kernels-edge-kernel-1x2')
  await page.getByTestId('kernels-layer').selectOption('edge:1')
  await expect(page.getByTestId('kernel-card')).toHaveAttribute('data-kernel', '8x1')
  await shoot(page, 'kernels-edge-kernel-8x1')

  // 2. Batch norm: eval mode by default; train mode normalises one picture by itself and the answer changes.
  await switchAndTrain(page, 'batchnorm')
  await goTo(page, 'trace')
  const bn = page.locator('[data-testid="trace-card"][data-model="bn"]')
  await expect(bn).toHaveAttribute('data-stages', /conv2d \[16, 28, 28\] > batchnorm2d \[16, 28, 28\] > relu/)
  await expect(bn).toHaveAttribute('data-mode', 'eval')
  const evalAnswer = await bn.getByTestId('trace-prediction').textContent()
  const toggle = page.getByTestId('trace-train-mode')
  await toggle.check()
  await expect(bn).toHaveAttribute('data-mode', 'train')
  // The plain model has no batch norm: it is not touched by the toggle.
  await expect(page.locator('[data-testid="trace-card"][data-model="plain"]')).toHaveAttribute('data-mode', 'eval')
  await expect(bn.getByTestId('trace-eval-note')).toContainText(`in eval mode: ${evalAnswer}`)
  // Walk a few pictures until the class itself flips (the confidence always moves).
  let flipped = false
  for (let i = 0; i < 10 && !flipped; i++) {
    const trainAnswer = (await bn.getByTestId('trace-prediction').textContent())!
    const note = (await bn.getByTestId('trace-eval-note').textContent())!
    flipped = !note.includes(`in eval mode: ${trainAnswer} (`)
    if (!flipped) await page.getByRole('button', { name: 'Next picture' }).click()
  }
  expect(flipped, 'train mode changed the predicted class of one of 10 pictures').toBe(true)
  await shoot(page, 'trace-batchnorm-train-mode')
  await toggle.uncheck()
  await expect(bn).toHaveAttribute('data-mode', 'eval')
  await expect(bn.getByTestId('trace-eval-note')).toHaveCount(0)

  // 3. Depthwise: the Kernels view draws the grouped layer as one 3x3 kernel per channel.
  await switchAndTrain(page, 'depthwise')
  await goTo(page, 'kernels')
  const pick = page.getByTestId('kernels-layer')
  const depthwise = await pick.locator('option', { hasText: 'one kernel per channel' }).first().getAttribute('value')
  await pick.selectOption(depthwise!)
  const kernels = page.getByTestId('kernel-card')
  await expect(kernels).toHaveAttribute('data-depthwise', 'true')
  await expect(kernels).toHaveAttribute('data-filters', '16')
  await expect(kernels).toHaveAttribute('data-kernel', '3x3')
  await expect(kernels.getByTestId('kernel-row')).toHaveCount(16)
  expect((await drawnFigures(page)).blank).toEqual([])
  await shoot(page, 'kernels-depthwise')
  await goTo(page, 'trace')
  await shoot(page, 'trace-depthwise')

  // 4. The calculator's lesson 004 panels.
  await goTo(page, 'calculator')
  await page.getByLabel('kernel K').fill('1')
  await page.getByLabel('kernel width').fill('2')
  await page.getByLabel('padding P').fill('0')
  await page.getByLabel('pad width').fill('0')
  await page.getByLabel('input H').fill('4')
  await page.getByLabel('input W').fill('4')
  await expect(page.getByTestId('formula-shape')).toContainText('Output map: 4×3')
  await expect(page.getByTestId('block-two-3-3')).toContainText('73,728')
  await expect(page.getByTestId('block-one-5-5')).toContainText('102,400')
  await page.getByTestId('stack-input').fill('conv 3, conv 3, pool 2, conv 1x2')
  await expect(page.getByTestId('stack-table')).toContainText('5×5')
  await expect(page.getByTestId('stack-table')).toContainText('6×8')
  await page.getByTestId('block-costs').scrollIntoViewIfNeeded()
  await shoot(page, 'calculator-lesson004')
  await page.getByTestId('stack-input').fill('conv 3, dense 4')
  await expect(page.getByTestId('stack-error')).toContainText('layer 2 ("dense 4")')
  expect(errors).toEqual([])
})
