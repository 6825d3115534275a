/**
 * Grid figures: values fitted to their cells, hover hit-testing, kernel
 * headers that never overlap, and every generated SVG well-formed XML.
 */
import { describe, expect, it } from 'vitest'
import { cellText, divergingScale, sequentialScale } from '../../src/renderer/lib/colormap'
import { fitCellText, formatValue, framed, gridFigureSvg, hitTest, hoverText, textWidth, type GridFigure, type GridPanel } from '../../src/renderer/lib/grid-figure'
import { kernelGrid, weightWall } from '../../src/renderer/lib/kernels'
import { paletteFor } from '../../src/renderer/lib/palette'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildModel } from '../../src/engine/model'
import type { NamedTensors } from '../../src/shared/experiment'
import { xmlProblems } from './xml-check'

const light = paletteFor('light')
const dark = paletteFor('dark')

function panel(cell: number, values: number[], extra: Partial<GridPanel> = {}): GridPanel {
  return { x: 0, y: 0, cell, rows: 1, cols: values.length, values, scale: divergingScale('light', 3), text: true, ...extra }
}

/** Every value of the panel, written as fitCellText says, is narrower than its cell. */
function fits(p: GridPanel): boolean {
  const fit = fitCellText(p)
  if (!fit) return true
  return Array.from(p.values).every((v) => textWidth(cellText(v, fit.digits), fit.size) <= p.cell - 4)
}

function tensors(model: ReturnType<typeof buildModel>, times = 1): NamedTensors {
  return Object.fromEntries(model.namedParams().map(({ name, param }) => [name, { shape: [...param.value.shape], data: Array.from(param.value.data, (v) => v * times) }]))
}

describe('cell values fit their cells', () => {
  it('small weights keep two decimals; a weight of 1 or more still fits, smaller or with fewer digits', () => {
    expect(fitCellText(panel(28, [0.25, -0.5]))).toEqual({ size: 10, digits: 2 })
    const big = panel(28, [-1.23, 2.8, 0.1])
    const fit = fitCellText(big)!
    expect(fit.size).toBeLessThan(10)
    expect(fits(big)).toBe(true)
    // "−12.34" cannot keep two decimals in a 28 px cell.
    expect(fitCellText(panel(28, [-12.34]))!.digits).toBeLessThan(2)
    expect(fits(panel(28, [-12.34]))).toBe(true)
  })

  it('nothing is written where nothing fits (the value stays in the tooltip)', () => {
    expect(fitCellText(panel(14, [-123.4]))).toBeNull()
    expect(fitCellText(panel(9, [0.5]))).toBeNull()
  })

  it('the SVG writes the fitted text, never the too-wide one', () => {
    const fig: GridFigure = { width: 60, height: 30, panels: [panel(28, [-1.23, 2.8])], texts: [] }
    const svg = gridFigureSvg(fig, 'fit', light)
    const fit = fitCellText(fig.panels[0])!
    expect(svg).toContain(`font-size="${fit.size}"`)
    expect(svg).toContain(`>${cellText(-1.23, fit.digits)}</text>`)
  })

  it('kernel grids with weights past ±1 only write what fits', () => {
    const exp = getPreset('patterns-3')!
    const w = tensors(buildModel(exp.models[0], [1, 8, 8]), 6) // weights well past ±1
    const grid = kernelGrid([{ epoch: 0, weights: w }], 0, 'light', 0)!
    expect(grid.limit).toBeGreaterThan(1)
    for (const p of grid.figure.panels) expect(fits(p)).toBe(true)
  })
})

describe('hover', () => {
  const fig: GridFigure = {
    width: 100,
    height: 50,
    panels: [
      { ...panel(10, [1, 2, 3, 4, 5, 6], { rows: 2, cols: 3 }), x: 10, y: 20, name: 'filter 2, epoch 5' },
      { ...panel(10, [-0.4126], { rows: 1, cols: 1 }), x: 60, y: 20, label: 'h1' },
    ],
    texts: [],
  }

  it('finds the cell under the pointer and names its panel, row and column', () => {
    const hit = hitTest(fig, 10 + 2 * 10 + 3, 20 + 10 + 1)!
    expect(hit).toEqual({ panel: 0, row: 1, col: 2, value: 6 })
    expect(hoverText(fig, hit)).toBe('filter 2, epoch 5 · row 2, col 3: 6')
    expect(hoverText(fig, hitTest(fig, 65, 25)!)).toBe('h1: −0.413')
    expect(hitTest(fig, 45, 25)).toBeNull() // between panels
    expect(hitTest(fig, 15, 5)).toBeNull() // above them
  })

  it('tooltip values: three significant figures, a real minus sign', () => {
    expect([formatValue(0), formatValue(0.5), formatValue(100), formatValue(-2), formatValue(1234.5), formatValue(0.00012)]).toEqual(['0', '0.5', '100', '−2', '1235', '1.20e-4'])
  })
})

