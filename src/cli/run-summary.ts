/** The table `lab run` prints on stdout when it ends: one row per model. */
import type { MetricRow } from '../shared/experiment'
import type { ModelSummary } from '../shared/training-events'

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
      row ? row.seconds.toFixed(row.seconds < 10 ? 2 : 1) : '-',
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

/** Which code trained each model ("cnn: trained on fused SIMD, one core"); empty for summaries without routes. */
export function routeLines(models: readonly ModelSummary[]): string {
  return models
    .filter((model) => model.route)
    .map((model) => `${model.id}: trained on ${model.route!.label} (backend ${model.route!.backend})`)
    .join('\n')
}

type Weights = Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>

const GRID_LIMIT = 8

/**
 * A small model's first learned layer, printed as grids in the lesson's
 * format (+0.00): each 3x3 kernel of a conv layer, or each output unit of a
 * linear layer laid out on the image it reads (lesson 000's 8x8 "wall of
 * numbers" against its 3x3 edge filter). Bigger models print nothing: a
 * 28x28 wall is for the kernels view, not a terminal.
 */
export function weightGrids(models: readonly ModelSummary[], weights: ReadonlyMap<string, Weights>): string {
  const blocks: string[] = []
  for (const model of models) {
    const named = weights.get(model.id)
    const first = named && Object.keys(named).find((name) => name.endsWith('.weight'))
    if (!named || !first) continue
    const w = named[first]
    const [c, h, wd] = model.inputShape
    let grids: { title: string; rows: number; cols: number; offset: number }[] = []
    if (w.shape.length === 4) {
      const [out, inC, kh, kw] = w.shape
      if (out * inC > GRID_LIMIT) continue
      grids = Array.from({ length: out * inC }, (_, i) => ({
        title: out * inC === 1 ? '' : ` filter ${Math.floor(i / inC)}${inC > 1 ? `, channel ${i % inC}` : ''}`,
        rows: kh,
        cols: kw,
        offset: i * kh * kw,
      }))
    } else if (w.shape.length === 2 && w.shape[1] === c * h * wd && c === 1 && w.shape[0] <= 2 && h <= 16) {
      grids = Array.from({ length: w.shape[0] }, (_, i) => ({
        title: w.shape[0] === 1 ? '' : ` unit ${i}`,
        rows: h,
        cols: wd,
        offset: i * h * wd,
      }))
    } else {
      continue
    }
    for (const grid of grids) {
      const lines = [`${model.id} (${model.label}) ${first}${grid.title}, ${grid.rows}x${grid.cols}:`]
      for (let r = 0; r < grid.rows; r++) {
        const cells: string[] = []
        for (let col = 0; col < grid.cols; col++) {
          const value = Number(w.data[grid.offset + r * grid.cols + col])
          cells.push(`${value >= 0 ? '+' : '-'}${Math.abs(value).toFixed(2).padStart(4)}`)
        }
        lines.push(cells.join(' '))
      }
      blocks.push(lines.join('\n'))
    }
  }
  return blocks.join('\n\n')
}
