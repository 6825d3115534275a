import { readFileSync } from 'node:fs'
import { expect, test } from './fixtures'
import { chart, openLesson } from './lab'
import { decodePng, luminanceVariance } from './png'
import { goTo, trainLesson } from './views'
import { exportEverySvg, expectValidSvgs } from './figures'

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
  await expectValidSvgs(page, [{ title: 'Parameters', svg }])
})

test('every figure of every view exports an SVG that parses as XML and draws', async ({ page, labServer }, testInfo) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await trainLesson(page, labServer.url, 'patterns-3')
  const out = (name: string) => testInfo.outputPath(name)
  const seen: Record<string, string[]> = {}

  async function view(name: string, expected: number): Promise<void> {
    const svgs = await exportEverySvg(page, out)
    seen[name] = svgs.map((s) => s.title)
    expect(svgs.length, `${name}: ${seen[name].join(', ')}`).toBeGreaterThanOrEqual(expected)
    await expectValidSvgs(page, svgs)
  }

  // Compare: curves, overlay, parameters, confusion matrices.
  await expect(page.locator('figure[data-chart="Validation accuracy, both models"]')).toBeVisible()
  await view('compare', 5)

  await goTo(page, 'kernels')
  await expect(page.getByTestId('kernel-card').locator('canvas')).toBeVisible()
  await view('kernels', 2)
  // A grid figure's PNG too: the canvas's own encoding, saved as it came (a valid PNG with something drawn).
  const kernelPng = page.waitForEvent('download')
  await page.getByTestId('kernel-card').getByRole('button', { name: /^Export .+ as PNG$/ }).click()
  const kernelFile = out('kernels.png')
  await (await kernelPng).saveAs(kernelFile)
  expect(luminanceVariance(decodePng(readFileSync(kernelFile)))).toBeGreaterThan(100)

  await goTo(page, 'explorer')
  await expect(page.getByTestId('shift-pad')).toBeVisible({ timeout: 20_000 })
  await view('explorer', 3)

  await goTo(page, 'trace')
  await expect(page.locator('.app-main').getByRole('button', { name: /^Export .+ as SVG$/ }).first()).toBeVisible({ timeout: 20_000 })
  await view('trace', 1)

  await goTo(page, 'runs')
  await page.locator('tr[data-run-id]').first().getByRole('checkbox').check()
  await expect(page.locator('figure[data-chart="Validation accuracy, runs overlaid"]')).not.toHaveAttribute('data-points', '0')
  await view('runs', 1)

  await goTo(page, 'sweeps')
  await page.getByTestId('sweep-values').fill('2')
  await page.getByTestId('sweep-start').click()
  await expect(page.getByTestId('sweep-point').first()).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
  await view('sweeps', 1)

  console.log(`SVG exports checked: ${Object.entries(seen).map(([v, t]) => `${v} ${t.length}`).join(', ')}`)
  expect(errors).toEqual([])
})
