/**
 * The Sweeps view's charts, one per x axis:
 * - capacity: final val accuracy against parameter count (log x), one line
 *   per sweep kind (the newest MLP-width and CNN-filter sweeps);
 * - train-count: val accuracy against training pictures (log x), one line per model;
 * - val-shift: val accuracy against the largest val shift (px), one line per model.
 * - augment: val accuracy against the largest random shift of the training pictures (px).
 *
 * With several seeds a line goes through the mean of each setting and a band
 * spans the seeds' min to max (with 2–5 seeds a standard deviation says
 * little; the band shows every seed's result). The band is drawn as two
 * stacked lines (the min, then max − min filled), so it needs no custom series.
 */
import type { EChartsCoreOption } from 'echarts/core'
import type { SweepKindName, SweepPoint, SweepState } from '../../shared/lab-api'
import { SWEEP_LABELS } from '../../engine/experiment/sweep'
import type { Palette } from './palette'

export type SweepChartFamily = 'capacity' | 'train-count' | 'val-shift' | 'augment'

export const SWEEP_CHART_TITLES: Record<SweepChartFamily, string> = {
  capacity: 'Val accuracy vs parameters',
  'train-count': 'Val accuracy vs training pictures',
  'val-shift': 'Val accuracy vs val shift',
  augment: 'Val accuracy vs augmentation shift',
}

const X_AXIS_NAMES: Record<SweepChartFamily, string> = {
  capacity: 'parameters (log scale)',
  'train-count': 'training pictures (log scale)',
  'val-shift': 'largest val shift (px)',
  augment: 'largest random shift of the training pictures (px)',
}

export function chartFamily(kind: SweepKindName): SweepChartFamily {
  return kind === 'train-count' || kind === 'val-shift' || kind === 'augment' ? kind : 'capacity'
}

/** One setting's results over its seeds. */
export interface SweepStat {
  x: number
  setting: number
  mean: number
  min: number
  max: number
  /** Seeds with a result. */
  n: number
}

export interface SweepLine {
  name: string
  /** Which model colour: 0 the CNN's, 1 the MLP's. */
  colorIndex: number
  dashed: boolean
  stats: SweepStat[]
}

/** Mean, min and max per setting of the points that have an accuracy, smallest setting first. */
export function settingStats(points: readonly SweepPoint[], x: (p: SweepPoint) => number): SweepStat[] {
  const bySetting = new Map<number, SweepPoint[]>()
  for (const p of points) {
    if (p.valAccuracy === null) continue
    bySetting.set(p.value, [...(bySetting.get(p.value) ?? []), p])
  }
  return [...bySetting.entries()]
    .sort(([a], [b]) => a - b)
    .map(([setting, ps]) => {
      const accs = ps.map((p) => p.valAccuracy as number)
      return { x: x(ps[0]), setting, mean: accs.reduce((a, b) => a + b, 0) / accs.length, min: Math.min(...accs), max: Math.max(...accs), n: accs.length }
    })
}

const isCnnLabel = (label: string, model: string) => model === 'cnn' || /cnn|conv/i.test(label)

