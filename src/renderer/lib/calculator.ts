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
