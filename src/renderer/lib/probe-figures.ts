/**
 * Grid figures for the explorer and the trace: an input picture, a CNN's
 * feature maps stage by stage (with the exact-equivariance interior outlined),
 * an MLP's hidden code, a model's whole trace, and the robustness heatmaps.
 * Colour scales are fixed by the unshifted input, so a shift moves the
 * pattern without changing its colours.
 */
import type { LayerEquivariance } from '../../engine/probes/equivariance'
import type { Trace, TraceStage } from '../../engine/probes/trace'
import { CHANNEL_NAMES, channelScale, divergingScale, inkScale, maxAbs, sequentialScale, type ColorScale } from './colormap'
import { LABEL_HEIGHT, TEXT_MIN_CELL, flowLayout, type FigureText, type GridFigure, type GridLegend, type GridPanel } from './grid-figure'
import type { ThemeName } from './palette'
import { isRgbShape } from './rgb'

const HEADER = 18

/** An input picture: a colour image for [3, H, W] (values 0 to scaleMax), otherwise channel 0 as ink. */
export function inputFigure(data: ArrayLike<number>, shape: readonly number[], cell: number, theme: ThemeName, scaleMax = 1): GridFigure {
  const [, h, w] = shape
  const colour = isRgbShape(shape)
  return {
    width: w * cell,
    height: h * cell,
    panels: [
      {
        x: 0,
        y: 0,
        cell,
        rows: h,
        cols: w,
        values: data,
        scale: inkScale(theme, scaleMax),
        rgb: colour ? { min: 0, max: scaleMax } : undefined,
        text: !colour && cell >= TEXT_MIN_CELL * 1.4,
      },
    ],
    texts: [],
  }
}

/** A cell size that makes an h×w map about `target` pixels wide. */
export function cellFor(w: number, target = 64, min = 2, max = 14): number {
  return Math.max(min, Math.min(max, Math.round(target / w)))
}

function stageScale(stage: TraceStage, theme: ThemeName): ColorScale {
  let min = 0
  for (let i = 0; i < stage.values.length; i++) if (stage.values[i] < min) min = stage.values[i]
  return min < 0 ? divergingScale(theme, maxAbs(stage.values)) : sequentialScale(0, maxAbs(stage.values))
}

/** A readable name for a trace stage ("conv 1 + ReLU", "pool 1", "hidden 18 + ReLU"). */
export function stageNames(stages: readonly TraceStage[]): string[] {
  let conv = 0
  let pool = 0
  let linear = 0
  let norm = 0
  let avg = 0
  let residual = 0
  return stages.map((s, i) => {
    switch (s.type) {
      case 'input':
        return 'input'
      case 'conv2d':
        return `conv ${++conv}`
      case 'maxpool2d':
        return `pool ${++pool}`
      case 'globalmaxpool2d':
        return 'global max'
      case 'avgpool2d':
        return `avg pool ${++avg}`
      case 'globalavgpool2d':
        return 'global avg'
      case 'batchnorm2d':
        return `batch norm ${++norm}`
      case 'residual':
        return `residual ${++residual}`
      case 'linear':
        return `linear ${++linear}`
      case 'relu':
        return `${i > 0 && ['conv2d', 'linear', 'batchnorm2d', 'residual'].includes(stages[i - 1].type) ? `${stageNames(stages.slice(0, i))[i - 1]} + ` : ''}ReLU`
      default:
        return s.type
    }
  })
}

/** The spatial stages worth drawing: a conv's output after its ReLU, and each pooled map. */
export function mapStages(trace: Trace): number[] {
  const out: number[] = []
  trace.stages.forEach((s, i) => {
    if (s.index < 0 || s.shape.length !== 3) return
    const next = trace.stages[i + 1]
    if (next && next.type === 'relu' && next.shape.length === 3) return // drawn after its ReLU
    out.push(i)
  })
  return out
}

/**
 * The CNN's feature maps per filter, stage under stage; each map outlined
 * where equivariance must hold exactly (outside the outline: the border band).
 */
