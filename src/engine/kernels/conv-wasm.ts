/**
 * A conv layer's whole forward or backward pass (float32) in one WebAssembly
 * call (`conv2d_forward_f32` / `conv2d_backward_f32` in ./wasm/simd.as):
 * per sample, im2col into a buffer that stays in cache, then the SIMD GEMM.
 *
 * Doing the whole layer there, rather than only its GEMMs, means the large
 * im2col matrices never cross between JavaScript and WebAssembly memory: only
 * the layer's own input, weights and output are copied. The TypeScript path in
 * ../layers/conv2d.ts computes the same thing and is what this is tested against.
 */
import type { ConvGeometry } from './im2col'
import { simdModule } from './wasm/simd-module'

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

const align = (bytes: number) => Math.ceil(bytes / 64) * 64

/** The WebAssembly conv kernel, or null where WebAssembly SIMD is unavailable. */
export function createWasmConv(): ConvKernel | null {
  const simd = simdModule()
  if (!simd) return null
  const wasm = simd.exports
  let buffer = simd.reserve(0)
  let f32 = new Float32Array(buffer)

  /** Lays out arrays of these lengths in the operand area; returns their byte addresses. */
  function layout(lengths: number[]): number[] {
    let bytes = 0
    for (const length of lengths) bytes += align(length * 4)
    if (simd!.reserve(bytes) !== buffer) {
      buffer = simd!.reserve(bytes)
      f32 = new Float32Array(buffer)
    }
    const addresses: number[] = []
    let at = simd!.operands
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

let active: ConvKernel | null = createWasmConv()

/** The fast conv kernel layers use for float32, or null for the TypeScript path. */
export function getConvKernel(): ConvKernel | null {
  return active
}

/** Swaps it (null: TypeScript reference path); returns the previous one so a test can restore it. */
export function setConvKernel(kernel: ConvKernel | null): ConvKernel | null {
  const previous = active
  active = kernel
  return previous
}
