/**
 * Every chart the app draws, exported as SVG the way a chart card exports it
 * (ECharts' server-side SVG renderer, with the app's theme and export frame),
 * is well-formed XML; and the runs overlay puts runs of different lengths on
 * their own epochs.
 */
import { describe, expect, it } from 'vitest'
import type { EChartsCoreOption } from 'echarts/core'
import type { MetricRow } from '../../src/shared/experiment'
import { chartSvg, svgSafeFonts } from '../../src/renderer/charts/chart-svg'
import {
  confusionOption,
  curvesOption,
  exportOption,
  growthOption,
  overlayOption,
  overlayRunLabels,
  parametersOption,
  runOverlayOption,
  runOverlaySummary,
  type OverlayRun,
} from '../../src/renderer/lib/chart-options'
import { equivarianceOption, probabilityBarsOption, probabilityOption } from '../../src/renderer/lib/explorer-charts'
import { sweepOption } from '../../src/renderer/lib/sweep-chart'
import { paletteFor } from '../../src/renderer/lib/palette'
import { xmlProblems } from './xml-check'

const light = paletteFor('light')

function rows(model: string, epochs: number): MetricRow[] {
  return Array.from({ length: epochs }, (_, i) => ({ model, epoch: i + 1, trainLoss: 1 / (i + 1), trainAccuracy: i / epochs, valLoss: 1.1 / (i + 1), valAccuracy: i / epochs, seconds: i }))
}

function svgOf(title: string, option: EChartsCoreOption, palette = light): string {
  return chartSvg({ title, option, width: 640, height: 300, palette })
}

const models = [
  { id: 'cnn', label: 'TinyCNN', color: light.models[0], epochs: 5 },
  { id: 'mlp', label: 'TinyMLP & "co"', color: light.models[1], epochs: 3 },
]
const metricRows = [...rows('cnn', 5), ...rows('mlp', 3)]

const runA: OverlayRun = { label: 'patterns-3', models: models.map(({ id, label, color }) => ({ id, label, color })), rows: metricRows }
const runB: OverlayRun = { label: 'MNIST <edited>', models: runA.models, rows: [...rows('cnn', 2), ...rows('mlp', 8)] }

const charts: [string, EChartsCoreOption][] = [
  ['TinyCNN loss', curvesOption(light, models[0], metricRows, 'loss')],
  ['TinyCNN accuracy', curvesOption(light, models[0], metricRows, 'accuracy')],
  ['Validation accuracy, both models', overlayOption(light, models, metricRows)],
  ['Parameters', parametersOption(light, [{ label: 'TinyCNN', count: 114, color: light.models[0] }, { label: 'TinyMLP <1,227>', count: 1227, color: light.models[1] }])],
  ['Confusion', confusionOption(light, { classes: ['a & b', '<c>', '"d"'], counts: [[3, 1, 0], [0, 4, 0], [1, 0, 2]], total: 11, correct: 9 }, light.models[0])],
  ['Validation accuracy, runs overlaid', runOverlayOption(light, [runA, runB])],
  ['Parameters as the picture grows', growthOption(light, [{ side: 8, dense: 1000, conv: 100 }, { side: 28, dense: 100000, conv: 100 }], { dense: 'MLP', conv: 'CNN' })],
  ['p(class) against shift', probabilityOption(light, [{ id: 'cnn', label: 'CNN', color: light.models[0] }], { cnn: [[0.1, 0.9], [0.5, 0.5], [0.9, 0.1]] }, 1, 1, 0)],
  ['Class probabilities', probabilityBarsOption(light, [{ id: 'cnn', label: 'CNN', color: light.models[0] }], { cnn: [0.2, 0.8] }, ['left', 'right'])],
  ['Equivariance', equivarianceOption(light, [{ model: 'cnn', modelLabel: 'CNN', layer: 'conv1 + ReLU', kind: 'equivariance', error: 0.2, interior: 0, note: null, color: light.models[0] }])],
  [
    'Val accuracy vs parameters',
    sweepOption(light, 'capacity', [
      { id: 's', kind: 'mlp-hidden', baseName: 'b', modelLabel: 'TinyMLP', seeds: 1, status: 'completed', current: 1, startedAt: '', points: [{ value: 2, seed: 0, model: 'mlp', modelLabel: 'TinyMLP', parameterCount: 139, status: 'completed', valAccuracy: 0.5 }] },
    ]),
  ],
  [
    'Val accuracy vs training pictures',
    sweepOption(light, 'train-count', [
      {
        id: 't', kind: 'train-count', baseName: 'b', modelLabel: 'TinyCNN vs TinyMLP', seeds: 2, status: 'completed', current: 1, startedAt: '',
        points: [0, 1].flatMap((seed) => ['cnn', 'mlp'].map((model) => ({ value: 2, seed, model, modelLabel: model, parameterCount: 10, status: 'completed' as const, valAccuracy: 0.5 + seed / 10 }))),
      },
    ]),
  ],
]

