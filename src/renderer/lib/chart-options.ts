/**
 * ECharts options for every dashboard chart, as pure functions of the data
 * and the palette (so a chart looks the same on screen, in a PNG and in an
 * SVG), plus the one-line text summaries screen readers get instead.
 */
import type { EChartsCoreOption } from 'echarts/core'
import type { MetricRow } from '../../shared/experiment'
import type { ConfusionMatrix } from './confusion'
import { formatCount, formatPercent, lastRow, series, type MetricKey } from './metrics'
import type { Palette } from './palette'
import { DEFAULT_SMOOTHING, emaSmooth, type StepSeries } from './step-loss'

export interface ChartModel {
  id: string
  label: string
  color: string
  epochs: number
}

const percentAxis = (p: Palette) => ({
  type: 'value',
  min: 0,
  max: 1,
  axisLabel: { color: p.muted, formatter: (v: number) => `${Math.round(v * 100)}%` },
})

const epochAxis = (max: number | undefined) => ({
  type: 'value',
  name: 'epoch',
  nameLocation: 'middle',
  nameGap: 24,
  min: 0,
  max: max && max > 0 ? max : undefined,
  minInterval: 1,
})

const baseGrid = { left: 52, right: 16, top: 34, bottom: 40 }

/**
 * One model's train (solid) and val (dashed) curves of loss or accuracy, one
 * point per epoch. The loss chart also draws the per-step training loss when
 * there is one: raw and faint, and smoothed (TensorBoard's debiased moving
 * average) as a thin line, at fractional epochs, so a run moves within its
 * first epoch.
 */
export function curvesOption(
  p: Palette,
  model: ChartModel,
  rows: readonly MetricRow[],
  kind: 'loss' | 'accuracy',
  steps?: StepSeries,
  smoothing = DEFAULT_SMOOTHING,
): EChartsCoreOption {
  const keys: [MetricKey, MetricKey] = kind === 'loss' ? ['trainLoss', 'valLoss'] : ['trainAccuracy', 'valAccuracy']
  const line = (name: string, key: MetricKey, dashed: boolean) => ({
    name,
    type: 'line',
    data: series(rows, model.id, key),
    // With a step curve beside them, the epoch values are drawn as points on their lines.
    showSymbol: perStep,
    symbolSize: 5,
    animation: false,
    lineStyle: { width: 2, type: dashed ? 'dashed' : 'solid', color: model.color },
    itemStyle: { color: model.color },
    // Val drawn a little lighter as a second cue beside the dash.
    emphasis: { disabled: true },
  })
  const perStep = kind === 'loss' && !!steps && steps.epochs.length > 0
  const stepSeries = perStep ? stepLossSeries(model, steps!, smoothing) : []
  return {
    grid: baseGrid,
    legend: { top: 4, right: 8, itemWidth: 22, data: perStep ? ['train', 'val', 'per step'] : ['train', 'val'] },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (kind === 'loss' ? v.toFixed(4) : formatPercent(v)) },
    xAxis: epochAxis(model.epochs),
    yAxis: kind === 'loss' ? { type: 'value', min: 0, name: 'loss', nameGap: 10 } : percentAxis(p),
    series: [...stepSeries, line('train', keys[0], false), line('val', keys[1], true)],
  }
}

/** The per-step curve: raw points faint (no legend entry), smoothed as the thin "per step" line. */
function stepLossSeries(model: ChartModel, steps: StepSeries, smoothing: number): object[] {
  const smoothed = emaSmooth(steps.losses, smoothing)
  const common = { type: 'line', showSymbol: false, animation: false, emphasis: { disabled: true }, z: 1 }
  return [
    {
      ...common,
      name: 'per step (raw)',
      data: steps.epochs.map((x, i) => [x, steps.losses[i]]),
      lineStyle: { width: 1, color: model.color, opacity: 0.22 },
      itemStyle: { color: model.color },
      tooltip: { show: false },
    },
    {
      ...common,
      name: 'per step',
      data: steps.epochs.map((x, i) => [x, smoothed[i]]),
      lineStyle: { width: 1.25, color: model.color, opacity: 0.85 },
      itemStyle: { color: model.color },
    },
  ]
}

