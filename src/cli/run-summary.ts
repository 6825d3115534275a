/** The table `lab run` prints on stdout when it ends: one row per model. */
import type { MetricRow } from '../shared/experiment'
import type { ModelSummary } from '../engine/train/events'

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`
}

export function summaryTable(models: readonly ModelSummary[], final: ReadonlyMap<string, MetricRow>): string {
  const header = ['model', 'label', 'params', 'epochs', 'train acc', 'val acc', 'seconds']
  const rows = models.map((model) => {
    const row = final.get(model.id)
    return [
      model.id,
      model.label,
      model.parameterCount.toLocaleString('en-US'),
      row ? String(row.epoch) : '0',
      percent(row?.trainAccuracy),
      percent(row?.valAccuracy),
      // Training time only (the trainer's per-model clock), so the models compare fairly.
      row ? row.seconds.toFixed(1) : '-',
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  // Text columns align left, numbers right.
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd()
  return [format(header), ...rows.map(format)].join('\n')
}
