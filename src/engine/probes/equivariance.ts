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
import type { Sequential } from '../model'
import type { Tensor } from '../tensor'
import { shiftImage } from '../datasets/shift'
import { inferenceTrace, type TraceStage } from './trace'

export interface LayerEquivariance {
  index: number
  type: string
  shape: number[]
  /** 'equivariance' for spatial maps the shift maps onto; 'change' otherwise. */
  kind: 'equivariance' | 'change'
  /** Relative error over the whole output. */
  error: number
  /** Relative error away from the border band (equivariance only; null when the band covers everything). */
  interiorError: number | null
  /** Width of the border band in this layer's pixels. */
  band: number
  /** Per-position absolute error |f(Sx) − S f(x)| (spatial layers), for drawing. */
  errorMap: Float32Array | null
}

export function equivarianceProfile(model: Sequential, input: Tensor, dx: number, dy: number): LayerEquivariance[] {
  const base = inferenceTrace(model, input).stages
  const shifted = new (input.data.constructor as Float32ArrayConstructor)(input.data.length)
  const [c, h, w] = input.shape
  shiftImage(input.data, shifted, c, h, w, dx, dy)
  const moved = inferenceTrace(model, { shape: input.shape, data: shifted }).stages

  const result: LayerEquivariance[] = []
  let stride = 1
  let reach = 0 // how far (in input pixels) a unit's receptive field extends past its centre
  model.layers.forEach((layer, index) => {
    const geometry = layerGeometry(model.specs[index])
    reach += geometry.reachAdded * stride
    stride *= geometry.stride
    const a = base[index + 1]
    const b = moved[index + 1]
    if (a.shape.length === 3 && dx % stride === 0 && dy % stride === 0) {
      const band = Math.ceil((Math.max(Math.abs(dx), Math.abs(dy)) + reach) / stride)
      result.push(spatialError(index, layer.type, a, b, dx / stride, dy / stride, band))
    } else {
      result.push({
        index,
        type: layer.type,
        shape: a.shape,
        kind: 'change',
        error: relative(diffNorm(b.values, a.values), norm(a.values)),
        interiorError: null,
        band: 0,
        errorMap: null,
      })
    }
  })
  return result
}

/** How a layer scales positions (stride) and how far its window reaches (kernel − 1). */
function layerGeometry(spec: LayerSpec): { stride: number; reachAdded: number } {
  switch (spec.type) {
    case 'conv2d':
      return { stride: spec.stride, reachAdded: spec.kernelSize - 1 }
    case 'maxpool2d':
      return { stride: spec.stride ?? spec.kernelSize, reachAdded: spec.kernelSize - 1 }
    default:
      return { stride: 1, reachAdded: 0 }
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
        if (y >= band && y < h - band && x >= band && x < w - band) {
          inner += d * d
          innerRef += base.values[i] * base.values[i]
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
