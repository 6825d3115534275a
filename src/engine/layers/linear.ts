/**
 * Fully connected layer y = x·Wᵀ + b with weight [out, in], as `nn.Linear`.
 * Every input feature has its own weight to every output: the "one inspector
 * per pixel" the CNN is compared against.
 */
import type { LayerSpec } from '../../shared/experiment'
import type { MatmulKernel } from '../kernels/matmul'
import { formatShape, reuseBatch, reuseTensor, zeros, type Precision, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

export type LinearSpec = Extract<LayerSpec, { type: 'linear' }>

export function linearOutputShape(spec: LinearSpec, input: readonly number[]): number[] {
  if (input.length !== 1) {
    throw new Error(
      `expects a flat vector of ${spec.inFeatures} features but receives ${formatShape(input)}; put a flatten layer before it`,
    )
  }
  if (input[0] !== spec.inFeatures) {
    throw new Error(`expects ${spec.inFeatures} input features but receives ${input[0]}`)
  }
  return [spec.outFeatures]
}

export function linearParameterCount(spec: LinearSpec): number {
  return spec.outFeatures * spec.inFeatures + (spec.bias !== false ? spec.outFeatures : 0)
}

export class Linear implements Layer {
  readonly type = 'linear'
  readonly params: readonly Param[]
  readonly weight: Param
  readonly bias: Param | null
  /** False skips dL/dx in backward (which then returns zeros), for a model's first layer. */
  needsInputGrad = true
  private readonly precision: Precision
  private readonly outShape: number[]
  private input: Tensor | null = null
  private output: Tensor | null = null
  private dx: Tensor | null = null

  constructor(readonly spec: LinearSpec, precision: Precision, private readonly kernel: MatmulKernel) {
    this.precision = precision
    this.outShape = [spec.outFeatures]
    const { inFeatures: i, outFeatures: o } = spec
    this.weight = { name: 'weight', value: zeros([o, i], precision), grad: zeros([o, i], precision) }
    this.bias = spec.bias !== false ? { name: 'bias', value: zeros([o], precision), grad: zeros([o], precision) } : null
    this.params = this.bias ? [this.weight, this.bias] : [this.weight]
  }

  outputShape(inputShape: readonly number[]): number[] {
    return linearOutputShape(this.spec, inputShape)
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const n = x.shape[0]
    const { inFeatures: I, outFeatures: O } = this.spec
    if (x.data.length !== n * I) {
      throw new Error(`linear: expects ${I} features per sample but receives a batch ${formatShape(x.shape)}`)
    }
    const y = (this.output = reuseBatch(this.output, n, this.outShape, this.precision))
    this.input = x
    const yd = y.data
    // The bias goes in first and the products are added to it in order: the
    // sum lesson 000 writes (`z = bias; z += w * x`), bit for bit in float64.
    if (this.bias) {
      const b = this.bias.value.data
      for (let r = 0; r < n; r++) yd.set(b, r * O)
    }
    this.kernel.gemm(false, true, n, O, I, 1, x.data, I, this.weight.value.data, I, this.bias ? 1 : 0, yd, O)
    return y
  }

  backward(dy: Tensor): Tensor {
    const x = this.input
    if (!x) throw new Error('linear: backward called before forward')
    const n = x.shape[0]
    const { inFeatures: I, outFeatures: O } = this.spec
    this.kernel.gemm(true, false, O, I, n, 1, dy.data, O, x.data, I, 0, this.weight.grad.data, I)
    if (this.bias) {
      const db = this.bias.grad.data
      const g = dy.data
      db.fill(0)
      for (let r = 0; r < n; r++) for (let o = 0; o < O; o++) db[o] += g[r * O + o]
    }
    const dx = (this.dx = reuseTensor(this.dx, x.shape, this.precision))
    if (this.needsInputGrad) this.kernel.gemm(false, false, n, I, O, 1, dy.data, O, this.weight.value.data, I, 0, dx.data, I)
    else dx.data.fill(0)
    return dx
  }
}