/** The lines a family's chart draws from the sweeps shown. */
export function sweepLines(family: SweepChartFamily, sweeps: readonly SweepState[]): SweepLine[] {
  const mine = sweeps.filter((s) => chartFamily(s.kind) === family)
  if (family === 'capacity') {
    return mine.map((s) => ({
      name: `${s.modelLabel}: ${SWEEP_LABELS[s.kind].title.replace(/^(MLP|CNN) /, '')}`,
      colorIndex: s.kind === 'cnn-filters' ? 0 : 1,
      dashed: s.kind !== 'cnn-filters',
      stats: settingStats(s.points, (p) => p.parameterCount),
    }))
  }
  // A data sweep: one line per model of the newest sweep.
  const s = mine[mine.length - 1]
  if (!s) return []
  const models = [...new Map(s.points.map((p) => [p.model, p.modelLabel])).entries()]
  return models.map(([model, label], i) => {
    const cnn = isCnnLabel(label, model)
    return { name: label, colorIndex: cnn ? 0 : models.length === 2 ? 1 : i % 2, dashed: !cnn, stats: settingStats(s.points.filter((p) => p.model === model), (p) => p.value) }
  })
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`

export function sweepOption(p: Palette, family: SweepChartFamily, sweeps: readonly SweepState[], xName = ''): EChartsCoreOption {
  const lines = sweepLines(family, sweeps)
  const xAxisName =
    xName || X_AXIS_NAMES[family]
  const series: Record<string, unknown>[] = []
  lines.forEach((line, i) => {
    const color = p.models[line.colorIndex]
    series.push({
      name: line.name,
      type: 'line',
      animation: false,
      symbolSize: 8,
      z: 3,
      lineStyle: { color, width: 2, type: line.dashed ? 'dashed' : 'solid' },
      itemStyle: { color },
      label: { show: family === 'capacity', position: 'top', color: p.muted, fontSize: 10, formatter: (x: { data: { setting: number } }) => String(x.data.setting) },
      data: line.stats.map((s) => ({ value: [s.x, s.mean], setting: s.setting, min: s.min, max: s.max, n: s.n })),
    })
    // The band, where a setting has more than one seed's result.
    if (line.stats.some((s) => s.n > 1)) {
      const stack = `band-${i}`
      const base = { type: 'line', animation: false, stack, symbol: 'none', silent: true, tooltip: { show: false }, lineStyle: { opacity: 0 }, z: 1 }
      series.push({ ...base, name: `${line.name} band`, data: line.stats.map((s) => [s.x, s.min]) })
      series.push({ ...base, name: `${line.name} band`, areaStyle: { color, opacity: 0.2 }, data: line.stats.map((s) => [s.x, s.max - s.min]) })
    }
  })
  return {
    grid: { left: 52, right: 24, top: 52, bottom: 44 },
    legend: { top: 4, right: 8, data: lines.map((l) => l.name) },
    tooltip: {
      trigger: 'item',
      formatter: (x: { seriesName: string; data: { value: number[]; setting: number; min: number; max: number; n: number } }) => {
        const { value, setting, min, max, n } = x.data
        const where = family === 'capacity' ? `${setting} → ${value[0]} params` : `${setting}`
        return `${x.seriesName}: ${where}, ${pct(value[1])}${n > 1 ? ` (mean of ${n} seeds, ${pct(min)}–${pct(max)})` : ''}`
      },
    },
    xAxis:
      family === 'val-shift' || family === 'augment'
        ? { type: 'value', minInterval: 1, name: xAxisName, nameLocation: 'middle', nameGap: 26, axisLabel: { color: p.muted } }
        : { type: 'log', name: xAxisName, nameLocation: 'middle', nameGap: 26, axisLabel: { color: p.muted } },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { color: p.muted, formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series,
  }
}

export function sweepSummary(family: SweepChartFamily, sweeps: readonly SweepState[]): string {
  const lines = sweepLines(family, sweeps)
  if (lines.length === 0) return 'No sweep yet.'
  return lines
    .map((l) => `${l.name}: ${l.stats.map((s) => `${s.setting} → ${pct(s.mean)}${s.n > 1 ? ` (${pct(s.min)}–${pct(s.max)}, ${s.n} seeds)` : ''}`).join('; ') || '…'}`)
    .join('. ')
}

/** "2, 4, 8" → [2, 4, 8]; null when something is not a whole number ≥ min (or there are more than 32). */
export function parseValues(text: string, min = 1): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean)
  if (parts.length === 0 || parts.length > 32) return null
  const values = parts.map(Number)
  return values.every((v) => Number.isInteger(v) && v >= min && v <= 100_000) ? values : null
}
