/**
 * 2-D cross-correlation (what every framework calls convolution), NCHW, zero
 * padding, weight [out, in / groups, kh, kw] as PyTorch's `nn.Conv2d`.
 *
 * Forward and backward are each a few big matrix multiplies over im2col
 * columns of a whole chunk of the batch:
 *   Y    = W · cols                     [O, n·P]
 *   dW   = dY · colsᵀ                   [O, C·k·k]
 *   dcol = Wᵀ · dY, then col2im → dX
 *
 * This is the reference, and the only conv code in layers/: the GEMM is the
 * model's backend's (../backend.ts). The faster routes that compute the same
 * thing live in ../routes/: the tiny-model module (tiny-wasm.ts, tiny.as)
 * and the SIMD conv and fused conv → ReLU → pool (fused-simd.ts, simd.as).
 * test/engine/routes.test.ts holds them to this.
 *
 * Those take square kernels, one stride and padding for both axes, and no
 * groups. Anything else (a 1×2 kernel, stride [2, 1], a depthwise conv) runs
 * the plain loops of ./general-conv.ts, on the reference route only.
 */
import type { LayerSpec } from '../../shared/experiment'
import type { MatmulKernel } from '../kernels/matmul'
import { convAxes, outputLength } from '../../shared/layer-geometry'
import { generalConvBackward, generalConvForward, type GeneralConvGeometry } from './general-conv'
import { col2im, im2col, type ConvGeometry } from '../kernels/im2col'
import {
  formatShape, reuseArray, reuseBatch, reuseTensor, zeros,
  type FloatArray, type Precision, type Tensor,
} from '../tensor'
import type { Layer, Param } from './layer'

export type Conv2dSpec = Extract<LayerSpec, { type: 'conv2d' }>


export function conv2dOutputShape(spec: Conv2dSpec, input: readonly number[]): number[] {
  const { inChannels } = spec
  const { kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw], groups } = convAxes(spec)
  if (input.length !== 3) {
    throw new Error(`expects images [channels, height, width] but receives ${formatShape(input)}`)
  }
  const [c, h, w] = input
  if (c !== inChannels) {
    throw new Error(`expects ${inChannels} input channel${inChannels === 1 ? '' : 's'} but receives ${c} (input ${formatShape(input)})`)
  }
  if (inChannels % groups !== 0 || spec.outChannels % groups !== 0) {
    throw new Error(`groups ${groups} must divide inChannels (${inChannels}) and outChannels (${spec.outChannels})`)
  }
  const oh = outputLength(h, kh, sh, ph)
  const ow = outputLength(w, kw, sw, pw)
  if (oh < 1 || ow < 1) {
    const padding = ph === pw ? `${ph}` : `[${ph}, ${pw}]`
    throw new Error(`kernel ${kh}×${kw} with padding ${padding} does not fit the ${h}×${w} input`)
  }
  return [spec.outChannels, oh, ow]
}

export function conv2dParameterCount(spec: Conv2dSpec): number {
  const { kernel: [kh, kw], groups } = convAxes(spec)
  return spec.outChannels * (spec.inChannels / groups) * kh * kw + (spec.bias !== false ? spec.outChannels : 0)
}

/** Multiply-adds per output position: each output sums (in / groups)·kh·kw products. */
export function conv2dMacsPerPosition(spec: Conv2dSpec): number {
  const { kernel: [kh, kw], groups } = convAxes(spec)
  return (spec.inChannels / groups) * kh * kw
}

/**
 * True when the im2col, direct and WebAssembly conv kernels cannot take this
 * spec (they assume a square kernel, one stride and padding for both axes, no
 * groups), so the layer runs the general loops.
 */
export function conv2dNeedsGeneralLoops(spec: Conv2dSpec): boolean {
  const { kernel, stride, padding, groups } = convAxes(spec)
  return groups !== 1 || kernel[0] !== kernel[1] || stride[0] !== stride[1] || padding[0] !== padding[1]
}

export class Conv2d implements Layer {
  /**
   * im2col buffers hold at most this many values; larger batches go through in
   * chunks of samples, so a full-batch MNIST run does not need gigabytes.
   */
  static columnBudget = 1 << 22

  readonly type = 'conv2d'
  readonly params: readonly Param[]
  readonly weight: Param
  readonly bias: Param | null
  /**
   * False skips dL/dx in backward (which then returns zeros): a model's first
   * layer reads the data, whose gradient nobody needs, and for the 8×8 lesson
   * models that is a third of the conv's backward work.
   */
  needsInputGrad = true
  /** The conv's sizes (read by the fused-SIMD route's stages, ../routes/fused-simd.ts). */
  readonly geometry: ConvGeometry
  private readonly outShape: number[]
  private readonly precision: Precision

  private input: Tensor | null = null
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private cols: FloatArray | null = null
  private ymat: FloatArray | null = null
  /** Run the general loops (./general-conv.ts): the geometry is not one im2col here takes. */
  readonly general: boolean
  private readonly generalGeometry: GeneralConvGeometry
  /** True while `cols` still holds the im2col of the whole last input (one-chunk batches). */
  private colsValid = false

