/**
 * Shared by test/engine/winograd.test.ts and bench/winograd.ts: runs a conv's
 * forward and backward through a float32 ConvKernel and through the float64
 * TypeScript layer (layers/conv2d.ts, the reference), and measures how far
 * apart they are, relative to the reference's magnitude:
 *
 *   error = max |kernel − reference| / max |reference|    (per output array)
 */
import type { ConvKernel } from '../../src/engine/kernels/conv-wasm'
import type { ConvGeometry } from '../../src/engine/kernels/im2col'
import { Conv2d } from '../../src/engine/layers/conv2d'
import { backendKernels } from '../../src/engine/backend'

/** A conv shape: in channels, out channels, height, width, padding, batch. */
export interface ConvCase {
  C: number
  O: number
  H: number
  W: number
  padding: number
  n: number
}

export function random(length: number, seed: number): Float32Array {
  const out = new Float32Array(length)
  let s = seed >>> 0
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 32 - 0.5
  }
  return out
}

export function geometry({ C, H, W, padding }: ConvCase): ConvGeometry {
  return { channels: C, height: H, width: W, kernel: 3, stride: 1, padding, outHeight: H + 2 * padding - 2, outWidth: W + 2 * padding - 2 }
}

export interface ConvOperands {
  x: Float32Array
  w: Float32Array
  bias: Float32Array
  dy: Float32Array
}

export function operands(c: ConvCase, seed = 1): ConvOperands {
  const g = geometry(c)
  return {
    x: random(c.n * c.C * c.H * c.W, seed),
    w: random(c.O * c.C * 9, seed + 1),
    bias: random(c.O, seed + 2),
    dy: random(c.n * c.O * g.outHeight * g.outWidth, seed + 3),
  }
}

export interface ConvResults {
  y: Float64Array | Float32Array
  dx: Float64Array | Float32Array
  dw: Float64Array | Float32Array
  db: Float64Array | Float32Array
}

/** Forward and every gradient through a ConvKernel (float32). */
export function runKernel(kernel: ConvKernel, c: ConvCase, ops: ConvOperands): ConvResults {
  const g = geometry(c)
  const y = new Float32Array(c.n * c.O * g.outHeight * g.outWidth).fill(NaN)
  const dx = new Float32Array(ops.x.length).fill(NaN)
  const dw = new Float32Array(ops.w.length).fill(NaN)
  const db = new Float32Array(c.O).fill(NaN)
  kernel.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, y)
  kernel.backward(g, c.O, c.n, ops.x, ops.w, ops.dy, dw, db, dx)
  return { y, dx, dw, db }
}

/** The same through the float64 TypeScript conv layer. */
export function runReference(c: ConvCase, ops: ConvOperands): ConvResults {
  const layer = new Conv2d(
    { type: 'conv2d', inChannels: c.C, outChannels: c.O, kernelSize: 3, stride: 1, padding: c.padding, bias: true },
    [c.C, c.H, c.W],
    'float64',
    backendKernels('reference').gemm,
  )
  layer.weight.value.data.set(ops.w)
  layer.bias!.value.data.set(ops.bias)
  const y = layer.forward({ shape: [c.n, c.C, c.H, c.W], data: Float64Array.from(ops.x) }, true)
  const dx = layer.backward({ shape: y.shape, data: Float64Array.from(ops.dy) })
  return { y: Float64Array.from(y.data), dx: Float64Array.from(dx.data), dw: Float64Array.from(layer.weight.grad.data), db: Float64Array.from(layer.bias!.grad.data) }
}

/** max |a − ref| / max |ref| (NaN anywhere in a: Infinity). */
export function relativeError(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) throw new Error(`length ${a.length} against the reference's ${ref.length}`)
  let diff = 0, scale = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - ref[i])
    if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : d
    scale = Math.max(scale, Math.abs(ref[i]))
  }
  return scale === 0 ? diff : diff / scale
}

export const OUTPUTS = ['y', 'dx', 'dw', 'db'] as const

export function errors(a: ConvResults, ref: ConvResults): Record<(typeof OUTPUTS)[number], number> {
  return { y: relativeError(a.y, ref.y), dx: relativeError(a.dx, ref.dx), dw: relativeError(a.dw, ref.dw), db: relativeError(a.db, ref.db) }
}
