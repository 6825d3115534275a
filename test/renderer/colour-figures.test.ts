/**
 * Colour pictures and RGB kernels, tested on hand-made 3-channel tensors: the
 * RGB mapping, colour panels in the SVG and the tooltip, the kernels' RGB
 * tiles and per-channel grid, the MLP's colour weight images, the explorer's
 * input and the trace's input stage.
 */
import { describe, expect, it } from 'vitest'
import { channelScale, colorOf } from '../../src/renderer/lib/colormap'
import { cellColor, fitCellText, gridFigureSvg, hitTest, hoverText, type GridFigure, type GridPanel } from '../../src/renderer/lib/grid-figure'
import { colourKernelGrid, kernelGrid, weightWall } from '../../src/renderer/lib/kernels'
import { inputFigure, traceFigure } from '../../src/renderer/lib/probe-figures'
import { intensity, isRgbShape, ownRange, pictureRgba, rgbAt, symmetricRange } from '../../src/renderer/lib/rgb'
import { paletteFor } from '../../src/renderer/lib/palette'
import { PAINT_COLOURS, paintAt } from '../../src/renderer/lib/paint'
import type { Trace } from '../../src/engine/probes/trace'
import type { NamedTensors } from '../../src/shared/experiment'
import { xmlProblems } from './xml-check'

const light = paletteFor('light')

/** "rgb(r,g,b)" → [r, g, b]. */
function parse(css: string): number[] {
  const m = /^rgb\((\d+),(\d+),(\d+)\)$/.exec(css)
  if (!m) throw new Error(`not an rgb() colour: ${css}`)
  return m.slice(1).map(Number)
}

/** A [3, h, w] picture: every pixel the same colour. */
function flat(h: number, w: number, [r, g, b]: readonly number[]): Float32Array {
  const out = new Float32Array(3 * h * w)
  out.fill(r, 0, h * w)
  out.fill(g, h * w, 2 * h * w)
  out.fill(b, 2 * h * w)
  return out
}

/**
 * Conv weights [filters, 3, 3, 3]: filter f's channel c is `amount[f][c]`
 * times a vertical edge (−1, 0, +1 across each row), so the tile's right
 * column shows the filter's colour and its left column the opposite colour.
 */
function edgeFilters(amount: readonly (readonly number[])[]): NamedTensors {
  const data: number[] = []
  for (const a of amount) for (let c = 0; c < 3; c++) for (let r = 0; r < 3; r++) data.push(-a[c], 0, a[c])
  return { '0.weight': { shape: [amount.length, 3, 3, 3], data }, '0.bias': { shape: [amount.length], data: amount.map(() => 0) } }
}

describe('the RGB mapping', () => {
  it('maps a range to 0–255 in every channel, clamped, NaN black; flat pictures stay blank', () => {
    const range = { min: -1, max: 1 }
    expect([intensity(-1, range), intensity(0, range), intensity(1, range), intensity(7, range), intensity(Number.NaN, range)]).toEqual([0, 128, 255, 255, 0])
    const pic = flat(2, 2, [1, 0.5, 0])
    expect(rgbAt(pic, 0, 4, 3, { min: 0, max: 1 })).toEqual([255, 128, 0])
    expect(ownRange([0.2, -0.4, 0.1])).toEqual({ min: -0.4, max: 0.2 })
    expect(ownRange([3, 3])).toEqual({ min: 3, max: 4 })
    expect(symmetricRange(0)).toEqual({ min: -1, max: 1 })
    expect(isRgbShape([3, 8, 8])).toBe(true)
    expect(isRgbShape([1, 8, 8])).toBe(false)
  })

  it('a plain-canvas picture: colour for 3 channels, ink on white for 1', () => {
    const colour = pictureRgba(flat(1, 2, [0, 0, 0]).map((_, i) => (i < 2 ? 1 : 0)), [3, 1, 2])
    expect(Array.from(colour.data.slice(0, 4))).toEqual([255, 0, 0, 255])
    const grey = pictureRgba([0, 1], [1, 1, 2])
    expect(Array.from(grey.data)).toEqual([255, 255, 255, 255, 0, 0, 0, 255])
    expect([grey.width, grey.height]).toEqual([2, 1])
  })
})