export function featureMapsFigure(
  trace: Trace,
  base: Trace,
  profile: readonly LayerEquivariance[] | null,
  theme: ThemeName,
  maxWidth: number,
  maxMaps = 32,
): GridFigure {
  const names = stageNames(trace.stages)
  const panels: GridPanel[] = []
  const texts: FigureText[] = []
  let y = 0
  let width = 0
  for (const i of mapStages(trace)) {
    const stage = trace.stages[i]
    const [c, h, w] = stage.shape
    const shown = Math.min(c, maxMaps)
    const cell = cellFor(w, 96, 2, 18)
    const scale = stageScale(base.stages[i], theme)
    const eq = profile?.find((l) => l.index === stage.index)
    const band = eq && eq.kind === 'equivariance' ? eq.interior : undefined
    const header = `${names[i]} · [${stage.shape.join(', ')}]${c > shown ? ` (first ${shown})` : ''}`
    texts.push({ x: 0, y: y + HEADER / 2, text: header, size: 12, bold: true })
    // Wide enough for its header too (lesson 000 has one 6x6 map under a longer title).
    width = Math.max(width, Math.ceil(header.length * 7))
    const items = Array.from({ length: shown }, (_, f) => ({ rows: h, cols: w, label: `f${f + 1}` }))
    const layout = flowLayout(items, { cell, gap: 8, maxWidth, top: y + HEADER })
    layout.positions.forEach((p, f) => {
      panels.push({ x: p.x, y: p.y, cell, rows: h, cols: w, values: stage.values, offset: f * h * w, scale, label: items[f].label, interior: band ?? null })
    })
    width = Math.max(width, layout.width)
    y = layout.height + 12
  }
  return { width, height: Math.max(0, y - 12), panels, texts, legends: [{ scale: sequentialScale(0, 1), label: 'activation (per stage, 0 to its max)' }] }
}

/** |f(shift x) − shift f(x)| per position for each spatial layer, with the interior outlined. */
export function errorMapsFigure(profile: readonly LayerEquivariance[], trace: Trace, theme: ThemeName, maxWidth: number): GridFigure {
  const names = stageNames(trace.stages)
  // A conv's own map is left out where a ReLU follows (its map after the ReLU says the same),
  // but kept where nothing does (lesson 000's detector: conv → global max-pool).
  const hiddenByRelu = (l: LayerEquivariance) => trace.stages[l.index + 1]?.type === 'conv2d' && trace.stages[l.index + 2]?.type === 'relu'
  const layers = profile.filter((l) => l.kind === 'equivariance' && l.errorMap && !hiddenByRelu(l))
  // Each map at its own cell size (about 84 px wide), side by side, wide enough for its label.
  let limit = 0
  for (const l of layers) limit = Math.max(limit, maxAbs(trace.stages[l.index + 1].values))
  const scale = sequentialScale(0, limit || 1)
  void theme
  const panels: GridPanel[] = []
  let x = 0
  let height = 0
  for (const l of layers) {
    const cell = cellFor(l.shape[2], 84, 3, 16)
    const label = names[l.index + 1]
    panels.push({ x, y: LABEL_HEIGHT, cell, rows: l.shape[1], cols: l.shape[2], values: l.errorMap!, scale, label, interior: l.interior })
    x += Math.max(l.shape[2] * cell, label.length * 6.5) + 16
    height = Math.max(height, LABEL_HEIGHT + l.shape[1] * cell)
    if (x > maxWidth) break
  }
  const width = Math.max(0, x - 16)
  return { width, height, panels, texts: [], legends: [{ scale, label: '|f(shift x) − shift f(x)|, mean over filters' }] }
}

/** The MLP's hidden units (1-D stages after a ReLU) now, and how far each moved from the unshifted input. */
export function hiddenFigure(trace: Trace, base: Trace, theme: ThemeName, maxWidth: number): GridFigure {
  const names = stageNames(trace.stages)
  const panels: GridPanel[] = []
  const texts: FigureText[] = []
  let y = 0
  let width = 0
  trace.stages.forEach((stage, i) => {
    if (stage.shape.length !== 1 || stage.type !== 'relu') return
    const n = stage.values.length
    const cols = Math.min(n, Math.max(8, Math.floor(maxWidth / 18)))
    const rows = Math.ceil(n / cols)
    const cell = Math.max(6, Math.min(18, Math.floor(maxWidth / cols)))
    const pad = (v: ArrayLike<number>) => {
      const out = new Float32Array(rows * cols)
      for (let k = 0; k < n; k++) out[k] = v[k]
      return out
    }
    const now = pad(stage.values)
    const before = pad(base.stages[i].values)
    const change = now.map((v, k) => v - before[k])
    const limit = maxAbs(base.stages[i].values)
    const header = `${names[i]} · ${n} units: activation`
    texts.push({ x: 0, y: y + HEADER / 2, text: header, size: 12, bold: true })
    width = Math.max(width, Math.ceil(header.length * 7))
    panels.push({ x: 0, y: y + HEADER, cell, rows, cols, values: now, scale: sequentialScale(0, limit) })
    y += HEADER + rows * cell + 10
    texts.push({ x: 0, y: y + HEADER / 2, text: 'change vs unshifted (blue −, red +)', size: 12, muted: true })
    panels.push({ x: 0, y: y + HEADER, cell, rows, cols, values: change, scale: divergingScale(theme, limit) })
    y += HEADER + rows * cell + 12
    width = Math.max(width, cols * cell)
  })
  return {
    width,
    height: Math.max(0, y - 12),
    panels,
    texts,
    legends: [
      { scale: sequentialScale(0, 1), label: 'activation (per layer, 0 to its max)' },
      { scale: divergingScale(theme, 1), label: 'change from the unshifted picture (± the layer’s max)' },
    ],
  }
}

