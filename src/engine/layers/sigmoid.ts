/**
 * The logistic function 1 / (1 + e^-x), elementwise: turns a score into a
 * probability for binary cross-entropy. Backward uses σ' = σ·(1 − σ).
 */
import { precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

/**
 * Two branches so that exp never overflows for large |z|; these are also the
 * exact expressions lesson 000 evaluates, so float64 runs reproduce it bit for bit.
 */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z))
  const e = Math.exp(z)
  return e / (1 + e)
}

export class Sigmoid implements Layer {
  readonly type = 'sigmoid'
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
    for (let i = 0; i < xd.length; i++) yd[i] = sigmoid(xd[i])
    return y
  }

  backward(dy: Tensor): Tensor {
    const y = this.output
    if (!y) throw new Error('sigmoid: backward called before forward')
    const dx = (this.dx = reuseTensor(this.dx, dy.shape, precisionOf(dy.data)))
    const yd = y.data
    const g = dy.data
    const d = dx.data
    for (let i = 0; i < g.length; i++) d[i] = g[i] * yd[i] * (1 - yd[i])
    return dx
  }
}
