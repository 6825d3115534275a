/**
 * The parameter calculator's arithmetic: what a fully connected layer and a
 * convolution cost as the picture grows, the output-size formula, and the
 * receptive field of a stack of layers. Pure, so the lesson tables are tested.
 */
import type { LayerSpec } from '../../shared/experiment'
import { convAxes, poolAxes } from '../../shared/layer-geometry'

export interface InputSize {
  label: string
  height: number
  width: number
  channels: number
}

/** The sizes the lessons talk about: lesson 001's 8x8, MNIST, CIFAR, ImageNet. */
export const STANDARD_SIZES: readonly InputSize[] = [
  { label: '8×8 grey (lessons 000, 001, 002)', height: 8, width: 8, channels: 1 },
  { label: '28×28 grey (MNIST)', height: 28, width: 28, channels: 1 },
  { label: '32×32 RGB (CIFAR-10)', height: 32, width: 32, channels: 3 },
  { label: '224×224 RGB (ImageNet)', height: 224, width: 224, channels: 3 },
]

/** How a channel count reads in a size's label. */
function channelWord(channels: number): string {
  return channels === 1 ? 'grey' : channels === 3 ? 'RGB' : `${channels} channels`
}

/**
 * The open experiment's input as a row of the first-layer table: its own
 * height, width and channel count ([C, H, W]), so a colour experiment's conv
 * layer is costed over its three channels.
 */
export function experimentInputSize(name: string, inputShape: readonly number[]): InputSize {
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`inputShape: expected [channels, height, width] of positive integers, got [${inputShape.join(', ')}]`)
  }
  const [channels, height, width] = inputShape
  return { label: `${height}×${width} ${channelWord(channels)} (this experiment: ${name})`, height, width, channels }
}

export function inputFeatures(size: Pick<InputSize, 'height' | 'width' | 'channels'>): number {
  return size.height * size.width * size.channels
}

/** A dense layer from every input value to `units` neurons. */
export function denseParameters(inputs: number, units: number, bias = true): number {
  return inputs * units + (bias ? units : 0)
}

/** A conv layer: its cost does not depend on the picture's height or width at all. */
export function convParameters(inChannels: number, filters: number, kernel: number, bias = true): number {
  return filters * inChannels * kernel * kernel + (bias ? filters : 0)
}

export interface CostRow {
  size: InputSize
  features: number
  dense: number
  conv: number
  /** How many times more the dense layer costs. */
  ratio: number
}

export function costTable(sizes: readonly InputSize[], units: number, filters: number, kernel: number, bias = true): CostRow[] {
  return sizes.map((size) => {
    const features = inputFeatures(size)
    const dense = denseParameters(features, units, bias)
    const conv = convParameters(size.channels, filters, kernel, bias)
    return { size, features, dense, conv, ratio: dense / conv }
  })
}

/** ⌊(H − K + 2P) / S⌋ + 1, or null when the kernel does not fit even once. */
export function outputSize(input: number, kernel: number, padding: number, stride: number): number | null {
  if (![input, kernel, padding, stride].every(Number.isInteger) || stride < 1 || kernel < 1 || padding < 0 || input < 1) return null
  const span = input - kernel + 2 * padding
  if (span < 0) return null
  return Math.floor(span / stride) + 1
}

export interface ReceptiveFieldRow {
  index: number
  type: string
  /** Side of the input window one output unit sees (height; the same as fieldWidth for square layers). */
  field: number
  /** Input pixels between two neighbouring output units (height). */
  jump: number
  /** The same two along the width, which differ from the height's after a non-square kernel or stride. */
  fieldWidth: number
  jumpWidth: number
}

/** A layer's window and stride per axis ([h, w]), or null when it has no spatial window. */
function windowOf(layer: LayerSpec): { kernel: [number, number]; stride: [number, number] } | null {
  if (layer.type === 'conv2d') return convAxes(layer)
  if (layer.type === 'maxpool2d' || layer.type === 'avgpool2d') return poolAxes(layer)
  return null
}

