/**
 * Classroom sizes: every view at 1024x768, 1920x1080 and 150 % zoom of 1280x800 (853x533 CSS
 * pixels at device scale 1.5, which is what browser zoom does to layout), with a trained run so
 * the charts exist. No text may be cut or spill out of its box, the view's main control must have
 * keyboard focus and be on screen without scrolling. Then presentation mode and its shortcut.
 */
import type { Browser, Page } from '@playwright/test'
import { expect, test, type LabServer } from './fixtures'
import { setPace, waitForStatus } from './lab'
import { decodePng, luminanceVariance } from './png'
import { findOverflow, formatOffenders } from './overflow'
import { goTo, nextPaint, shot } from './views'

/** Each view and the control that must hold focus after navigating to it. */
const VIEWS: { id: string; main: string }[] = [
  { id: 'presets', main: '.preset-card.selected' },
  { id: 'compare', main: '[data-testid="train-button"]' },
  { id: 'editor', main: '.editor-view .name-field input' },
  { id: 'kernels', main: '[data-testid="kernels-play"]' },
  { id: 'explorer', main: '[data-testid="shift-pad"]' },
  { id: 'trace', main: '.trace-view button[aria-label="Next picture"]' },
  { id: 'sweeps', main: '[data-testid="sweep-start"]' },
  { id: 'runs', main: '[data-testid="runs-table"] tbody button' },
  { id: 'calculator', main: '.calculator-view input' },
]

const SIZES = [
  { name: '1024x768', width: 1024, height: 768, scale: 1 },
  { name: '1920x1080', width: 1920, height: 1080, scale: 1 },
  { name: '1280x800 at 150 %', width: Math.floor(1280 / 1.5), height: Math.floor(800 / 1.5), scale: 1.5 },
]

async function newPage(browser: Browser, size: { width: number; height: number; scale: number }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, deviceScaleFactor: size.scale })
  return context.newPage()
}

/** Trains patterns-3 once per server; later pages reopen that run from Runs (the dashboards, no training). */
async function openTrainedRun(page: Page, server: LabServer): Promise<void> {
  await page.goto(`${server.url}#runs`)
  const row = page.locator('[data-run-id][data-status="completed"]').filter({ hasText: 'patterns-3' }).first()
  await expect(page.getByTestId('runs-table')).not.toContainText('Loading')
  if ((await row.count()) === 0) {
    await goTo(page, 'presets')
    await page.locator('[data-preset-id="patterns-3"]').click()
    await page.getByTestId('open-in-compare').click()
    await setPace(page, 'full speed')
    await page.getByTestId('train-button').click()
    await waitForStatus(page, 'completed', 120_000)
    return
  }
  await row.getByRole('button', { name: 'Open' }).click()
  await expect(page.locator('.nav-item.active')).toHaveAttribute('data-nav', 'compare')
  await waitForStatus(page, 'completed')
}

/** The focused control, on screen in full, with the main area not scrolled. */
async function expectMainControl(page: Page, selector: string): Promise<void> {
  const control = page.locator(selector).first()
  await expect(control).toBeFocused({ timeout: 15_000 })
  const placed = await control.evaluate((el) => {
    const r = el.getBoundingClientRect()
    const main = document.querySelector('.app-main')!
    const m = main.getBoundingClientRect()
    return { inside: r.top >= m.top - 1 && r.bottom <= m.bottom + 1 && r.left >= m.left - 1 && r.right <= m.right + 1, scrollTop: main.scrollTop }
  })
  expect(placed).toEqual({ inside: true, scrollTop: 0 })
}

/** The first chart canvas on the view has drawn something (not one flat colour). */
async function expectChartDrawn(page: Page): Promise<void> {
  const canvas = page.locator('figure.chart-card canvas').first()
  await expect(canvas).toBeVisible()
  await expect.poll(async () => luminanceVariance(decodePng(await canvas.screenshot())), { timeout: 10_000 }).toBeGreaterThan(20)
}

