/**
 * A conv layer's whole forward or backward pass (float32) in one WebAssembly
 * call (`conv2d_forward_f32` / `conv2d_backward_f32` in ./wasm/simd.as):
 * per sample, im2col into a buffer that stays in cache, then the SIMD GEMM.
 *
 * Doing the whole layer there, rather than only its GEMMs, means the large
 * im2col matrices never cross between JavaScript and WebAssembly memory: only
 * the layer's own input, weights and output are copied. The fused-SIMD route
 * (../routes/fused-simd.ts) runs these; the reference in ../layers/conv2d.ts
 * computes the same thing and is what they are tested against.
 */
import type { ConvGeometry } from './im2col'
import type { SimdModule } from './wasm/simd-module'

export interface ConvKernel {
  readonly name: string
  /** y [n, O, OH, OW] ← conv(x [n, C, H, W], w [O, C, k, k]) + bias. */
  forward(g: ConvGeometry, O: number, n: number, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void
  /** dw ← dL/dw, db ← dL/db (if given), dx ← dL/dx (if given), from dy [n, O, OH, OW]. */
  backward(
    g: ConvGeometry, O: number, n: number, x: Float32Array, w: Float32Array, dy: Float32Array,
    dw: Float32Array, db: Float32Array | null, dx: Float32Array | null,
  ): void
}

/**
 * A conv layer followed by ReLU and a 2×2 stride-2 max-pool, as one kernel
 * (`conv_relu_pool_*_f32` in ./wasm/simd.as): only the pooled output leaves
 * WebAssembly, with one byte per pooled value (`win`) saying which pixel of
 * its window won, or that none passed ReLU. See ../routes/fused-simd.ts.
 */
export interface ConvBlockKernel {
  readonly name: string
  /** y [n, O, OH/2, OW/2] ← pool(relu(conv(x) + bias)); win [same count] for backward. */
  forward(g: ConvGeometry, O: number, n: number, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, win: Uint8Array): void
  /** dw, db (if given), dx (if given) from the pooled gradient dy [n, O, OH/2, OW/2]. */
  backward(
    g: ConvGeometry, O: number, n: number, x: Float32Array, w: Float32Array, dy: Float32Array, win: Uint8Array,
    dw: Float32Array, db: Float32Array | null, dx: Float32Array | null,
  ): void
}

const align = (bytes: number) => Math.ceil(bytes / 64) * 64

/** The fused conv → ReLU → 2×2 max-pool kernel on one build of the SIMD module. */
export function createWasmConvBlock(simd: SimdModule): ConvBlockKernel {
  const wasm = simd.exports
  let buffer = simd.reserve(0)
  let f32 = new Float32Array(buffer)
  let u8 = new Uint8Array(buffer)

  function layout(bytes: number[]): number[] {
    let total = 0
    for (const b of bytes) total += align(b)
    if (simd.reserve(total) !== buffer) {
      buffer = simd.reserve(total)
      f32 = new Float32Array(buffer)
      u8 = new Uint8Array(buffer)
    }
    const addresses: number[] = []
    let at = simd.operands
    for (const b of bytes) {
      addresses.push(at)
      at += align(b)
    }
    return addresses
  }
  const put = (at: number, data: Float32Array, length: number) =>
    f32.set(data.length === length ? data : data.subarray(0, length), at >> 2)
  const get = (at: number, into: Float32Array, length: number) => into.set(f32.subarray(at >> 2, (at >> 2) + length))
  const sizes = (g: ConvGeometry, O: number, n: number) => ({
    K: g.channels * g.kernel * g.kernel,
    inLength: n * g.channels * g.height * g.width,
    pooled: n * O * (g.outHeight >> 1) * (g.outWidth >> 1),
    scratch: wasm.convBlockScratch(g.channels, g.height, g.width, g.kernel, g.padding, g.outHeight, g.outWidth, O),
  })

  return {
    name: 'wasm-simd-conv-relu-pool',
    forward(g, O, n, x, w, bias, y, win) {
      const { K, inLength, pooled, scratch } = sizes(g, O, n)
      const [ax, aw, ab, ay, awin, as] = layout([inLength * 4, O * K * 4, O * 4, pooled * 4, pooled, scratch * 4])
      put(ax, x, inLength)
      put(aw, w, O * K)
      if (bias) put(ab, bias, O)
      wasm.conv_relu_pool_forward_f32(
        n, g.channels, g.height, g.width, g.kernel, g.stride, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, bias ? ab : 0, ay, awin, as, simd.work,
      )
      get(ay, y, pooled)
      win.set(u8.subarray(awin, awin + pooled))
    },
    backward(g, O, n, x, w, dy, win, dw, db, dx) {
      const { K, inLength, pooled, scratch } = sizes(g, O, n)
      const [ax, aw, ady, awin, adw, adb, adx, as] = layout([
        inLength * 4, O * K * 4, pooled * 4, pooled, O * K * 4, O * 4, dx ? inLength * 4 : 0, scratch * 4,
      ])
      put(ax, x, inLength)
      put(aw, w, O * K)
      put(ady, dy, pooled)
      u8.set(win.length === pooled ? win : win.subarray(0, pooled), awin)
      wasm.conv_relu_pool_backward_f32(
        n, g.channels, g.height, g.width, g.kernel, g.stride, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, ady, awin, adw, db ? adb : 0, dx ? adx : 0, as, simd.work,
      )
      get(adw, dw, O * K)
      if (db) get(adb, db, O)
      if (dx) get(adx, dx, inLength)
    },
  }
}

/** The WebAssembly conv kernel on one build of the SIMD module. */
export function createWasmConv(simd: SimdModule): ConvKernel {
  const wasm = simd.exports
  let buffer = simd.reserve(0)
  let f32 = new Float32Array(buffer)

  /** Lays out arrays of these lengths in the operand area; returns their byte addresses. */
  function layout(lengths: number[]): number[] {
    let bytes = 0
    for (const length of lengths) bytes += align(length * 4)
    if (simd.reserve(bytes) !== buffer) {
      buffer = simd.reserve(bytes)
      f32 = new Float32Array(buffer)
    }
    const addresses: number[] = []
    let at = simd.operands
    for (const length of lengths) {
      addresses.push(at)
      at += align(length * 4)
    }
    return addresses
  }

  const put = (at: number, data: Float32Array, length: number) =>
    f32.set(data.length === length ? data : data.subarray(0, length), at >> 2)
  const get = (at: number, into: Float32Array, length: number) => into.set(f32.subarray(at >> 2, (at >> 2) + length))

  return {
    name: 'wasm-simd-conv',
    forward(g, O, n, x, w, bias, y) {
      const K = g.channels * g.kernel * g.kernel
      const P = g.outHeight * g.outWidth
      const inLength = n * g.channels * g.height * g.width
      const outLength = n * O * P
      const [ax, aw, ab, ay, acols] = layout([inLength, O * K, O, outLength, K * P])
      put(ax, x, inLength)
      put(aw, w, O * K)
      if (bias) put(ab, bias, O)
      wasm.conv2d_forward_f32(
        n, g.channels, g.height, g.width, g.kernel, g.stride, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, bias ? ab : 0, ay, acols, simd.work,
      )
      get(ay, y, outLength)
    },
    backward(g, O, n, x, w, dy, dw, db, dx) {
      const K = g.channels * g.kernel * g.kernel
      const P = g.outHeight * g.outWidth
      const inLength = n * g.channels * g.height * g.width
      const outLength = n * O * P
      const [ax, aw, ady, adw, adb, adx, acols] = layout([inLength, O * K, outLength, O * K, O, dx ? inLength : 0, K * P])
      put(ax, x, inLength)
      put(aw, w, O * K)
      put(ady, dy, outLength)
      wasm.conv2d_backward_f32(
        n, g.channels, g.height, g.width, g.kernel, g.stride, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, ady, adw, db ? adb : 0, dx ? adx : 0, acols, simd.work,
      )
      get(adw, dw, O * K)
      if (db) get(adb, db, O)
      if (dx) get(adx, dx, inLength)
    },
  }
}
