// Must come first: switches on relaxed SIMD (Node 20) before the engine compiles its kernels.
import '../../src/host/wasm-features'
import { describe, expect, it } from 'vitest'
import { createWasmConvBlock } from '../../src/engine/kernels/conv-wasm'
import type { ConvGeometry } from '../../src/engine/kernels/im2col'
import { loadSimdModule } from '../../src/engine/kernels/wasm/simd-module'
import { lcg } from './route-cases'

/**
 * The fused block's single-channel 3×3 path (isDirect3x3 in
 * src/engine/kernels/wasm/simd.as: the MNIST CNN's conv1) held to the bit
 * against a TypeScript re-statement of the form it had before it pooled from
 * registers: per sample, the conv into z [O, OH, OW] four outputs at a time
 * (w0·x, then a multiply-add per tap in order, then + bias), then reluPool;
 * backward: unpool into dz, then nine per-lane sums per channel over (oy, ox)
 * in order, each added to dw after a pairwise horizontal sum, and db as one
 * running sum per channel in window order. Lessons' numbers stay where they
 * are only if the kernel keeps exactly these roundings.
 */

const f = Math.fround
const bits = new Float32Array(1)
const bitsU = new Uint32Array(bits.buffer)

/** The float32 next to r (finite, non-zero handled by the bit pattern) away from zero (up) or towards it. */
function f32Neighbour(r: number, up: boolean): number {
  bits[0] = r
  bitsU[0] += up === r > 0 ? 1 : -1
  return bits[0]
}

/** c + a·b rounded once to float32 (a fused multiply-add), from float32 a, b, c. */
function fmaF32(a: number, b: number, c: number): number {
  const p = a * b // exact: 48 bits of mantissa fit float64's 53
  const s = p + c
  if (!Number.isFinite(s)) return f(s)
  const bb = s - p
  const e = p - (s - bb) + (c - bb) // s + e = p + c exactly (TwoSum)
  const r = f(s)
  if (e === 0 || r === s || r === 0) return r
  // Rounding s is wrong only when s is exactly halfway between two float32 and e breaks the tie.
  const other = f32Neighbour(r, s > r === r > 0)
  if (Math.abs(s - r) !== Math.abs(other - s)) return r
  return e > 0 === other > r ? other : r
}

/** c + a·b as the build's madd rounds it: two roundings in the base build, one where fused. */
const maddFor = (fused: boolean) => (fused ? fmaF32 : (a: number, b: number, c: number) => f(c + f(a * b)))

interface Case { O: number; H: number; W: number; padding: number; n: number; bias: boolean; what: string }

const geometry = ({ H, W, padding }: Case): ConvGeometry => ({
  channels: 1, height: H, width: W, kernel: 3, stride: 1, padding, outHeight: H + 2 * padding - 2, outWidth: W + 2 * padding - 2,
})

/** The zero-padded image of one sample. */
function padded(x: Float32Array, s: number, H: number, W: number, pad: number) {
  const Wp = W + 2 * pad
  const xp = new Float32Array((H + 2 * pad) * Wp)
  for (let iy = 0; iy < H; iy++) for (let ix = 0; ix < W; ix++) xp[(iy + pad) * Wp + ix + pad] = x[s * H * W + iy * W + ix]
  return { xp, Wp }
}