/**
 * Receptive field after each spatial layer: r ← r + (k − 1)·j, j ← j·s, per
 * axis. Layers without a spatial kernel (relu, flatten, batch norm) keep r and
 * j; a residual block adds its body's growth (its skip path sees less, the
 * body decides the field); a linear layer after flatten sees everything,
 * which the caller can state separately.
 */
export function receptiveFields(layers: readonly LayerSpec[]): ReceptiveFieldRow[] {
  const state = { field: [1, 1], jump: [1, 1] }
  const rows: ReceptiveFieldRow[] = []
  const grow = (layer: LayerSpec): boolean => {
    if (layer.type === 'residual') return layer.layers.map(grow).some(Boolean)
    const window = windowOf(layer)
    if (!window) return false
    for (const axis of [0, 1]) {
      state.field[axis] += (window.kernel[axis] - 1) * state.jump[axis]
      state.jump[axis] *= window.stride[axis]
    }
    return true
  }
  layers.forEach((layer, index) => {
    if (grow(layer)) {
      rows.push({ index, type: layer.type, field: state.field[0], jump: state.jump[0], fieldWidth: state.field[1], jumpWidth: state.jump[1] })
    }
  })
  return rows
}

/** Sample points for the growth chart: square pictures from 8 to 224 pixels a side. */
export function growthSeries(channels: number, units: number, filters: number, kernel: number, sides: readonly number[] = [8, 16, 28, 32, 48, 64, 96, 128, 160, 192, 224]): { side: number; dense: number; conv: number }[] {
  return sides.map((side) => ({
    side,
    dense: denseParameters(side * side * channels, units),
    conv: convParameters(channels, filters, kernel),
  }))
}

/** The calculator's fields take whole numbers in [min, max]; MAX keeps every product a safe integer. */
export const FIELD_MAX = 100_000

/**
 * What is wrong with a field's value, in words that state the limits, or null when it is fine.
 * An empty field (NaN from the number input) says what to type rather than "invalid".
 */
export function fieldError(value: number, min = 1, max = FIELD_MAX): string | null {
  const range = `${min} to ${max.toLocaleString('en-US')}`
  if (Number.isNaN(value)) return `type a whole number, ${range}`
  if (!Number.isInteger(value)) return `a whole number, ${range} (not ${value})`
  if (value < min || value > max) return `${value.toLocaleString('en-US')} is out of range: ${range}`
  return null
}

/** A number as it is written inside a formula: a blank field is "?", a negative one gets parentheses. */
export function formulaTerm(value: number): string {
  if (!Number.isFinite(value)) return '?'
  return value < 0 ? `(−${Math.abs(value)})` : String(value)
}

/** The output-size formula with the user's numbers put in: "⌊(28 − 3 + 2·1) / 1⌋ + 1". */
export function outputSizeExpression(input: number, kernel: number, padding: number, stride: number): string {
  const [h, k, p, s] = [input, kernel, padding, stride].map(formulaTerm)
  return `⌊(${h} − ${k} + 2·${p}) / ${s}⌋ + 1`
}

// ── lesson 004: per-axis output sizes, any stack's receptive field, block costs ──

/** The output size on both axes of a (possibly non-square) kernel with per-axis stride and padding; null on an axis where it does not fit. */
export function outputSize2d(
  input: [number, number],
  kernel: [number, number],
  padding: [number, number],
  stride: [number, number],
): [number | null, number | null] {
  return [outputSize(input[0], kernel[0], padding[0], stride[0]), outputSize(input[1], kernel[1], padding[1], stride[1])]
}

export type StackParse = { ok: true; layers: LayerSpec[] } | { ok: false; error: string }

/** "3" or "1x2" (also "1×2") as [h, w], or null. */
function sizePair(text: string): [number, number] | null {
  const m = /^(\d+)(?:[x×](\d+))?$/.exec(text)
  if (!m) return null
  const h = Number(m[1])
  const w = m[2] === undefined ? h : Number(m[2])
  return h >= 1 && w >= 1 && h <= FIELD_MAX && w <= FIELD_MAX ? [h, w] : null
}

