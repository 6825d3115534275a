/**
 * The fused-SIMD route: float32 models on a SIMD backend. The model keeps its
 * layers, but SIMD stages replace its convolutions (kernels/conv-wasm.ts,
 * simd.as), so its forward, which probes also call, runs fast too:
 *
 *   conv2d → relu → maxpool2d(2, stride 2)   one fused call (ConvBlockStage)
 *   any other conv2d                         one conv call (ConvStage)
 *   either, 3×3 stride 1 with ≥ 8 channels in   by Winograd F(2×2, 3×3) (usesWinograd)
 *   everything else                          the layers, on the backend's SIMD GEMM
 *
 * Why fuse the MNIST CNN's block: layer by layer, the conv's full-size output
 * (four times the pooled one) is copied out of WebAssembly, ReLU and pooling
 * each read and write it in JavaScript, and backward scatters the pooled
 * gradient back to full size and copies it in again: a quarter of the training
 * time for no arithmetic. Fused, only the pooled output leaves, with one byte
 * per pooled value recording the winning pixel for backward. The conv's and
 * ReLU's outputs are not materialised (activations[i], [i+1] stay unwritten).
 *
 * Training is the layer route's (./layer-route.ts); the reference is
 * layers/conv2d.ts, relu.ts, maxpool2d.ts, and test/engine/routes.test.ts
 * holds these stages to it.
 */
import type { BackendKernels } from '../backend'
import { createWasmConv, createWasmConvBlock, type ConvBlockKernel, type ConvKernel } from '../kernels/conv-wasm'
import type { ConvGeometry } from '../kernels/im2col'
import { createWinogradConv, createWinogradConvBlock, winogradApplies } from '../kernels/winograd'
import { Conv2d, MaxPool2d, ReLU, type Layer } from '../layers'
import type { Sequential, Stage } from '../model'
import { reuseBatch, reuseTensor, type Tensor } from '../tensor'
import { LayerRoute } from './layer-route'
import type { RouteContext } from './route'

/** Whether a model runs on this route: float32 on a SIMD backend. */
export function fusedSimdEligible(model: Sequential, kernels: BackendKernels): boolean {
  return model.precision === 'float32' && kernels.simd !== null
}

/**
 * Input channels from which a 3×3 stride-1 conv runs by Winograd F(2×2, 3×3)
 * (kernels/winograd.ts): 16 multiplications per 2×2 outputs instead of 36,
 * paid for by transforms that only spread over many channels. bench/winograd.ts
 * at the MNIST CNN's shapes: conv2 (32 → 64 channels) 1.6–2.6× faster, conv1
 * (1 → 32) 2× slower. Float32 only; its error against the direct kernel is
 * tested in test/engine/winograd.test.ts (≤ 1e-5 of the largest value).
 */
export const WINOGRAD_MIN_CHANNELS = 8
/** Samples per call from which Winograd runs: on one picture (the explorer, the trace) its setup costs more than it saves. */
export const WINOGRAD_MIN_BATCH = 8

/** A conv's kernels on this route: `batched` (Winograd where it pays) for calls of WINOGRAD_MIN_BATCH samples or more. */
interface KernelChoice<K> {
  direct: K
  batched: K
}
const pick = <K>(choice: KernelChoice<K>, n: number): K => (n >= WINOGRAD_MIN_BATCH ? choice.batched : choice.direct)

/** Whether this conv runs by Winograd on this route. */
export function usesWinograd(g: ConvGeometry): boolean {
  return g.channels >= WINOGRAD_MIN_CHANNELS && winogradApplies(g)
}

/** The route: the layer route over the model with its SIMD stages in place. */
export function createFusedSimdRoute(model: Sequential, kernels: BackendKernels, context: RouteContext): LayerRoute {
  useFusedStages(model, kernels)
  return new LayerRoute('fused-simd', model, context)
}

/** Puts the SIMD stages into a float32 model (also the two-core replica's, and the explorer's). */
export function useFusedStages(model: Sequential, kernels: BackendKernels): void {
  if (!fusedSimdEligible(model, kernels)) return
  const conv = createWasmConv(kernels.simd!)
  const block = createWasmConvBlock(kernels.simd!)
  const winograd = createWinogradConv(kernels.simd!)
  const winogradBlock = createWinogradConvBlock(kernels.simd!)
  const stages: Stage[] = []
  const layers = model.layers
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]
    if (!(layer instanceof Conv2d) || layer.general) continue
    const byWinograd = usesWinograd(layer.geometry)
    if (isPoolBlock(layers, i)) {
      stages.push(new ConvBlockStage(i, layer, { direct: block, batched: (byWinograd && winogradBlock) || block }))
      i += 2
    } else {
      stages.push(new ConvStage(i, layer, { direct: conv, batched: (byWinograd && winograd) || conv }))
    }
  }
  model.useStages(stages)
}

