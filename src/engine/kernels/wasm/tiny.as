// AssemblyScript source of the tiny-model route (../../routes/tiny-wasm.ts).
//
// Build: `npm run build:wasm` (scripts/build-wasm.mjs) compiles this file
// and writes the binary, base64-encoded, to ./tiny-binary.ts; a test checks
// that the committed binary is what this source compiles to. The file is .as
// so that the project's TypeScript checks leave it alone.
//
// Why a second module: the lesson models (8×8 pictures, a few hundred
// weights) are so small that the plain TypeScript layers spend their time on
// overhead (a call per layer, a typed array per tensor, loops that run six
// times), not on arithmetic. Here a whole small model lives in this module's
// memory (weights, gradients, activations and the data set itself) and one
// call runs a whole training step (gather, forward, loss, backward, SGD), a
// whole evaluation, or a whole round of finite differences.
//
// The layout that makes every layer SIMD: activations are stored feature-
// major, sample-minor, [features][npad], where npad is the batch rounded up
// to the vector width. One v128 then holds the same feature of 4 samples
// (float32) or 2 samples (float64), and every layer is the scalar textbook
// loop run on 4 (2) samples at once, with no horizontal shuffles except
// where a gradient sums over the batch. Padding lanes hold zero inputs and
// receive zero gradients, so they never change a result.
//
// The code is generic over T = f32 | f64 (AssemblyScript resolves
// `v128.add<T>` and `sizeof<T>()` at compile time), exported once per type.
//
// Float64 is bit-identical to the TypeScript layers: every sum is taken in the
// reference's order (conv: 0, then w·x in (c, ky, kx) order, then + bias;
// linear: bias, then w·x in input order), products are rounded before they are
// added (no fused multiply-add in float64), and exp and log are JavaScript's own Math.exp and
// Math.log, imported (V8 calls its C implementation directly, no JS frame).
// Losses and SGD round to T exactly where the TypeScript code stores into a
// typed array. Float32 sums may round differently (the reference computes some
// float32 sums in double), within float32 tolerance.

@external("Math", "exp") declare function jsExp(x: f64): f64
@external("Math", "log") declare function jsLog(x: f64): f64

/** Where free memory starts: the TypeScript side lays its buffers out from here. */
export function heapBase(): usize {
  return __heap_base
}

// ── the plan: what TypeScript writes into memory ────────────────────────────
//
// A model header (i32 fields H_*) points at one record per layer (R_* fields,
// RECORD_BYTES each) and at a parameter table (value, grad, velocity, count).
// A data set descriptor (S_*) lists chunks of at most 256 samples, each stored
// [features][npad], plus the whole set sample-major for gathering batches.
// Keep these numbers in step with routes/tiny-wasm.ts.

const CONV: i32 = 0
const RELU: i32 = 1
const MAXPOOL: i32 = 2
const FLATTEN: i32 = 3
const LINEAR: i32 = 4
const SIGMOID: i32 = 5
const GLOBALMAXPOOL: i32 = 6

const H_LAYERS = 0 //   number of layers
const H_PLAN = 1 //     address of the first layer record
const H_STOP = 2 //     backward stops at this layer (the first with parameters)
const H_LOSS = 3 //     0 softmax cross-entropy, 1 binary cross-entropy
const H_CLASSES = 4 //  output features
const H_TOP = 5 //      dL/d(output) buffer [classes][npad]
const H_PARAMS = 6 //   parameter table address
const H_NPARAMS = 7 //  parameter table entries
const H_CORRECT = 8 //  out: correct predictions of the last evaluation
const H_BATCHX = 9 //   batch input buffer [features][npad]
const H_BATCHY = 10 //  batch labels
const H_FEATURES = 11 // input features per sample
const H_ORDER = 12 //   batch sample indices, written by TypeScript before train_batch

const R_TYPE = 0
const R_IN = 1 //    runtime: this forward's input
const R_Y = 2 //     runtime: this forward's output (flatten passes its input on)
const R_OUT = 3 //   output buffer
const R_DX = 4 //    dL/dx buffer (0 where backward does not need it)
const R_AUX = 5 //   pooling: index of each window's winner, stored as T
const R_W = 6
const R_B = 7 //     0 when the layer has no bias
const R_DW = 8
const R_DB = 9
const R_C = 10 //    input channels (conv, pools) / input features (linear)
const R_H = 11
const R_WD = 12
const R_O = 13 //    output channels (conv) / output features (linear)
const R_K = 14
const R_STRIDE = 15
const R_PAD = 16
const R_OH = 17
const R_OW = 18
const R_INF = 19 //  input features per sample
const R_OUTF = 20 // output features per sample
export const RECORD_BYTES: i32 = 32 * 4

const S_CHUNKS = 0 // number of chunks
const S_TABLE = 1 //  chunk table: (x, y, count, npad) per chunk
const S_N = 2 //      samples in the set
const S_X = 3 //      the set sample-major [N][features], for gathering batches
const S_Y = 4 //      all labels

@inline function get(base: usize, field: i32): i32 {
  return load<i32>(base + (<usize>field << 2))
}
@inline function put(base: usize, field: i32, value: i32): void {
  store<i32>(base + (<usize>field << 2), value)
}
@inline function addr(base: usize, field: i32): usize {
  return <usize>load<i32>(base + (<usize>field << 2))
}
@inline function record(model: usize, layer: i32): usize {
  return addr(model, H_PLAN) + <usize>(layer * RECORD_BYTES)
}

// ── small helpers ───────────────────────────────────────────────────────────

/** Lanes per v128: 4 float32 or 2 float64. */
@inline function lanes<T>(): i32 {
  return 16 / sizeof<T>()
}
@inline function splat<T>(x: T): v128 {
  return v128.splat<T>(x)
}
@inline function read<T>(p: usize, i: i32): T {
  return load<T>(p + (<usize>i) * sizeof<T>())
}
@inline function write<T>(p: usize, i: i32, x: T): void {
  store<T>(p + (<usize>i) * sizeof<T>(), x)
}
/**
 * acc + a·b. The build compiles this file twice (scripts/build-wasm.mjs):
 * in the relaxed-SIMD build a float32 multiply-add is one fused instruction
 * (rounded once, twice the arithmetic per cycle on x86 with FMA3); float64
 * always multiplies, rounds, then adds, as the TypeScript layers do, so that
 * lesson 000 stays bit-exact.
 */