describe('chart SVG exports', () => {
  it.each(charts)('%s parses as XML in both themes', (title, option) => {
    for (const palette of [light, paletteFor('dark')]) {
      const svg = svgOf(title, option, palette)
      const { error, elements } = xmlProblems(svg)
      expect(error).toBeNull()
      expect(elements.svg).toBe(1)
      expect(elements.text).toBeGreaterThan(0)
    }
  })

  it('a font family in double quotes, anywhere in an option, is made single-quoted before the SVG is written', () => {
    const option = { ...parametersOption(light, [{ label: 'A', count: 1, color: '#000' }]), textStyle: { fontFamily: '"Segoe UI", Arial' }, title: [{ text: 'x', textStyle: { fontFamily: '"Fira Sans"' } }] }
    expect(svgSafeFonts(option).textStyle.fontFamily).toBe("'Segoe UI', Arial")
    expect(xmlProblems(svgOf('quoted fonts', option)).error).toBeNull()
    // The check itself catches the original defect.
    expect(xmlProblems('<svg><text style="font-family:"Segoe UI";">a</text></svg>').error).not.toBeNull()
  })
})

describe('runs overlay', () => {
  type Opt = { xAxis: { type: string; max?: number }; legend: { top: number; data: string[] }[]; grid: { top: number; bottom: number }; series: { name: string; data: [number, number][] }[] }

  it('x is the epoch number on a value axis: a 3-epoch run ends at x = 3 beside an 8-epoch one', () => {
    const option = runOverlayOption(light, [runA, runB]) as unknown as Opt
    expect(option.xAxis.type).toBe('value')
    expect(option.xAxis.max).toBe(8)
    const byName = Object.fromEntries(option.series.map((s) => [s.name, s.data]))
    expect(byName['TinyMLP & "co" · patterns-3'].map(([x]) => x)).toEqual([1, 2, 3])
    expect(byName['TinyMLP & "co" · MNIST <edited>'].map(([x]) => x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(byName['TinyCNN · MNIST <edited>'].at(-1)).toEqual([2, 0.5])
  })

  it('one legend line per run, above the plot, so no legend covers an axis or its labels', () => {
    const option = runOverlayOption(light, [runA, runB]) as unknown as Opt
    expect(option.legend.map((l) => l.data)).toEqual([
      ['TinyCNN · patterns-3', 'TinyMLP & "co" · patterns-3'],
      ['TinyCNN · MNIST <edited>', 'TinyMLP & "co" · MNIST <edited>'],
    ])
    const lastLegendBottom = Math.max(...option.legend.map((l) => l.top)) + 18
    expect(option.grid.top).toBeGreaterThan(lastLegendBottom)
    // The export moves every legend line down with the title, keeping them above the grid.
    const exported = exportOption(option as unknown as EChartsCoreOption, 'T', light) as unknown as Opt
    expect(exported.legend.map((l) => l.top)).toEqual(option.legend.map((l) => l.top + 26))
    expect(exported.grid.top).toBe(option.grid.top + 26)
    expect(runOverlaySummary([runA])).toBe('patterns-3: TinyCNN 80.0 %, TinyMLP & "co" 66.7 %.')
  })

  it('runs are named by experiment; a time only where two share a name, seconds if the minute is shared too', () => {
    const at = (h: number, m: number, s = 0) => new Date(2025, 0, 5, h, m, s).toISOString()
    expect(overlayRunLabels([{ name: 'patterns-3', startedAt: at(9, 5) }, { name: 'MNIST', startedAt: at(9, 6) }])).toEqual(['patterns-3', 'MNIST'])
    expect(overlayRunLabels([{ name: 'patterns-3', startedAt: at(9, 5) }, { name: 'patterns-3', startedAt: at(10, 30) }])).toEqual(['patterns-3 09:05', 'patterns-3 10:30'])
    expect(overlayRunLabels([{ name: 'p', startedAt: at(9, 5, 1) }, { name: 'p', startedAt: at(9, 5, 40) }])).toEqual(['p 09:05:01', 'p 09:05:40'])
    expect(overlayRunLabels([{ name: 'p', startedAt: at(9, 5, 1) }, { name: 'p', startedAt: at(9, 5, 1) }])).toEqual(['p 09:05:01 #1', 'p 09:05:01 #2'])
    // An imported run's trainer survives a long name's shortening, and tells it from the lab run without a time.
    const imported = overlayRunLabels([{ name: 'Patterns, 3 classes: TinyCNN vs TinyMLP' }, { name: 'Patterns, 3 classes: TinyCNN vs TinyMLP', trainer: 'PyTorch' }])
    expect(imported[1]).toMatch(/… \(PyTorch\)$/)
    expect(imported[0]).not.toContain('PyTorch')
    const long = overlayRunLabels([{ name: 'MNIST, shifted validation: who copes with a moved digit?' }])[0]
    expect(long.length).toBeLessThanOrEqual(30)
    expect(long.endsWith('…')).toBe(true)
  })
})
