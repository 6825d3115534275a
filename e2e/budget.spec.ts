/**
 * The resource budget in the editor: the estimate is shown under the models,
 * and the editor checks against the server's own budget (--memory-budget), so
 * a recipe the server would refuse is never "ready to train".
 */
import type { Page } from '@playwright/test'
import { expect, startLabServer, stopLabServer, test } from './fixtures'
import { openLesson } from './lab'
import { goTo, shot } from './views'

const mlpRow = (page: Page, index: number) => page.locator(`.model-panel[data-model="mlp"] .layer-editor-row[data-layer-index="${index}"]`)
const line = (page: Page, label: string) => page.getByTestId('editor-estimate').locator(`[data-estimate="${label}"]`)

test('the editor shows the estimate and refuses, in the server budget\'s words, what does not fit it', async ({ page }) => {
  // 90 MB: patterns-3 fits (about 81 MB with the engine itself); a 5,000-wide MLP does not.
  const server = await startLabServer({ args: ['--memory-budget', '0.09'] })
  try {
    await openLesson(page, server.url, 'patterns-3')
    await goTo(page, 'editor')
    await expect(page.getByTestId('editor-ready')).toBeVisible()
    await expect(line(page, 'parameters').locator('dd')).toHaveText('1,341') // TinyCNN 114 + TinyMLP 1,227
    await expect(line(page, 'memory').locator('dd')).toHaveText(/^8\d(\.\d+)? MB of 90 MB$/)
    await expect(line(page, 'snapshots').locator('dd')).toHaveText(/kB of 1 GB$/)
    await expect(line(page, 'time').locator('dd')).toHaveText(/second|s$/)
    await expect(page.getByTestId('editor-estimate').locator('.over')).toHaveCount(0)

    await mlpRow(page, 1).getByLabel('width').fill('5000')
    await expect(page.getByTestId('editor-ready')).toHaveCount(0)
    await expect(line(page, 'memory')).toHaveClass(/over/)
    await expect(line(page, 'memory').locator('dd')).toHaveText(/ MB of 90 MB$/)
    await expect(page.getByTestId('editor-problems')).toContainText('the memory budget for a run is 90 MB (raise it with --memory-budget GB or CNN_LAB_MEMORY_BUDGET)')
    await shot(page, 'editor-over-budget')

    await mlpRow(page, 1).getByLabel('width').fill('18')
    await expect(page.getByTestId('editor-ready')).toBeVisible()
    await expect(line(page, 'memory')).not.toHaveClass(/over/)
  } finally {
    await stopLabServer(server)
  }
})