@inline function madd<T>(acc: v128, a: v128, b: v128): v128 {
  if (sizeof<T>() == 4 && ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc)
  return v128.add<T>(acc, v128.mul<T>(a, b))
}

/** 1 in the relaxed-SIMD build (fused float32 multiply-add), 0 in the base build. */
export function fusedMultiplyAdd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0
}
/** Sum of a vector's lanes (only where a gradient sums over the batch). */
@inline function hsum<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    return <T>((v128.extract_lane<f32>(v, 0) + v128.extract_lane<f32>(v, 1)) + (v128.extract_lane<f32>(v, 2) + v128.extract_lane<f32>(v, 3)))
  }
  return <T>(v128.extract_lane<f64>(v, 0) + v128.extract_lane<f64>(v, 1))
}
/** Stores the lane sums of a0..a3 at p[0..3], transposing with shuffles instead of extracting lanes. */
@inline function hsum4<T>(p: usize, a0: v128, a1: v128, a2: v128, a3: v128): void {
  if (sizeof<T>() == 4) {
    // (a0₀+a0₂, a1₀+a1₂, a0₁+a0₃, a1₁+a1₃), likewise for a2, a3; then the halves of those.
    const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7))
    const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7))
    v128.store(p, f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7)))
  } else {
    v128.store(p, f64x2.add(v128.shuffle<f64>(a0, a1, 0, 2), v128.shuffle<f64>(a0, a1, 1, 3)))
    v128.store(p, f64x2.add(v128.shuffle<f64>(a2, a3, 0, 2), v128.shuffle<f64>(a2, a3, 1, 3)), 16)
  }
}

/** Lanes where v > best, or v is NaN: "take v" in the pools (first maximum wins; NaN shows). */
@inline function takes<T>(v: v128, best: v128): v128 {
  return v128.or(v128.gt<T>(v, best), v128.ne<T>(v, v))
}

// ── conv2d ──────────────────────────────────────────────────────────────────

function convForward<T>(r: usize, x: usize, y: usize, npad: i32): void {
  const C = get(r, R_C), H = get(r, R_H), Wd = get(r, R_WD), O = get(r, R_O), k = get(r, R_K)
  const stride = get(r, R_STRIDE), pad = get(r, R_PAD), OH = get(r, R_OH), OW = get(r, R_OW)
  const W = addr(r, R_W), B = addr(r, R_B)
  const row = <usize>npad * sizeof<T>() // bytes of one feature across the batch
  if (C == 1 && k == 3 && stride == 1 && pad == 0) {
    conv3x3<T>(H, Wd, O, OH, OW, W, B, x, y, row)
    return
  }
  let out = y
  for (let o = 0; o < O; o++) {
    const b = B ? read<T>(B, o) : <T>0
    const bv = splat<T>(b)
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * stride - pad
      const kyFirst = y0 < 0 ? -y0 : 0
      const kyEnd = min(k, H - y0)
      for (let ox = 0; ox < OW; ox++, out += row) {
        const x0 = ox * stride - pad
        const kxFirst = x0 < 0 ? -x0 : 0
        const kxEnd = min(k, Wd - x0)
        for (let off: usize = 0; off < row; off += 16) {
          let acc = splat<T>(<T>0)
          for (let c = 0; c < C; c++) {
            for (let ky = kyFirst; ky < kyEnd; ky++) {
              const wr = W + <usize>(((o * C + c) * k + ky) * k) * sizeof<T>()
              const xr = x + <usize>((c * H + y0 + ky) * Wd + x0) * row + off
              for (let kx = kxFirst; kx < kxEnd; kx++) {
                acc = madd<T>(acc, splat<T>(read<T>(wr, kx)), v128.load(xr + <usize>kx * row))
              }
            }
          }
          v128.store(out + off, v128.add<T>(acc, bv))
        }
      }
    }
  }
}

/**
 * One input channel, 3×3, stride 1, no padding (lessons 000 and 001): the nine
 * weights stay in registers and each output vector is nine loads and nine
 * multiply-adds, summed in the general loop's order.
 */
function conv3x3<T>(H: i32, Wd: i32, O: i32, OH: i32, OW: i32, W: usize, B: usize, x: usize, y: usize, row: usize): void {
  const line = <usize>Wd * row
  let out = y
  for (let o = 0; o < O; o++) {
    const w = W + <usize>(o * 9) * sizeof<T>()
    const w0 = splat<T>(read<T>(w, 0)), w1 = splat<T>(read<T>(w, 1)), w2 = splat<T>(read<T>(w, 2))
    const w3 = splat<T>(read<T>(w, 3)), w4 = splat<T>(read<T>(w, 4)), w5 = splat<T>(read<T>(w, 5))
    const w6 = splat<T>(read<T>(w, 6)), w7 = splat<T>(read<T>(w, 7)), w8 = splat<T>(read<T>(w, 8))
    const bv = splat<T>(B ? read<T>(B, o) : <T>0)
    const zero = splat<T>(<T>0)
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, out += row) {
        const r0 = x + <usize>(oy * Wd + ox) * row
        const r1 = r0 + line
        const r2 = r1 + line
        for (let off: usize = 0; off < row; off += 16) {
          let acc = madd<T>(zero, w0, v128.load(r0 + off))
          acc = madd<T>(acc, w1, v128.load(r0 + off + row))
          acc = madd<T>(acc, w2, v128.load(r0 + off + 2 * row))
          acc = madd<T>(acc, w3, v128.load(r1 + off))
          acc = madd<T>(acc, w4, v128.load(r1 + off + row))
          acc = madd<T>(acc, w5, v128.load(r1 + off + 2 * row))
          acc = madd<T>(acc, w6, v128.load(r2 + off))
          acc = madd<T>(acc, w7, v128.load(r2 + off + row))
          acc = madd<T>(acc, w8, v128.load(r2 + off + 2 * row))
          v128.store(out + off, v128.add<T>(acc, bv))
        }
      }
    }
  }
}

