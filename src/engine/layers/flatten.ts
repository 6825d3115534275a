/**
 * [N, C, H, W] → [N, C·H·W] in row-major order, as `torch.flatten(x, 1)`:
 * feature index = c·H·W + y·W + x. A reshape, so the data is shared, not copied.
 */
import { sizeOf, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

export class Flatten implements Layer {
  readonly type = 'flatten'
  readonly params: readonly Param[] = []
  private inputShape: readonly number[] | null = null
  private output: Tensor | null = null

  outputShape(inputShape: readonly number[]): number[] {
    return [sizeOf(inputShape)]
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.inputShape = x.shape
    const n = x.shape[0]
    if (this.output?.data === x.data && this.output.shape[0] === n) return this.output
    return (this.output = { shape: [n, x.data.length / n], data: x.data })
  }

  backward(dy: Tensor): Tensor {
    if (!this.inputShape) throw new Error('flatten: backward called before forward')
    return { shape: [...this.inputShape], data: dy.data }
  }
}
