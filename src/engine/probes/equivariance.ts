/**
 * Translation equivariance, measured. For each layer with spatial output, the
 * relative error ‖f(shift x) − shift f(x)‖ / ‖f(x)‖, where the feature map is
 * shifted by the input shift divided by the layer's cumulative stride. A
 * convolution is exactly equivariant except in a band at the borders, where
 * pixels shifted out are lost and zeros come in; the probe reports the error
 * both over the whole map and inside that band's complement.
 *
 * Layers without spatial structure (an MLP's hidden units) have nothing to
 * shift back, so the probe reports how much their code changed instead:
 * ‖f(shift x) − f(x)‖ / ‖f(x)‖.
 */
import type { LayerSpec } from '../../shared/experiment'
import { convAxes, poolAxes } from '../../shared/layer-geometry'
import type { Sequential } from '../model'
import type { Tensor } from '../tensor'
import { shiftImage } from '../datasets/shift'
import { inferenceTrace, type TraceStage } from './trace'

export interface Interior {
  x0: number
  x1: number
  y0: number
  y1: number
}

export interface LayerEquivariance {
  index: number
  type: string
  shape: number[]
  /** 'equivariance' for spatial maps the shift maps onto; 'change' otherwise. */
  kind: 'equivariance' | 'change'
  /** Relative error over the whole output. */
  error: number
  /** Relative error inside `interior` (equivariance only; null when the band covers everything). */
  interiorError: number | null
  /** Width of the widest side of the border band, in this layer's pixels. */
  band: number
  /**
   * The rectangle [x0, x1) × [y0, y1) of this layer's map where f(shift x)
   * must equal shift f(x) exactly; outside it (the border band) zero fill and
   * zero padding break equivariance. Null when nothing is left inside.
   */
  interior: Interior | null
  /** Per-position absolute error |f(Sx) − S f(x)| (spatial layers), for drawing. */
  errorMap: Float32Array | null
}

export function equivarianceProfile(model: Sequential, input: Tensor, dx: number, dy: number): LayerEquivariance[] {
  const base = inferenceTrace(model, input).stages
  const shifted = new (input.data.constructor as Float32ArrayConstructor)(input.data.length)
  const [c, h, w] = input.shape
  shiftImage(input.data, shifted, c, h, w, dx, dy)
  const moved = inferenceTrace(model, { shape: input.shape, data: shifted }).stages
  return compareTraces(model, base, moved, dx, dy)
}

/**
 * The same profile from two traces already made (the explorer keeps the
 * unshifted trace and traces each shifted input once, for drawing as well).
 */
export function compareTraces(model: Sequential, base: readonly TraceStage[], moved: readonly TraceStage[], dx: number, dy: number): LayerEquivariance[] {
  const result: LayerEquivariance[] = []
  // Cumulative stride per axis: [y, x].
  let strideY = 1
  let strideX = 1
  // Which positions of the previous map equal the shifted reference, one axis at a time.
  const input = base[0].shape
  let cleanX: AxisClean | null = input.length === 3 ? inputClean(input[2], dx) : null
  let cleanY: AxisClean | null = input.length === 3 ? inputClean(input[1], dy) : null
  model.layers.forEach((layer, index) => {
    const spec = model.specs[index]
    const geometry = layerGeometry(spec)
    strideY *= geometry.stride[0]
    strideX *= geometry.stride[1]
    const a = base[index + 1]
    const b = moved[index + 1]
    const aligned = a.shape.length === 3 && dx % strideX === 0 && dy % strideY === 0
    if (aligned && cleanX && cleanY) {
      cleanX = nextClean(cleanX, spec, a.shape[2], dx / strideX, 1)
      cleanY = nextClean(cleanY, spec, a.shape[1], dy / strideY, 0)
    } else {
      cleanX = cleanY = null
    }
    if (aligned && cleanX && cleanY) {
      const x = span(cleanX, a.shape[2])
      const y = span(cleanY, a.shape[1])
      const interior = { x0: x[0], x1: x[1], y0: y[0], y1: y[1] }
      const band = Math.max(interior.x0, a.shape[2] - interior.x1, interior.y0, a.shape[1] - interior.y1)
      result.push(spatialError(index, layer.type, a, b, dx / strideX, dy / strideY, band, interior))
    } else {
      result.push({
        index,
        type: layer.type,
        shape: a.shape,
        kind: 'change',
        error: relative(diffNorm(b.values, a.values), norm(a.values)),
        interiorError: null,
        band: 0,
        interior: null,
        errorMap: null,
      })
    }
  })
  return result
}

/**
 * Where a map is exactly its shifted reference, along one axis: `at(p)` for
 * positions p of the map, including the zero padding just outside it (which
 * the next layer reads). Built layer by layer from the input:
 * - the input itself: inside, the shifted image equals the reference (its
 *   zero fill matches the reference's own border zeros); outside, padding is
 *   zero, which matches only where the reference is outside the image too;
 * - a layer output inside the map is exact when the reference position p − e
 *   is inside too (else the reference is the shift's zero fill, which only
 *   ReLU and max-pool of exact zeros reproduce; a conv adds its bias) and
 *   every position its window reads is exact; outside the map, it is zero,
 *   exact where p − e is outside as well.
 * Separable per axis, which can only mark fewer positions exact, never more.
 */