/** dW and db (overwritten) and, if dx ≠ 0, dL/dx (overwritten). */
function convBackward<T>(r: usize, x: usize, dy: usize, dx: usize, npad: i32): void {
  const C = get(r, R_C), H = get(r, R_H), Wd = get(r, R_WD), O = get(r, R_O), k = get(r, R_K)
  const stride = get(r, R_STRIDE), pad = get(r, R_PAD), OH = get(r, R_OH), OW = get(r, R_OW)
  const W = addr(r, R_W), dW = addr(r, R_DW), dB = addr(r, R_DB)
  const row = <usize>npad * sizeof<T>()
  const P = OH * OW
  if (C == 1 && k == 3 && stride == 1 && pad == 0) {
    conv3x3Weights<T>(Wd, O, OH, OW, dW, dB, x, dy, row)
    if (dx) convInputGrad<T>(r, dy, dx, row)
    return
  }
  for (let o = 0; o < O; o++) {
    const dyo = dy + <usize>(o * P) * row
    if (dB) {
      let acc = splat<T>(<T>0)
      for (let p = 0; p < P; p++) {
        const d = dyo + <usize>p * row
        for (let off: usize = 0; off < row; off += 16) acc = v128.add<T>(acc, v128.load(d + off))
      }
      write<T>(dB, o, hsum<T>(acc))
    }
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          let acc = splat<T>(<T>0)
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * stride - pad + ky
            if (iy < 0 || iy >= H) continue
            for (let ox = 0; ox < OW; ox++) {
              const ix = ox * stride - pad + kx
              if (ix < 0 || ix >= Wd) continue
              const d = dyo + <usize>(oy * OW + ox) * row
              const xi = x + <usize>((c * H + iy) * Wd + ix) * row
              for (let off: usize = 0; off < row; off += 16) acc = madd<T>(acc, v128.load(d + off), v128.load(xi + off))
            }
          }
          write<T>(dW, ((o * C + c) * k + ky) * k + kx, hsum<T>(acc))
        }
      }
    }
  }
  if (dx) convInputGrad<T>(r, dy, dx, row)
}

/** dW and db of conv3x3: nine accumulators, one pass over dy and the input. */
function conv3x3Weights<T>(Wd: i32, O: i32, OH: i32, OW: i32, dW: usize, dB: usize, x: usize, dy: usize, row: usize): void {
  const line = <usize>Wd * row
  let d = dy
  for (let o = 0; o < O; o++) {
    let g0 = splat<T>(<T>0), g1 = g0, g2 = g0, g3 = g0, g4 = g0, g5 = g0, g6 = g0, g7 = g0, g8 = g0, gb = g0
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, d += row) {
        const r0 = x + <usize>(oy * Wd + ox) * row
        const r1 = r0 + line
        const r2 = r1 + line
        for (let off: usize = 0; off < row; off += 16) {
          const g = v128.load(d + off)
          gb = v128.add<T>(gb, g)
          g0 = madd<T>(g0, g, v128.load(r0 + off))
          g1 = madd<T>(g1, g, v128.load(r0 + off + row))
          g2 = madd<T>(g2, g, v128.load(r0 + off + 2 * row))
          g3 = madd<T>(g3, g, v128.load(r1 + off))
          g4 = madd<T>(g4, g, v128.load(r1 + off + row))
          g5 = madd<T>(g5, g, v128.load(r1 + off + 2 * row))
          g6 = madd<T>(g6, g, v128.load(r2 + off))
          g7 = madd<T>(g7, g, v128.load(r2 + off + row))
          g8 = madd<T>(g8, g, v128.load(r2 + off + 2 * row))
        }
      }
    }
    const w = o * 9
    write<T>(dW, w, hsum<T>(g0)); write<T>(dW, w + 1, hsum<T>(g1)); write<T>(dW, w + 2, hsum<T>(g2))
    write<T>(dW, w + 3, hsum<T>(g3)); write<T>(dW, w + 4, hsum<T>(g4)); write<T>(dW, w + 5, hsum<T>(g5))
    write<T>(dW, w + 6, hsum<T>(g6)); write<T>(dW, w + 7, hsum<T>(g7)); write<T>(dW, w + 8, hsum<T>(g8))
    if (dB) write<T>(dB, o, hsum<T>(gb))
  }
}

/** dL/dx of a conv layer (overwritten): each output's gradient spread back over its window. */
function convInputGrad<T>(r: usize, dy: usize, dx: usize, row: usize): void {
  const C = get(r, R_C), H = get(r, R_H), Wd = get(r, R_WD), O = get(r, R_O), k = get(r, R_K)
  const stride = get(r, R_STRIDE), pad = get(r, R_PAD), OH = get(r, R_OH), OW = get(r, R_OW)
  const W = addr(r, R_W)
  memory.fill(dx, 0, <usize>(C * H * Wd) * row)
  for (let o = 0; o < O; o++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const d = dy + <usize>((o * OH + oy) * OW + ox) * row
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride - pad + ky
            if (iy < 0 || iy >= H) continue
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride - pad + kx
              if (ix < 0 || ix >= Wd) continue
              const wv = splat<T>(read<T>(W, ((o * C + c) * k + ky) * k + kx))
              const xi = dx + <usize>((c * H + iy) * Wd + ix) * row
              for (let off: usize = 0; off < row; off += 16) v128.store(xi + off, madd<T>(v128.load(xi + off), wv, v128.load(d + off)))
            }
          }
        }
      }
    }
  }
}

// ── linear ──────────────────────────────────────────────────────────────────

