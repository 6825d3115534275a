/**
 * What every layer is: a forward pass that remembers what backward needs, a
 * backward pass that fills the parameter gradients and returns the gradient
 * with respect to its input, and named parameters with their gradients side by
 * side ("weight" / "bias", laid out as PyTorch's).
 */
import type { Tensor } from '../tensor'

export interface Param {
  /** "weight" or "bias"; the model prefixes the layer index ("0.weight"). */
  readonly name: 'weight' | 'bias'
  readonly value: Tensor
  readonly grad: Tensor
}

export interface Layer {
  /** The spec's type, e.g. "conv2d". */
  readonly type: string
  /** Shape of one sample's output (no batch axis) for one sample's input shape. */
  outputShape(inputShape: readonly number[]): number[]
  /** x is batch-first. `training` switches dropout on. */
  forward(x: Tensor, training: boolean): Tensor
  /** dy has the shape of the last forward's output; returns dL/dx. Grads are overwritten, not accumulated. */
  backward(dy: Tensor): Tensor
  readonly params: readonly Param[]
}