export function curvesSummary(model: ChartModel, rows: readonly MetricRow[], kind: 'loss' | 'accuracy'): string {
  const last = lastRow(rows, model.id)
  const what = kind === 'loss' ? 'loss' : 'accuracy'
  if (!last) return `${model.label} ${what}: no epochs yet.`
  const fmt = (v: number | null) => (kind === 'loss' ? (v === null ? '—' : v.toFixed(4)) : formatPercent(v))
  const train = kind === 'loss' ? last.trainLoss : last.trainAccuracy
  const val = kind === 'loss' ? last.valLoss : last.valAccuracy
  return `${model.label} ${what} at epoch ${last.epoch} of ${model.epochs}: train ${fmt(train)}, val ${fmt(val)}.`
}

/** Both models' val accuracy on one chart: the headline comparison. */
export function overlayOption(p: Palette, models: readonly ChartModel[], rows: readonly MetricRow[]): EChartsCoreOption {
  const maxEpochs = Math.max(0, ...models.map((m) => m.epochs))
  return {
    grid: baseGrid,
    legend: { top: 4, right: 8, itemWidth: 22 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatPercent(v) },
    xAxis: epochAxis(maxEpochs),
    yAxis: percentAxis(p),
    series: models.map((m) => ({
      name: `${m.label} val`,
      type: 'line',
      data: series(rows, m.id, 'valAccuracy'),
      showSymbol: false,
      animation: false,
      lineStyle: { width: 2.5, color: m.color },
      itemStyle: { color: m.color },
    })),
  }
}

export function overlaySummary(models: readonly ChartModel[], rows: readonly MetricRow[]): string {
  const parts = models.map((m) => {
    const last = lastRow(rows, m.id)
    return last ? `${m.label} ${formatPercent(last.valAccuracy)} at epoch ${last.epoch}` : `${m.label}: no epochs yet`
  })
  return `Validation accuracy: ${parts.join('; ')}.`
}

export interface ParamBar {
  label: string
  count: number
  color: string
}

/** The ratio written on the parameter chart: "TinyMLP has 10.8× the parameters of TinyCNN". */
export function parameterRatio(bars: readonly ParamBar[]): string {
  if (bars.length < 2 || bars.some((b) => b.count <= 0)) return ''
  const sorted = [...bars].sort((a, b) => b.count - a.count)
  const ratio = sorted[0].count / sorted[sorted.length - 1].count
  return `${sorted[0].label} has ${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}× the parameters of ${sorted[sorted.length - 1].label}`
}

export function parametersOption(p: Palette, bars: readonly ParamBar[]): EChartsCoreOption {
  return {
    grid: { left: 64, right: 16, top: 56, bottom: 28 },
    // Two lines, so the sentence fits the narrow card of a 1024-wide window or presentation mode.
    title: { text: parameterRatio(bars).replace('× the parameters', '×\nthe parameters'), left: 'center', top: 4, textStyle: { fontSize: 13, fontWeight: 600, color: p.text, lineHeight: 17 } },
    tooltip: { trigger: 'item', valueFormatter: (v: number) => formatCount(v) },
    xAxis: { type: 'category', data: bars.map((b) => b.label), axisLabel: { color: p.text, fontWeight: 600 } },
    yAxis: { type: 'value', axisLabel: { color: p.muted, formatter: (v: number) => compact(v) } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 72,
        animation: false,
        data: bars.map((b) => ({ value: b.count, itemStyle: { color: b.color } })),
        label: { show: true, position: 'top', color: p.text, fontWeight: 600, formatter: (x: { value: number }) => formatCount(x.value) },
      },
    ],
  }
}

export function parametersSummary(bars: readonly ParamBar[]): string {
  const ratio = parameterRatio(bars)
  return `Parameters: ${bars.map((b) => `${b.label} ${formatCount(b.count)}`).join('; ')}.${ratio ? ` ${ratio}.` : ''}`
}

