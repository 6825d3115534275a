/**
 * The largest value of each feature map: [N, C, H, W] → [N, C]. Lesson 000's
 * convolutional detector votes with it ("did the kernel fire anywhere?"). The
 * gradient goes to the winning position only; ties go to the first maximum.
 */
import { formatShape, precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

export function globalMaxPool2dOutputShape(input: readonly number[]): number[] {
  if (input.length !== 3) {
    throw new Error(`expects images [channels, height, width] but receives ${formatShape(input)}`)
  }
  return [input[0]]
}

export class GlobalMaxPool2d implements Layer {
  readonly type = 'globalmaxpool2d'
  readonly params: readonly Param[] = []
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private argmax = new Int32Array(0)
  private inputShape: readonly number[] = []

  outputShape(inputShape: readonly number[]): number[] {
    return globalMaxPool2dOutputShape(inputShape)
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const [n, c, h, w] = x.shape
    const precision = precisionOf(x.data)
    const current = this.output
    const fits = current && current.shape[0] === n && current.shape[1] === c && precisionOf(current.data) === precision
    const y = (this.output = fits ? current : reuseTensor(current, [n, c], precision))
    if (this.argmax.length < n * c) this.argmax = new Int32Array(n * c)
    this.inputShape = x.shape
    const area = h * w
    const xd = x.data
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * area
      // The first largest value; a NaN anywhere wins instead (a diverged run
      // shows NaN rather than hiding it). NaN is rare, so the loop looks only
      // for the maximum and keeps a running sum on the side, which turns NaN
      // if any value is NaN; only then is the plane scanned again for it.
      let best = base
      let bestValue = xd[base]
      let sum = bestValue
      for (let i = base + 1; i < base + area; i++) {
        const v = xd[i]
        sum += v
        if (v > bestValue) {
          bestValue = v
          best = i
        }
      }
      if (sum !== sum) {
        for (let i = base; i < base + area; i++) {
          if (xd[i] !== xd[i]) {
            bestValue = xd[i]
            best = i
            for (let j = i + 1; j < base + area; j++) if (xd[j] !== xd[j]) best = j
            break
          }
        }
      }
      y.data[plane] = bestValue
      this.argmax[plane] = best
    }
    return y
  }

  backward(dy: Tensor): Tensor {
    if (!this.output) throw new Error('globalmaxpool2d: backward called before forward')
    const dx = (this.dx = reuseTensor(this.dx, this.inputShape, precisionOf(dy.data)))
    dx.data.fill(0)
    for (let plane = 0; plane < dy.data.length; plane++) dx.data[this.argmax[plane]] = dy.data[plane]
    return dx
  }
}
