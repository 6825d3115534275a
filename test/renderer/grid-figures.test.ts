/**
 * Pure logic behind the Kernels / Explorer / Trace / Sweeps views: colour
 * maps, the SVG emitter, grid layouts, the weight grids, the explorer's
 * shift session and the sweep chart's input parsing.
 */
import { describe, expect, it } from 'vitest'
import { cellText, colorIndex, colorOf, divergingScale, makeLut, maxAbs, sequentialScale, textColorOn } from '../../src/renderer/lib/colormap'
import { flowLayout, framed, gridFigureSvg, legendTicks, type GridFigure } from '../../src/renderer/lib/grid-figure'
import { firstConvIndex, imageLinearIndex, kernelGrid, weightWall } from '../../src/renderer/lib/kernels'
import { ShiftSession, clampShift, modelWithWeights, percentileOf, shiftLimit } from '../../src/renderer/lib/explorer'
import { errorMapsFigure, featureMapsFigure, hiddenFigure, mapStages, robustnessFigure, stageNames, traceFigure } from '../../src/renderer/lib/probe-figures'
import { parseValues, sweepLines, sweepOption, sweepSummary } from '../../src/renderer/lib/sweep-chart'
import { paletteFor } from '../../src/renderer/lib/palette'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildModel } from '../../src/engine/model'
import { tensor } from '../../src/engine/tensor'
import { inferenceTrace } from '../../src/engine/probes/trace'
import { equivarianceProfile } from '../../src/engine/probes/equivariance'
import type { NamedTensors } from '../../src/shared/experiment'

const light = paletteFor('light')

function namedTensors(model: ReturnType<typeof buildModel>): NamedTensors {
  return Object.fromEntries(model.namedParams().map(({ name, param }) => [name, { shape: [...param.value.shape], data: Array.from(param.value.data) }]))
}

describe('colour maps', () => {
  it('diverging scales are symmetric around zero: zero is the centre, ±limit the ends, beyond is clamped', () => {
    const s = divergingScale('light', 2)
    expect([s.min, s.max]).toEqual([-2, 2])
    expect(colorIndex(s, 0)).toBe(128)
    expect(colorIndex(s, -2)).toBe(0)
    expect(colorIndex(s, 2)).toBe(255)
    expect(colorIndex(s, 9)).toBe(255)
    expect(colorIndex(s, Number.NaN)).toBe(128)
    // Equal magnitudes sit equally far from the centre.
    expect(Math.abs(128 - colorIndex(s, -1) - (colorIndex(s, 1) - 128))).toBeLessThanOrEqual(1)
    // Blue for negative, red for positive, near white at zero (light theme), dark at zero (dark theme).
    expect(colorOf(s, -2)).toBe('rgb(5,48,97)')
    expect(colorOf(s, 2)).toBe('rgb(103,0,31)')
    expect(colorOf(divergingScale('dark', 1), 0)).not.toBe(colorOf(s, 0))
  })

  it('lookup tables interpolate between stops; text picks black or white by luminance', () => {
    const lut = makeLut(['#000000', '#ffffff'])
    expect([lut[0], lut[255 * 3], lut[128 * 3]]).toEqual([0, 255, 128])
    const seq = sequentialScale(0, 1)
    expect(textColorOn(seq, 0)).toBe('#ffffff') // dark purple end of viridis
    expect(textColorOn(seq, 1)).toBe('#111111') // yellow end
    expect(maxAbs([0, -3, 2])).toBe(3)
    expect(maxAbs([0, 0])).toBe(1)
    expect([cellText(-0.456), cellText(0.004), cellText(1.5), cellText(-0.001)]).toEqual(['−.46', '.00', '1.50', '.00'])
  })
})