  constructor(
    readonly spec: Conv2dSpec,
    readonly inputShape: readonly number[],
    precision: Precision,
    private readonly kernel: MatmulKernel,
  ) {
    this.precision = precision
    this.outShape = conv2dOutputShape(spec, inputShape)
    const { inChannels: c, outChannels: o } = spec
    const axes = convAxes(spec)
    const [kh, kw] = axes.kernel
    this.general = conv2dNeedsGeneralLoops(spec)
    this.generalGeometry = {
      channels: c, height: inputShape[1], width: inputShape[2], outChannels: o,
      outHeight: this.outShape[1], outWidth: this.outShape[2], ...axes,
    }
    // The square geometry the fast kernels read; unused when `general`.
    this.geometry = {
      channels: c, height: inputShape[1], width: inputShape[2], kernel: kh,
      stride: axes.stride[0], padding: axes.padding[0],
      outHeight: this.outShape[1], outWidth: this.outShape[2],
    }
    const weightShape = [o, c / axes.groups, kh, kw]
    this.weight = { name: 'weight', value: zeros(weightShape, precision), grad: zeros(weightShape, precision) }
    this.bias = spec.bias !== false ? { name: 'bias', value: zeros([o], precision), grad: zeros([o], precision) } : null
    this.params = this.bias ? [this.weight, this.bias] : [this.weight]
  }

  outputShape(inputShape: readonly number[]): number[] {
    return conv2dOutputShape(this.spec, inputShape)
  }

  private chunkSize(n: number): number {
    const perSample = this.weight.value.data.length / this.spec.outChannels * this.positions()
    return Math.max(1, Math.min(n, Math.floor(Conv2d.columnBudget / perSample)))
  }

  private positions(): number {
    return this.geometry.outHeight * this.geometry.outWidth
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const n = x.shape[0]
    const g = this.geometry
    const O = this.spec.outChannels
    const K = g.channels * g.kernel * g.kernel
    const P = this.positions()
    const inSize = g.channels * g.height * g.width
    if (x.data.length !== n * inSize) {
      throw new Error(`conv2d: built for samples ${formatShape(this.inputShape)} but receives a batch ${formatShape(x.shape)}`)
    }
    const y = (this.output = reuseBatch(this.output, n, this.outShape, this.precision))
    this.input = x
    if (this.general) {
      generalConvForward(this.generalGeometry, n, x.data, this.weight.value.data, this.bias?.value.data ?? null, y.data)
      return y
    }
    const chunk = this.chunkSize(n)
    const cols = (this.cols = reuseArray(this.cols, K * chunk * P, this.precision))
    const ymat = (this.ymat = reuseArray(this.ymat, O * chunk * P, this.precision))
    const W = this.weight.value.data
    const b = this.bias?.value.data
    const yd = y.data
    const gemm = this.kernel.gemm.bind(this.kernel)
    for (let n0 = 0; n0 < n; n0 += chunk) {
      const nc = Math.min(chunk, n - n0)
      const width = nc * P
      for (let s = 0; s < nc; s++) im2col(g, x.data, (n0 + s) * inSize, cols, width, s * P)
      gemm(false, false, O, width, K, 1, W, K, cols, width, 0, ymat, width)
      // Scatter [O, n·P] back to NCHW, adding the bias after the dot product
      // (the order lesson 000 sums in, so float64 runs print its numbers).
      for (let s = 0; s < nc; s++) {
        const out = (n0 + s) * O * P
        for (let o = 0; o < O; o++) {
          const bias = b ? b[o] : 0
          const src = o * width + s * P
          const dst = out + o * P
          for (let p = 0; p < P; p++) yd[dst + p] = ymat[src + p] + bias
        }
      }
    }
    this.colsValid = chunk >= n
    return y
  }

  backward(dy: Tensor): Tensor {
    const x = this.input
    if (!x) throw new Error('conv2d: backward called before forward')
    const n = x.shape[0]
    const g = this.geometry
    const O = this.spec.outChannels
    const K = g.channels * g.kernel * g.kernel
    const P = this.positions()
    const inSize = g.channels * g.height * g.width
    const dx = (this.dx = reuseTensor(this.dx, x.shape, this.precision))
    dx.data.fill(0)
    const needsInputGrad = this.needsInputGrad
    if (this.general) {
      generalConvBackward(
        this.generalGeometry, n, x.data, this.weight.value.data, dy.data, this.weight.grad.data,
        this.bias?.grad.data ?? null, needsInputGrad ? dx.data : null,
      )
      return dx
    }
    const chunk = this.chunkSize(n)
    const cols = (this.cols = reuseArray(this.cols, K * chunk * P, this.precision))
    const dymat = (this.ymat = reuseArray(this.ymat, O * chunk * P, this.precision))
    const W = this.weight.value.data
    const dW = this.weight.grad.data
    const gemm = this.kernel.gemm.bind(this.kernel)
    const dyd = dy.data

    if (this.bias) {
      const db = this.bias.grad.data
      for (let o = 0; o < O; o++) {
        let s = 0
        for (let i = 0; i < n; i++) {
          const base = (i * O + o) * P
          for (let p = 0; p < P; p++) s += dyd[base + p]
        }
        db[o] = s
      }
    }

    for (let n0 = 0; n0 < n; n0 += chunk) {
      const nc = Math.min(chunk, n - n0)
      const width = nc * P
      for (let s = 0; s < nc; s++) {
        const src = (n0 + s) * O * P
        for (let o = 0; o < O; o++) {
          const from = src + o * P
          const to = o * width + s * P
          for (let p = 0; p < P; p++) dymat[to + p] = dyd[from + p]
        }
      }
      if (!this.colsValid) {
        for (let s = 0; s < nc; s++) im2col(g, x.data, (n0 + s) * inSize, cols, width, s * P)
      }
      gemm(false, true, O, K, width, 1, dymat, width, cols, width, n0 === 0 ? 0 : 1, dW, K)
      if (!needsInputGrad) continue
      // cols has served dW; its space now takes the column gradients.
      gemm(true, false, K, width, O, 1, W, K, dymat, width, 0, cols, width)
      for (let s = 0; s < nc; s++) col2im(g, cols, width, s * P, dx.data, (n0 + s) * inSize)
    }
    this.colsValid = false
    return dx
  }
}
