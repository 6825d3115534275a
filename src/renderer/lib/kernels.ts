/**
 * What the Kernels view draws: every conv filter at every snapshot epoch
 * (rows filters, columns epochs) and an MLP's first-layer weights as images,
 * one per hidden unit, as grid figures. Pure functions of the weights.
 * A first layer that sees a colour picture is drawn twice: each filter as one
 * RGB tile (its three channels together, as lesson 002 shows its filters) and
 * channel by channel with the weights written.
 */
import type { LayerSpec, NamedTensors } from '../../shared/experiment'
import { channelScale, divergingScale, maxAbs } from './colormap'
import { LABEL_HEIGHT, TEXT_MIN_CELL, flowLayout, textWidth, type GridFigure, type GridPanel } from './grid-figure'
import type { ThemeName } from './palette'
import { RGB_CHANNELS, ownRange, symmetricRange } from './rgb'

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

/**
 * A conv layer the Kernels view can draw: its weights' name prefix ("0", or
 * "3.body.0" inside a residual block) and how it reads. Only layers whose
 * filters each span at most three input channels are listed (a first layer, a
 * depthwise layer, a hand-set kernel), so every figure stays a readable size;
 * a depthwise layer (groups = in channels) is one 2-D kernel per channel.
 */
export interface ConvChoice {
  model: string
  modelLabel: string
  key: string
  label: string
  depthwise: boolean
}

export function convChoices(models: readonly { id: string; label: string; layers: readonly LayerSpec[] }[]): ConvChoice[] {
  const out: ConvChoice[] = []
  for (const model of models) {
    let n = 0
    const walk = (layers: readonly LayerSpec[], prefix: string): void => {
      layers.forEach((layer, index) => {
        const key = `${prefix}${index}`
        if (layer.type === 'residual') return walk(layer.layers, `${key}.body.`)
        if (layer.type !== 'conv2d') return
        n++
        const groups = layer.groups ?? 1
        const [kh, kw] = Array.isArray(layer.kernelSize) ? layer.kernelSize : [layer.kernelSize, layer.kernelSize]
        const depthwise = groups > 1 && groups === layer.inChannels
        if (layer.inChannels / groups > RGB_CHANNELS) return
        const what = depthwise ? `depthwise ${kh}×${kw}, one kernel per channel` : `${layer.outChannels} filter${layer.outChannels === 1 ? "" : "s"} of ${kh}×${kw}`
        out.push({ model: model.id, modelLabel: model.label, key, label: `${model.label} · conv ${n} (${what})`, depthwise })
      })
    }
    walk(model.layers, '')
  }
  return out
}

export interface EpochWeights {
  epoch: number
  weights: NamedTensors
}

export interface KernelGrid {
  figure: GridFigure
  filters: number
  epochs: number[]
  /** [filter][epoch] → the kernel's values (every channel, channel after channel), for the accessible table. */
  values: number[][][]
  kernelSize: number
  /** The kernel's width, which differs from kernelSize (its height) for a non-square kernel. */
  kernelWidth: number
  /** Input channels each filter spans. */
  channels: number
  limit: number
}

const CHANNEL_LETTERS = ['R', 'G', 'B']
const CHANNEL_WORDS = ['red', 'green', 'blue']

/** The snapshots that hold the layer's weights, oldest first. */
function usableSnaps(snaps: readonly EpochWeights[], key: string): EpochWeights[] {
  return snaps.filter((s) => s.weights[key]).sort((a, b) => a.epoch - b.epoch)
}

/**
 * Where the epoch columns and filter rows go: columns at least as far apart
 * as their widest header, so "epoch 0" and "epoch 1" never overlap above
 * narrow kernels (MNIST: 32 filters of 3×3 in 9 px cells); rows as far in as
 * their widest name.
 */
