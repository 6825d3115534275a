import path from 'node:path'
import type { Page } from '@playwright/test'
import { ROOT, expect, test } from './fixtures'
import { openLesson, setPace, waitForStatus } from './lab'

const DIR = path.join(ROOT, 'test-results', 'screenshots')

/** Charts draw on the next animation frame after their data: wait for two frames. */
async function nextPaint(page: Page): Promise<void> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))')
}

for (const theme of ['light', 'dark'] as const) {
  test(`every view at 1280×800, ${theme} theme`, async ({ page, labServer }) => {
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.emulateMedia({ colorScheme: theme })
    await openLesson(page, labServer.url, 'patterns-3')
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await setPace(page, 'full speed')
    await page.getByTestId('train-button').click()
    await waitForStatus(page, 'completed')
    await expect(page.locator('figure[data-chart="TinyMLP: validation confusion matrix"]').getByTestId('chart-summary')).toContainText('correct')

    const shots: [string, string][] = [
      ['compare', 'Compare'],
      ['editor', 'Editor'],
      ['runs', 'Runs'],
      ['calculator', 'Calculator'],
      ['presets', 'Lessons'],
    ]
    for (const [file, nav] of shots) {
      await page.locator(`[data-nav]`, { hasText: nav }).first().click()
      await expect(page.locator('.nav-item.active')).toContainText(nav)
      // The runs view with one run overlaid, so its chart is not empty.
      if (file === 'runs') await page.getByTestId('runs-table').getByRole('checkbox').first().check()
      if (file === 'runs') await expect(page.locator('figure[data-chart="Validation accuracy, runs overlaid"] canvas').first()).toBeVisible()
      await nextPaint(page)
      await page.screenshot({ path: path.join(DIR, `${file}-${theme}.png`) })
    }
    // Main controls are on screen without scrolling; the per-model charts are further down.
    await page.locator('[data-nav="compare"]').click()
    await expect(page.getByTestId('train-button')).toBeInViewport()
    await page.locator('.app-main').evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await nextPaint(page)
    await page.screenshot({ path: path.join(DIR, `compare-lower-${theme}.png`) })
    expect(errors).toEqual([])
  })
}
