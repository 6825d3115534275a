/**
 * Winograd F(2×2, 3×3) convolution kernels (float32), `winograd_*_f32` in
 * ./wasm/simd.as: 3×3 stride-1 convs with 16 multiplications per 2×2 output
 * block and channel pair instead of 36, as 16 SIMD GEMMs between additions-
 * only transforms. Backward uses the transposed formulation (see simd.as).
 *
 * Same interfaces as the direct kernels in ./conv-wasm.ts, which they are
 * tested against (test/engine/winograd.test.ts), so a route can swap one for
 * the other. Float64 never comes here: its results stay bit-exact on the
 * direct path. This file only provides the kernels; which layers use them is
 * the route's decision (winogradApplies says where they are correct).
 */
import type { ConvBlockKernel, ConvKernel } from './conv-wasm'
import type { ConvGeometry } from './im2col'
import type { SimdExports, SimdModule } from './wasm/simd-module'

/** The Winograd exports of the SIMD module (simd.as); addresses are byte offsets. */
interface WinogradExports extends SimdExports {
  winogradScratch(n: number, C: number, H: number, W: number, padding: number, OH: number, OW: number, O: number): number
  winograd_forward_f32(
    n: number, C: number, H: number, W: number, padding: number, OH: number, OW: number, O: number,
    x: number, w: number, bias: number, y: number, scratch: number, work: number,
  ): void
  winograd_backward_f32(
    n: number, C: number, H: number, W: number, padding: number, OH: number, OW: number, O: number,
    x: number, w: number, dy: number, dw: number, db: number, dx: number, scratch: number, work: number,
  ): void
  winograd_relu_pool_forward_f32(
    n: number, C: number, H: number, W: number, padding: number, OH: number, OW: number, O: number,
    x: number, w: number, bias: number, y: number, win: number, scratch: number, work: number,
  ): void
  winograd_relu_pool_backward_f32(
    n: number, C: number, H: number, W: number, padding: number, OH: number, OW: number, O: number,
    x: number, w: number, g: number, win: number, dw: number, db: number, dx: number, scratch: number, work: number,
  ): void
}

/**
 * Whether the Winograd kernels compute this conv: a 3×3 kernel, stride 1, any
 * padding ≥ 0 and any image size with at least one output. Correct is not the
 * same as faster: with one input channel (the MNIST CNN's conv1) there is
 * nothing to spread the transforms over, and the direct kernels win
 * (bench/winograd.ts measures it); the route decides.
 */
export function winogradApplies(g: ConvGeometry): boolean {
  return (
    g.kernel === 3 && g.stride === 1 && g.padding >= 0 &&
    g.outHeight === g.height + 2 * g.padding - 2 && g.outWidth === g.width + 2 * g.padding - 2 &&
    g.outHeight >= 1 && g.outWidth >= 1 && g.channels >= 1
  )
}

function check(g: ConvGeometry, O: number, n: number): void {
  if (!winogradApplies(g)) {
    throw new Error(
      `Winograd conv needs kernel 3, stride 1, padding ≥ 0 and a consistent output size; got kernel ${g.kernel}, ` +
        `stride ${g.stride}, padding ${g.padding}, ${g.height}×${g.width} → ${g.outHeight}×${g.outWidth}`,
    )
  }
  if (!Number.isInteger(O) || O < 1) throw new Error(`Winograd conv: output channels must be a positive integer, got ${O}`)
  if (!Number.isInteger(n) || n < 0) throw new Error(`Winograd conv: batch size must be a non-negative integer, got ${n}`)
}

const align = (bytes: number) => Math.ceil(bytes / 64) * 64

/** The module's Winograd exports and an operand allocator, or null where this build lacks them. */
function winogradModule(simd: SimdModule) {
  const wasm = simd.exports as WinogradExports
  if (typeof wasm.winograd_forward_f32 !== 'function') return null
  let buffer = simd.reserve(0)
  let f32 = new Float32Array(buffer)
  let u8 = new Uint8Array(buffer)
  const views = () => {
    const current = simd.reserve(0)
    if (current !== buffer) {
      buffer = current
      f32 = new Float32Array(buffer)
      u8 = new Uint8Array(buffer)
    }
  }
  return {
    wasm,
    work: simd.work,
    /** Lays out buffers of these byte sizes in the operand area; returns their addresses. */
    layout(bytes: number[]): number[] {
      let total = 0
      for (const b of bytes) total += align(b)
      simd.reserve(total)
      views()
      const addresses: number[] = []
      let at = simd.operands
      for (const b of bytes) {
        addresses.push(at)
        at += align(b)
      }
      return addresses
    },
    put(at: number, data: Float32Array, length: number) {
      f32.set(data.length === length ? data : data.subarray(0, length), at >> 2)
    },
    get(at: number, into: Float32Array, length: number) {
      into.set(f32.subarray(at >> 2, (at >> 2) + length))
    },
    putBytes(at: number, data: Uint8Array, length: number) {
      u8.set(data.length === length ? data : data.subarray(0, length), at)
    },
    getBytes(at: number, into: Uint8Array, length: number) {
      into.set(u8.subarray(at, at + length))
    },
  }
}

