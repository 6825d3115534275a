/**
 * Batch normalization over the channels of images, as `nn.BatchNorm2d`:
 * y = weight·(x − mean)/√(var + eps) + bias per channel.
 *
 * - Train mode normalises with the batch's own statistics (mean and the biased
 *   variance over N·H·W values) and moves the running estimates towards them:
 *   running ← (1 − momentum)·running + momentum·batch, where the variance
 *   folded in is the unbiased one (× M/(M − 1)), as PyTorch does.
 * - Eval mode normalises with the running estimates, so a prediction does not
 *   depend on the other pictures of the batch (lesson 004's eval-mode pitfall
 *   is forgetting to switch).
 *
 * weight starts at 1 and bias at 0 whatever the model's init scheme, as in
 * torch. The running statistics are buffers: saved with the weights, never
 * stepped by the optimiser.
 */
import type { LayerSpec } from '../../shared/experiment'
import { formatShape, precisionOf, reuseTensor, zeros, type FloatArray, type Precision, type Tensor } from '../tensor'
import type { Buffer, Layer, Param } from './layer'

export type BatchNorm2dSpec = Extract<LayerSpec, { type: 'batchnorm2d' }>

export function batchNorm2dOutputShape(spec: BatchNorm2dSpec, input: readonly number[]): number[] {
  if (input.length !== 3) {
    throw new Error(`expects images [channels, height, width] but receives ${formatShape(input)}`)
  }
  if (input[0] !== spec.numFeatures) {
    throw new Error(`expects ${spec.numFeatures} channels (numFeatures) but receives ${input[0]} (input ${formatShape(input)})`)
  }
  return [...input]
}

export class BatchNorm2d implements Layer {
  readonly type = 'batchnorm2d'
  readonly ownInit = true
  readonly weight: Param
  readonly bias: Param
  readonly params: readonly Param[]
  readonly runningMean: Buffer
  readonly runningVar: Buffer
  /** How many train-mode batches have updated the running statistics (int64 in a safetensors file). */
  readonly batchesTracked: Buffer
  readonly buffers: readonly Buffer[]
  private readonly eps: number
  private readonly momentum: number

  private output: Tensor | null = null
  private dx: Tensor | null = null
  private inputShape: readonly number[] = []
  /** The normalised input x̂ of the last forward, which backward needs. */
  private normalised: FloatArray | null = null
  /** 1/√(var + eps) per channel, as the last forward used it. */
  private invStd: Float64Array
  private lastTraining = false

  constructor(readonly spec: BatchNorm2dSpec, precision: Precision) {
    const c = spec.numFeatures
    this.eps = spec.eps ?? 1e-5
    this.momentum = spec.momentum ?? 0.1
    this.weight = { name: 'weight', value: zeros([c], precision), grad: zeros([c], precision) }
    this.bias = { name: 'bias', value: zeros([c], precision), grad: zeros([c], precision) }
    this.weight.value.data.fill(1)
    this.params = [this.weight, this.bias]
    this.runningMean = { name: 'running_mean', value: zeros([c], precision) }
    this.runningVar = { name: 'running_var', value: zeros([c], precision) }
    this.runningVar.value.data.fill(1)
    this.batchesTracked = { name: 'num_batches_tracked', value: zeros([], precision) }
    this.buffers = [this.runningMean, this.runningVar, this.batchesTracked]
    this.invStd = new Float64Array(c)
  }

  outputShape(inputShape: readonly number[]): number[] {
    return batchNorm2dOutputShape(this.spec, inputShape)
  }

  forward(x: Tensor, training: boolean): Tensor {
    const [n, c, h, w] = x.shape
    const area = h * w
    const count = n * area
    const precision = precisionOf(x.data)
    const y = (this.output = reuseTensor(this.output, x.shape, precision))
    if (!this.normalised || this.normalised.length !== x.data.length || precisionOf(this.normalised) !== precision) {
      this.normalised = precision === 'float64' ? new Float64Array(x.data.length) : new Float32Array(x.data.length)
    }
    this.inputShape = x.shape
    this.lastTraining = training
    if (training && count < 2) {
      throw new Error(`batchnorm2d: train mode needs more than one value per channel, but receives ${formatShape(x.shape)}`)
    }
    const xd = x.data, xhat = this.normalised, yd = y.data
    const gamma = this.weight.value.data, beta = this.bias.value.data
    const rm = this.runningMean.value.data, rv = this.runningVar.value.data
    for (let ch = 0; ch < c; ch++) {
      let mean: number
      let variance: number
      if (training) {
        let sum = 0
        for (let s = 0; s < n; s++) for (let i = (s * c + ch) * area, end = i + area; i < end; i++) sum += xd[i]
        mean = sum / count
        let squares = 0
        for (let s = 0; s < n; s++) {
          for (let i = (s * c + ch) * area, end = i + area; i < end; i++) squares += (xd[i] - mean) * (xd[i] - mean)
        }
        variance = squares / count
        rm[ch] = (1 - this.momentum) * rm[ch] + this.momentum * mean
        rv[ch] = (1 - this.momentum) * rv[ch] + this.momentum * (squares / (count - 1))
      } else {
        mean = rm[ch]
        variance = rv[ch]
      }
      const inv = 1 / Math.sqrt(variance + this.eps)
      this.invStd[ch] = inv
      for (let s = 0; s < n; s++) {
        for (let i = (s * c + ch) * area, end = i + area; i < end; i++) {
          xhat[i] = (xd[i] - mean) * inv
          yd[i] = gamma[ch] * xhat[i] + beta[ch]
        }
      }
    }
    if (training) this.batchesTracked.value.data[0] += 1
    return y
  }

  backward(dy: Tensor): Tensor {
    const xhat = this.normalised
    if (!this.output || !xhat) throw new Error('batchnorm2d: backward called before forward')
    const [n, c, h, w] = this.inputShape
    const area = h * w
    const count = n * area
    const dx = (this.dx = reuseTensor(this.dx, this.inputShape, precisionOf(dy.data)))
    const g = dy.data, d = dx.data
    const gamma = this.weight.value.data
    const dGamma = this.weight.grad.data, dBeta = this.bias.grad.data
    for (let ch = 0; ch < c; ch++) {
      let sumDy = 0
      let sumDyXhat = 0
      for (let s = 0; s < n; s++) {
        for (let i = (s * c + ch) * area, end = i + area; i < end; i++) {
          sumDy += g[i]
          sumDyXhat += g[i] * xhat[i]
        }
      }
      dGamma[ch] = sumDyXhat
      dBeta[ch] = sumDy
      const scale = gamma[ch] * this.invStd[ch]
      for (let s = 0; s < n; s++) {
        for (let i = (s * c + ch) * area, end = i + area; i < end; i++) {
          // Eval mode: the statistics are constants. Train mode: they depend on
          // every x of the channel, which removes the gradient's mean and its
          // component along x̂.
          d[i] = this.lastTraining ? scale * (g[i] - sumDy / count - xhat[i] * (sumDyXhat / count)) : scale * g[i]
        }
      }
    }
    return dx
  }
}
