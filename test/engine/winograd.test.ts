import { describe, expect, it } from 'vitest'
import { createWasmConv, createWasmConvBlock } from '../../src/engine/kernels/conv-wasm'
import { createWinogradConv, createWinogradConvBlock, winogradApplies } from '../../src/engine/kernels/winograd'
import { errors, geometry, operands, OUTPUTS, random, relativeError, runKernel, runReference, type ConvCase } from './winograd-check'
import { backendKernels, defaultBackend } from '../../src/engine/backend'

/** The process's SIMD build (relaxed where the runtime takes it). */
const SIMD = backendKernels(defaultBackend()).simd!

/**
 * Float32 tolerance, relative to the reference's largest magnitude: max |Δ| ≤
 * TOLERANCE · max |ref| for y, dx, dw and db. Measured against the float64
 * TypeScript layer, the Winograd path stays within 1e-6 on every case below
 * (about 2e-7 for y and dx, up to 9e-7 for dw, whose sums run over a whole
 * batch), as does the direct SIMD path; 1e-5 leaves headroom for the fused
 * multiply-add build and other sizes while still catching any wrong tap or
 * tile (those show up at 1e-2 and more).
 */
const TOLERANCE = 1e-5

const cases: ConvCase[] = [
  { C: 1, O: 32, H: 28, W: 28, padding: 1, n: 2 }, // MNIST conv1
  { C: 32, O: 64, H: 14, W: 14, padding: 1, n: 7 }, // MNIST conv2, two sample groups (the second partial)
  { C: 1, O: 3, H: 7, W: 9, padding: 0, n: 3 }, // C = 1, no padding, odd outputs 5×7
  { C: 3, O: 5, H: 9, W: 7, padding: 1, n: 2 }, // odd sizes, partial tiles at both edges
  { C: 2, O: 7, H: 5, W: 5, padding: 2, n: 1 }, // padding 2: output larger than input
  { C: 4, O: 6, H: 3, W: 3, padding: 0, n: 2 }, // one output pixel per channel
  { C: 2, O: 3, H: 20, W: 20, padding: 1, n: 3 }, // 100 tiles a sample: groups of two samples
  { C: 5, O: 9, H: 6, W: 13, padding: 1, n: 2 }, // non-square, tile rows of 7 (a vector and three)
]

const label = (c: ConvCase) => `C=${c.C} O=${c.O} ${c.H}×${c.W} pad ${c.padding} n=${c.n}`

describe('winogradApplies', () => {
  it('takes 3×3 stride-1 convs with consistent sizes, and nothing else', () => {
    expect(winogradApplies(geometry({ C: 32, O: 64, H: 14, W: 14, padding: 1, n: 1 }))).toBe(true)
    expect(winogradApplies(geometry({ C: 1, O: 1, H: 3, W: 3, padding: 0, n: 1 }))).toBe(true)
    const g = geometry({ C: 3, O: 4, H: 9, W: 9, padding: 1, n: 1 })
    expect(winogradApplies({ ...g, stride: 2, outHeight: 5, outWidth: 5 })).toBe(false)
    expect(winogradApplies({ ...g, kernel: 5, outHeight: 7, outWidth: 7 })).toBe(false)
    expect(winogradApplies({ ...g, outWidth: 8 })).toBe(false)
  })

  it('the kernels refuse other geometries with a message naming what is wrong', () => {
    const wino = createWinogradConv(SIMD)!
    const g = { ...geometry({ C: 1, O: 2, H: 8, W: 8, padding: 1, n: 1 }), stride: 2, outHeight: 4, outWidth: 4 }
    expect(() => wino.forward(g, 2, 1, new Float32Array(64), new Float32Array(18), null, new Float32Array(32))).toThrow(/stride 2/)
    const ok = geometry({ C: 1, O: 2, H: 8, W: 8, padding: 1, n: 1 })
    expect(() => wino.forward(ok, 0, 1, new Float32Array(64), new Float32Array(18), null, new Float32Array(128))).toThrow(/output channels/)
  })
})

