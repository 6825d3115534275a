/**
 * conv2d → relu → maxpool2d(2, stride 2), the MNIST CNN's block, run as one
 * WebAssembly call (kernels/conv-wasm.ts `ConvBlockKernel`) instead of three
 * layers. Layer by layer, the conv's full-size output (four times the pooled
 * one) is copied out of WebAssembly, then ReLU and pooling each read and write
 * it in JavaScript, and backward scatters the pooled gradient back to full
 * size and copies it in again: a quarter of the training time for no
 * arithmetic. Fused, only the pooled output leaves, with one byte per pooled
 * value recording the winning pixel for backward.
 *
 * The model (../model.ts) uses a block where its layers match and the kernel
 * is available; the three layers stay the readable reference, and the block
 * is tested against them. Fused intermediates (the conv's and ReLU's outputs)
 * are not materialised: probes that need them run layer by layer.
 */
import { getConvBlockKernel, type ConvBlockKernel } from '../kernels/conv-wasm'
import { reuseBatch, reuseTensor, type Tensor } from '../tensor'
import { Conv2d } from './conv2d'
import type { Layer } from './layer'
import { MaxPool2d } from './maxpool2d'
import { ReLU } from './relu'

export class ConvBlock {
  private input: Tensor | null = null
  private output: Tensor | null = null
  private dx: Tensor | null = null
  private win = new Uint8Array(0)
  private readonly pooledShape: number[]

  private constructor(readonly conv: Conv2d) {
    const g = conv.geometry
    this.pooledShape = [conv.spec.outChannels, g.outHeight >> 1, g.outWidth >> 1]
  }

  /** A block over layers[i..i+2] if they are float32 conv (im2col-sized), ReLU, 2×2/2 max-pool; else null. */
  static at(layers: readonly Layer[], i: number): ConvBlock | null {
    const conv = layers[i], relu = layers[i + 1], pool = layers[i + 2]
    if (!(conv instanceof Conv2d) || !(relu instanceof ReLU) || !(pool instanceof MaxPool2d)) return null
    if (conv.weight.value.data instanceof Float64Array || conv.direct || conv.general) return null
    if (pool.spec.kernelSize !== 2 || (pool.spec.stride ?? 2) !== 2) return null
    if (conv.geometry.outHeight < 2 || conv.geometry.outWidth < 2) return null
    return new ConvBlock(conv)
  }

  /** The kernel to use now (tests and CNN_LAB_KERNELS=reference switch it off). */
  kernel(): ConvBlockKernel | null {
    return getConvBlockKernel()
  }

  forward(x: Tensor, kernel: ConvBlockKernel): Tensor {
    const conv = this.conv
    const n = x.shape[0]
    const y = (this.output = reuseBatch(this.output, n, this.pooledShape, 'float32'))
    if (this.win.length < y.data.length) this.win = new Uint8Array(y.data.length)
    this.input = x
    kernel.forward(
      conv.geometry, conv.spec.outChannels, n, x.data as Float32Array, conv.weight.value.data as Float32Array,
      (conv.bias?.value.data ?? null) as Float32Array | null, y.data as Float32Array, this.win,
    )
    return y
  }

  backward(dy: Tensor, kernel: ConvBlockKernel): Tensor {
    const x = this.input
    if (!x) throw new Error('conv block: backward called before forward')
    const conv = this.conv
    const dx = (this.dx = reuseTensor(this.dx, x.shape, 'float32'))
    if (!conv.needsInputGrad) dx.data.fill(0)
    kernel.backward(
      conv.geometry, conv.spec.outChannels, x.shape[0], x.data as Float32Array, conv.weight.value.data as Float32Array,
      dy.data as Float32Array, this.win, conv.weight.grad.data as Float32Array,
      (conv.bias?.grad.data ?? null) as Float32Array | null, conv.needsInputGrad ? (dx.data as Float32Array) : null,
    )
    return dx
  }
}