function epochColumns(headers: readonly string[], rowNames: readonly string[], kw: number, cell: number) {
  const headerRoom = Math.max(...headers.map((t) => textWidth(t, HEADER_SIZE))) + 12
  const gap = Math.max(cell >= TEXT_MIN_CELL ? 12 : 6, Math.ceil(headerRoom - kw * cell))
  const left = Math.max(34, Math.ceil(Math.max(...rowNames.map((t) => textWidth(t, HEADER_SIZE))) + 12), Math.ceil(headerRoom / 2 - (kw * cell) / 2) + 2)
  // The last header may be wider than its column: the figure keeps it inside.
  const lastRight = left + (headers.length - 1) * (kw * cell + gap) + (kw * cell) / 2 + headerRoom / 2
  const width = Math.ceil(Math.max(left + headers.length * (kw * cell + gap) - gap + 4, lastRight)) // + room for the selected column's stroke
  return { left, gap, width }
}

/** Every filter (rows) at every epoch (columns); one symmetric scale for all so epochs compare. */
export function kernelGrid(
  snaps: readonly EpochWeights[],
  layerIndex: number | string,
  theme: ThemeName,
  selected: number | null,
  options: { depthwise?: boolean } = {},
): KernelGrid | null {
  const key = `${layerIndex}.weight`
  const usable = usableSnaps(snaps, key)
  if (usable.length === 0) return null
  const [out, inCh, kh, kw] = usable[0].weights[key].shape
  const limit = Math.max(...usable.map((s) => maxAbs(s.weights[key].data)))
  const scale = divergingScale(theme, limit)
  const rows = out * inCh
  // Weights of 1 or more print as "−2.80": such cells need a little more room than ".25".
  const cell = rows <= 8 && kh <= 5 ? (limit >= 1 ? 34 : 28) : rows <= 16 ? 14 : 9
  const headers = usable.map((snap) => `epoch ${snap.epoch}`)
  const colour = inCh === RGB_CHANNELS
  const channelName = (c: number) => (colour ? CHANNEL_WORDS[c] : `channel ${c + 1}`)
  const rowNames = Array.from({ length: rows }, (_, row) => {
    const f = Math.floor(row / inCh)
    const c = row % inCh
    if (options.depthwise) return `ch ${row + 1}`
    return colour ? `f${f + 1} ${CHANNEL_LETTERS[c]}` : inCh > 1 ? `${f + 1}·${c + 1}` : `f${row + 1}`
  })
  const { left, gap, width } = epochColumns(headers, rowNames, kw, cell)
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
          name: `${options.depthwise ? `channel ${f + 1}'s kernel` : inCh > 1 ? `filter ${f + 1}, ${channelName(c)}` : `filter ${f + 1}`}, epoch ${snap.epoch}`,
          cell,
          rows: kh,
          cols: kw,
          values: data,
          offset,
          scale,
          text: cell >= TEXT_MIN_CELL,
          highlight: snap.epoch === selected,
        })
      }
      values[f] ??= []
      values[f][col] = data.slice(f * inCh * kh * kw, (f + 1) * inCh * kh * kw)
    }
  })
  rowNames.forEach((text, row) => {
    texts.push({ x: left - 6, y: top + row * (kh * cell + rowGap) + (kh * cell) / 2, text, size: HEADER_SIZE, align: 'right', muted: true })
  })
  const height = top + rows * (kh * cell + rowGap) - rowGap
  return {
    figure: { width, height, panels, texts, legends: [{ scale, label: 'weight (blue < 0 < red)' }] },
    filters: out,
    epochs: usable.map((s) => s.epoch),
    values,
    kernelSize: kh,
    kernelWidth: kw,
    channels: inCh,
    limit,
  }
}

export interface ColourKernelGrid {
  figure: GridFigure
  filters: number
  epochs: number[]
  kernelSize: number
  kernelWidth: number
}

/**
 * A first layer that sees colour pictures: each filter at each epoch as one
 * RGB tile, its three channels the tile's red, green and blue. Each tile is
 * stretched to its own range (its smallest weight black, its largest full
 * intensity), as lesson 002 draws its filters, so a young filter's pattern is
 * as visible as a trained one's; the exact weights are in kernelGrid. Null
 * unless the layer's input has three channels.
 */
