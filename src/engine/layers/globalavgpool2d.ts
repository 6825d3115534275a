/**
 * The mean of each feature map: [N, C, H, W] → [N, C], like the lab's
 * globalmaxpool2d (PyTorch: `nn.AdaptiveAvgPool2d(1)` then `flatten(1)`; the
 * pool has no weights, so saved files load either way). Backward spreads each
 * gradient evenly over its map.
 */
import { formatShape, precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

export function globalAvgPool2dOutputShape(input: readonly number[]): number[] {
  if (input.length !== 3) {
    throw new Error(`expects images [channels, height, width] but receives ${formatShape(input)}`)
  }
  return [input[0]]
}

export class GlobalAvgPool2d implements Layer {
  readonly type = 'globalavgpool2d'
  readonly params: readonly Param[] = []
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private inputShape: readonly number[] = []

  outputShape(inputShape: readonly number[]): number[] {
    return globalAvgPool2dOutputShape(inputShape)
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const [n, c, h, w] = x.shape
    const y = (this.output = reuseTensor(this.output, [n, c], precisionOf(x.data)))
    this.inputShape = x.shape
    const area = h * w
    for (let plane = 0; plane < n * c; plane++) {
      let sum = 0
      for (let i = plane * area; i < (plane + 1) * area; i++) sum += x.data[i]
      y.data[plane] = sum / area
    }
    return y
  }

  backward(dy: Tensor): Tensor {
    if (!this.output) throw new Error('globalavgpool2d: backward called before forward')
    const [, , h, w] = this.inputShape
    const area = h * w
    const dx = (this.dx = reuseTensor(this.dx, this.inputShape, precisionOf(dy.data)))
    for (let plane = 0; plane < dy.data.length; plane++) {
      const share = dy.data[plane] / area
      for (let i = plane * area; i < (plane + 1) * area; i++) dx.data[i] = share
    }
    return dx
  }
}
