/**
 * ECharts options for the explorer's line and bar charts (pure functions of
 * the data and the palette, like the dashboards' chart-options).
 */
import type { EChartsCoreOption } from 'echarts/core'
import type { EqRow } from './explorer'
import type { Palette } from './palette'

export interface ModelLine {
  id: string
  label: string
  color: string
}

/** p(class) against the horizontal shift, one line per model, the current shift marked. */
export function probabilityOption(p: Palette, models: readonly ModelLine[], rows: Record<string, number[][]>, cls: number, limit: number, dx: number): EChartsCoreOption {
  const xs = Array.from({ length: 2 * limit + 1 }, (_, i) => i - limit)
  return {
    animation: false,
    grid: { left: 46, right: 14, top: 30, bottom: 38 },
    legend: { top: 2, right: 8 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${(v * 100).toFixed(1)} %` },
    xAxis: { type: 'value', min: -limit, max: limit, interval: limit > 4 ? 2 : 1, name: 'dx (pixels)', nameLocation: 'middle', nameGap: 24 },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { color: p.muted, formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: models.map((m, k) => ({
      name: m.label,
      type: 'line',
      animation: false,
      showSymbol: true,
      symbolSize: 5,
      data: xs.map((x, i) => [x, rows[m.id]?.[i]?.[cls] ?? null]),
      lineStyle: { width: 2, color: m.color, type: k === 0 ? 'solid' : 'dashed' },
      itemStyle: { color: m.color },
      markLine: k === 0 ? { symbol: 'none', silent: true, animation: false, lineStyle: { color: p.muted, type: 'dotted' }, label: { show: false }, data: [{ xAxis: dx }] } : undefined,
    })),
  }
}

/** Current class probabilities, grouped by class. */
export function probabilityBarsOption(p: Palette, models: readonly ModelLine[], probs: Record<string, number[]>, classes: readonly string[]): EChartsCoreOption {
  return {
    animation: false,
    grid: { left: 46, right: 14, top: 30, bottom: 28 },
    legend: { top: 2, right: 8 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${(v * 100).toFixed(1)} %` },
    xAxis: { type: 'category', data: [...classes] },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { color: p.muted, formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: models.map((m) => ({ name: m.label, type: 'bar', animation: false, data: probs[m.id] ?? [], itemStyle: { color: m.color } })),
  }
}

export interface ErrorRow extends EqRow {
  color: string
}

/** Per layer: whole-map error and error inside the interior (conv), or the code's change (MLP); no bar where not comparable. */
export function equivarianceOption(p: Palette, rows: readonly ErrorRow[]): EChartsCoreOption {
  const names = rows.map((r) => `${r.modelLabel} ${r.layer.replace(' + ReLU', '+R')}`)
  return {
    // These charts change on every drag step: no tween, so an axis never shows two states at once.
    animation: false,
    grid: { left: 46, right: 14, top: 30, bottom: 64 },
    legend: { top: 2, right: 8, data: ['whole map / change', 'inside the outline'] },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (v === null ? '—' : v.toFixed(4)) },
    xAxis: { type: 'category', data: names, axisLabel: { fontSize: 9, interval: 0, rotate: 28, color: p.muted } },
    yAxis: { type: 'value', min: 0 },
    series: [
      { name: 'whole map / change', type: 'bar', animation: false, data: rows.map((r) => ({ value: r.error, itemStyle: { color: r.color } })) },
      { name: 'inside the outline', type: 'bar', animation: false, itemStyle: { color: p.axis }, data: rows.map((r) => r.interior) },
    ],
  }
}