/** Layers i..i+2 are conv, ReLU, 2×2 stride-2 max-pool over at least a 2×2 conv output. */
function isPoolBlock(layers: readonly Layer[], i: number): boolean {
  const conv = layers[i], relu = layers[i + 1], pool = layers[i + 2]
  if (!(conv instanceof Conv2d) || !(relu instanceof ReLU) || !(pool instanceof MaxPool2d)) return false
  if (pool.spec.kernelSize !== 2 || (pool.spec.stride ?? 2) !== 2) return false
  return conv.geometry.outHeight >= 2 && conv.geometry.outWidth >= 2
}

const f32 = (t: Tensor | Float32Array | Float64Array) => ('data' in t ? t.data : t) as Float32Array

/** One conv layer's forward and backward in one WebAssembly call each. */
class ConvStage implements Stage {
  readonly end: number
  private input: Tensor | null = null
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private readonly outShape: number[]

  /** The kernel the last forward ran (backward takes the same). */
  private kernel: ConvKernel

  constructor(readonly start: number, private readonly conv: Conv2d, private readonly kernels: KernelChoice<ConvKernel>) {
    this.end = start + 1
    this.kernel = kernels.direct
    const g = conv.geometry
    this.outShape = [conv.spec.outChannels, g.outHeight, g.outWidth]
  }

  forward(x: Tensor): Tensor {
    const conv = this.conv
    const y = (this.output = reuseBatch(this.output, x.shape[0], this.outShape, 'float32'))
    this.input = x
    this.kernel = pick(this.kernels, x.shape[0])
    this.kernel.forward(
      conv.geometry, conv.spec.outChannels, x.shape[0], f32(x), f32(conv.weight.value),
      conv.bias ? f32(conv.bias.value) : null, f32(y),
    )
    return y
  }

  backward(dy: Tensor): Tensor {
    const x = this.input
    if (!x) throw new Error('conv2d stage: backward called before forward')
    const conv = this.conv
    const dx = (this.dx = reuseTensor(this.dx, x.shape, 'float32'))
    if (!conv.needsInputGrad) dx.data.fill(0)
    this.kernel.backward(
      conv.geometry, conv.spec.outChannels, x.shape[0], f32(x), f32(conv.weight.value), f32(dy),
      f32(conv.weight.grad), conv.bias ? f32(conv.bias.grad) : null, conv.needsInputGrad ? f32(dx) : null,
    )
    return dx
  }
}

/** conv2d → relu → maxpool2d(2, stride 2) as one WebAssembly call each way. */
class ConvBlockStage implements Stage {
  readonly end: number
  private input: Tensor | null = null
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private win = new Uint8Array(0)
  private readonly pooledShape: number[]

  /** The kernel the last forward ran: its winner bytes are what backward reads. */
  private kernel: ConvBlockKernel

  constructor(readonly start: number, private readonly conv: Conv2d, private readonly kernels: KernelChoice<ConvBlockKernel>) {
    this.end = start + 3
    this.kernel = kernels.direct
    const g = conv.geometry
    this.pooledShape = [conv.spec.outChannels, g.outHeight >> 1, g.outWidth >> 1]
  }

  forward(x: Tensor): Tensor {
    const conv = this.conv
    const n = x.shape[0]
    const y = (this.output = reuseBatch(this.output, n, this.pooledShape, 'float32'))
    if (this.win.length < y.data.length) this.win = new Uint8Array(y.data.length)
    this.input = x
    this.kernel = pick(this.kernels, n)
    this.kernel.forward(
      conv.geometry, conv.spec.outChannels, n, f32(x), f32(conv.weight.value),
      conv.bias ? f32(conv.bias.value) : null, f32(y), this.win,
    )
    return y
  }

  backward(dy: Tensor): Tensor {
    const x = this.input
    if (!x) throw new Error('conv block stage: backward called before forward')
    const conv = this.conv
    const dx = (this.dx = reuseTensor(this.dx, x.shape, 'float32'))
    if (!conv.needsInputGrad) dx.data.fill(0)
    this.kernel.backward(
      conv.geometry, conv.spec.outChannels, x.shape[0], f32(x), f32(conv.weight.value), f32(dy), this.win,
      f32(conv.weight.grad), conv.bias ? f32(conv.bias.grad) : null, conv.needsInputGrad ? f32(dx) : null,
    )
    return dx
  }
}