export function colourKernelGrid(snaps: readonly EpochWeights[], layerIndex: number | string, selected: number | null): ColourKernelGrid | null {
  const key = `${layerIndex}.weight`
  const usable = usableSnaps(snaps, key)
  if (usable.length === 0) return null
  const [out, inCh, kh, kw] = usable[0].weights[key].shape
  if (inCh !== RGB_CHANNELS) return null
  const size = inCh * kh * kw
  const cell = out <= 8 && kh <= 5 ? 26 : out <= 16 ? 14 : 9
  const headers = usable.map((snap) => `epoch ${snap.epoch}`)
  const rowNames = Array.from({ length: out }, (_, f) => `f${f + 1}`)
  const { left, gap, width } = epochColumns(headers, rowNames, kw, cell)
  const rowGap = cell >= 14 ? 8 : 5
  const top = LABEL_HEIGHT + 6
  const panels: GridPanel[] = []
  const texts: GridFigure['texts'] = []
  usable.forEach((snap, col) => {
    const x = left + col * (kw * cell + gap)
    texts.push({ x: x + (kw * cell) / 2, y: LABEL_HEIGHT / 2, text: headers[col], size: HEADER_SIZE, align: 'center', muted: snap.epoch !== selected })
    const data = snap.weights[key].data
    for (let f = 0; f < out; f++) {
      panels.push({
        x,
        y: top + f * (kh * cell + rowGap),
        name: `filter ${f + 1}, epoch ${snap.epoch}`,
        cell,
        rows: kh,
        cols: kw,
        values: data,
        offset: f * size,
        // Unused for the cells (the tile is a colour image); kept for the panel's type.
        scale: divergingScale('light', 1),
        rgb: ownRange(data, f * size, (f + 1) * size),
        highlight: snap.epoch === selected,
      })
    }
  })
  rowNames.forEach((text, f) => {
    texts.push({ x: left - 6, y: top + f * (kh * cell + rowGap) + (kh * cell) / 2, text, size: HEADER_SIZE, align: 'right', muted: true })
  })
  const height = top + out * (kh * cell + rowGap) - rowGap
  const legends = [{ scale: channelScale(0, 1), label: 'each channel, tile’s min weight to its max (red shown)' }]
  return { figure: { width, height, panels, texts, legends }, filters: out, epochs: usable.map((s) => s.epoch), kernelSize: kh, kernelWidth: kw }
}

/** The first linear layer's weights, one image per unit, on the input's grid. */
export function weightWall(
  weights: NamedTensors,
  layerIndex: number,
  inputShape: readonly number[],
  theme: ThemeName,
  maxWidth: number,
  limit?: number,
): { figure: GridFigure; units: number; colour: boolean } | null {
  const w = weights[`${layerIndex}.weight`]
  if (!w) return null
  const [units, features] = w.shape
  const [, h, wd] = inputShape
  if (features !== inputShape.reduce((a, b) => a * b, 1)) return null
  const [channels] = inputShape
  const colour = channels === RGB_CHANNELS
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
    // Unit u's row: one grey channel, or three planes drawn as one colour image.
    offset: u * features,
    scale,
    // One range for every unit and epoch, so a weight of 0 is mid-grey everywhere and units compare.
    rgb: colour ? symmetricRange(-scale.min) : undefined,
    label: items[u].label,
    name: `unit h${u + 1}`,
    text: !colour && cell >= TEXT_MIN_CELL,
  }))
  const legends = colour
    ? [{ scale: channelScale(0, -scale.min, scale.min), label: 'weight per channel, −max black to +max full (red shown)' }]
    : [{ scale, label: 'weight (blue < 0 < red)' }]
  return { figure: { width, height, panels, texts: [], legends }, units, colour }
}
