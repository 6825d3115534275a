/** Helpers for the figure specs: export every figure of a view and check what comes out. */
import { readFileSync } from 'node:fs'
import type { BrowserContext, Page } from '@playwright/test'
import { expect } from './fixtures'
import { xmlProblems } from '../test/renderer/xml-check'

export interface ExportedSvg {
  title: string
  svg: string
}

/** Clicks every "Export … as SVG" button of the current view, one after another, and reads each download. */
export async function exportEverySvg(page: Page, outputPath: (name: string) => string): Promise<ExportedSvg[]> {
  const buttons = page.locator('.app-main').getByRole('button', { name: /^Export .+ as SVG$/ })
  const count = await buttons.count()
  const out: ExportedSvg[] = []
  for (let i = 0; i < count; i++) {
    const button = buttons.nth(i)
    const title = (await button.getAttribute('aria-label'))!.replace(/^Export /, '').replace(/ as SVG$/, '')
    await expect(button).toBeEnabled()
    const download = page.waitForEvent('download')
    await button.click()
    const file = outputPath(`${i}-${(await download).suggestedFilename()}`)
    await (await download).saveAs(file)
    out.push({ title, svg: readFileSync(file, 'utf8') })
  }
  return out
}

// Run in the page (as source text: the e2e typecheck has no DOM library).
const DRAW_SVG = `async (text) => {
  const img = new Image()
  img.src = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(text)))
  await img.decode()
  const canvas = document.createElement('canvas')
  canvas.width = img.naturalWidth
  canvas.height = img.naturalHeight
  const ctx = canvas.getContext('2d')
  ctx.drawImage(img, 0, 0)
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data
  let sum = 0
  let sumSq = 0
  const n = data.length / 4
  for (let i = 0; i < data.length; i += 4) {
    const l = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]
    sum += l
    sumSq += l * l
  }
  const mean = sum / n
  return { variance: sumSq / n - mean * mean, width: canvas.width, height: canvas.height }
}`

const PARSE_SVG = `(text) => {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml')
  const error = doc.querySelector('parsererror')
  return error ? error.textContent : doc.documentElement.nodeName === 'svg' ? null : doc.documentElement.nodeName
}`

/**
 * The SVG drawn as an <img> on a blank page (no app CSP there) into a canvas:
 * the luminance variance of what it drew (0 = blank) and its size.
 */
export async function renderSvg(context: BrowserContext, svg: string): Promise<{ variance: number; width: number; height: number }> {
  const blank = await context.newPage()
  try {
    return (await blank.evaluate(`(${DRAW_SVG})(${JSON.stringify(svg)})`)) as { variance: number; width: number; height: number }
  } finally {
    await blank.close()
  }
}

/** Every exported SVG parses as XML (strict, in node) and as SVG in the browser (no parsererror), and draws something. */
export async function expectValidSvgs(page: Page, svgs: readonly ExportedSvg[]): Promise<void> {
  for (const { title, svg } of svgs) {
    expect(xmlProblems(svg).error, `${title}: XML`).toBeNull()
    const browserError = (await page.evaluate(`(${PARSE_SVG})(${JSON.stringify(svg)})`)) as string | null
    expect(browserError, `${title}: DOMParser`).toBeNull()
    const drawn = await renderSvg(page.context(), svg)
    expect(drawn.width, `${title}: width`).toBeGreaterThan(50)
    expect(drawn.variance, `${title}: drawn pixels`).toBeGreaterThan(50)
  }
}