/** The earlier two-pass forward: direct3x3Forward into z, then reluPool. */
function forwardBefore(c: Case, madd: ReturnType<typeof maddFor>, x: Float32Array, w: Float32Array, bias: Float32Array | null) {
  const { outHeight: OH, outWidth: OW } = geometry(c)
  const PH = OH >> 1, PW = OW >> 1
  const y = new Float32Array(c.n * c.O * PH * PW), win = new Uint8Array(y.length)
  let q = 0
  for (let s = 0; s < c.n; s++) {
    const { xp, Wp } = padded(x, s, c.H, c.W, c.padding)
    const z = new Float32Array(c.O * OH * OW)
    for (let o = 0; o < c.O; o++) {
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        let sum = f(w[o * 9] * xp[oy * Wp + ox])
        for (let t = 1; t < 9; t++) sum = madd(w[o * 9 + t], xp[(oy + Math.floor(t / 3)) * Wp + ox + (t % 3)], sum)
        z[(o * OH + oy) * OW + ox] = f(sum + (bias ? bias[o] : 0))
      }
    }
    for (let o = 0; o < c.O; o++) {
      for (let py = 0; py < PH; py++) for (let px = 0; px < PW; px++, q++) {
        let best = z[(o * OH + 2 * py) * OW + 2 * px], at = 0
        for (let k = 1; k < 4; k++) {
          const v = z[(o * OH + 2 * py + (k >> 1)) * OW + 2 * px + (k & 1)]
          if (v > best || v !== v) (best = v), (at = k)
        }
        const passes = best > 0 || best !== best
        y[q] = passes ? best : 0
        win[q] = passes ? at : 4
      }
    }
  }
  return { y, win }
}

/** The earlier backward without dx: unpool, then direct3x3Weights and the db sums. */
function backwardBefore(c: Case, madd: ReturnType<typeof maddFor>, x: Float32Array, g: Float32Array, win: Uint8Array) {
  const { outHeight: OH, outWidth: OW } = geometry(c)
  const PH = OH >> 1, PW = OW >> 1, PQ = PH * PW
  const dw = new Float32Array(c.O * 9), db = new Float32Array(c.O)
  for (let s = 0; s < c.n; s++) {
    const { xp, Wp } = padded(x, s, c.H, c.W, c.padding)
    for (let o = 0; o < c.O; o++) {
      const base = (s * c.O + o) * PQ
      const dz = new Float32Array(OH * OW)
      let sum = 0
      for (let q = 0; q < PQ; q++) {
        if (win[base + q] !== 4) dz[(2 * Math.floor(q / PW) + (win[base + q] >> 1)) * OW + 2 * (q % PW) + (win[base + q] & 1)] = g[base + q]
        sum = f(sum + (win[base + q] !== 4 ? g[base + q] : 0))
      }
      db[o] = f(db[o] + sum)
      for (let t = 0; t < 9; t++) {
        const lanes = [0, 0, 0, 0]
        for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          lanes[ox & 3] = madd(dz[oy * OW + ox], xp[(oy + Math.floor(t / 3)) * Wp + ox + (t % 3)], lanes[ox & 3])
        }
        dw[o * 9 + t] = f(dw[o * 9 + t] + f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3])))
      }
    }
  }
  return { dw, db }
}

/** Every element the same float32 bits, NaN for NaN (a NaN's payload is the hardware's). */
function expectSameBits(what: string, got: Float32Array, want: Float32Array) {
  expect(got.length).toBe(want.length)
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length), b = new Uint32Array(want.buffer, want.byteOffset, want.length)
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue
    if (a[i] !== b[i]) throw new Error(`${what}[${i}]: ${got[i]} (0x${a[i].toString(16)}), expected ${want[i]} (0x${b[i].toString(16)})`)
  }
}

/**
 * Operands on a coarse grid (multiples of 1/4 and 1/8), so that many conv
 * outputs come out exactly equal: ties inside windows, in every position.
 * Fine-grained ones elsewhere check the roundings.
 */
function operands(c: Case, seed: number, coarse: boolean) {
  const next = lcg(seed)
  const value = (scale: number) => (coarse ? Math.round(next() * 4 * scale) / 4 : next() * scale)
  const x = Float32Array.from({ length: c.n * c.H * c.W }, () => value(2))
  const w = Float32Array.from({ length: c.O * 9 }, () => (coarse ? Math.round(next() * 8) / 8 : next()))
  const bias = c.bias ? Float32Array.from({ length: c.O }, () => value(0.5)) : null
  return { x, w, bias }
}

