/** Helpers for the Kernels / Explorer / Trace / Sweeps specs. */
import path from 'node:path'
import type { Page } from '@playwright/test'
import { ROOT, expect } from './fixtures'
import { openLesson, setPace, waitForStatus } from './lab'

export const SHOTS = path.join(ROOT, 'test-results', 'screenshots')

/** Charts draw on the next animation frame after their data: wait for two frames. */
export async function nextPaint(page: Page): Promise<void> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))')
}

/** Opens a lesson and trains it at full speed to the end (final weights fetched). */
export async function trainLesson(page: Page, url: string, preset: string): Promise<void> {
  await openLesson(page, url, preset)
  await setPace(page, 'full speed')
  await page.getByTestId('train-button').click()
  await waitForStatus(page, 'completed', 120_000)
}

export async function goTo(page: Page, view: string): Promise<void> {
  await page.locator(`[data-nav="${view}"]`).click()
  await expect(page.locator('.nav-item.active')).toHaveAttribute('data-nav', view)
}

export async function shot(page: Page, name: string): Promise<void> {
  await nextPaint(page)
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) })
}

/** Both themes: the page's theme follows the emulated system scheme. */
export async function shotBothThemes(page: Page, name: string): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme })
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await shot(page, `${name}-${theme}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

export function summarise(times: number[]): { n: number; median: number; p95: number } {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
  return { n: sorted.length, median: +at(50).toFixed(2), p95: +at(95).toFixed(2) }
}

/** Steps the explorer's input with the arrow keys and returns the redraw times the page measured. */
// The page's own record (ExplorerView pushes to window.__labRedrawTimes), typed without the DOM library.
export async function measureRedraws(page: Page, steps: number): Promise<number[]> {
  const pad = page.getByTestId('shift-pad')
  await pad.focus()
  await page.evaluate(() => ((globalThis as unknown as { __labRedrawTimes?: number[] }).__labRedrawTimes = []))
  const keys = ['ArrowRight', 'ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowLeft', 'ArrowUp']
  for (let i = 0; i < steps; i++) {
    const before = await page.evaluate(() => (globalThis as unknown as { __labRedrawTimes: number[] }).__labRedrawTimes.length)
    await page.keyboard.press(keys[i % keys.length])
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { __labRedrawTimes: number[] }).__labRedrawTimes.length)).toBeGreaterThan(before)
  }
  return page.evaluate(() => (globalThis as unknown as { __labRedrawTimes: number[] }).__labRedrawTimes.slice())
}