describe('Winograd F(2×2, 3×3) conv kernel (float32)', () => {
  const wino = createWinogradConv(SIMD)
  const direct = createWasmConv(SIMD)

  it('loads with the SIMD module', () => {
    expect(wino?.name).toBe('wasm-simd-winograd')
    expect(direct).not.toBeNull()
  })

  for (const c of cases) {
    it(`matches the float64 TypeScript layer and the direct SIMD conv: y, dx, dw, db (${label(c)})`, () => {
      const ops = operands(c, c.C * 7 + c.H)
      const ref = runReference(c, ops)
      const fast = runKernel(wino!, c, ops)
      const measured = errors(fast, ref)
      for (const key of OUTPUTS) {
        if (!(measured[key] <= TOLERANCE)) throw new Error(`${key}: error ${measured[key]} against float64 (${label(c)})`)
      }
      // Against the direct float32 kernel: each is within tolerance of float64, so within twice it of each other.
      const other = runKernel(direct!, c, ops)
      for (const key of OUTPUTS) {
        const e = relativeError(fast[key], Float64Array.from(other[key]))
        if (!(e <= 2 * TOLERANCE)) throw new Error(`${key}: error ${e} against the direct SIMD kernel (${label(c)})`)
      }
    })
  }

  it('a wrong weight is caught: the check is not blind', () => {
    const c = cases[3]
    const ops = operands(c, 5)
    const ref = runReference(c, ops)
    const tampered = { ...ops, w: Float32Array.from(ops.w) }
    tampered.w[4] += 0.01 // the centre tap of one filter
    expect(errors(runKernel(wino!, c, tampered), ref).y).toBeGreaterThan(100 * TOLERANCE)
  })

  it('without db and dx computes the same dw and leaves dx alone', () => {
    const c = cases[3]
    const ops = operands(c, 9)
    const g = geometry(c)
    const full = runKernel(wino!, c, ops)
    const dw = new Float32Array(ops.w.length)
    wino!.backward(g, c.O, c.n, ops.x, ops.w, ops.dy, dw, null, null)
    expect(Array.from(dw)).toEqual(Array.from(full.dw))
  })

  it('without bias adds nothing (the same as a zero bias)', () => {
    const c = cases[7]
    const ops = operands(c, 13)
    const g = geometry(c)
    const none = new Float32Array(ops.dy.length).fill(NaN), zero = new Float32Array(ops.dy.length)
    wino!.forward(g, c.O, c.n, ops.x, ops.w, null, none)
    wino!.forward(g, c.O, c.n, ops.x, ops.w, new Float32Array(c.O), zero)
    expect(Array.from(none)).toEqual(Array.from(zero))
  })

  it('accepts inputs longer than the batch (reused buffers) and an empty batch', () => {
    const c = cases[2]
    const ops = operands(c, 3)
    const g = geometry(c)
    const exact = runKernel(wino!, c, ops).y
    const longer = new Float32Array(ops.x.length + 50)
    longer.set(ops.x)
    const y = new Float32Array(exact.length)
    wino!.forward(g, c.O, c.n, longer, ops.w, ops.bias, y)
    expect(Array.from(y)).toEqual(Array.from(exact))
    const dw = new Float32Array(ops.w.length).fill(NaN)
    wino!.backward(g, c.O, 0, new Float32Array(0), ops.w, new Float32Array(0), dw, null, null)
    expect(dw.every((v) => v === 0)).toBe(true)
  })
})

/** relu → 2×2 max-pool over z [n, O, OH, OW] in TypeScript, with reluPool's winner bytes (4: none passed). */
function reluPool(z: Float32Array, n: number, O: number, OH: number, OW: number) {
  const PH = OH >> 1, PW = OW >> 1
  const y = new Float32Array(n * O * PH * PW)
  const win = new Uint8Array(y.length)
  let q = 0
  for (let p = 0; p < n * O; p++) {
    for (let py = 0; py < PH; py++) {
      for (let px = 0; px < PW; px++, q++) {
        let best = -Infinity, at = 0
        for (let k = 0; k < 4; k++) {
          const v = z[p * OH * OW + (2 * py + (k >> 1)) * OW + 2 * px + (k & 1)]
          if (k === 0 || v > best) (best = v), (at = k)
        }
        y[q] = best > 0 ? best : 0
        win[q] = best > 0 ? at : 4
      }
    }
  }
  return { y, win }
}

/** The gradient the block's conv sees: g at each window's winner, zero elsewhere. */
function unpool(g: Float32Array, win: Uint8Array, n: number, O: number, OH: number, OW: number): Float32Array {
  const PH = OH >> 1, PW = OW >> 1
  const dz = new Float32Array(n * O * OH * OW)
  let q = 0
  for (let p = 0; p < n * O; p++) {
    for (let py = 0; py < PH; py++) {
      for (let px = 0; px < PW; px++, q++) {
        if (win[q] === 4) continue
        dz[p * OH * OW + (2 * py + (win[q] >> 1)) * OW + 2 * px + (win[q] & 1)] = g[q]
      }
    }
  }
  return dz
}