/** y[j] = b[j] + Σᵢ W[j,i]·x[i], the bias first and then the products in i order. */
function linearForward<T>(r: usize, x: usize, y: usize, npad: i32): void {
  const I = get(r, R_C), O = get(r, R_O)
  const W = addr(r, R_W), B = addr(r, R_B)
  const row = <usize>npad * sizeof<T>()
  const block = row & ~(<usize>63) // four vectors at a time, then one
  // Two outputs × four vectors: eight accumulators share each input load.
  let j = 0
  for (; j + 2 <= O; j += 2) {
    const wj = W + <usize>(j * I) * sizeof<T>()
    const wk = wj + <usize>I * sizeof<T>()
    const bj = splat<T>(B ? read<T>(B, j) : <T>0)
    const bk = splat<T>(B ? read<T>(B, j + 1) : <T>0)
    const yj = y + <usize>j * row
    const yk = yj + row
    let off: usize = 0
    for (; off < block; off += 64) {
      let a0 = bj, a1 = bj, a2 = bj, a3 = bj
      let c0 = bk, c1 = bk, c2 = bk, c3 = bk
      let xi = x + off
      for (let i = 0; i < I; i++, xi += row) {
        const u = splat<T>(read<T>(wj, i))
        const v = splat<T>(read<T>(wk, i))
        const x0 = v128.load(xi), x1 = v128.load(xi, 16), x2 = v128.load(xi, 32), x3 = v128.load(xi, 48)
        a0 = madd<T>(a0, u, x0); a1 = madd<T>(a1, u, x1); a2 = madd<T>(a2, u, x2); a3 = madd<T>(a3, u, x3)
        c0 = madd<T>(c0, v, x0); c1 = madd<T>(c1, v, x1); c2 = madd<T>(c2, v, x2); c3 = madd<T>(c3, v, x3)
      }
      v128.store(yj + off, a0); v128.store(yj + off, a1, 16); v128.store(yj + off, a2, 32); v128.store(yj + off, a3, 48)
      v128.store(yk + off, c0); v128.store(yk + off, c1, 16); v128.store(yk + off, c2, 32); v128.store(yk + off, c3, 48)
    }
    for (; off < row; off += 16) {
      let a = bj, c = bk
      let xi = x + off
      for (let i = 0; i < I; i++, xi += row) {
        const xv = v128.load(xi)
        a = madd<T>(a, splat<T>(read<T>(wj, i)), xv)
        c = madd<T>(c, splat<T>(read<T>(wk, i)), xv)
      }
      v128.store(yj + off, a)
      v128.store(yk + off, c)
    }
  }
  for (; j < O; j++) {
    const wj = W + <usize>(j * I) * sizeof<T>()
    const bv = splat<T>(B ? read<T>(B, j) : <T>0)
    const yj = y + <usize>j * row
    let off: usize = 0
    for (; off < block; off += 64) {
      let a0 = bv, a1 = bv, a2 = bv, a3 = bv
      let xi = x + off
      for (let i = 0; i < I; i++, xi += row) {
        const w = splat<T>(read<T>(wj, i))
        a0 = madd<T>(a0, w, v128.load(xi))
        a1 = madd<T>(a1, w, v128.load(xi, 16))
        a2 = madd<T>(a2, w, v128.load(xi, 32))
        a3 = madd<T>(a3, w, v128.load(xi, 48))
      }
      v128.store(yj + off, a0)
      v128.store(yj + off, a1, 16)
      v128.store(yj + off, a2, 32)
      v128.store(yj + off, a3, 48)
    }
    for (; off < row; off += 16) {
      let a = bv
      let xi = x + off
      for (let i = 0; i < I; i++, xi += row) a = madd<T>(a, splat<T>(read<T>(wj, i)), v128.load(xi))
      v128.store(yj + off, a)
    }
  }
}

function linearBackward<T>(r: usize, x: usize, dy: usize, dx: usize, npad: i32): void {
  const I = get(r, R_C), O = get(r, R_O)
  const W = addr(r, R_W), dW = addr(r, R_DW), dB = addr(r, R_DB)
  const row = <usize>npad * sizeof<T>()
  for (let j = 0; j < O; j++) {
    const dyj = dy + <usize>j * row
    const dWj = dW + <usize>(j * I) * sizeof<T>()
    if (dB) {
      let acc = splat<T>(<T>0)
      for (let off: usize = 0; off < row; off += 16) acc = v128.add<T>(acc, v128.load(dyj + off))
      write<T>(dB, j, hsum<T>(acc))
    }
    // dW[j, i..i+3] = Σ over the batch of dy[j]·x[i]: four inputs share each dy load.
    let i = 0
    for (; i + 4 <= I; i += 4) {
      let a0 = splat<T>(<T>0), a1 = a0, a2 = a0, a3 = a0
      const x0 = x + <usize>i * row
      for (let off: usize = 0; off < row; off += 16) {
        const d = v128.load(dyj + off)
        a0 = madd<T>(a0, d, v128.load(x0 + off))
        a1 = madd<T>(a1, d, v128.load(x0 + off + row))
        a2 = madd<T>(a2, d, v128.load(x0 + off + 2 * row))
        a3 = madd<T>(a3, d, v128.load(x0 + off + 3 * row))
      }
      hsum4<T>(dWj + <usize>i * sizeof<T>(), a0, a1, a2, a3)
    }
    for (; i < I; i++) {
      let a = splat<T>(<T>0)
      const xi = x + <usize>i * row
      for (let off: usize = 0; off < row; off += 16) a = madd<T>(a, v128.load(dyj + off), v128.load(xi + off))
      write<T>(dWj, i, hsum<T>(a))
    }
  }
  if (!dx) return
  // dx[i] = Σⱼ W[j,i]·dy[j]
  for (let i = 0; i < I; i++) {
    const dxi = dx + <usize>i * row
    for (let off: usize = 0; off < row; off += 16) {
      let a = splat<T>(<T>0)
      for (let j = 0; j < O; j++) a = madd<T>(a, splat<T>(read<T>(W, j * I + i)), v128.load(dy + <usize>j * row + off))
      v128.store(dxi + off, a)
    }
  }
}

// ── elementwise ─────────────────────────────────────────────────────────────

/**
 * max(0, x) exactly as the TypeScript layer: float32 on the bits (a negative
 * value, −0 or a NaN with its sign bit set becomes +0), float64 as x > 0 ? x : 0.
 */
function reluForward<T>(x: usize, y: usize, bytes: usize): void {
  const zero = splat<T>(<T>0)
  for (let off: usize = 0; off < bytes; off += 16) {
    const v = v128.load(x + off)
    if (sizeof<T>() == 4) v128.store(y + off, v128.andnot(v, i32x4.shr_s(v, 31)))
    else v128.store(y + off, v128.and(v, v128.gt<f64>(v, zero)))
  }
}

/** The gradient passes where the output is positive (float32: where its bits are a positive integer). */
function reluBackward<T>(y: usize, dy: usize, dx: usize, bytes: usize): void {
  const zero = splat<T>(<T>0)
  for (let off: usize = 0; off < bytes; off += 16) {
    const v = v128.load(y + off)
    const mask = sizeof<T>() == 4 ? i32x4.shr_s(i32x4.sub(i32x4.splat(0), v), 31) : v128.gt<f64>(v, zero)
    v128.store(dx + off, v128.and(v128.load(dy + off), mask))
  }
}