export function compact(v: number): string {
  if (v >= 1e9) return `${+(v / 1e9).toFixed(1)}G`
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`
  return String(v)
}

/**
 * Room under the confusion matrix for its predicted-class labels: long names
 * (patterns' "horizontal", "diagonal") are turned 35° when they would run into
 * each other in a narrow column; digits stay level.
 */
export function confusionLabelSpace(classes: readonly string[]): { rotate: number; bottom: number } {
  const longest = Math.max(1, ...classes.map((c) => c.length))
  return longest * classes.length > 28 ? { rotate: 35, bottom: 30 + Math.round(longest * 4.6) } : { rotate: 0, bottom: 44 }
}

/** Rows = actual class, columns = predicted, darker = more samples, counts written in the cells. */
export function confusionOption(p: Palette, m: ConfusionMatrix, color: string): EChartsCoreOption {
  const k = m.classes.length
  const data: [number, number, number][] = []
  let max = 1
  for (let a = 0; a < k; a++) for (let q = 0; q < k; q++) {
    data.push([q, k - 1 - a, m.counts[a][q]])
    max = Math.max(max, m.counts[a][q])
  }
  const labels = [...m.classes]
  const space = confusionLabelSpace(labels)
  return {
    grid: { left: 84, right: 12, top: 12, bottom: space.bottom },
    tooltip: { formatter: (x: { value: [number, number, number] }) => `actual ${labels[k - 1 - x.value[1]]}, predicted ${labels[x.value[0]]}: ${x.value[2]}` },
    xAxis: {
      type: 'category', data: labels, name: 'predicted', nameLocation: 'middle', nameGap: space.bottom - 16, splitArea: { show: false },
      axisLabel: { color: p.text, interval: 0, rotate: space.rotate },
    },
    yAxis: { type: 'category', data: [...labels].reverse(), name: 'actual', nameLocation: 'middle', nameGap: 70, axisLabel: { color: p.text, interval: 0 } },
    visualMap: { show: false, min: 0, max, inRange: { color: [p.heatLow, color] } },
    series: [
      {
        type: 'heatmap',
        data,
        animation: false,
        label: { show: true, fontWeight: 600, color: p.text, textBorderColor: p.background, textBorderWidth: 2 },
        itemStyle: { borderColor: p.background, borderWidth: 2 },
      },
    ],
  }
}

export function confusionSummary(label: string, m: ConfusionMatrix): string {
  let worst = { count: 0, actual: '', predicted: '' }
  m.counts.forEach((row, a) =>
    row.forEach((count, q) => {
      if (a !== q && count > worst.count) worst = { count, actual: m.classes[a], predicted: m.classes[q] }
    }),
  )
  const mistakes = worst.count > 0 ? ` Most frequent mistake: ${worst.actual} taken for ${worst.predicted} (${worst.count}).` : ' No mistakes.'
  return `${label} on the validation set: ${m.correct} of ${m.total} correct (${formatPercent(m.total ? m.correct / m.total : null)}).${mistakes}`
}

/** Number of data points drawn, exposed on the chart so tests and users can see it grow. */
export function pointCount(option: EChartsCoreOption): number {
  const s = (option as { series?: { data?: unknown[] }[] }).series ?? []
  return s.reduce((sum, one) => sum + (one.data?.length ?? 0), 0)
}

/**
 * The exported figure: the same chart with its title on it and a solid
 * background, nothing animated, and the legend and grid moved down to make room.
 */
export function exportOption(option: EChartsCoreOption, title: string, p: Palette): EChartsCoreOption {
  const o = option as Record<string, unknown>
  const shift = 26
  const grid = (o.grid ?? {}) as Record<string, unknown>
  const titles = ([] as unknown[]).concat(o.title ?? []).map((t) => ({ ...(t as object), top: ((t as { top?: number }).top ?? 6) + shift }))
  // A legend may be one object or a list of them (the runs overlay has one per run).
  const moveDown = (l: unknown) => ({ ...(l as object), top: ((l as { top?: number }).top ?? 4) + shift })
  const legend = o.legend ? (Array.isArray(o.legend) ? o.legend.map(moveDown) : moveDown(o.legend)) : undefined
  return {
    ...o,
    animation: false,
    backgroundColor: p.background,
    title: [{ text: title, left: 'center', top: 6, textStyle: { fontSize: 14, fontWeight: 650, color: p.text } }, ...titles],
    ...(legend ? { legend } : {}),
    grid: { ...grid, top: ((grid.top as number | undefined) ?? 34) + shift },
  }
}

export interface OverlayRun {
  /** The run's name on the chart, unique among the overlaid runs (overlayRunLabels). */
  label: string
  models: { id: string; label: string; color: string }[]
  rows: readonly MetricRow[]
}

const RUN_NAME_MAX = 30

function shorten(name: string): string {
  const s = name.trim() || 'untitled'
  return s.length <= RUN_NAME_MAX ? s : `${s.slice(0, RUN_NAME_MAX - 1).trimEnd()}…`
}

function clock(iso: string | undefined, seconds: boolean): string {
  const d = new Date(iso ?? '')
  if (Number.isNaN(d.getTime())) return ''
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}${seconds ? `:${two(d.getSeconds())}` : ''}`
}