describe('colour panels', () => {
  const panel: GridPanel = { x: 0, y: 0, cell: 30, rows: 1, cols: 2, values: [1, 0, 0, 1, 0, 0.5], scale: channelScale(0), rgb: { min: 0, max: 1 }, name: 'pic', text: true }
  const fig: GridFigure = { width: 60, height: 30, panels: [panel], texts: [] }

  it('each cell takes its three channels; no values are written in a colour cell', () => {
    expect(cellColor(panel, 0, 0)).toBe('rgb(255,0,0)')
    expect(cellColor(panel, 0, 1)).toBe('rgb(0,255,128)')
    expect(fitCellText(panel)).toBeNull()
  })

  it('the tooltip names red, green and blue', () => {
    const hit = hitTest(fig, 45, 10)!
    expect(hit.rgb).toEqual([0, 1, 0.5])
    expect(hoverText(fig, hit)).toBe('pic · col 2: R 0, G 1, B 0.5')
  })

  it('the SVG export draws the colours and stays well-formed XML', () => {
    const svg = gridFigureSvg(fig, 'A <colour> picture', light)
    expect(svg).toContain('fill="rgb(255,0,0)"')
    expect(svg).toContain('fill="rgb(0,255,128)"')
    expect(svg).not.toContain('>1.00</text>')
    expect(xmlProblems(svg).error).toBeNull()
  })
})

