/**
 * "Has this view drawn?" asked of the pixels, not of the DOM: every figure in
 * the main pane (chart cards, heatmap cards, trace and explorer canvases) is
 * read back from its canvases, and one whose canvases hold a single colour
 * (blank, or only a background) is reported by name.
 */
import type { Locator, Page } from '@playwright/test'
import { expect } from './fixtures'

export interface DrawnReport {
  /** Figures found in the view, with at least one visible canvas. */
  figures: string[]
  /** Those whose canvases show fewer than two colours. */
  blank: string[]
}

export async function drawnFigures(page: Page): Promise<DrawnReport> {
  // Runs in the page; typed without the DOM library (the e2e code is typechecked for Node).
  return page.evaluate(() => {
    type Canvas = { width: number; height: number; getBoundingClientRect(): { width: number; height: number }; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null }
    type El = { getAttribute(name: string): string | null; querySelectorAll(sel: string): ArrayLike<unknown>; tagName: string }
    const doc = (globalThis as unknown as { document: { querySelectorAll(sel: string): ArrayLike<El> } }).document
    const figures: string[] = []
    const blank: string[] = []
    const holders = Array.from(doc.querySelectorAll('main figure, main [data-testid="trace-card"], main [data-testid$="-card"]'))
    const seen = new Set<unknown>()
    for (const holder of holders) {
      const canvases = (Array.from(holder.querySelectorAll('canvas')) as Canvas[]).filter((c) => {
        if (seen.has(c)) return false
        const box = c.getBoundingClientRect()
        return c.width > 0 && c.height > 0 && box.width > 0 && box.height > 0
      })
      if (!canvases.length) continue
      canvases.forEach((c) => seen.add(c))
      const name = holder.getAttribute('data-chart') ?? holder.getAttribute('aria-label') ?? holder.getAttribute('data-testid') ?? holder.tagName
      figures.push(name)
      const colours = new Set<number>()
      for (const canvas of canvases) {
        const ctx = canvas.getContext('2d')
        if (!ctx) continue
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height)
        // Every 7th pixel is plenty to tell a drawing from a flat fill.
        for (let i = 0; i < data.length && colours.size < 3; i += 28) {
          colours.add((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3])
        }
      }
      if (colours.size < 2) blank.push(name)
    }
    return { figures, blank }
  })
}

/** Waits until the view shows at least `min` figures and every one of them has drawn. */
export async function expectAllDrawn(page: Page, view: string, min = 1): Promise<string[]> {
  let last: DrawnReport = { figures: [], blank: [] }
  try {
    await expect
      .poll(async () => {
        last = await drawnFigures(page)
        return last.figures.length >= min && last.blank.length === 0
      }, { timeout: 20_000 })
      .toBe(true)
  } catch {
    throw new Error(`${view}: expected at least ${min} figure(s), all drawn; found ${JSON.stringify(last)}`)
  }
  return last.figures
}

/** A rectangle in CSS pixels from a canvas's top-left. */
export interface CanvasRegion {
  x: number
  y: number
  width: number
  height: number
}

/**
 * How many sampled pixels of the canvases under `root` are in colour: red,
 * green and blue all different (a grey picture has R = G = B; one channel on
 * its own, black to pure red, has G = B). `region` limits each canvas to a
 * rectangle, e.g. the trace's input panel inside its whole-model canvas.
 */
export async function colourfulPixels(root: Locator, region?: CanvasRegion): Promise<number> {
  return root.evaluate((el, region) => {
    type Canvas = { width: number; height: number; getBoundingClientRect(): { width: number; height: number }; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null }
    const canvases = Array.from((el as unknown as { querySelectorAll(sel: string): ArrayLike<Canvas> }).querySelectorAll('canvas'))
    let count = 0
    for (const canvas of canvases) {
      const box = canvas.getBoundingClientRect()
      if (!canvas.width || !canvas.height || !box.width) continue
      const ratio = canvas.width / box.width
      const x = Math.floor((region?.x ?? 0) * ratio)
      const y = Math.floor((region?.y ?? 0) * ratio)
      const w = Math.min(canvas.width - x, Math.ceil((region?.width ?? box.width) * ratio))
      const h = Math.min(canvas.height - y, Math.ceil((region?.height ?? box.height) * ratio))
      if (w <= 0 || h <= 0) continue
      const ctx = canvas.getContext('2d')
      if (!ctx) continue
      const { data } = ctx.getImageData(x, y, w, h)
      for (let i = 0; i < data.length; i += 12) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]]
        if (data[i + 3] > 0 && r !== g && g !== b && r !== b) count++
      }
    }
    return count
  }, region)
}