/** The same two branches as the TypeScript `sigmoid` (so exp never overflows). */
@inline function sigmoid(z: f64): f64 {
  if (z >= 0) return 1 / (1 + jsExp(-z))
  const e = jsExp(z)
  return e / (1 + e)
}

function sigmoidForward<T>(x: usize, y: usize, count: i32): void {
  for (let i = 0; i < count; i++) write<T>(y, i, <T>sigmoid(<f64>read<T>(x, i)))
}

function sigmoidBackward<T>(y: usize, dy: usize, dx: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const s = <f64>read<T>(y, i)
    write<T>(dx, i, <T>(<f64>read<T>(dy, i) * s * (1 - s)))
  }
}

// ── pooling ─────────────────────────────────────────────────────────────────

/** k×k windows moved by `stride`; aux keeps each window's winning tap (ky·k + kx) as T. */
function maxpoolForward<T>(r: usize, x: usize, y: usize, npad: i32): void {
  const C = get(r, R_C), H = get(r, R_H), Wd = get(r, R_WD), k = get(r, R_K), s = get(r, R_STRIDE)
  const OH = get(r, R_OH), OW = get(r, R_OW)
  const aux = addr(r, R_AUX)
  const row = <usize>npad * sizeof<T>()
  let o: usize = 0
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o += row) {
        const first = x + <usize>((c * H + oy * s) * Wd + ox * s) * row
        for (let off: usize = 0; off < row; off += 16) {
          let best = v128.load(first + off)
          let arg = splat<T>(<T>0)
          for (let ky = 0; ky < k; ky++) {
            for (let kx = ky == 0 ? 1 : 0; kx < k; kx++) {
              const v = v128.load(first + <usize>(ky * Wd + kx) * row + off)
              const take = takes<T>(v, best)
              best = v128.bitselect(v, best, take)
              arg = v128.bitselect(splat<T>(<T>(ky * k + kx)), arg, take)
            }
          }
          v128.store(y + o + off, best)
          v128.store(aux + o + off, arg)
        }
      }
    }
  }
}

/** Each window's gradient goes to its winner; overlapping windows add up. */
function maxpoolBackward<T>(r: usize, dy: usize, dx: usize, npad: i32): void {
  const C = get(r, R_C), H = get(r, R_H), Wd = get(r, R_WD), k = get(r, R_K), s = get(r, R_STRIDE)
  const OH = get(r, R_OH), OW = get(r, R_OW)
  const aux = addr(r, R_AUX)
  const row = <usize>npad * sizeof<T>()
  memory.fill(dx, 0, <usize>(C * H * Wd) * row)
  let o: usize = 0
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o += row) {
        const first = dx + <usize>((c * H + oy * s) * Wd + ox * s) * row
        for (let off: usize = 0; off < row; off += 16) {
          const g = v128.load(dy + o + off)
          const arg = v128.load(aux + o + off)
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const at = first + <usize>(ky * Wd + kx) * row + off
              const hit = v128.eq<T>(arg, splat<T>(<T>(ky * k + kx)))
              v128.store(at, v128.add<T>(v128.load(at), v128.and(g, hit)))
            }
          }
        }
      }
    }
  }
}

/** The largest value of each feature map ([C][H·W] → [C]); aux keeps the winner's position. */
function globalMaxForward<T>(r: usize, x: usize, y: usize, npad: i32): void {
  const C = get(r, R_C), area = get(r, R_H) * get(r, R_WD)
  const aux = addr(r, R_AUX)
  const row = <usize>npad * sizeof<T>()
  for (let c = 0; c < C; c++) {
    const plane = x + <usize>(c * area) * row
    for (let off: usize = 0; off < row; off += 16) {
      let best = v128.load(plane + off)
      let arg = splat<T>(<T>0)
      for (let p = 1; p < area; p++) {
        const v = v128.load(plane + <usize>p * row + off)
        const take = takes<T>(v, best)
        best = v128.bitselect(v, best, take)
        arg = v128.bitselect(splat<T>(<T>p), arg, take)
      }
      v128.store(y + <usize>c * row + off, best)
      v128.store(aux + <usize>c * row + off, arg)
    }
  }
}

function globalMaxBackward<T>(r: usize, dy: usize, dx: usize, npad: i32): void {
  const C = get(r, R_C), area = get(r, R_H) * get(r, R_WD)
  const aux = addr(r, R_AUX)
  const row = <usize>npad * sizeof<T>()
  for (let c = 0; c < C; c++) {
    const plane = dx + <usize>(c * area) * row
    for (let off: usize = 0; off < row; off += 16) {
      const g = v128.load(dy + <usize>c * row + off)
      const arg = v128.load(aux + <usize>c * row + off)
      for (let p = 0; p < area; p++) {
        v128.store(plane + <usize>p * row + off, v128.and(g, v128.eq<T>(arg, splat<T>(<T>p))))
      }
    }
  }
}

// ── the model ───────────────────────────────────────────────────────────────

/** Runs every layer on x [features][npad]; returns the output's address. */
function forward<T>(model: usize, x: usize, npad: i32): usize {
  const layers = get(model, H_LAYERS)
  let input = x
  for (let i = 0; i < layers; i++) {
    const r = record(model, i)
    put(r, R_IN, <i32>input)
    const type = get(r, R_TYPE)
    let y = addr(r, R_OUT)
    const bytes = <usize>get(r, R_INF) * <usize>npad * sizeof<T>()
    if (type == CONV) convForward<T>(r, input, y, npad)
    else if (type == LINEAR) linearForward<T>(r, input, y, npad)
    else if (type == RELU) reluForward<T>(input, y, bytes)
    else if (type == MAXPOOL) maxpoolForward<T>(r, input, y, npad)
    else if (type == GLOBALMAXPOOL) globalMaxForward<T>(r, input, y, npad)
    else if (type == SIGMOID) sigmoidForward<T>(input, y, get(r, R_INF) * npad)
    else y = input // flatten: [C·H·W][npad] is already the flat layout
    put(r, R_Y, <i32>y)
    input = y
  }
  return input
}

