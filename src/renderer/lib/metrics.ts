/** Metric rows (one per model per epoch) turned into what the charts and texts need. */
import type { MetricRow } from '../../shared/experiment'

export type MetricKey = 'trainLoss' | 'valLoss' | 'trainAccuracy' | 'valAccuracy'

/** [epoch, value] pairs for one model, in epoch order, skipping missing values. */
export function series(rows: readonly MetricRow[], model: string, key: MetricKey): [number, number][] {
  const out: [number, number][] = []
  for (const row of rows) {
    if (row.model !== model) continue
    const value = row[key]
    if (value !== null && Number.isFinite(value)) out.push([row.epoch, value])
  }
  return out.sort((a, b) => a[0] - b[0])
}

export function lastRow(rows: readonly MetricRow[], model: string): MetricRow | null {
  let last: MetricRow | null = null
  for (const row of rows) if (row.model === model && (!last || row.epoch >= last.epoch)) last = row
  return last
}

export function bestValue(rows: readonly MetricRow[], model: string, key: MetricKey): { epoch: number; value: number } | null {
  let best: { epoch: number; value: number } | null = null
  for (const [epoch, value] of series(rows, model, key)) if (!best || value > best.value) best = { epoch, value }
  return best
}

/** "98.9 %" — one decimal, as the lessons print accuracies. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—'
  return `${(fraction * 100).toFixed(digits)} %`
}

export function formatLoss(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  return value < 0.001 ? value.toExponential(2) : value.toFixed(4)
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** "[3, 6, 6]" → "3×6×6", the way the layer table prints a shape. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×')
}
