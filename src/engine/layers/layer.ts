/**
 * What every layer is: a forward pass that remembers what backward needs, a
 * backward pass that fills the parameter gradients and returns the gradient
 * with respect to its input, and named parameters with their gradients side by
 * side ("weight" / "bias", laid out as PyTorch's).
 */
import type { Tensor } from '../tensor'

export interface Param {
  /**
   * "weight" or "bias" for a plain layer; a residual block prefixes its body's
   * ("body.0.weight"). The model prefixes the layer index ("0.weight").
   */
  readonly name: string
  readonly value: Tensor
  readonly grad: Tensor
}

/**
 * State a layer keeps that is not learned by gradient descent (batch norm's
 * running statistics, PyTorch's "buffers"): saved and loaded with the weights,
 * never touched by the optimiser.
 */
export interface Buffer {
  /** "running_mean", "running_var", "num_batches_tracked" (prefixed like a Param's name). */
  readonly name: string
  readonly value: Tensor
}

export interface Layer {
  /** The spec's type, e.g. "conv2d". */
  readonly type: string
  /** Shape of one sample's output (no batch axis) for one sample's input shape. */
  outputShape(inputShape: readonly number[]): number[]
  /**
   * x is batch-first. `training` switches dropout on and makes batch norm use
   * (and update) the batch's statistics; evaluation passes false.
   */
  forward(x: Tensor, training: boolean): Tensor
  /** dy has the shape of the last forward's output; returns dL/dx. Grads are overwritten, not accumulated. */
  backward(dy: Tensor): Tensor
  readonly params: readonly Param[]
  /** Non-learned state (absent: none). */
  readonly buffers?: readonly Buffer[]
  /** The layers inside a block (residual's body), for walks that visit every leaf layer (initialisation). */
  readonly children?: readonly Layer[]
  /** True when the layer sets its own starting values (batch norm: weight 1, bias 0), which no init scheme overrides. */
  readonly ownInit?: boolean
}
