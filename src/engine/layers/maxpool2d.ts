/**
 * Max pooling over k×k windows moved by `stride` (default k), no padding, floor
 * mode, as `nn.MaxPool2d(k, stride)`. Each output remembers which input won;
 * backward routes the gradient to that one pixel. Ties go to the first maximum
 * in row-major order, as PyTorch and NumPy's argmax pick them. When windows
 * overlap (stride < k) a pixel can win several times and gathers every share.
 */
import type { LayerSpec } from '../../shared/experiment'
import { formatShape, precisionOf, reuseTensor, type FloatArray, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

export type MaxPool2dSpec = Extract<LayerSpec, { type: 'maxpool2d' }>

export function maxPool2dOutputShape(spec: MaxPool2dSpec, input: readonly number[]): number[] {
  const k = spec.kernelSize
  const s = spec.stride ?? k
  if (input.length !== 3) {
    throw new Error(`expects images [channels, height, width] but receives ${formatShape(input)}`)
  }
  const [c, h, w] = input
  if (h < k || w < k) throw new Error(`window ${k}×${k} does not fit the ${h}×${w} input`)
  return [c, Math.floor((h - k) / s) + 1, Math.floor((w - k) / s) + 1]
}

export class MaxPool2d implements Layer {
  readonly type = 'maxpool2d'
  readonly params: readonly Param[] = []
  private readonly kernel: number
  private readonly stride: number
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private argmax = new Int32Array(0)
  private inputShape: readonly number[] = []

  constructor(readonly spec: MaxPool2dSpec) {
    this.kernel = spec.kernelSize
    this.stride = spec.stride ?? spec.kernelSize
  }

  outputShape(inputShape: readonly number[]): number[] {
    return maxPool2dOutputShape(this.spec, inputShape)
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const [n, c, h, w] = x.shape
    const k = this.kernel
    const s = this.stride
    const oh = Math.floor((h - k) / s) + 1
    const ow = Math.floor((w - k) / s) + 1
    // Checked by hand rather than with a new shape array: this runs every batch.
    const precision = precisionOf(x.data)
    const current = this.output
    const fits = current && precisionOf(current.data) === precision &&
      current.shape[0] === n && current.shape[1] === c && current.shape[2] === oh && current.shape[3] === ow
    const y = (this.output = fits ? current : reuseTensor(current, [n, c, oh, ow], precision))
    if (this.argmax.length < y.data.length) this.argmax = new Int32Array(y.data.length)
    this.inputShape = x.shape
    const xd = x.data
    const yd = y.data
    const arg = this.argmax
    if (k === 2 && s === 2) {
      pool2x2(xd, yd, arg, n * c, h, w, oh, ow)
      return y
    }
    let o = 0
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++, o++) {
          let best = base + oy * s * w + ox * s
          let bestValue = xd[best]
          for (let ky = 0; ky < k; ky++) {
            const row = base + (oy * s + ky) * w + ox * s
            for (let kx = 0; kx < k; kx++) {
              const v = xd[row + kx]
              // Take v if it is larger, or NaN (so a diverged run shows NaN
              // rather than hiding it). Written without a branch: after ReLU
              // half the comparisons go either way at random, and a
              // mispredicted branch per pixel costs more than the arithmetic.
              const take = +(v > bestValue) | +(v !== v)
              best += (row + kx - best) * take
              bestValue = xd[best]
            }
          }
          yd[o] = bestValue
          arg[o] = best
        }
      }
    }
    return y
  }

  backward(dy: Tensor): Tensor {
    if (!this.output) throw new Error('maxpool2d: backward called before forward')
    const dx = (this.dx = reuseTensor(this.dx, this.inputShape, precisionOf(dy.data)))
    dx.data.fill(0)
    const d = dx.data
    const g = dy.data
    const arg = this.argmax
    for (let o = 0; o < g.length; o++) d[arg[o]] += g[o]
    return dx
  }
}

/**
 * The common 2×2, stride-2 window, unrolled: the same scan order, ties and NaN
 * rule as the general loop, one branch-free step per pixel.
 */
function pool2x2(
  xd: FloatArray, yd: FloatArray, arg: Int32Array, planes: number, h: number, w: number, oh: number, ow: number,
): void {
  let o = 0
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * h * w
    for (let oy = 0; oy < oh; oy++) {
      let i = base + 2 * oy * w
      for (let ox = 0; ox < ow; ox++, o++, i += 2) {
        const b = xd[i + 1], c = xd[i + w], d = xd[i + w + 1]
        let best = i
        let t = +(b > xd[best]) | +(b !== b)
        best += (i + 1 - best) * t
        t = +(c > xd[best]) | +(c !== c)
        best += (i + w - best) * t
        t = +(d > xd[best]) | +(d !== d)
        best += (i + w + 1 - best) * t
        yd[o] = xd[best]
        arg[o] = best
      }
    }
  }
}