/**
 * A stack as a user types it, one layer per comma, semicolon or line:
 * `conv 3`, `conv 1x2 s2`, `pool 2`, `avgpool 3 s1`. A conv's stride defaults
 * to 1, a pool's to its size (as in PyTorch). Padding does not move the
 * receptive field, so it is not asked for. Each mistake names the item.
 */
export function parseStack(text: string): StackParse {
  const items = text.split(/[,;\n]/).map((t) => t.trim().toLowerCase()).filter(Boolean)
  if (items.length === 0) return { ok: false, error: 'type at least one layer, e.g. "conv 3, conv 3, pool 2"' }
  if (items.length > 64) return { ok: false, error: `at most 64 layers (got ${items.length})` }
  const layers: LayerSpec[] = []
  for (const [i, item] of items.entries()) {
    const where = `layer ${i + 1} ("${item}")`
    const [kind, size, strideWord, ...rest] = item.split(/\s+/)
    if (rest.length) return { ok: false, error: `${where}: expected a kind, a size and an optional stride like "s2"` }
    const kernel = size === undefined ? null : sizePair(size)
    if (!kernel) return { ok: false, error: `${where}: the size must be a whole number or HxW, like 3 or 1x2` }
    let stride: [number, number] | null = null
    if (strideWord !== undefined) {
      stride = strideWord.startsWith('s') ? sizePair(strideWord.slice(1)) : null
      if (!stride) return { ok: false, error: `${where}: the stride is written "s2" or "s1x2"` }
    }
    if (kind === 'conv') {
      layers.push({ type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: kernel, stride: stride ?? 1, padding: 0, bias: true })
    } else if ((kind === 'pool' || kind === 'maxpool') && kernel[0] === kernel[1] && (!stride || stride[0] === stride[1])) {
      layers.push({ type: 'maxpool2d', kernelSize: kernel[0], stride: stride?.[0] })
    } else if (kind === 'pool' || kind === 'maxpool' || kind === 'avgpool') {
      // A non-square max-pool sees what a non-square average pool sees; the format's max-pool is square.
      layers.push({ type: 'avgpool2d', kernelSize: kernel, stride: stride ?? kernel })
    } else {
      return { ok: false, error: `${where}: the kind must be conv, pool (or maxpool) or avgpool` }
    }
  }
  return { ok: true, layers }
}

export interface BlockCost {
  label: string
  /** Weights without biases, as the lesson counts them. */
  weights: number
  /** Multiply-adds for one picture at the given map size (stride 1, padding keeping the size). */
  multiplyAdds: number
}

export interface BlockComparison {
  channels: number
  side: number
  kernel: number
  standard: BlockCost
  separable: BlockCost
  twoThrees: BlockCost
  oneFive: BlockCost
}

/**
 * The two lesson 004 trades at C channels in and out on a side×side map:
 * a standard K×K conv (C·C·K² weights) against a depthwise K×K (C·K²) and a
 * pointwise 1×1 (C·C); two stacked 3×3 convs (2·9·C²) against one 5×5 (25·C²),
 * which see the same 5×5 window. Each weight is used once per output pixel.
 */
export function blockComparison(channels: number, side: number, kernel = 3): BlockComparison {
  for (const [name, v] of [['channels', channels], ['side', side], ['kernel', kernel]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > FIELD_MAX) throw new RangeError(`blockComparison: ${name} must be a whole number from 1 to ${FIELD_MAX}, got ${v}`)
  }
  const c = channels
  const pixels = side * side
  const cost = (label: string, weights: number): BlockCost => ({ label, weights, multiplyAdds: weights * pixels })
  return {
    channels,
    side,
    kernel,
    standard: cost(`standard ${kernel}×${kernel}`, c * c * kernel * kernel),
    separable: cost(`depthwise ${kernel}×${kernel} + pointwise 1×1`, c * kernel * kernel + c * c),
    twoThrees: cost('two 3×3', 2 * c * c * 9),
    oneFive: cost('one 5×5', c * c * 25),
  }
}