describe('kernel headers', () => {
  /** Horizontal extents of the "epoch N" headers, as the figure places them. */
  function headerBoxes(fig: GridFigure): [number, number][] {
    return fig.texts
      .filter((t) => t.text.startsWith('epoch'))
      .map((t) => {
        const w = textWidth(t.text, t.size ?? 12)
        const x0 = t.align === 'center' ? t.x - w / 2 : t.align === 'right' ? t.x - w : t.x
        return [x0, x0 + w]
      })
  }

  it('MNIST’s 32 narrow 3×3 kernels: headers do not overlap and stay inside the figure', () => {
    const exp = getPreset('mnist')!
    const cnn = buildModel(exp.models[0], [1, 28, 28])
    const snaps = [0, 1, 2, 3, 10, 100].map((epoch) => ({ epoch, weights: tensors(cnn) }))
    const grid = kernelGrid(snaps, 0, 'light', 3)!
    expect(grid.filters).toBe(32)
    const boxes = headerBoxes(grid.figure)
    expect(boxes).toHaveLength(6)
    for (let i = 1; i < boxes.length; i++) expect(boxes[i][0]).toBeGreaterThan(boxes[i - 1][1])
    expect(boxes[0][0]).toBeGreaterThanOrEqual(0)
    expect(boxes[boxes.length - 1][1]).toBeLessThanOrEqual(grid.figure.width)
    // The row names sit left of the first column, inside the figure.
    const firstX = Math.min(...grid.figure.panels.map((p) => p.x))
    for (const t of grid.figure.texts.filter((t) => t.text.startsWith('f'))) {
      expect(t.x).toBeLessThanOrEqual(firstX)
      expect(t.x - textWidth(t.text, t.size ?? 12)).toBeGreaterThanOrEqual(0)
    }
    // Every panel knows its filter and epoch for the tooltip.
    expect(grid.figure.panels[0].name).toBe('filter 1, epoch 0')
  })

  it('the MNIST MLP wall (128 units of 28×28) names each unit for the tooltip', () => {
    const exp = getPreset('mnist')!
    const wall = weightWall(tensors(buildModel(exp.models[1], [1, 28, 28])), 1, [1, 28, 28], 'light', 360)!
    expect(wall.units).toBe(128)
    expect(wall.figure.panels[127].name).toBe('unit h128')
    expect(wall.figure.width).toBeLessThanOrEqual(360)
  })
})

describe('grid figure SVGs are well-formed XML', () => {
  const awkward: GridFigure = {
    width: 80,
    height: 60,
    panels: [
      { ...panel(28, [-1.5, Number.NaN]), label: `a<b & "c" 'd'`, interior: { x0: 0, x1: 1, y0: 0, y1: 1 }, highlight: true },
      { x: 0, y: 30, cell: 4, rows: 2, cols: 2, values: [0, 0.5, 1, 2], scale: sequentialScale(0, 2) },
    ],
    texts: [{ x: 0, y: 5, text: 'T & U <v> "w"\u0001', bold: true, align: 'center' }],
    legends: [{ scale: divergingScale('dark', 2), label: '|f(shift x) − shift f(x)|, mean over filters & "more"' }],
  }

  it('with every character XML reserves, in both themes, and the legend label inside the frame', () => {
    for (const p of [light, dark]) {
      const svg = gridFigureSvg(awkward, `Title "quoted" & <tagged>`, p)
      const { error, elements } = xmlProblems(svg)
      expect(error).toBeNull()
      expect(elements.svg).toBe(1)
      expect(elements.text).toBeGreaterThan(5)
      expect(elements.linearGradient).toBe(1)
    }
    const { width } = framed(awkward, 't')
    expect(width).toBeGreaterThanOrEqual(12 + 200 + 12 + textWidth(awkward.legends![0].label, 11))
  })

  it('for the kernels and weight walls of every lesson', () => {
    for (const id of ['edge-detector', 'patterns-3', 'patterns-5', 'mnist']) {
      const exp = getPreset(id)!
      const shape = exp.dataset.kind === 'mnist' ? [1, 28, 28] : [1, 8, 8]
      for (const m of exp.models) {
        const w = tensors(buildModel(m, shape, 'float64'))
        const conv = m.layers.findIndex((l) => l.type === 'conv2d')
        const fig = conv >= 0 ? kernelGrid([{ epoch: 0, weights: w }, { epoch: 1, weights: w }], conv, 'light', 1)?.figure : weightWall(w, 1, shape, 'light', 360)?.figure
        expect(fig, `${id} ${m.id}`).toBeTruthy()
        expect(xmlProblems(gridFigureSvg(fig!, `${id}: ${m.label}`, light)).error, `${id} ${m.id}`).toBeNull()
      }
    }
  })
})