const cases: Case[] = [
  { O: 32, H: 28, W: 28, padding: 1, n: 2, bias: true, what: 'MNIST conv1: rows of three 8-column steps and a 4-column tail' },
  { O: 5, H: 9, W: 16, padding: 1, n: 2, bias: true, what: 'odd output height (last row not pooled), no tail, odd O' },
  { O: 3, H: 6, W: 6, padding: 0, n: 8, bias: false, what: 'no padding, OW = 4: the tail only, no bias' },
  { O: 4, H: 7, W: 10, padding: 0, n: 2, bias: true, what: 'no padding, 5×8 output' },
  { O: 7, H: 5, W: 12, padding: 1, n: 1, bias: true, what: 'OW = 12 (a step and a tail), odd OH, odd O' },
  { O: 1, H: 8, W: 8, padding: 1, n: 6, bias: true, what: 'one channel' },
]

const builds = [false, true].map((relaxed) => ({ relaxed, simd: loadSimdModule(relaxed) }))

for (const { relaxed, simd } of builds) {
  describe(`fused conv1 block is bit-identical to the two-pass form (${relaxed ? 'relaxed SIMD' : 'base SIMD'} build)`, () => {
    it('loads', () => {
      // The base build loads wherever SIMD does; the relaxed one where the host enables it (Node 20 here).
      expect(simd).not.toBeNull()
    })
    if (!simd) return
    const block = createWasmConvBlock(simd)

    /**
     * Which rounding this machine's relaxed multiply-add does (V8 fuses it
     * where the CPU has FMA), probed on one conv output where the two differ:
     * 1·(−1 − 2⁻¹¹) + a·a with a = 1 + 2⁻¹², which is 0 unfused (a² rounds to
     * 1 + 2⁻¹¹) and 2⁻²⁴ fused. The other outputs of its window are 0 or negative.
     */
    let fused: boolean | undefined
    function madd() {
      if (fused === undefined) {
        fused = false
        if (simd!.exports.fusedMultiplyAdd()) {
          const c: Case = { O: 1, H: 4, W: 4, padding: 0, n: 1, bias: false, what: 'probe' }
          const a = f(1 + 2 ** -12)
          const x = new Float32Array(16), w = new Float32Array(9)
          w[7] = 1, w[8] = a
          x[2 * 4 + 1] = f(-1 - 2 ** -11), x[2 * 4 + 2] = a, x[2 * 4 + 3] = -2
          const y = new Float32Array(1), win = new Uint8Array(1)
          block.forward(geometry(c), 1, 1, x, w, null, y, win)
          expect([0, 2 ** -24]).toContain(y[0])
          fused = y[0] !== 0
        }
      }
      return maddFor(fused)
    }

    for (const c of cases) {
      for (const coarse of [false, true]) {
        it(`forward and backward (no dx): ${c.what}${coarse ? ', operands on a coarse grid (ties)' : ''}`, () => {
          const g = geometry(c)
          const m = madd()
          const { x, w, bias } = operands(c, 7 + c.O + c.W + (coarse ? 100 : 0), coarse)
          const pooled = c.n * c.O * (g.outHeight >> 1) * (g.outWidth >> 1)
          const y = new Float32Array(pooled).fill(NaN), win = new Uint8Array(pooled).fill(255)
          block.forward(g, c.O, c.n, x, w, bias, y, win)
          const want = forwardBefore(c, m, x, w, bias)
          expect(Array.from(win)).toEqual(Array.from(want.win))
          expectSameBits('y', y, want.y)
          // Both outcomes occur: windows that pass ReLU and windows that do not.
          expect(win.some((code) => code === 4) && win.some((code) => code !== 4)).toBe(true)

          const gy = Float32Array.from({ length: pooled }, lcg(31 + c.O))
          const dw = new Float32Array(c.O * 9).fill(NaN), db = new Float32Array(c.O).fill(NaN)
          block.backward(g, c.O, c.n, x, w, gy, win, dw, db, null)
          const back = backwardBefore(c, m, x, gy, win)
          expectSameBits('dw', dw, back.dw)
          expectSameBits('db', db, back.db)
        })
      }
    }

    it('ties inside a window go to the first pixel; a NaN input makes NaN outputs that win and pass', () => {
      const c: Case = { O: 6, H: 8, W: 12, padding: 1, n: 2, bias: true, what: 'ties and NaN' }
      const g = geometry(c)
      const { x, w, bias } = operands(c, 5, true)
      // A flat patch: the four outputs of window (1, 1) are equal wherever they see only it.
      for (let iy = 0; iy < 6; iy++) for (let ix = 0; ix < 6; ix++) x[iy * 12 + ix] = 0.5
      x[96 + 5 * 12 + 9] = NaN // sample 1, row 5, column 9
      x[96 + 1 * 12 + 1] = Infinity // sample 1: ∞ · a zero weight is NaN, else ±∞
      const pooled = c.n * c.O * 4 * 6
      const y = new Float32Array(pooled), win = new Uint8Array(pooled)
      block.forward(g, c.O, c.n, x, w, bias, y, win)
      const want = forwardBefore(c, madd(), x, w, bias)
      expect(Array.from(win)).toEqual(Array.from(want.win))
      expectSameBits('y', y, want.y)
      const PQ = 4 * 6
      for (let o = 0; o < c.O; o++) {
        const tie = win[o * PQ + 1 * 6 + 1]
        expect(tie === 0 || tie === 4).toBe(true) // equal pixels: the first wins (or none passes)
        // Output (5, 9) of sample 1 reads the NaN with every weight: its window (2, 4) is NaN and passes.
        const q = (c.O + o) * PQ + 2 * 6 + 4
        expect(Number.isNaN(y[q])).toBe(true)
        expect(win[q]).not.toBe(4)
      }
      expect(y.some((v) => v === Infinity)).toBe(true)

      const gy = Float32Array.from({ length: pooled }, lcg(9))
      const dw = new Float32Array(c.O * 9), db = new Float32Array(c.O)
      block.backward(g, c.O, c.n, x, w, gy, win, dw, db, null)
      const back = backwardBefore(c, madd(), x, gy, win)
      expectSameBits('dw', dw, back.dw)
      expectSameBits('db', db, back.db)
    })

    it('with dx wanted (dz kept whole): the same dw and db, and dx = the float64 transposed conv of dz', () => {
      const c: Case = { O: 5, H: 9, W: 12, padding: 1, n: 2, bias: true, what: 'dx' }
      const g = geometry(c)
      const { outHeight: OH, outWidth: OW } = g
      const PH = OH >> 1, PW = OW >> 1
      const { x, w, bias } = operands(c, 17, false)
      const pooled = c.n * c.O * PH * PW
      const y = new Float32Array(pooled), win = new Uint8Array(pooled)
      block.forward(g, c.O, c.n, x, w, bias, y, win)
      const gy = Float32Array.from({ length: pooled }, lcg(19))
      const dw = new Float32Array(c.O * 9), db = new Float32Array(c.O), dx = new Float32Array(x.length).fill(NaN)
      block.backward(g, c.O, c.n, x, w, gy, win, dw, db, dx)
      const back = backwardBefore(c, madd(), x, gy, win)
      expectSameBits('dw', dw, back.dw)
      expectSameBits('db', db, back.db)
      const ref = new Float64Array(x.length)
      for (let s = 0; s < c.n; s++) for (let o = 0; o < c.O; o++) {
        for (let q = 0; q < PH * PW; q++) {
          const code = win[(s * c.O + o) * PH * PW + q]
          if (code === 4) continue
          const oy = 2 * Math.floor(q / PW) + (code >> 1), ox = 2 * (q % PW) + (code & 1)
          for (let t = 0; t < 9; t++) {
            const iy = oy + Math.floor(t / 3) - c.padding, ix = ox + (t % 3) - c.padding
            if (iy >= 0 && iy < c.H && ix >= 0 && ix < c.W) ref[s * c.H * c.W + iy * c.W + ix] += w[o * 9 + t] * gy[(s * c.O + o) * PH * PW + q]
          }
        }
      }
      let worst = 0, scale = 0
      for (let i = 0; i < ref.length; i++) (worst = Math.max(worst, Math.abs(dx[i] - ref[i]))), (scale = Math.max(scale, Math.abs(ref[i])))
      expect(scale).toBeGreaterThan(0)
      expect(worst).toBeLessThanOrEqual(1e-5 * scale)
    })
  })
}