/** Backward from dL/d(output) in the H_TOP buffer down to the first layer with parameters. */
function backward<T>(model: usize, npad: i32): void {
  const layers = get(model, H_LAYERS)
  const stop = get(model, H_STOP)
  let dy = addr(model, H_TOP)
  for (let i = layers - 1; i >= stop; i--) {
    const r = record(model, i)
    const type = get(r, R_TYPE)
    const x = addr(r, R_IN)
    // The first layer with parameters skips dL/dx: nobody needs the data's gradient.
    const dx = i > stop ? addr(r, R_DX) : 0
    const bytes = <usize>get(r, R_INF) * <usize>npad * sizeof<T>()
    if (type == CONV) convBackward<T>(r, x, dy, dx, npad)
    else if (type == LINEAR) linearBackward<T>(r, x, dy, dx, npad)
    else if (type == RELU) reluBackward<T>(addr(r, R_Y), dy, dx, bytes)
    else if (type == MAXPOOL) maxpoolBackward<T>(r, dy, dx, npad)
    else if (type == GLOBALMAXPOOL) globalMaxBackward<T>(r, dy, dx, npad)
    else if (type == SIGMOID) sigmoidBackward<T>(addr(r, R_Y), dy, dx, get(r, R_INF) * npad)
    else continue // flatten: the gradient passes on unchanged
    dy = dx
  }
}

// ── losses: the TypeScript formulas, sample by sample, in sample order ──────

const MAX_SAMPLE_LOSS: f64 = 27.631021115928547 // −log(1e-12), as softmax-cross-entropy.ts caps a sample's loss
const CLAMP: f64 = 1e-12

/**
 * Softmax cross-entropy of logits [K][npad] for `count` samples, added to
 * `total` sample by sample (so chunks continue one running sum). Counts the
 * argmax hits into H_CORRECT; with `grad`, writes dL/dz / count there
 * (padding lanes zero), rounding where the TypeScript code stores.
 */
function softmaxLoss<T>(model: usize, z: usize, count: i32, npad: i32, labels: usize, grad: usize, total: f64): f64 {
  const K = get(model, H_CLASSES)
  const row = <usize>npad * sizeof<T>()
  const n = <f64>count
  let correct = get(model, H_CORRECT)
  for (let s = 0; s < count; s++) {
    const zs = z + <usize>s * sizeof<T>()
    const target = load<i32>(labels + (<usize>s << 2))
    let max = <f64>load<T>(zs)
    let best = 0
    for (let c = 1; c < K; c++) {
      const v = <f64>load<T>(zs + <usize>c * row)
      if (v > max) {
        max = v
        best = c
      }
    }
    if (best == target) correct++
    let sum: f64 = 0
    const gs = grad + <usize>s * sizeof<T>()
    for (let c = 0; c < K; c++) {
      const e = jsExp(<f64>load<T>(zs + <usize>c * row) - max)
      sum += e
      if (grad) store<T>(gs + <usize>c * row, <T>e) // the gradient's buffer holds p = e meanwhile
    }
    total += min(jsLog(sum) - (<f64>load<T>(zs + <usize>target * row) - max), MAX_SAMPLE_LOSS)
    if (grad) {
      for (let c = 0; c < K; c++) {
        // p = e (stored as T), then p / sum (stored as T), then p / n (stored as T)
        const e = load<T>(gs + <usize>c * row)
        const p = <T>(<f64>e / sum)
        let g = <T>(<f64>p / n)
        if (c == target) g = <T>(<f64>g - 1 / n)
        store<T>(gs + <usize>c * row, g)
      }
    }
  }
  if (grad) {
    for (let c = 0; c < K; c++) for (let s = count; s < npad; s++) write<T>(grad + <usize>c * row, s, <T>0)
  }
  put(model, H_CORRECT, correct)
  return total
}

/** Binary cross-entropy of p [1][npad] against labels 0 / 1 (see binary-cross-entropy.ts). */
function binaryLoss<T>(model: usize, p: usize, count: i32, npad: i32, labels: usize, grad: usize, total: f64): f64 {
  const n = <f64>count
  let correct = get(model, H_CORRECT)
  for (let s = 0; s < count; s++) {
    const t = load<i32>(labels + (<usize>s << 2))
    const ps = <f64>read<T>(p, s)
    if ((ps >= 0.5 ? 1 : 0) == t) correct++
    const q = min(max(ps, CLAMP), 1 - CLAMP)
    total += -(t == 1 ? jsLog(q) : jsLog(1 - q))
    if (grad) write<T>(grad, s, <T>((-<f64>t / q + (1 - <f64>t) / (1 - q)) / n))
  }
  if (grad) for (let s = count; s < npad; s++) write<T>(grad, s, <T>0)
  put(model, H_CORRECT, correct)
  return total
}

// exp without a call, two doubles at a time, for float32 models' softmax.
// Four Math.exp calls per sample cost more than the whole forward pass of a
// lesson model; this gives the same double to within an ulp or two (far below
// float32's rounding of the logits it starts from). Float64 models keep
// Math.exp, so their losses stay bit-identical.
// exp(x) = 2^k · exp(r), k = round(x / ln 2), r = x − k·ln 2 (ln 2 split in two
// so k·LN2_HI is exact), exp(r) by its Taylor series to r¹³/13! (|r| ≤ ln2/2:
// the remainder is below 1e-17).
const LOG2_E: f64 = 1.4426950408889634
const LN2_HI: f64 = 6.93147180369123816490e-01
const LN2_LO: f64 = 1.90821492927058770002e-10

@inline function exp2x(x: v128): v128 {
  const k = f64x2.nearest(f64x2.mul(x, f64x2.splat(LOG2_E)))
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)))
  let p = f64x2.splat(1.6059043836821613e-10) //  1/13!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(2.08767569878681e-9)) //    1/12!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(2.505210838544172e-8)) //   1/11!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(2.755731922398589e-7)) //   1/10!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(2.7557319223985893e-6)) //  1/9!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(2.48015873015873e-5)) //    1/8!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.984126984126984e-4)) //   1/7!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.3888888888888889e-3)) // 1/6!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(8.333333333333333e-3)) //   1/5!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(4.1666666666666664e-2)) //  1/4!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.6666666666666666e-1)) //  1/3!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(0.5))
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1))
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1))
  // 2^k from its exponent bits; below −708 (2^k no longer normal) exp is taken as 0.
  const bits = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k)), i64x2.splat(1023)), 52)
  return v128.andnot(f64x2.mul(p, bits), f64x2.lt(x, f64x2.splat(-708)))
}