/**
 * What the overlay calls each run: its experiment's name (shortened), with
 * the start time (local hh:mm, then hh:mm:ss) added only where two runs
 * would otherwise share a name, and a number as the last resort.
 */
export function overlayRunLabels(runs: readonly { name: string; startedAt?: string; trainer?: string }[]): string[] {
  // The trainer (an imported run's "PyTorch") goes after the shortened name, so a long name cannot cut it off.
  const names = runs.map((r) => (r.trainer ? `${shorten(r.name)} (${r.trainer})` : shorten(r.name)))
  const clash = (labels: string[], i: number) => labels.some((l, j) => j !== i && l === labels[i])
  let labels = names.map((n, i) => (clash(names, i) ? `${n} ${clock(runs[i].startedAt, false)}`.trim() : n))
  labels = labels.map((l, i) => (clash(labels, i) ? `${names[i]} ${clock(runs[i].startedAt, true)}`.trim() : l))
  return labels.map((l, i) => (clash(labels, i) ? `${l} #${i + 1}` : l))
}

/** Height of one legend line of the runs overlay: one line per run. */
const RUN_LEGEND_LINE = 20

/**
 * Several runs' val accuracy on one chart: colour = model, line style = run
 * (solid, dotted, dashed). x is the epoch number on a value axis, so runs of
 * different lengths line up epoch by epoch. One legend line per run, above
 * the plot (the grid starts below the last line, so no legend covers an
 * axis or its labels).
 */
export function runOverlayOption(p: Palette, runs: readonly OverlayRun[]): EChartsCoreOption {
  const styles = ['solid', 'dotted', 'dashed'] as const
  const lastEpoch = Math.max(0, ...runs.flatMap((run) => run.rows.map((row) => row.epoch)))
  const name = (m: { label: string }, run: OverlayRun) => `${m.label} · ${run.label}`
  return {
    grid: { ...baseGrid, top: 4 + RUN_LEGEND_LINE * Math.max(1, runs.length) + 14 },
    legend: runs.map((run, r) => ({
      type: 'scroll',
      top: 4 + RUN_LEGEND_LINE * r,
      left: 8,
      right: 8,
      itemWidth: 26,
      data: run.models.map((m) => name(m, run)),
      textStyle: { color: p.text },
    })),
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatPercent(v) },
    xAxis: epochAxis(lastEpoch),
    yAxis: percentAxis(p),
    series: runs.flatMap((run, r) =>
      run.models.map((m) => ({
        name: name(m, run),
        type: 'line',
        // [epoch, accuracy]: x is the epoch itself, never the row's index.
        data: series(run.rows, m.id, 'valAccuracy'),
        showSymbol: false,
        animation: false,
        lineStyle: { width: 2.2, color: m.color, type: styles[r % styles.length] },
        itemStyle: { color: m.color },
      })),
    ),
  }
}

export function runOverlaySummary(runs: readonly OverlayRun[]): string {
  if (runs.length === 0) return 'No runs picked for the overlay.'
  return runs
    .map((run) => `${run.label}: ${run.models.map((m) => `${m.label} ${formatPercent(lastRow(run.rows, m.id)?.valAccuracy)}`).join(', ')}`)
    .join('. ') + '.'
}

/** Dense vs conv parameter counts as a square picture grows (log scale: the gap is orders of magnitude). */
export function growthOption(p: Palette, points: readonly { side: number; dense: number; conv: number }[], labels: { dense: string; conv: string }): EChartsCoreOption {
  return {
    grid: { left: 60, right: 18, top: 34, bottom: 40 },
    legend: { top: 4, right: 8, itemWidth: 22 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatCount(v) },
    xAxis: { type: 'value', name: 'picture side (pixels)', nameLocation: 'middle', nameGap: 24, min: 0, max: 224 },
    yAxis: { type: 'log', name: 'parameters', nameGap: 10, min: 10, axisLabel: { color: p.muted, formatter: (v: number) => compact(v) } },
    series: [
      { name: labels.dense, type: 'line', data: points.map((x) => [x.side, x.dense]), symbolSize: 6, animation: false, lineStyle: { width: 2.5, color: p.models[1] }, itemStyle: { color: p.models[1] } },
      { name: labels.conv, type: 'line', data: points.map((x) => [x.side, x.conv]), symbolSize: 6, animation: false, lineStyle: { width: 2.5, color: p.models[0], type: 'dashed' }, itemStyle: { color: p.models[0] } },
    ],
  }
}
