/**
 * Direct convolution for tiny layers: the lesson models' 3×3 kernels on 8×8
 * pictures, where im2col + GEMM spends more time copying and packing than
 * multiplying. Each output is one short dot product over its receptive field,
 * with the kernel's weights read straight from W.
 *
 * The sum is taken exactly as the im2col + GEMM path takes it (start from 0,
 * add w·x in (channel, ky, kx) order, then add the bias), so float64 results
 * are bit-identical and lesson 000 still prints its own numbers. Taps that
 * fall on zero padding are skipped: they would add w·0 = ±0, which changes
 * nothing.
 *
 * The forward pass exists twice, once per array type, for the reason given in
 * gemm-ts.ts: a V8 function that has seen both Float32Array and Float64Array
 * goes polymorphic on every element access and runs several times slower.
 */
import type { FloatArray } from '../tensor'
import type { ConvGeometry } from './im2col'

/** Multiply-adds per sample below which the direct path is used (see Conv2d). */
export const DIRECT_CONV_LIMIT = 20_000

export function directConvForward(
  g: ConvGeometry, O: number, n: number, x: FloatArray, W: FloatArray, bias: FloatArray | null, y: FloatArray,
): void {
  if (x instanceof Float64Array) forward64(g, O, n, x, W as Float64Array, bias as Float64Array | null, y as Float64Array)
  else forward32(g, O, n, x, W as Float32Array, bias as Float32Array | null, y as Float32Array)
}

function forward64(
  g: ConvGeometry, O: number, n: number, x: Float64Array, W: Float64Array, bias: Float64Array | null, y: Float64Array,
): void {
  const { channels: C, height: H, width: Wd, kernel: k, stride, padding, outHeight: OH, outWidth: OW } = g
  if (C === 1 && k === 3 && stride === 1 && padding === 0) {
    single3x3f64(n, O, H, Wd, OH, OW, x, W, bias, y)
    return
  }
  const plane = H * Wd
  let out = 0
  for (let s = 0; s < n; s++) {
    const xs = s * C * plane
    for (let o = 0; o < O; o++) {
      const wo = o * C * k * k
      const b = bias ? bias[o] : 0
      for (let oy = 0; oy < OH; oy++) {
        const y0 = oy * stride - padding
        const kyFirst = y0 < 0 ? -y0 : 0
        const kyEnd = Math.min(k, H - y0)
        for (let ox = 0; ox < OW; ox++, out++) {
          const x0 = ox * stride - padding
          const kxFirst = x0 < 0 ? -x0 : 0
          const kxEnd = Math.min(k, Wd - x0)
          let sum = 0
          for (let c = 0; c < C; c++) {
            const wc = wo + c * k * k
            const xc = xs + c * plane + y0 * Wd + x0
            for (let ky = kyFirst; ky < kyEnd; ky++) {
              const wr = wc + ky * k
              const xr = xc + ky * Wd
              for (let kx = kxFirst; kx < kxEnd; kx++) sum += W[wr + kx] * x[xr + kx]
            }
          }
          y[out] = sum + b
        }
      }
    }
  }
}

function forward32(
  g: ConvGeometry, O: number, n: number, x: Float32Array, W: Float32Array, bias: Float32Array | null, y: Float32Array,
): void {
  const { channels: C, height: H, width: Wd, kernel: k, stride, padding, outHeight: OH, outWidth: OW } = g
  if (C === 1 && k === 3 && stride === 1 && padding === 0) {
    single3x3f32(n, O, H, Wd, OH, OW, x, W, bias, y)
    return
  }
  const plane = H * Wd
  let out = 0
  for (let s = 0; s < n; s++) {
    const xs = s * C * plane
    for (let o = 0; o < O; o++) {
      const wo = o * C * k * k
      const b = bias ? bias[o] : 0
      for (let oy = 0; oy < OH; oy++) {
        const y0 = oy * stride - padding
        const kyFirst = y0 < 0 ? -y0 : 0
        const kyEnd = Math.min(k, H - y0)
        for (let ox = 0; ox < OW; ox++, out++) {
          const x0 = ox * stride - padding
          const kxFirst = x0 < 0 ? -x0 : 0
          const kxEnd = Math.min(k, Wd - x0)
          let sum = 0
          for (let c = 0; c < C; c++) {
            const wc = wo + c * k * k
            const xc = xs + c * plane + y0 * Wd + x0
            for (let ky = kyFirst; ky < kyEnd; ky++) {
              const wr = wc + ky * k
              const xr = xc + ky * Wd
              for (let kx = kxFirst; kx < kxEnd; kx++) sum += W[wr + kx] * x[xr + kx]
            }
          }
          y[out] = sum + b
        }
      }
    }
  }
}

/**
 * One input channel, 3×3, no padding, stride 1: lesson 000's detector and
 * lesson 001's TinyCNN. The nine weights sit in locals, and a 3×3 window of
 * the input slides along each row, so each output reads three new pixels
 * instead of nine. The sum's order is the general loop's.
 */