for (const size of SIZES) {
  test(`every view at ${size.name}: no text cut or spilling, main control focused and on screen`, async ({ labBrowser, labServer }) => {
    test.setTimeout(240_000)
    const page = await newPage(labBrowser, size)
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await openTrainedRun(page, labServer)
    const narrow = size.width < 1100
    // The sidebar folds to icons exactly when the window is narrow (CSS pixels: zoom counts).
    await expect(page.getByTestId('nav-toggle')).toHaveAttribute('aria-expanded', narrow ? 'false' : 'true')

    const problems: string[] = []
    for (const view of VIEWS) {
      await goTo(page, view.id)
      await expectMainControl(page, view.main)
      if (view.id === 'runs') {
        await page.getByTestId('runs-table').getByRole('checkbox').first().check()
        await expect(page.locator('figure[data-chart="Validation accuracy, runs overlaid"] canvas').first()).toBeVisible()
      }
      if (view.id === 'compare' || view.id === 'runs') await expectChartDrawn(page)
      await nextPaint(page)
      const offenders = await findOverflow(page)
      if (offenders.length) problems.push(`${view.id}:\n${formatOffenders(offenders)}`)
      await shot(page, `layout-${size.name.replace(/ /g, '-').replace('%', 'pct')}-${view.id}`)
    }
    expect(problems.join('\n'), 'text cut or outside its box').toBe('')
    expect(errors).toEqual([])
    await page.context().close()
  })
}

test('the sidebar toggle folds and opens it, with the view names kept for screen readers', async ({ page, labServer }) => {
  await page.goto(labServer.url)
  const toggle = page.getByTestId('nav-toggle')
  const nav = page.locator('#app-nav')
  await expect(toggle).toHaveAttribute('aria-expanded', 'true')
  const wide = (await nav.boundingBox())!.width
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-expanded', 'false')
  await expect.poll(async () => (await nav.boundingBox())!.width).toBeLessThan(wide / 2)
  // Folded, each button is still named by its view.
  await expect(page.getByRole('button', { name: /Explorer/ })).toBeVisible()
  await page.getByRole('button', { name: /Explorer/ }).click()
  await expect(page.locator('.nav-item.active')).toHaveAttribute('data-nav', 'explorer')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-expanded', 'true')
})

test('presentation mode: P makes the type 25 % larger and folds the sidebar, remembered across a reload', async ({ page, labServer }) => {
  await page.goto(`${labServer.url}#compare`)
  const train = page.getByTestId('train-button')
  await expect(train).toBeFocused()
  const title = page.locator('#compare-title')
  const before = (await title.boundingBox())!.height
  const toggle = page.getByTestId('presentation-toggle')
  await expect(toggle).toHaveAttribute('aria-pressed', 'false')

  // Focus is on the Train button (not a text field), so P is the shortcut, not typing.
  await page.keyboard.press('p')
  await expect(toggle).toHaveAttribute('aria-pressed', 'true')
  await expect(page.locator('html')).toHaveAttribute('data-presentation', 'on')
  await expect(page.getByTestId('nav-toggle')).toHaveAttribute('aria-expanded', 'false')
  const after = (await title.boundingBox())!.height
  expect(after / before).toBeCloseTo(1.25, 1)
  // Training is untouched by the key, and nothing is cut at the larger size.
  await expect(train).toContainText('Train')
  expect(formatOffenders(await findOverflow(page))).toBe('')
  await shot(page, 'layout-presentation-compare')

  await page.reload()
  await expect(page.locator('html')).toHaveAttribute('data-presentation', 'on')
  // In a text field P is a letter, not the shortcut.
  await goTo(page, 'calculator')
  const field = page.locator('.calculator-view input').first()
  await expect(field).toBeFocused()
  await page.keyboard.press('p')
  await expect(page.locator('html')).toHaveAttribute('data-presentation', 'on')

  await toggle.click()
  await expect(page.locator('html')).not.toHaveAttribute('data-presentation', 'on')
  await page.reload()
  await expect(toggle).toHaveAttribute('aria-pressed', 'false')
})

test('the calculator never shows NaN, writes negatives in parentheses and states its limits', async ({ page, labServer }) => {
  await page.goto(`${labServer.url}#calculator`)
  const result = page.getByTestId('formula-result')
  await expect(result).toContainText('= 28')
  const padding = page.getByLabel('padding P')
  await padding.fill('')
  await expect(result).not.toContainText('NaN')
  await expect(result).toContainText('2·?')
  await expect(page.getByText('type a whole number, 0 to 100,000')).toBeVisible()
  await padding.fill('-2')
  await expect(result).toContainText('2·(−2)')
  await expect(page.getByText('-2 is out of range: 0 to 100,000')).toBeVisible()
  await page.getByLabel('dense neurons').fill('250000')
  await expect(page.getByText('250,000 is out of range: 1 to 100,000')).toBeVisible()
  await expect(page.locator('.calculator-view')).not.toContainText('NaN')
})
