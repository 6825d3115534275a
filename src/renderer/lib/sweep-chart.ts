/**
 * The Sweeps view's chart: final val accuracy against parameter count (log
 * x), one point per setting, one line per sweep kind, each point labelled
 * with its setting.
 */
import type { EChartsCoreOption } from 'echarts/core'
import type { SweepState } from '../../shared/lab-api'
import { SWEEP_LABELS } from '../../engine/experiment/sweep'
import type { Palette } from './palette'

export function sweepOption(p: Palette, sweeps: readonly SweepState[]): EChartsCoreOption {
  return {
    grid: { left: 52, right: 24, top: 52, bottom: 44 },
    legend: { top: 4, right: 8 },
    tooltip: { trigger: 'item', formatter: (x: { seriesName: string; data: { value: number[]; setting: number } }) => `${x.seriesName}: ${x.data.setting} → ${x.data.value[0]} params, ${(x.data.value[1] * 100).toFixed(1)} %` },
    xAxis: { type: 'log', name: 'parameters (log scale)', nameLocation: 'middle', nameGap: 26, axisLabel: { color: p.muted } },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { color: p.muted, formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: sweeps.map((s) => {
      const color = s.kind === 'cnn-filters' ? p.models[0] : p.models[1]
      return {
        name: `${s.modelLabel}: ${SWEEP_LABELS[s.kind].title.replace(/^(MLP|CNN) /, '')}`,
        type: 'line',
        animation: false,
        symbolSize: 8,
        lineStyle: { color, width: 2, type: s.kind === 'cnn-filters' ? 'solid' : 'dashed' },
        itemStyle: { color },
        label: { show: true, position: 'top', color: p.muted, fontSize: 10, formatter: (x: { data: { setting: number } }) => String(x.data.setting) },
        data: s.points.filter((pt) => pt.valAccuracy !== null).map((pt) => ({ value: [pt.parameterCount, pt.valAccuracy], setting: pt.value })),
      }
    }),
  }
}

export function sweepSummary(sweeps: readonly SweepState[]): string {
  if (sweeps.length === 0) return 'No sweep yet.'
  return sweeps
    .map((s) => `${SWEEP_LABELS[s.kind].title} (${s.status}): ${s.points.map((pt) => `${pt.value} → ${pt.parameterCount} params, ${pt.valAccuracy === null ? '…' : `${(pt.valAccuracy * 100).toFixed(1)}%`}`).join('; ')}`)
    .join('. ')
}

/** "2, 4, 8" → [2, 4, 8]; null when something is not a whole number ≥ 1 (or there are more than 32). */
export function parseValues(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean)
  if (parts.length === 0 || parts.length > 32) return null
  const values = parts.map(Number)
  return values.every((v) => Number.isInteger(v) && v >= 1 && v <= 4096) ? values : null
}