/** Two neighbouring float32 logits (samples s, s+1 of class row c) as doubles. */
@inline function pairAt(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p))
}

/**
 * softmaxLoss for float32 models, two samples per step: the same formulas and
 * roundings (max, first argmax, p = e → p / sum → p / n stored as float32,
 * the capped per-sample loss added in sample order), with exp2x for Math.exp.
 */
function softmaxLoss32(model: usize, z: usize, count: i32, npad: i32, labels: usize, grad: usize, total: f64): f64 {
  const K = get(model, H_CLASSES)
  const row = <usize>npad << 2
  const n = <f64>count
  const invN = f64x2.splat(1 / n)
  const nv = f64x2.splat(n)
  let correct = get(model, H_CORRECT)
  for (let s = 0; s < count; s += 2) {
    const zs = z + (<usize>s << 2)
    let m = pairAt(zs)
    let best = f64x2.splat(0)
    for (let c = 1; c < K; c++) {
      const v = pairAt(zs + <usize>c * row)
      const gt = f64x2.gt(v, m)
      m = v128.bitselect(v, m, gt)
      best = v128.bitselect(f64x2.splat(<f64>c), best, gt)
    }
    let sum = f64x2.splat(0)
    const gs = grad + (<usize>s << 2)
    for (let c = 0; c < K; c++) {
      const e = exp2x(f64x2.sub(pairAt(zs + <usize>c * row), m))
      sum = f64x2.add(sum, e)
      if (grad) v128.store64_lane(gs + <usize>c * row, f32x4.demote_f64x2_zero(e), 0) // p = e meanwhile
    }
    const t0 = load<i32>(labels + (<usize>s << 2))
    if (<i32>f64x2.extract_lane(best, 0) == t0) correct++
    total += min(jsLog(f64x2.extract_lane(sum, 0)) - (<f64>load<f32>(zs + <usize>t0 * row) - f64x2.extract_lane(m, 0)), MAX_SAMPLE_LOSS)
    const two = s + 1 < count
    const t1 = two ? load<i32>(labels + (<usize>(s + 1) << 2)) : -1
    if (two) {
      if (<i32>f64x2.extract_lane(best, 1) == t1) correct++
      total += min(jsLog(f64x2.extract_lane(sum, 1)) - (<f64>load<f32>(zs + 4 + <usize>t1 * row) - f64x2.extract_lane(m, 1)), MAX_SAMPLE_LOSS)
    }
    if (grad) {
      const targets = f64x2.replace_lane(f64x2.splat(<f64>t0), 1, <f64>t1)
      for (let c = 0; c < K; c++) {
        const at = gs + <usize>c * row
        const p = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.div(pairAt(at), sum)))
        let g = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.div(p, nv)))
        const minus = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.sub(g, invN)))
        g = v128.bitselect(minus, g, f64x2.eq(targets, f64x2.splat(<f64>c)))
        v128.store64_lane(at, f32x4.demote_f64x2_zero(g), 0)
      }
    }
  }
  if (grad) {
    for (let c = 0; c < K; c++) for (let s = count; s < npad; s++) store<f32>(grad + <usize>c * row + (<usize>s << 2), 0)
  }
  put(model, H_CORRECT, correct)
  return total
}

@inline function lossOf<T>(model: usize, out: usize, count: i32, npad: i32, labels: usize, grad: usize, total: f64): f64 {
  if (get(model, H_LOSS) == 0 && sizeof<T>() == 4) return softmaxLoss32(model, out, count, npad, labels, grad, total)
  return get(model, H_LOSS) == 0
    ? softmaxLoss<T>(model, out, count, npad, labels, grad, total)
    : binaryLoss<T>(model, out, count, npad, labels, grad, total)
}

// ── whole units of work ─────────────────────────────────────────────────────

/**
 * The trainer's evaluation: forward every chunk of a set, loss and hits.
 * Returns Σ chunk mean × chunk size (the sum trainer.ts forms); the hits are
 * left in H_CORRECT.
 */
function evaluate<T>(model: usize, set: usize): f64 {
  const chunks = get(set, S_CHUNKS)
  const table = addr(set, S_TABLE)
  put(model, H_CORRECT, 0)
  let lossSum: f64 = 0
  for (let c = 0; c < chunks; c++) {
    const e = table + <usize>(c * 16)
    const count = get(e, 2), npad = get(e, 3)
    const out = forward<T>(model, addr(e, 0), npad)
    const total = lossOf<T>(model, out, count, npad, addr(e, 1), 0, 0)
    lossSum += (total / <f64>count) * <f64>count
  }
  return lossSum
}

/** Mean loss on a whole set: one running sum over its samples in order, then ÷ N (finite differences). */
function meanLoss<T>(model: usize, set: usize): f64 {
  const chunks = get(set, S_CHUNKS)
  const table = addr(set, S_TABLE)
  let total: f64 = 0
  for (let c = 0; c < chunks; c++) {
    const e = table + <usize>(c * 16)
    const count = get(e, 2), npad = get(e, 3)
    const out = forward<T>(model, addr(e, 0), npad)
    total = lossOf<T>(model, out, count, npad, addr(e, 1), 0, total)
  }
  return total / <f64>get(set, S_N)
}

/**
 * Lesson 000's gradients: every parameter nudged up and down by epsilon, the
 * mean loss measured on the whole set each time, the slope stored as its
 * gradient; no parameter moves until all are measured (see finite-difference.ts).
 */
function finiteDifferences<T>(model: usize, set: usize, epsilon: f64): void {
  const table = addr(model, H_PARAMS)
  const entries = get(model, H_NPARAMS)
  for (let e = 0; e < entries; e++) {
    const p = table + <usize>(e * 16)
    const value = addr(p, 0), grad = addr(p, 1), count = get(p, 3)
    for (let i = 0; i < count; i++) {
      const original = read<T>(value, i)
      write<T>(value, i, <T>(<f64>original + epsilon))
      const up = meanLoss<T>(model, set)
      write<T>(value, i, <T>(<f64>original - epsilon))
      const down = meanLoss<T>(model, set)
      write<T>(value, i, original)
      write<T>(grad, i, <T>((up - down) / (2 * epsilon)))
    }
  }
}

