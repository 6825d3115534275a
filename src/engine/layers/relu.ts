/** max(0, x), elementwise. Its gradient passes where the input was positive. */
import { precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

export class ReLU implements Layer {
  readonly type = 'relu'
  readonly params: readonly Param[] = []
  private output: Tensor | null = null
  private dx: Tensor | null = null

  outputShape(inputShape: readonly number[]): number[] {
    return [...inputShape]
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const y = (this.output = reuseTensor(this.output, x.shape, precisionOf(x.data)))
    const xd = x.data
    const yd = y.data
    for (let i = 0; i < xd.length; i++) yd[i] = xd[i] > 0 ? xd[i] : 0
    return y
  }

  backward(dy: Tensor): Tensor {
    const y = this.output
    if (!y) throw new Error('relu: backward called before forward')
    // y > 0 exactly where x > 0, so the output doubles as the mask.
    const dx = (this.dx = reuseTensor(this.dx, dy.shape, precisionOf(dy.data)))
    const yd = y.data
    const g = dy.data
    const d = dx.data
    for (let i = 0; i < g.length; i++) d[i] = yd[i] > 0 ? g[i] : 0
    return dx
  }
}
