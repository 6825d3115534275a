import { readFileSync } from 'node:fs'
import { expect, test } from './fixtures'
import { chart, openLesson } from './lab'
import { decodePng, luminanceVariance } from './png'

test('a chart exports as a PNG of twice its size, with something drawn on it, and as an SVG', async ({ page, labServer }, testInfo) => {
  await openLesson(page, labServer.url, 'patterns-3')
  const figure = chart(page, 'Parameters')
  const canvas = figure.locator('.chart-canvas')
  await expect(canvas.locator('canvas')).toBeVisible()
  const size = await canvas.evaluate((el) => ({ width: el.clientWidth, height: el.clientHeight }))

  const pngDownload = page.waitForEvent('download')
  await figure.getByRole('button', { name: 'Export Parameters as PNG' }).click()
  const pngFile = testInfo.outputPath('parameters.png')
  await (await pngDownload).saveAs(pngFile)
  expect((await pngDownload).suggestedFilename()).toBe('parameters.png')
  const png = decodePng(readFileSync(pngFile))
  expect({ width: png.width, height: png.height }).toEqual({ width: 2 * size.width, height: 2 * size.height })
  expect(luminanceVariance(png)).toBeGreaterThan(100)
  // A solid background: the corner pixel is opaque.
  if (png.channels === 4) expect(png.pixels[3]).toBe(255)

  const svgDownload = page.waitForEvent('download')
  await figure.getByRole('button', { name: 'Export Parameters as SVG' }).click()
  const svgFile = testInfo.outputPath('parameters.svg')
  await (await svgDownload).saveAs(svgFile)
  const svg = readFileSync(svgFile, 'utf8')
  expect(svg.startsWith('<svg')).toBe(true)
  expect(svg).toContain('Parameters')
  expect(svg).toContain('1,227')
})