function sizes(wasm: WinogradExports, g: ConvGeometry, O: number, n: number) {
  return {
    K: g.channels * 9,
    inLength: n * g.channels * g.height * g.width,
    outLength: n * O * g.outHeight * g.outWidth,
    pooled: n * O * (g.outHeight >> 1) * (g.outWidth >> 1),
    scratch: wasm.winogradScratch(n, g.channels, g.height, g.width, g.padding, g.outHeight, g.outWidth, O),
  }
}

/** The Winograd conv kernel (ConvKernel of ./conv-wasm.ts), or null where WebAssembly SIMD is unavailable. */
export function createWinogradConv(simd: SimdModule): ConvKernel | null {
  const m = winogradModule(simd)
  if (!m) return null
  const { wasm, work } = m
  return {
    name: 'wasm-simd-winograd',
    forward(g, O, n, x, w, bias, y) {
      check(g, O, n)
      const { K, inLength, outLength, scratch } = sizes(wasm, g, O, n)
      const [ax, aw, ab, ay, as] = m.layout([inLength * 4, O * K * 4, O * 4, outLength * 4, scratch * 4])
      m.put(ax, x, inLength)
      m.put(aw, w, O * K)
      if (bias) m.put(ab, bias, O)
      wasm.winograd_forward_f32(
        n, g.channels, g.height, g.width, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, bias ? ab : 0, ay, as, work,
      )
      m.get(ay, y, outLength)
    },
    backward(g, O, n, x, w, dy, dw, db, dx) {
      check(g, O, n)
      const { K, inLength, outLength, scratch } = sizes(wasm, g, O, n)
      const [ax, aw, ady, adw, adb, adx, as] = m.layout([
        inLength * 4, O * K * 4, outLength * 4, O * K * 4, O * 4, dx ? inLength * 4 : 0, scratch * 4,
      ])
      m.put(ax, x, inLength)
      m.put(aw, w, O * K)
      m.put(ady, dy, outLength)
      wasm.winograd_backward_f32(
        n, g.channels, g.height, g.width, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, ady, adw, db ? adb : 0, dx ? adx : 0, as, work,
      )
      m.get(adw, dw, O * K)
      if (db) m.get(adb, db, O)
      if (dx) m.get(adx, dx, inLength)
    },
  }
}

/**
 * The fused conv → ReLU → 2×2 max-pool kernel by Winograd (ConvBlockKernel of
 * ./conv-wasm.ts, same winner bytes), or null where WebAssembly SIMD is unavailable.
 */
export function createWinogradConvBlock(simd: SimdModule): ConvBlockKernel | null {
  const m = winogradModule(simd)
  if (!m) return null
  const { wasm, work } = m
  return {
    name: 'wasm-simd-winograd-relu-pool',
    forward(g, O, n, x, w, bias, y, win) {
      check(g, O, n)
      const { K, inLength, pooled, scratch } = sizes(wasm, g, O, n)
      const [ax, aw, ab, ay, awin, as] = m.layout([inLength * 4, O * K * 4, O * 4, pooled * 4, pooled, scratch * 4])
      m.put(ax, x, inLength)
      m.put(aw, w, O * K)
      if (bias) m.put(ab, bias, O)
      wasm.winograd_relu_pool_forward_f32(
        n, g.channels, g.height, g.width, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, bias ? ab : 0, ay, awin, as, work,
      )
      m.get(ay, y, pooled)
      m.getBytes(awin, win, pooled)
    },
    backward(g, O, n, x, w, dy, win, dw, db, dx) {
      check(g, O, n)
      const { K, inLength, pooled, scratch } = sizes(wasm, g, O, n)
      const [ax, aw, ady, awin, adw, adb, adx, as] = m.layout([
        inLength * 4, O * K * 4, pooled * 4, pooled, O * K * 4, O * 4, dx ? inLength * 4 : 0, scratch * 4,
      ])
      m.put(ax, x, inLength)
      m.put(aw, w, O * K)
      m.put(ady, dy, pooled)
      m.putBytes(awin, win, pooled)
      wasm.winograd_relu_pool_backward_f32(
        n, g.channels, g.height, g.width, g.padding, g.outHeight, g.outWidth, O,
        ax, aw, ady, awin, adw, db ? adb : 0, dx ? adx : 0, as, work,
      )
      m.get(adw, dw, O * K)
      if (db) m.get(adb, db, O)
      if (dx) m.get(adx, dx, inLength)
    },
  }
}