describe('Winograd conv → ReLU → 2×2 max-pool block (float32)', () => {
  const wino = createWinogradConv(SIMD)!
  const block = createWinogradConvBlock(SIMD)!
  const directBlock = createWasmConvBlock(SIMD)!
  const blockCases: ConvCase[] = [
    { C: 32, O: 64, H: 14, W: 14, padding: 1, n: 6 }, // MNIST conv2 block
    { C: 1, O: 8, H: 28, W: 28, padding: 1, n: 2 }, // MNIST conv1 block
    { C: 3, O: 5, H: 9, W: 9, padding: 1, n: 3 }, // 9×9 output: the last row and column are not pooled
    { C: 2, O: 4, H: 11, W: 8, padding: 0, n: 2 }, // 9×6 output, pooled rows of three (one partial vector)
    { C: 4, O: 3, H: 20, W: 20, padding: 1, n: 4 }, // pooled rows of ten: two vectors and a partial one
  ]

  it('a NaN in the input shows as NaN in the pooled output, winner kept (a diverged run stays visible)', () => {
    const c: ConvCase = { C: 2, O: 3, H: 8, W: 8, padding: 1, n: 1 }
    const g = geometry(c)
    const ops = operands(c, 51)
    ops.x[3 * 8 + 5] = NaN // channel 0, row 3, column 5
    const pooled = c.O * 4 * 4
    const y = new Float32Array(pooled), win = new Uint8Array(pooled)
    block.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, y, win)
    for (let o = 0; o < c.O; o++) {
      // Output (3, 5) reads the NaN in every channel: its window (1, 2) must be NaN and pass gradient.
      const q = o * 16 + 1 * 4 + 2
      expect(Number.isNaN(y[q])).toBe(true)
      expect(win[q]).not.toBe(4)
    }
    // Windows far from it are untouched.
    expect(Number.isNaN(y[3 * 4 + 0])).toBe(false)
  })

  for (const c of blockCases) {
    const g = geometry(c)
    const PH = g.outHeight >> 1, PW = g.outWidth >> 1
    const pooled = c.n * c.O * PH * PW

    it(`is the Winograd conv followed by ReLU and pooling, winners included (${label(c)})`, () => {
      const ops = operands(c, 11 + c.C)
      const z = new Float32Array(c.n * c.O * g.outHeight * g.outWidth)
      wino.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, z)
      const expected = reluPool(z, c.n, c.O, g.outHeight, g.outWidth)
      const y = new Float32Array(pooled).fill(NaN)
      const win = new Uint8Array(pooled).fill(255)
      block.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, y, win)
      // The same arithmetic up to the pooling, so the same bits and the same winners.
      expect(Array.from(win)).toEqual(Array.from(expected.win))
      expect(Array.from(y)).toEqual(Array.from(expected.y))
      expect(win.some((code) => code === 4) && win.some((code) => code !== 4)).toBe(true)

      // Backward: the Winograd conv's backward on the unpooled gradient.
      const gy = random(pooled, 21 + c.O)
      const dw = new Float32Array(ops.w.length).fill(NaN), db = new Float32Array(c.O).fill(NaN)
      const dx = new Float32Array(ops.x.length).fill(NaN)
      block.backward(g, c.O, c.n, ops.x, ops.w, gy, win, dw, db, dx)
      const dz = unpool(gy, win, c.n, c.O, g.outHeight, g.outWidth)
      const rdw = new Float32Array(ops.w.length), rdb = new Float32Array(c.O), rdx = new Float32Array(ops.x.length)
      wino.backward(g, c.O, c.n, ops.x, ops.w, dz, rdw, rdb, rdx)
      expect(Array.from(dw)).toEqual(Array.from(rdw))
      expect(Array.from(dx)).toEqual(Array.from(rdx))
      expect(relativeError(db, rdb)).toBeLessThan(1e-6)
    })

    it(`matches the direct fused block within float32 tolerance (${label(c)})`, () => {
      const ops = operands(c, 31 + c.H)
      const y = new Float32Array(pooled), win = new Uint8Array(pooled)
      const ry = new Float32Array(pooled), rwin = new Uint8Array(pooled)
      block.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, y, win)
      directBlock.forward(g, c.O, c.n, ops.x, ops.w, ops.bias, ry, rwin)
      expect(relativeError(y, ry)).toBeLessThanOrEqual(2 * TOLERANCE)
      // Winners agree except where two candidates of a window are within rounding of each other.
      let differ = 0
      for (let q = 0; q < pooled; q++) if (win[q] !== rwin[q]) differ++
      expect(differ).toBeLessThanOrEqual(Math.ceil(pooled * 1e-3))
      // Backward from the same winners: dw, db, dx.
      const gy = random(pooled, 41 + c.O)
      const grads = () => ({ dw: new Float32Array(ops.w.length), db: new Float32Array(c.O), dx: new Float32Array(ops.x.length) })
      const a = grads(), b = grads()
      block.backward(g, c.O, c.n, ops.x, ops.w, gy, win, a.dw, a.db, a.dx)
      directBlock.backward(g, c.O, c.n, ops.x, ops.w, gy, win, b.dw, b.db, b.dx)
      for (const key of ['dw', 'db', 'dx'] as const) {
        const e = relativeError(a[key], b[key])
        if (!(e <= 2 * TOLERANCE)) throw new Error(`${key}: error ${e} against the direct block (${label(c)})`)
      }
    })
  }
})