function single3x3f64(
  n: number, O: number, H: number, Wd: number, OH: number, OW: number,
  x: Float64Array, W: Float64Array, bias: Float64Array | null, y: Float64Array,
): void {
  let out = 0
  for (let s = 0; s < n; s++) {
    const xs = s * H * Wd
    for (let o = 0; o < O; o++) {
      const w = o * 9
      const w0 = W[w], w1 = W[w + 1], w2 = W[w + 2], w3 = W[w + 3], w4 = W[w + 4]
      const w5 = W[w + 5], w6 = W[w + 6], w7 = W[w + 7], w8 = W[w + 8]
      const b = bias ? bias[o] : 0
      for (let oy = 0; oy < OH; oy++) {
        const r0 = xs + oy * Wd
        const r1 = r0 + Wd
        const r2 = r1 + Wd
        let a0 = x[r0], a1 = x[r0 + 1], b0 = x[r1], b1 = x[r1 + 1], c0 = x[r2], c1 = x[r2 + 1]
        for (let ox = 0; ox < OW; ox++, out++) {
          const a2 = x[r0 + ox + 2], b2 = x[r1 + ox + 2], c2 = x[r2 + ox + 2]
          let sum = 0
          sum += w0 * a0; sum += w1 * a1; sum += w2 * a2
          sum += w3 * b0; sum += w4 * b1; sum += w5 * b2
          sum += w6 * c0; sum += w7 * c1; sum += w8 * c2
          y[out] = sum + b
          a0 = a1; a1 = a2; b0 = b1; b1 = b2; c0 = c1; c1 = c2
        }
      }
    }
  }
}

/** single3x3f64 for float32 arrays (see the file's note on why there are two). */
function single3x3f32(
  n: number, O: number, H: number, Wd: number, OH: number, OW: number,
  x: Float32Array, W: Float32Array, bias: Float32Array | null, y: Float32Array,
): void {
  let out = 0
  for (let s = 0; s < n; s++) {
    const xs = s * H * Wd
    for (let o = 0; o < O; o++) {
      const w = o * 9
      const w0 = W[w], w1 = W[w + 1], w2 = W[w + 2], w3 = W[w + 3], w4 = W[w + 4]
      const w5 = W[w + 5], w6 = W[w + 6], w7 = W[w + 7], w8 = W[w + 8]
      const b = bias ? bias[o] : 0
      for (let oy = 0; oy < OH; oy++) {
        const r0 = xs + oy * Wd
        const r1 = r0 + Wd
        const r2 = r1 + Wd
        let a0 = x[r0], a1 = x[r0 + 1], b0 = x[r1], b1 = x[r1 + 1], c0 = x[r2], c1 = x[r2 + 1]
        for (let ox = 0; ox < OW; ox++, out++) {
          const a2 = x[r0 + ox + 2], b2 = x[r1 + ox + 2], c2 = x[r2 + ox + 2]
          let sum = 0
          sum += w0 * a0; sum += w1 * a1; sum += w2 * a2
          sum += w3 * b0; sum += w4 * b1; sum += w5 * b2
          sum += w6 * c0; sum += w7 * c1; sum += w8 * c2
          y[out] = sum + b
          a0 = a1; a1 = a2; b0 = b1; b1 = b2; c0 = c1; c1 = c2
        }
      }
    }
  }
}

/**
 * Gradients of the direct convolution from dy [n, O, OH, OW]: dW and db are
 * overwritten; dx (if given) is overwritten with dL/dx.
 */
export function directConvBackward(
  g: ConvGeometry, O: number, n: number, x: FloatArray, W: FloatArray, dy: FloatArray,
  dW: FloatArray, db: FloatArray | null, dx: FloatArray | null,
): void {
  const { channels: C, height: H, width: Wd, kernel: k, stride, padding, outHeight: OH, outWidth: OW } = g
  const plane = H * Wd
  const P = OH * OW
  dW.fill(0)
  if (db) db.fill(0)
  if (dx) dx.fill(0)
  for (let s = 0; s < n; s++) {
    const xs = s * C * plane
    for (let o = 0; o < O; o++) {
      const wo = o * C * k * k
      const dys = (s * O + o) * P
      let dbSum = 0
      for (let oy = 0; oy < OH; oy++) {
        const y0 = oy * stride - padding
        const kyFirst = y0 < 0 ? -y0 : 0
        const kyEnd = Math.min(k, H - y0)
        for (let ox = 0; ox < OW; ox++) {
          const d = dy[dys + oy * OW + ox]
          dbSum += d
          if (d === 0) continue
          const x0 = ox * stride - padding
          const kxFirst = x0 < 0 ? -x0 : 0
          const kxEnd = Math.min(k, Wd - x0)
          for (let c = 0; c < C; c++) {
            const wc = wo + c * k * k
            const xc = xs + c * plane + y0 * Wd + x0
            for (let ky = kyFirst; ky < kyEnd; ky++) {
              const wr = wc + ky * k
              const xr = xc + ky * Wd
              for (let kx = kxFirst; kx < kxEnd; kx++) {
                dW[wr + kx] += d * x[xr + kx]
                if (dx) dx[xr + kx] += d * W[wr + kx]
              }
            }
          }
        }
      }
      if (db) db[o] += dbSum
    }
  }
}