/** Two float64 pairs rounded to one float32x4 (lo lanes first). */
@inline function f32x4_of(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5)
}

/** sgd.ts's update, in double and rounded to T where it stores: v ← μv + g; p ← p − lr·v. */
function sgd<T>(model: usize, lr: f64, momentum: f64): void {
  const table = addr(model, H_PARAMS)
  const entries = get(model, H_NPARAMS)
  for (let e = 0; e < entries; e++) {
    const p = table + <usize>(e * 16)
    const value = addr(p, 0), grad = addr(p, 1), velocity = addr(p, 2), count = get(p, 3)
    // Whole vectors first: float32 values are widened to float64 pairs, as the
    // TypeScript update computes in double, and rounded back on the store.
    const lrv = f64x2.splat(lr), mv = f64x2.splat(momentum)
    const whole = count & ~(lanes<T>() - 1)
    for (let i = 0; i < whole; i += lanes<T>()) {
      const at = <usize>i * sizeof<T>()
      const w = v128.load(value + at), g = v128.load(grad + at)
      if (sizeof<T>() == 4) {
        let vlo = f64x2.promote_low_f32x4(g)
        let vhi = f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 0, 1))
        if (momentum > 0) {
          const v = v128.load(velocity + at)
          const v32 = f32x4_of(
            f64x2.add(f64x2.mul(mv, f64x2.promote_low_f32x4(v)), vlo),
            f64x2.add(f64x2.mul(mv, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), vhi),
          )
          v128.store(velocity + at, v32)
          vlo = f64x2.promote_low_f32x4(v32)
          vhi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v32, v32, 2, 3, 0, 1))
        }
        v128.store(value + at, f32x4_of(
          f64x2.sub(f64x2.promote_low_f32x4(w), f64x2.mul(lrv, vlo)),
          f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(w, w, 2, 3, 0, 1)), f64x2.mul(lrv, vhi)),
        ))
      } else {
        let v = g
        if (momentum > 0) {
          v = f64x2.add(f64x2.mul(mv, v128.load(velocity + at)), g)
          v128.store(velocity + at, v)
        }
        v128.store(value + at, f64x2.sub(w, f64x2.mul(lrv, v)))
      }
    }
    if (momentum > 0) {
      for (let i = whole; i < count; i++) {
        const v = <T>(momentum * <f64>read<T>(velocity, i) + <f64>read<T>(grad, i))
        write<T>(velocity, i, v)
        write<T>(value, i, <T>(<f64>read<T>(value, i) - lr * <f64>v))
      }
    } else {
      for (let i = whole; i < count; i++) write<T>(value, i, <T>(<f64>read<T>(value, i) - lr * <f64>read<T>(grad, i)))
    }
  }
}

/**
 * One mini-batch: gather the samples listed at H_ORDER from the set's
 * sample-major copy into [features][npad] (padding lanes zero), then forward,
 * loss gradient, backward and the SGD update. Returns the batch's mean loss
 * (computed anyway for the gradient), for the trainer's per-step curve.
 */
function trainBatch<T>(model: usize, set: usize, count: i32, lr: f64, momentum: f64): f64 {
  const F = get(model, H_FEATURES)
  const npad = (count + lanes<T>() - 1) / lanes<T>() * lanes<T>()
  const bx = addr(model, H_BATCHX), by = addr(model, H_BATCHY), order = addr(model, H_ORDER)
  const source = addr(set, S_X), labels = addr(set, S_Y)
  for (let s = 0; s < count; s++) {
    const index = load<i32>(order + (<usize>s << 2))
    store<i32>(by + (<usize>s << 2), load<i32>(labels + (<usize>index << 2)))
    const src = source + <usize>(index * F) * sizeof<T>()
    for (let f = 0; f < F; f++) write<T>(bx, f * npad + s, read<T>(src, f))
  }
  for (let f = 0; f < F; f++) for (let s = count; s < npad; s++) write<T>(bx, f * npad + s, <T>0)
  const out = forward<T>(model, bx, npad)
  put(model, H_CORRECT, 0)
  const total = lossOf<T>(model, out, count, npad, by, addr(model, H_TOP), 0)
  backward<T>(model, npad)
  sgd<T>(model, lr, momentum)
  return total / <f64>count
}

// ── exports, once per precision ─────────────────────────────────────────────

export function forward_f32(model: usize, x: usize, npad: i32): usize { return forward<f32>(model, x, npad) }
export function forward_f64(model: usize, x: usize, npad: i32): usize { return forward<f64>(model, x, npad) }
export function backward_f32(model: usize, npad: i32): void { backward<f32>(model, npad) }
export function backward_f64(model: usize, npad: i32): void { backward<f64>(model, npad) }
export function evaluate_f32(model: usize, set: usize): f64 { return evaluate<f32>(model, set) }
export function evaluate_f64(model: usize, set: usize): f64 { return evaluate<f64>(model, set) }
export function mean_loss_f32(model: usize, set: usize): f64 { return meanLoss<f32>(model, set) }
export function mean_loss_f64(model: usize, set: usize): f64 { return meanLoss<f64>(model, set) }
export function finite_differences_f32(model: usize, set: usize, epsilon: f64): void { finiteDifferences<f32>(model, set, epsilon) }
export function finite_differences_f64(model: usize, set: usize, epsilon: f64): void { finiteDifferences<f64>(model, set, epsilon) }
export function sgd_f32(model: usize, lr: f64, momentum: f64): void { sgd<f32>(model, lr, momentum) }
export function sgd_f64(model: usize, lr: f64, momentum: f64): void { sgd<f64>(model, lr, momentum) }
export function train_batch_f32(model: usize, set: usize, count: i32, lr: f64, momentum: f64): f64 { return trainBatch<f32>(model, set, count, lr, momentum) }
export function train_batch_f64(model: usize, set: usize, count: i32, lr: f64, momentum: f64): f64 { return trainBatch<f64>(model, set, count, lr, momentum) }

/** exp2x on one value, for the test that holds it to Math.exp. */
export function exp_float32_softmax(x: f64): f64 { return f64x2.extract_lane(exp2x(f64x2.splat(x)), 0) }