interface AxisClean {
  size: number
  shift: number
  at(p: number): boolean
}

function inputClean(size: number, d: number): AxisClean {
  return { size, shift: d, at: (q) => (q >= 0 && q < size ? true : q - d < 0 || q - d >= size) }
}

/** `axis` 0 reads a layer's sizes along the height, 1 along the width. */
function nextClean(prev: AxisClean, spec: LayerSpec, size: number, e: number, axis: 0 | 1): AxisClean {
  if (spec.type === 'residual') return residualClean(prev, spec, size, e, axis)
  let k = 1
  let t = 1
  let pad = 0
  let zeroKeeping = true
  if (spec.type === 'conv2d') {
    const axes = convAxes(spec)
    k = axes.kernel[axis]
    t = axes.stride[axis]
    pad = axes.padding[axis]
    zeroKeeping = false
  } else if (spec.type === 'maxpool2d' || spec.type === 'avgpool2d') {
    const axes = poolAxes(spec)
    k = axes.kernel[axis]
    t = axes.stride[axis]
  } else if (spec.type !== 'relu') {
    zeroKeeping = false // sigmoid(0) ≠ 0, batch norm shifts zeros; dropout is off in inference but keep it strict
  }
  const inside = new Uint8Array(size)
  for (let p = 0; p < size; p++) {
    const refInside = p - e >= 0 && p - e < size
    if (!refInside && !zeroKeeping) continue
    let ok = true
    for (let j = 0; j < k && ok; j++) ok = prev.at(p * t - pad + j)
    inside[p] = ok ? 1 : 0
  }
  return { size, shift: e, at: (p) => (p >= 0 && p < size ? inside[p] === 1 : p - e < 0 || p - e >= size) }
}

/**
 * x + body(x): exact where x is and the body's output is (the body keeps the
 * map's size, so each of its maps is walked at this size; a strided body
 * marks nothing exact).
 */
function residualClean(prev: AxisClean, spec: Extract<LayerSpec, { type: 'residual' }>, size: number, e: number, axis: 0 | 1): AxisClean {
  if (spec.layers.some((inner) => layerGeometry(inner).stride[axis] !== 1)) return { size, shift: e, at: () => false }
  let body = prev
  for (const inner of spec.layers) body = nextClean(body, inner, size, e, axis)
  return { size, shift: e, at: (p) => prev.at(p) && body.at(p) }
}

/** The exact run [from, to) inside the map (the widest one: it is contiguous in practice). */
function span(clean: AxisClean, size: number): [number, number] {
  let best: [number, number] = [0, 0]
  let start = -1
  for (let p = 0; p <= size; p++) {
    const ok = p < size && clean.at(p)
    if (ok && start < 0) start = p
    if (!ok && start >= 0) {
      if (p - start > best[1] - best[0]) best = [start, p]
      start = -1
    }
  }
  return best
}

/** How a layer scales positions per axis ([y, x] stride). */
function layerGeometry(spec: LayerSpec): { stride: [number, number] } {
  switch (spec.type) {
    case 'conv2d':
      return { stride: convAxes(spec).stride }
    case 'maxpool2d':
    case 'avgpool2d':
      return { stride: poolAxes(spec).stride }
    default:
      return { stride: [1, 1] }
  }
}

function spatialError(
  index: number,
  type: string,
  base: TraceStage,
  moved: TraceStage,
  dx: number,
  dy: number,
  band: number,
  interior: Interior,
): LayerEquivariance {
  const [c, h, w] = base.shape
  const expected = new Float32Array(base.values.length)
  shiftImage(Float32Array.from(base.values), expected, c, h, w, dx, dy)
  const errorMap = new Float32Array(h * w)
  let all = 0
  let inner = 0
  let innerRef = 0
  let innerCount = 0
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (ch * h + y) * w + x
        const d = moved.values[i] - expected[i]
        all += d * d
        errorMap[y * w + x] += Math.abs(d) / c
        if (y >= interior.y0 && y < interior.y1 && x >= interior.x0 && x < interior.x1) {
          inner += d * d
          innerRef += expected[i] * expected[i]
          innerCount++
        }
      }
    }
  }
  return {
    index,
    type,
    shape: base.shape,
    kind: 'equivariance',
    error: relative(Math.sqrt(all), norm(base.values)),
    interiorError: innerCount === 0 ? null : relative(Math.sqrt(inner), Math.sqrt(innerRef)),
    band,
    interior: innerCount === 0 ? null : interior,
    errorMap,
  }
}

function norm(v: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  return Math.sqrt(s)
}

function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2
  return Math.sqrt(s)
}

function relative(numerator: number, denominator: number): number {
  return denominator === 0 ? (numerator === 0 ? 0 : Infinity) : numerator / denominator
}