/**
 * One model's trace, stage by stage from left to right, each with its shape
 * and (where small) its values. Given `maxWidth`, the stages wrap onto further
 * rows instead of running off a narrow screen.
 */
export function traceFigure(
  trace: Trace,
  classes: readonly string[],
  theme: ThemeName,
  options: { maxMaps?: number; columnRows?: number; maxWidth?: number } = {},
): GridFigure {
  const maxMaps = options.maxMaps ?? 8
  const columnRows = options.columnRows ?? 16
  const names = stageNames(trace.stages)
  const panels: GridPanel[] = []
  const texts: FigureText[] = []
  let x = 0
  let height = 0
  const columns: { x: number; width: number; height: number; panels: number; texts: number; arrow: number | null }[] = []
  trace.stages.forEach((stage, i) => {
    const arrow = i > 0 ? texts.push({ x: x - 18, y: HEADER * 2 + 12, text: '→', size: 14, muted: true }) - 1 : null
    const first = { panels: panels.length, texts: texts.length - (arrow === null ? 0 : 1) }
    const scale = i === 0 ? inkScale(theme, maxAbs(stage.values)) : stage.type === 'softmax' ? sequentialScale(0, 1) : stageScale(stage, theme)
    const top = HEADER * 2
    let colWidth = 0
    let y = top
    if (stage.shape.length === 3) {
      const [c, h, w] = stage.shape
      const big = w <= 8
      const cell = big ? (i === 0 ? 26 : 24) : cellFor(w, 84, 2, 12)
      const shown = Math.min(c, maxMaps)
      const colourInput = i === 0 && isRgbShape(stage.shape)
      if (colourInput) {
        // The picture as it looks, then each channel on its own (black to that channel's colour) with its values.
        panels.push({ x, y: y + LABEL_HEIGHT, cell, rows: h, cols: w, values: stage.values, scale, rgb: { min: 0, max: maxAbs(stage.values) }, label: 'colour', name: 'input' })
        y += LABEL_HEIGHT + h * cell + 8
      }
      for (let f = 0; f < shown; f++) {
        const label = colourInput ? CHANNEL_NAMES[f] : c > 1 ? `filter ${f + 1}` : undefined
        const own = colourInput ? channelScale(f, maxAbs(stage.values)) : scale
        panels.push({ x, y: y + LABEL_HEIGHT, cell, rows: h, cols: w, values: stage.values, offset: f * h * w, scale: own, text: cell >= TEXT_MIN_CELL, digits: 2, label })
        y += LABEL_HEIGHT + h * cell + 8
      }
      if (c > shown) {
        texts.push({ x, y: y + 6, text: `+ ${c - shown} more`, size: 11, muted: true })
        y += 16
      }
      colWidth = w * cell
    } else {
      const n = stage.values.length
      const cols = Math.ceil(n / columnRows)
      const small = n <= columnRows
      const cell = small ? 26 : n <= 256 ? 12 : 4
      const perColumn = Math.ceil(n / cols)
      for (let k = 0; k < cols; k++) {
        const from = k * perColumn
        const count = Math.min(perColumn, n - from)
        if (count <= 0) break
        panels.push({ x: x + k * (cell + 2), y, cell, rows: count, cols: 1, values: stage.values, offset: from, scale, text: small, digits: 2 })
      }
      if (stage.type === 'softmax' || (small && i === trace.stages.length - 1)) {
        for (let k = 0; k < n; k++) texts.push({ x: x + cell + 6, y: y + (k + 0.5) * cell, text: classes[k] ?? String(k), size: 11, muted: true })
        colWidth = cell + 6 + Math.max(...classes.map((c) => c.length)) * 6.5
      } else {
        colWidth = cols * (cell + 2)
      }
      y += perColumn * cell
    }
    colWidth = Math.max(colWidth, 64, names[i].length * 7.2)
    texts.push({ x, y: HEADER / 2, text: names[i], size: 12, bold: true })
    texts.push({ x, y: HEADER + HEADER / 2 - 2, text: `[${stage.shape.join(', ')}]`, size: 11, muted: true })
    height = Math.max(height, y)
    columns.push({ x, width: colWidth, height: y, panels: first.panels, texts: first.texts, arrow })
    x += colWidth + 26
  })
  // Each stage has a scale of its own (hover a cell for its value): the legends say how to read them.
  const legends: GridLegend[] = [
    isRgbShape(trace.stages[0]?.shape ?? [])
      ? { scale: channelScale(0, 1), label: 'input channel, black 0 to its max (red shown)' }
      : { scale: inkScale(theme, 1), label: 'input pixel (0 to its max)' },
    { scale: sequentialScale(0, 1), label: 'values ≥ 0 (each stage, 0 to its max)' },
    { scale: divergingScale(theme, 1), label: 'signed values (each stage, ± its max)' },
  ]
  if (!options.maxWidth || x - 26 <= options.maxWidth) return { width: x - 26, height, panels, texts, legends }
  return { ...wrapColumns(columns, panels, texts, options.maxWidth), legends }
}