describe('grid figures', () => {
  const fig: GridFigure = {
    width: 60,
    height: 40,
    panels: [{ x: 0, y: 14, cell: 28, rows: 1, cols: 2, values: [-1, 0.5], scale: divergingScale('light', 1), text: true, label: 'a<b', interior: { x0: 1, x1: 2, y0: 0, y1: 1 } }],
    texts: [{ x: 0, y: 5, text: 'T & U', bold: true }],
    legends: [{ scale: divergingScale('light', 1), label: 'weight' }],
  }

  it('the SVG has one rect per cell, the written values, the title, escaped text and the legend', () => {
    const svg = gridFigureSvg(fig, 'My figure', light)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('>My figure</text>')
    expect(svg).toContain('fill="rgb(5,48,97)"') // the −1 cell
    expect(svg).toContain('>−1.00</text>')
    expect(svg).toContain('>.50</text>')
    expect(svg).toContain('a&lt;b')
    expect(svg).toContain('T &amp; U')
    expect(svg).toContain('stroke-dasharray="3 2"') // the interior outline
    expect(svg).toContain('<linearGradient')
    expect(svg).toContain('>weight</text>')
    expect(svg.match(/<rect [^>]*fill="rgb/g)).toHaveLength(2)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
  })

  it('framing adds the title above and the legend below; legend ticks are min, 0, max', () => {
    const { width, height, fig: inner } = framed(fig, 't')
    expect(width).toBeGreaterThanOrEqual(fig.width)
    expect(height).toBeGreaterThan(fig.height + 40)
    expect(inner.panels[0].y).toBeGreaterThan(fig.panels[0].y)
    expect(legendTicks(divergingScale('light', 0.5)).map((t) => t.label)).toEqual(['−.50', '.00', '.50'])
  })

  it('flow layout wraps at the width and leaves room for labels', () => {
    const { positions, width, height } = flowLayout(Array.from({ length: 5 }, () => ({ rows: 3, cols: 3 })), { cell: 10, gap: 5, maxWidth: 100 })
    expect(positions.map((p) => p.x)).toEqual([0, 35, 70, 0, 35])
    expect(positions[3].y).toBeGreaterThan(positions[0].y)
    expect(width).toBeLessThanOrEqual(100)
    expect(height).toBe(2 * (30 + 14) + 5)
  })
})

describe('weight grids', () => {
  const exp = getPreset('patterns-3')!
  const cnn = buildModel(exp.models[0], [1, 8, 8])
  const mlp = buildModel(exp.models[1], [1, 8, 8])

  it('finds the first conv and the pixel-facing linear layer', () => {
    expect(firstConvIndex(exp.models[0].layers)).toBe(0)
    expect(imageLinearIndex(exp.models[1].layers)).toBe(1)
    expect(imageLinearIndex(exp.models[0].layers)).toBe(-1)
  })

  it('kernels: rows are filters, columns epochs, one symmetric scale, weights written in 3x3 cells', () => {
    const w = namedTensors(cnn)
    const doubled: NamedTensors = { ...w, '0.weight': { ...w['0.weight'], data: w['0.weight'].data.map((v) => 2 * v) } }
    const grid = kernelGrid([{ epoch: 5, weights: doubled }, { epoch: 0, weights: w }], 0, 'light', 5)!
    expect(grid.filters).toBe(3)
    expect(grid.epochs).toEqual([0, 5])
    expect(grid.figure.panels).toHaveLength(6)
    expect(grid.figure.panels.every((p) => p.text && p.rows === 3 && p.cols === 3)).toBe(true)
    expect(grid.limit).toBeCloseTo(maxAbs(doubled['0.weight'].data), 6)
    expect(grid.values[1][0]).toEqual(w['0.weight'].data.slice(9, 18))
    // Epoch 0 is the first column, the selected epoch 5 is highlighted.
    expect(grid.figure.panels.filter((p) => p.highlight).every((p) => p.x > grid.figure.panels[0].x)).toBe(true)
    expect(grid.figure.legends?.[0].scale.min).toBe(-grid.limit)
  })

  it('the MLP wall: one 8x8 image per hidden unit; lesson 000’s single wall gets its numbers written', () => {
    const wall = weightWall(namedTensors(mlp), 1, [1, 8, 8], 'light', 400)!
    expect(wall.units).toBe(18)
    expect(wall.figure.panels[3]).toMatchObject({ rows: 8, cols: 8, offset: 3 * 64, text: false })
    expect(wall.figure.width).toBeLessThanOrEqual(400)
    const edge = getPreset('edge-detector')!
    const fc = buildModel(edge.models[1], [1, 8, 8], 'float64')
    const one = weightWall(namedTensors(fc), 1, [1, 8, 8], 'light', 400)!
    expect(one.units).toBe(1)
    expect(one.figure.panels[0].text).toBe(true)
  })
})

describe('the explorer session', () => {
  const exp = getPreset('patterns-3')!
  const models = exp.models.map((spec) => {
    const m = buildModel(spec, [1, 8, 8])
    return { id: spec.id, label: spec.label, spec, model: modelWithWeights(spec, [1, 8, 8], namedTensors(m)), conv: spec.id === 'cnn' }
  })
  const input = { shape: [1, 8, 8], data: Float32Array.from({ length: 64 }, (_, i) => (i % 8 === 3 ? 1 : 0)) }

  it('shift limits, clamping and percentiles', () => {
    expect(shiftLimit(8)).toBe(3)
    expect(shiftLimit(28)).toBe(4)
    expect(clampShift(4.6, 3)).toBe(3)
    expect(clampShift(-1.4, 3)).toBe(-1)
    expect(percentileOf([5, 1, 3, 2, 4], 50)).toBe(3)
    expect(percentileOf([1, 2, 3, 4, 100], 95)).toBe(100)
  })

  it('a step traces both models; the conv map is exact inside its interior, the MLP code changes', () => {
    const session = new ShiftSession(models, input)
    const step = session.step(2, 0)
    const conv = step.profiles.cnn[0]
    expect(conv.kind).toBe('equivariance')
    expect(conv.interiorError!).toBeLessThan(1e-5)
    expect(step.profiles.mlp.every((l) => l.kind === 'change')).toBe(true)
    expect(step.input[3 + 2]).toBe(1)
    const row = session.probabilityRow(0, 3)
    expect(row.cnn).toHaveLength(7)
    expect(row.cnn[3]).toEqual(session.base.cnn.probabilities)
    expect(() => modelWithWeights(exp.models[0], [1, 8, 8], {})).toThrow(/do not match/)
  })

  it('figures: feature maps after each ReLU and each pool, named stages, the trace and the robustness maps', () => {
    const session = new ShiftSession(models, input)
    const step = session.step(2, 0)
    const trace = step.traces.cnn
    expect(stageNames(trace.stages)).toEqual(['input', 'conv 1', 'conv 1 + ReLU', 'pool 1', 'flatten', 'linear 1', 'softmax'])
    expect(mapStages(trace)).toEqual([2, 3])
    const maps = featureMapsFigure(trace, session.base.cnn, step.profiles.cnn, 'light', 400)
    expect(maps.panels).toHaveLength(6)
    expect(maps.panels[0].interior).toEqual({ x0: 2, x1: 6, y0: 0, y1: 6 })
    const t = traceFigure(trace, ['vertical', 'horizontal', 'diagonal'], 'light')
    expect(t.texts.some((x) => x.text === '[3, 6, 6]')).toBe(true)
    expect(t.texts.some((x) => x.text === 'diagonal')).toBe(true)
    const rob = robustnessFigure([{ label: 'CNN', accuracy: new Array(49).fill(0.9), mean: 0.9 }, { label: 'MLP', accuracy: new Array(49).fill(0.4), mean: 0.4 }], 3)
    expect(rob.panels).toHaveLength(2)
    expect(rob.panels[0]).toMatchObject({ rows: 7, cols: 7, text: true })
    expect(rob.texts[0].text).toBe('CNN: mean 90.0 %')
  })
})

describe('sweep chart', () => {
  it('parses the values field', () => {
    expect(parseValues('2, 4 8;18')).toEqual([2, 4, 8, 18])
    expect(parseValues('2, x')).toBeNull()
    expect(parseValues('0')).toBeNull()
    expect(parseValues('')).toBeNull()
  })

  it('plots accuracy against parameters on a log axis, one point per finished setting', () => {
    const option = sweepOption(light, 'capacity', [
      {
        id: 's',
        kind: 'mlp-hidden',
        baseName: 'b',
        modelLabel: 'TinyMLP',
        seeds: 1,
        status: 'running',
        current: 1,
        startedAt: '',
        points: [
          { value: 2, seed: 0, model: 'mlp', modelLabel: 'TinyMLP', parameterCount: 139, status: 'completed', valAccuracy: 0.5 },
          { value: 4, seed: 0, model: 'mlp', modelLabel: 'TinyMLP', parameterCount: 275, status: 'running', valAccuracy: null },
        ],
      },
    ]) as { xAxis: { type: string }; series: { data: { value: number[] }[] }[] }
    expect(option.xAxis.type).toBe('log')
    expect(option.series).toHaveLength(1) // one seed: no band
    expect(option.series[0].data).toEqual([{ value: [139, 0.5], setting: 2, min: 0.5, max: 0.5, n: 1 }])
  })

  it('a train-count sweep with seeds: a mean line per model and a min-max band under each', () => {
    const acc: Record<string, number[]> = { cnn: [0.6, 0.8, 0.9, 1], mlp: [0.4, 0.6, 0.7, 0.9] } // [value 2 seed 0, seed 1, value 30 seed 0, seed 1]
    const points = [2, 30].flatMap((value, v) =>
      [0, 1].flatMap((seed) =>
        (['cnn', 'mlp'] as const).map((model) => ({ value, seed, model, modelLabel: model === 'cnn' ? 'TinyCNN' : 'TinyMLP', parameterCount: 1, status: 'completed' as const, valAccuracy: acc[model][v * 2 + seed] })),
      ),
    )
    const sweep = { id: 't', kind: 'train-count' as const, baseName: 'b', modelLabel: 'TinyCNN vs TinyMLP', seeds: 2, status: 'completed' as const, current: 3, startedAt: '', points }
    const option = sweepOption(light, 'train-count', [sweep]) as {
      xAxis: { type: string }
      legend: { data: string[] }
      series: { name: string; stack?: string; areaStyle?: unknown; data: ({ value: number[] } | number[])[] }[]
    }
    expect(option.xAxis.type).toBe('log')
    expect(option.legend.data).toEqual(['TinyCNN', 'TinyMLP'])
    const [cnn, cnnLow, cnnSpan] = option.series
    expect((cnn.data as { value: number[] }[]).map((d) => d.value)).toEqual([[2, 0.7], [30, 0.95]].map(([x, y]) => [x, expect.closeTo(y, 9)]))
    expect(cnnLow).toMatchObject({ stack: 'band-0', data: [[2, 0.6], [30, 0.9]] })
    expect(cnnSpan.areaStyle).toBeDefined()
    expect((cnnSpan.data as number[][]).map(([, d]) => d)).toEqual([expect.closeTo(0.2, 9), expect.closeTo(0.1, 9)])
    expect(sweepLines('val-shift', [sweep])).toEqual([])
    expect(sweepSummary('train-count', [sweep])).toMatch(/TinyCNN: 2 → 70.0 % \(60.0 %–80.0 %, 2 seeds\)/)
  })

  it('a val-shift sweep draws against the shift in px on a linear axis', () => {
    const sweep = { id: 'v', kind: 'val-shift' as const, baseName: 'b', modelLabel: 'x', seeds: 1, status: 'completed' as const, current: 0, startedAt: '', points: [{ value: 0, seed: 0, model: 'cnn', modelLabel: 'TinyCNN', parameterCount: 1, status: 'completed' as const, valAccuracy: 1 }] }
    const option = sweepOption(light, 'val-shift', [sweep]) as { xAxis: { type: string; name: string } }
    expect(option.xAxis).toMatchObject({ type: 'value', name: 'largest val shift (px)' })
    expect(parseValues('0, 1', 0)).toEqual([0, 1])
  })

  it('an augment sweep draws against the training pictures’ shift, named as such', () => {
    const sweep = { id: 'a', kind: 'augment' as const, baseName: 'b', modelLabel: 'x', seeds: 1, status: 'completed' as const, current: 0, startedAt: '', points: [{ value: 2, seed: 0, model: 'mlp', modelLabel: 'TinyMLP', parameterCount: 1, status: 'completed' as const, valAccuracy: 0.9 }] }
    const option = sweepOption(light, 'augment', [sweep]) as { xAxis: { type: string; name: string } }
    expect(option.xAxis).toMatchObject({ type: 'value', name: 'largest random shift of the training pictures (px)' })
    expect(sweepLines('augment', [sweep])).toHaveLength(1)
    expect(sweepLines('val-shift', [sweep])).toEqual([])
  })
})

describe('where equivariance breaks (errorMapsFigure)', () => {
  const maps = (presetId: string) => {
    const exp = getPreset(presetId)!
    const spec = exp.models.find((m) => m.layers.some((l) => l.type === 'conv2d'))!
    const model = buildModel(spec, [1, 8, 8])
    // A vertical bar in column 3: shifted by 2 it stays inside the picture.
    const input = tensor([1, 8, 8], Float32Array.from({ length: 64 }, (_, i) => (i % 8 === 3 ? 1 : 0)))
    const trace = inferenceTrace(model, input)
    return { fig: errorMapsFigure(equivarianceProfile(model, input, 2, 0), trace, 'light', 470), names: stageNames(trace.stages) }
  }
  it('draws lesson 000’s conv map, which no ReLU follows', () => {
    const { fig } = maps('edge-detector')
    expect(fig.panels.map((p) => [p.rows, p.cols])).toEqual([[6, 6]])
    expect(fig.width).toBeGreaterThan(0)
  })
  it('shows a conv map once, after its ReLU, where one follows', () => {
    const { fig, names } = maps('patterns-3')
    expect(fig.panels.length).toBeGreaterThan(0)
    expect(fig.panels.map((p) => p.label)).not.toContain(names[1])
  })
})

describe('every probe heatmap says how to read its colours', () => {
  it('the trace, the hidden units and the maps each carry at least one legend, and their SVGs write every label', () => {
    const exp = getPreset('patterns-3')!
    const input = tensor([1, 8, 8], Float32Array.from({ length: 64 }, (_, i) => (i % 8 === 3 ? 1 : 0)))
    const mlp = buildModel(exp.models[1], [1, 8, 8])
    const cnn = buildModel(exp.models[0], [1, 8, 8])
    const mlpTrace = inferenceTrace(mlp, input)
    const cnnTrace = inferenceTrace(cnn, input)
    const figures = {
      trace: traceFigure(cnnTrace, ['a', 'b', 'c'], 'light'),
      hidden: hiddenFigure(mlpTrace, mlpTrace, 'light', 400),
      errors: errorMapsFigure(equivarianceProfile(cnn, input, 2, 0), cnnTrace, 'light', 470),
    }
    for (const [name, fig] of Object.entries(figures)) {
      expect(fig.legends?.length, name).toBeGreaterThan(0)
      const svg = gridFigureSvg(fig, name, light)
      for (const legend of fig.legends!) expect(svg, name).toContain(legend.label.replace(/&/g, '&amp;'))
    }
    expect(figures.hidden.legends!.map((l) => l.scale.kind)).toEqual(['sequential', 'diverging'])
  })
})
