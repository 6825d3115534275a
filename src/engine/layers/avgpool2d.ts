/**
 * Average pooling over kh×kw windows moved by `stride` (default the window),
 * no padding, floor mode, as `nn.AvgPool2d(kernel, stride)`. Backward shares
 * each output's gradient equally among the pixels of its window; where
 * windows overlap a pixel gathers a share from each.
 */
import type { LayerSpec } from '../../shared/experiment'
import { outputLength, poolAxes } from '../../shared/layer-geometry'
import { formatShape, precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

export type AvgPool2dSpec = Extract<LayerSpec, { type: 'avgpool2d' }>

export function avgPool2dOutputShape(spec: AvgPool2dSpec, input: readonly number[]): number[] {
  const { kernel: [kh, kw], stride: [sh, sw] } = poolAxes(spec)
  if (input.length !== 3) {
    throw new Error(`expects images [channels, height, width] but receives ${formatShape(input)}`)
  }
  const [c, h, w] = input
  if (h < kh || w < kw) throw new Error(`window ${kh}×${kw} does not fit the ${h}×${w} input`)
  return [c, outputLength(h, kh, sh, 0), outputLength(w, kw, sw, 0)]
}

export class AvgPool2d implements Layer {
  readonly type = 'avgpool2d'
  readonly params: readonly Param[] = []
  private readonly kernel: [number, number]
  private readonly stride: [number, number]
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private inputShape: readonly number[] = []

  constructor(readonly spec: AvgPool2dSpec) {
    const axes = poolAxes(spec)
    this.kernel = axes.kernel
    this.stride = axes.stride
  }

  outputShape(inputShape: readonly number[]): number[] {
    return avgPool2dOutputShape(this.spec, inputShape)
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const [n, c, h, w] = x.shape
    const [kh, kw] = this.kernel
    const [sh, sw] = this.stride
    const oh = outputLength(h, kh, sh, 0)
    const ow = outputLength(w, kw, sw, 0)
    const y = (this.output = reuseTensor(this.output, [n, c, oh, ow], precisionOf(x.data)))
    this.inputShape = x.shape
    const area = kh * kw
    const xd = x.data
    let o = 0
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++, o++) {
          let sum = 0
          for (let ky = 0; ky < kh; ky++) {
            const row = base + (oy * sh + ky) * w + ox * sw
            for (let kx = 0; kx < kw; kx++) sum += xd[row + kx]
          }
          y.data[o] = sum / area
        }
      }
    }
    return y
  }

  backward(dy: Tensor): Tensor {
    if (!this.output) throw new Error('avgpool2d: backward called before forward')
    const [n, c, h, w] = this.inputShape
    const [, , oh, ow] = this.output.shape
    const [kh, kw] = this.kernel
    const [sh, sw] = this.stride
    const dx = (this.dx = reuseTensor(this.dx, this.inputShape, precisionOf(dy.data)))
    dx.data.fill(0)
    const area = kh * kw
    let o = 0
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++, o++) {
          const share = dy.data[o] / area
          for (let ky = 0; ky < kh; ky++) {
            const row = base + (oy * sh + ky) * w + ox * sw
            for (let kx = 0; kx < kw; kx++) dx.data[row + kx] += share
          }
        }
      }
    }
    return dx
  }
}