describe('kernels of a first layer that sees colour', () => {
  // f1 mostly red, f2 mostly green, f3 blue against yellow (opponent colours).
  const amounts = [
    [0.9, 0.1, 0.05],
    [0.1, 0.6, 0.0],
    [-0.3, -0.3, 0.5],
  ]
  const epoch0 = edgeFilters(amounts.map((a) => a.map((v) => v / 10)))
  const epoch4 = edgeFilters(amounts)

  it('RGB tiles: rows are filters, columns epochs; a red filter’s bright side is red', () => {
    const grid = colourKernelGrid([{ epoch: 4, weights: epoch4 }, { epoch: 0, weights: epoch0 }], 0, 4)!
    expect(grid.filters).toBe(3)
    expect(grid.epochs).toEqual([0, 4])
    expect(grid.figure.panels).toHaveLength(6)
    const tile = (f: number, col: number) => grid.figure.panels[col * 3 + f]
    // The right column (weights +a) of the red filter at epoch 4.
    const [r, g, b] = parse(cellColor(tile(0, 1), 1, 2))
    expect(r).toBeGreaterThan(g + 100)
    expect(r).toBeGreaterThan(b + 100)
    // Green filter: green wins; opponent filter: blue on one side, yellow (red + green over blue) on the other.
    const green = parse(cellColor(tile(1, 1), 0, 2))
    expect(green[1]).toBeGreaterThan(green[0] + 80)
    const blueSide = parse(cellColor(tile(2, 1), 0, 2))
    const yellowSide = parse(cellColor(tile(2, 1), 0, 0))
    expect(blueSide[2]).toBeGreaterThan(blueSide[0] + 80)
    expect(Math.min(yellowSide[0], yellowSide[1])).toBeGreaterThan(yellowSide[2] + 80)
    // Each tile on its own range: epoch 0's weights are ten times smaller and look the same.
    expect(cellColor(tile(0, 0), 1, 2)).toBe(cellColor(tile(0, 1), 1, 2))
    expect(tile(0, 1).highlight).toBe(true)
    expect(tile(0, 0).highlight).toBe(false)
    // The export of the tiles is valid XML with one rect per cell.
    const svg = gridFigureSvg(grid.figure, 'RGB tiles', light)
    expect(xmlProblems(svg).error).toBeNull()
    expect(svg.match(/<rect [^>]*width="26" height="26" fill="rgb/g)).toHaveLength(6 * 9)
  })

  it('no RGB tiles for a grey first layer', () => {
    const grey: NamedTensors = { '0.weight': { shape: [2, 1, 3, 3], data: Array.from({ length: 18 }, (_, i) => i - 9) } }
    expect(colourKernelGrid([{ epoch: 0, weights: grey }], 0, 0)).toBeNull()
  })

  it('per channel: a row per filter and channel, named by colour, every weight in the table', () => {
    const grid = kernelGrid([{ epoch: 0, weights: epoch0 }, { epoch: 4, weights: epoch4 }], 0, 'light', 4)!
    expect(grid.channels).toBe(3)
    expect(grid.figure.panels).toHaveLength(2 * 3 * 3)
    expect(grid.figure.panels.every((p) => !p.rgb && p.rows === 3)).toBe(true)
    const names = grid.figure.texts.filter((t) => t.align === 'right').map((t) => t.text)
    expect(names.slice(0, 4)).toEqual(['f1 R', 'f1 G', 'f1 B', 'f2 R'])
    expect(grid.figure.panels[1].name).toBe('filter 1, green, epoch 0')
    expect(grid.values[2][1]).toEqual(epoch4['0.weight'].data.slice(54, 81))
  })
})

describe('the MLP’s first-layer weights on colour pictures', () => {
  it('one colour image per unit, on one ± scale: zero is grey, a red-only unit is red', () => {
    const plane = 4
    // Unit 1: +1 in the red plane only; unit 2: all zero.
    const data = [...[1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0], ...new Array(12).fill(0)]
    const weights: NamedTensors = { '1.weight': { shape: [2, 3 * plane], data } }
    const wall = weightWall(weights, 1, [3, 2, 2], 'light', 300)!
    expect(wall.colour).toBe(true)
    expect(wall.figure.panels).toHaveLength(2)
    const [r, g, b] = parse(cellColor(wall.figure.panels[0], 0, 0))
    expect(r).toBe(255)
    expect(g).toBe(b)
    expect(g).toBeLessThan(200)
    expect(cellColor(wall.figure.panels[1], 1, 1)).toBe('rgb(128,128,128)')
    expect(xmlProblems(gridFigureSvg(wall.figure, 'wall', light)).error).toBeNull()
  })

  it('grey inputs keep the diverging heatmap', () => {
    const weights: NamedTensors = { '1.weight': { shape: [1, 4], data: [1, -1, 0, 0.5] } }
    const wall = weightWall(weights, 1, [1, 2, 2], 'light', 300)!
    expect(wall.colour).toBe(false)
    expect(wall.figure.panels[0].rgb).toBeUndefined()
  })
})

describe('input pictures in the explorer and the trace', () => {
  it('the explorer’s picture is a colour image for 3 channels and ink for 1', () => {
    const pic = flat(2, 2, [0, 0.5, 1])
    const colour = inputFigure(pic, [3, 2, 2], 24, 'light')
    expect(cellColor(colour.panels[0], 1, 1)).toBe('rgb(0,128,255)')
    const grey = inputFigure(new Float32Array([0, 1, 0, 0]), [1, 2, 2], 24, 'light')
    expect(grey.panels[0].rgb).toBeUndefined()
    const [r, g, b] = parse(colorOf(grey.panels[0].scale, 1))
    expect(r === g && g === b).toBe(true)
  })

  it('the trace draws a colour input as the picture, then red, green and blue each with its values', () => {
    const values = flat(2, 2, [0.8, 0.2, 0.4])
    const trace: Trace = {
      stages: [
        { index: -1, type: 'input', shape: [3, 2, 2], values },
        { index: 0, type: 'flatten', shape: [12], values: values.slice() },
        { index: 1, type: 'softmax', shape: [2], values: new Float32Array([0.3, 0.7]) },
      ],
      probabilities: [0.3, 0.7],
    }
    const fig = traceFigure(trace, ['a', 'b'], 'light')
    const input = fig.panels.slice(0, 4)
    expect(input.map((p) => p.label)).toEqual(['colour', 'red', 'green', 'blue'])
    const [r, g, b] = parse(cellColor(input[0], 0, 0))
    expect(r).toBe(255) // 0.8 is the picture's max
    expect(r).toBeGreaterThan(b)
    expect(b).toBeGreaterThan(g)
    // The green channel on its own: black to pure green, its value written.
    const [gr, gg, gb] = parse(cellColor(input[2], 0, 0))
    expect(gr).toBe(0)
    expect(gb).toBe(0)
    expect(gg).toBeGreaterThan(0)
    expect(input[2].text).toBe(true)
    expect(fig.legends?.[0].label).toMatch(/input channel/)
    expect(xmlProblems(gridFigureSvg(fig, 'trace', light)).error).toBeNull()
  })
})

describe('painting a picture', () => {
  it('a colour picture takes the brush colour at the centre; the halo adds to what is there; erase clears every channel', () => {
    const shape = [3, 16, 16]
    const plane = 256
    const blank = new Float32Array(3 * plane)
    const red = paintAt(blank, shape, 5, 5, PAINT_COLOURS.find((c) => c.name === 'red')!.rgb)
    const at = (img: Float32Array, x: number, y: number) => [0, 1, 2].map((k) => img[k * plane + y * 16 + x])
    expect(at(red, 5, 5)).toEqual([1, 0, 0])
    expect(at(red, 6, 5)).toEqual([0.5, 0, 0])
    const both = paintAt(red, shape, 7, 5, [0, 1, 0])
    expect(at(both, 6, 5)).toEqual([0.5, 0.5, 0]) // the two strokes mix where they meet
    expect(at(both, 7, 5)).toEqual([0, 1, 0])
    expect(at(paintAt(both, shape, 7, 5, null), 7, 5)).toEqual([0, 0, 0])
    expect(blank.every((v) => v === 0)).toBe(true) // the input is not changed
  })

  it('a grey picture gets ink in its one channel, as before', () => {
    const img = paintAt(new Float32Array(64), [1, 8, 8], 2, 3, [1, 0, 0])
    expect(img[3 * 8 + 2]).toBe(1)
    expect(img.reduce((a, b) => a + b, 0)).toBe(1) // no halo on 8x8
  })
})
