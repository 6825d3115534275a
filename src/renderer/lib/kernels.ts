/**
 * What the Kernels view draws: every conv filter at every snapshot epoch
 * (rows filters, columns epochs) and an MLP's first-layer weights as images,
 * one per hidden unit, as grid figures. Pure functions of the weights.
 */
import type { LayerSpec, NamedTensors } from '../../shared/experiment'
import { divergingScale, maxAbs } from './colormap'
import { LABEL_HEIGHT, TEXT_MIN_CELL, flowLayout, textWidth, type GridFigure, type GridPanel } from './grid-figure'
import type { ThemeName } from './palette'

/** Font size of the epoch headers and filter names. */
const HEADER_SIZE = 11

/** Index of the model's first conv layer, or -1. */
export function firstConvIndex(layers: readonly LayerSpec[]): number {
  return layers.findIndex((l) => l.type === 'conv2d')
}

/** Index of a linear layer that sees the image's pixels directly (only flatten/dropout before it), or -1. */
export function imageLinearIndex(layers: readonly LayerSpec[]): number {
  for (let i = 0; i < layers.length; i++) {
    const t = layers[i].type
    if (t === 'linear') return i
    if (t !== 'flatten' && t !== 'dropout') return -1
  }
  return -1
}

export interface EpochWeights {
  epoch: number
  weights: NamedTensors
}

export interface KernelGrid {
  figure: GridFigure
  filters: number
  epochs: number[]
  /** [filter][epoch] → the kernel's values (channel 0), for the accessible table. */
  values: number[][][]
  kernelSize: number
  limit: number
}

/** Every filter (rows) at every epoch (columns); one symmetric scale for all so epochs compare. */
export function kernelGrid(snaps: readonly EpochWeights[], layerIndex: number, theme: ThemeName, selected: number | null): KernelGrid | null {
  const key = `${layerIndex}.weight`
  const usable = snaps.filter((s) => s.weights[key]).sort((a, b) => a.epoch - b.epoch)
  if (usable.length === 0) return null
  const [out, inCh, kh, kw] = usable[0].weights[key].shape
  const limit = Math.max(...usable.map((s) => maxAbs(s.weights[key].data)))
  const scale = divergingScale(theme, limit)
  const rows = out * inCh
  // Weights of 1 or more print as "−2.80": such cells need a little more room than ".25".
  const cell = rows <= 8 && kh <= 5 ? (limit >= 1 ? 34 : 28) : rows <= 16 ? 14 : 9
  const headers = usable.map((snap) => `epoch ${snap.epoch}`)
  const rowNames = Array.from({ length: rows }, (_, row) => (inCh > 1 ? `${Math.floor(row / inCh) + 1}·${(row % inCh) + 1}` : `f${row + 1}`))
  // Columns at least as far apart as their widest header, so "epoch 0" and "epoch 1" never overlap
  // above narrow kernels (MNIST: 32 filters of 3×3 in 9 px cells); rows as far in as their widest name.
  const headerRoom = Math.max(...headers.map((t) => textWidth(t, HEADER_SIZE))) + 12
  const gap = Math.max(cell >= TEXT_MIN_CELL ? 12 : 6, Math.ceil(headerRoom - kw * cell))
  const left = Math.max(34, Math.ceil(Math.max(...rowNames.map((t) => textWidth(t, HEADER_SIZE))) + 12), Math.ceil(headerRoom / 2 - (kw * cell) / 2) + 2)
  const rowGap = cell >= TEXT_MIN_CELL ? 12 : 6
  const top = LABEL_HEIGHT + 6
  const panels: GridPanel[] = []
  const texts: GridFigure['texts'] = []
  const values: number[][][] = []
  usable.forEach((snap, col) => {
    const x = left + col * (kw * cell + gap)
    texts.push({ x: x + (kw * cell) / 2, y: LABEL_HEIGHT / 2, text: headers[col], size: HEADER_SIZE, align: 'center', muted: snap.epoch !== selected })
    const data = snap.weights[key].data
    for (let f = 0; f < out; f++) {
      for (let c = 0; c < inCh; c++) {
        const row = f * inCh + c
        const offset = (f * inCh + c) * kh * kw
        panels.push({
          x,
          y: top + row * (kh * cell + rowGap),
          name: `${inCh > 1 ? `filter ${f + 1}, channel ${c + 1}` : `filter ${f + 1}`}, epoch ${snap.epoch}`,
          cell,
          rows: kh,
          cols: kw,
          values: data,
          offset,
          scale,
          text: cell >= TEXT_MIN_CELL,
          highlight: snap.epoch === selected,
        })
        if (c === 0) {
          values[f] ??= []
          values[f][col] = data.slice(offset, offset + kh * kw)
        }
      }
    }
  })
  rowNames.forEach((text, row) => {
    texts.push({ x: left - 6, y: top + row * (kh * cell + rowGap) + (kh * cell) / 2, text, size: HEADER_SIZE, align: 'right', muted: true })
  })
  // The last header may be wider than its column: keep it inside the figure.
  const lastRight = left + (usable.length - 1) * (kw * cell + gap) + (kw * cell) / 2 + headerRoom / 2
  const width = Math.ceil(Math.max(left + usable.length * (kw * cell + gap) - gap + 4, lastRight)) // + room for the selected column's stroke
  const height = top + rows * (kh * cell + rowGap) - rowGap
  return {
    figure: { width, height, panels, texts, legends: [{ scale, label: 'weight (blue < 0 < red)' }] },
    filters: out,
    epochs: usable.map((s) => s.epoch),
    values,
    kernelSize: kh,
    limit,
  }
}

/** The first linear layer's weights, one image per unit, on the input's grid. */
export function weightWall(
  weights: NamedTensors,
  layerIndex: number,
  inputShape: readonly number[],
  theme: ThemeName,
  maxWidth: number,
  limit?: number,
): { figure: GridFigure; units: number } | null {
  const w = weights[`${layerIndex}.weight`]
  if (!w) return null
  const [units, features] = w.shape
  const [, h, wd] = inputShape
  if (features !== inputShape.reduce((a, b) => a * b, 1)) return null
  const scale = divergingScale(theme, limit ?? maxAbs(w.data))
  // Big enough to read when there are few units (lesson 000's single 8x8 wall gets its numbers written).
  const cell = units === 1 ? (wd <= 8 ? 36 : 8) : wd <= 8 ? (units <= 8 ? 14 : 8) : units <= 16 ? 4 : 2
  const items = Array.from({ length: units }, (_, u) => ({ rows: h, cols: wd, label: units <= 64 ? `h${u + 1}` : undefined }))
  const { positions, width, height } = flowLayout(items, { cell, gap: cell >= 8 ? 8 : 5, maxWidth, labels: units <= 64 })
  const panels: GridPanel[] = positions.map((p, u) => ({
    x: p.x,
    y: p.y,
    cell,
    rows: h,
    cols: wd,
    values: w.data,
    // Channel 0 of unit u's row: one grey channel in every lesson.
    offset: u * features,
    scale,
    label: items[u].label,
    name: `unit h${u + 1}`,
    text: cell >= TEXT_MIN_CELL,
  }))
  return { figure: { width, height, panels, texts: [], legends: [{ scale, label: 'weight (blue < 0 < red)' }] }, units }
}