/** Moves whole stage columns onto further rows so that none ends beyond maxWidth; an arrow that would start a row is dropped. */
function wrapColumns(
  columns: { x: number; width: number; height: number; panels: number; texts: number; arrow: number | null }[],
  panels: GridPanel[],
  texts: FigureText[],
  maxWidth: number,
): GridFigure {
  const ROW_GAP = 22
  const dropped = new Set<number>()
  let rowX = 0
  let rowY = 0
  let rowHeight = 0
  let width = 0
  columns.forEach((c, k) => {
    if (rowX > 0 && rowX + c.width > maxWidth) {
      rowY += rowHeight + ROW_GAP
      rowX = 0
      rowHeight = 0
      if (c.arrow !== null) dropped.add(c.arrow)
    }
    const next = columns[k + 1]
    const dx = rowX - c.x
    for (let p = c.panels; p < (next ? next.panels : panels.length); p++) {
      panels[p] = { ...panels[p], x: panels[p].x + dx, y: panels[p].y + rowY }
    }
    const end = next ? (next.arrow ?? next.texts) : texts.length
    const moved = c.arrow !== null ? [c.arrow] : []
    for (let t = c.texts; t < end; t++) moved.push(t)
    for (const t of moved) texts[t] = { ...texts[t], x: texts[t].x + dx, y: texts[t].y + rowY }
    width = Math.max(width, rowX + c.width)
    rowHeight = Math.max(rowHeight, c.height)
    rowX += c.width + 26
  })
  return { width, height: rowY + rowHeight, panels, texts: texts.filter((_, t) => !dropped.has(t)) }
}

/** Val accuracy at every (dx, dy), one heatmap per model, accuracy written in each cell. */
export function robustnessFigure(maps: { label: string; accuracy: readonly number[]; mean: number }[], range: number): GridFigure {
  const size = 2 * range + 1
  const cell = size <= 9 ? 34 : 22
  const scale = sequentialScale(0, 1)
  const panels: GridPanel[] = []
  const texts: FigureText[] = []
  const left = 30
  const top = HEADER + 16
  maps.forEach((m, k) => {
    const x = left + k * (size * cell + left + 24)
    texts.push({ x, y: HEADER / 2, text: `${m.label}: mean ${(m.mean * 100).toFixed(1)} %`, size: 12, bold: true })
    for (let d = -range; d <= range; d++) {
      if (d % (range > 4 ? 2 : 1) !== 0) continue
      texts.push({ x: x + (d + range + 0.5) * cell, y: top - 8, text: String(d), size: 10, align: 'center', muted: true })
      texts.push({ x: x - 6, y: top + (d + range + 0.5) * cell, text: String(d), size: 10, align: 'right', muted: true })
    }
    panels.push({ x, y: top, cell, rows: size, cols: size, values: m.accuracy.map((a) => a * 100), scale: sequentialScale(0, 100), text: true, digits: 0 })
  })
  const width = left + maps.length * (size * cell + left + 24) - left - 24
  texts.push({ x: left, y: top + size * cell + 14, text: 'dx → (right), dy ↓ (down), pixels', size: 11, muted: true })
  void scale
  return { width, height: top + size * cell + 22, panels, texts, legends: [{ scale: sequentialScale(0, 100), label: 'val accuracy, %' }] }
}
