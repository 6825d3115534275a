// AssemblyScript source of the lab's WebAssembly SIMD kernels.
//
// Build: `npm run build:wasm` (scripts/build-wasm.mjs) compiles this file with
// `asc` and writes the binary, base64-encoded, to ./simd-binary.ts, which the
// engine loads synchronously (kernels/wasm-kernel.ts). A test checks that the
// committed binary is what this source compiles to.
//
// Everything here works on raw pointers into the module's linear memory; the
// TypeScript side decides where operands live and copies them in and out.
// The file is named .as (not .ts) so that the project's TypeScript checks,
// which do not know AssemblyScript's types (f32, v128, …), leave it alone.
//
// GEMM follows the same GotoBLAS recipe as the plain TypeScript kernel in
// ../matmul.ts (read that first): pack a K-slice of op(B) into NR-column
// panels and a block of op(A) into MR-row panels, then run a register-blocked
// micro-kernel over them. What SIMD adds: a 128-bit register holds four f32
// (or two f64), so one multiply and one add update four (two) outputs at once.
//
//   f32: 4×8 tile = 4 rows × two f32x4 per row = 8 accumulator registers,
//        + 2 for the B row + 1 for the broadcast A value: 11 of x86's 16.
//   f64: 4×4 tile = 4 rows × two f64x2, the same register budget.
//
// The accumulators start from C and take the products in k order, so a
// float64 product is bit-identical to the TypeScript kernel and to a plain
// `s += w * x` loop (lesson 000 prints such sums): WebAssembly has no fused
// multiply-add in its base SIMD set, so every product is rounded, then added.

// ── blocking parameters ─────────────────────────────────────────────────────

const MR: i32 = 4
const NR32: i32 = 8
const NR64: i32 = 4
/** K-slice: one A micro-panel (MR·KC) plus one B micro-panel (NR·KC) stay in L1. */
const KC: i32 = 320
/** Rows of A packed at once: MC·KC values stay in L2. */
const MC: i32 = 128
/** Columns of B packed at once: KC·NC values stay in L2. */
const NC: i32 = 512

/** Bytes of scratch the caller must pass as `work` (packed A, packed B, one edge tile). */
export function workBytes(): i32 {
  return MC * KC * 8 + KC * NC * 8 + MR * NR32 * 8
}

/** Where free memory starts: the caller lays its buffers out from here. */
export function heapBase(): usize {
  return __heap_base
}

// ── float32 ─────────────────────────────────────────────────────────────────

/**
 * c + a·b on four f32 lanes. The build compiles this file twice (see
 * scripts/build-wasm.mjs): once for base SIMD, where it is a multiply then an
 * add, and once with relaxed SIMD, where it is one fused multiply-add
 * (`vfmadd` on x86 with FMA3): twice the arithmetic per cycle, since SSE has
 * no multiply-add and x86 issues two FMAs per cycle. The fused form rounds
 * once instead of twice, so float32 results differ in the last bits between
 * the two builds (both within float32 tolerance of the TypeScript reference).
 * The float64 kernels never use it: lesson 000's sums must stay bit-exact.
 */
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c)
  return f32x4.add(c, f32x4.mul(a, b))
}

/** 1 when this build has fused multiply-add (the relaxed-SIMD build), else 0. */
export function fusedMultiplyAdd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0
}

function scale32(M: i32, N: i32, beta: f32, C: usize, ldc: i32): void {
  if (beta == 1) return
  for (let i = 0; i < M; i++) {
    const row = C + (<usize>(i * ldc) << 2)
    // beta = 0 overwrites: C may hold NaN from an earlier use.
    if (beta == 0) memory.fill(row, 0, <usize>N << 2)
    else for (let j = 0; j < N; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * beta)
  }
}

/** Rows [i0, i0+mc) × cols [p0, p0+kc) of alpha·op(A) into MR-row panels, k-major, zero-padded. */
function packA32(transA: bool, A: usize, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, alpha: f32, out: usize): void {
  const va = f32x4.splat(alpha)
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir)
    const panel = out + (<usize>(ir * kc) << 2)
    if (transA) {
      // op(A)[i, k] = A[k, i]: the MR values of one k are neighbours.
      let a = A + (<usize>(p0 * lda + i0 + ir) << 2)
      const step = <usize>lda << 2
      let o = panel
      if (mr == MR) {
        for (let p = 0; p < kc; p++, a += step, o += 16) v128.store(o, f32x4.mul(v128.load(a), va))
      } else {
        for (let p = 0; p < kc; p++, a += step, o += 16) {
          for (let r = 0; r < MR; r++) store<f32>(o + (<usize>r << 2), r < mr ? load<f32>(a + (<usize>r << 2)) * alpha : 0)
        }
      }
    } else {
      // op(A)[i, k] = A[i, k]: each row is contiguous in k.
      for (let r = 0; r < MR; r++) {
        let o = panel + (<usize>r << 2)
        if (r >= mr) {
          for (let p = 0; p < kc; p++, o += 16) store<f32>(o, 0)
          continue
        }
        let a = A + (<usize>((i0 + ir + r) * lda + p0) << 2)
        for (let p = 0; p < kc; p++, o += 16, a += 4) store<f32>(o, load<f32>(a) * alpha)
      }
    }
  }
}

/** Rows [p0, p0+kc) × cols [j0, j0+nc) of op(B) into NR-column panels, k-major, zero-padded. */
function packB32(transB: bool, B: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, out: usize): void {
  for (let jr = 0; jr < nc; jr += NR32) {
    const nr = min(NR32, nc - jr)
    const panel = out + (<usize>(jr * kc) << 2)
    if (!transB) {
      // Row k of B holds the NR values of one k side by side.
      let b = B + (<usize>(p0 * ldb + j0 + jr) << 2)
      const step = <usize>ldb << 2
      let o = panel
      if (nr == NR32) {
        for (let p = 0; p < kc; p++, b += step, o += 32) {
          v128.store(o, v128.load(b))
          v128.store(o, v128.load(b, 16), 16)
        }
      } else {
        for (let p = 0; p < kc; p++, b += step, o += 32) {
          for (let c = 0; c < NR32; c++) store<f32>(o + (<usize>c << 2), c < nr ? load<f32>(b + (<usize>c << 2)) : 0)
        }
      }
    } else {
      // op(B)[k, j] = B[j, k]: each column of op(B) is contiguous in k.
      for (let c = 0; c < NR32; c++) {
        let o = panel + (<usize>c << 2)
        if (c >= nr) {
          for (let p = 0; p < kc; p++, o += 32) store<f32>(o, 0)
          continue
        }
        let b = B + (<usize>((j0 + jr + c) * ldb + p0) << 2)
        for (let p = 0; p < kc; p++, o += 32, b += 4) store<f32>(o, load<f32>(b))
      }
    }
  }
}

/** C[4×8 tile at c, row stride ldc bytes] += Ap · Bp over kc. */
@inline
function micro32(kc: i32, a: usize, b: usize, c: usize, ldc: usize): void {
  const c1 = c + ldc
  const c2 = c1 + ldc
  const c3 = c2 + ldc
  let s00 = v128.load(c), s01 = v128.load(c, 16)
  let s10 = v128.load(c1), s11 = v128.load(c1, 16)
  let s20 = v128.load(c2), s21 = v128.load(c2, 16)
  let s30 = v128.load(c3), s31 = v128.load(c3, 16)
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b)
    const b1 = v128.load(b, 16)
    let x = v128.load32_splat(a)
    s00 = madd(x, b0, s00)
    s01 = madd(x, b1, s01)
    x = v128.load32_splat(a, 4)
    s10 = madd(x, b0, s10)
    s11 = madd(x, b1, s11)
    x = v128.load32_splat(a, 8)
    s20 = madd(x, b0, s20)
    s21 = madd(x, b1, s21)
    x = v128.load32_splat(a, 12)
    s30 = madd(x, b0, s30)
    s31 = madd(x, b1, s31)
    a += 16
    b += 32
  }
  v128.store(c, s00); v128.store(c, s01, 16)
  v128.store(c1, s10); v128.store(c1, s11, 16)
  v128.store(c2, s20); v128.store(c2, s21, 16)
  v128.store(c3, s30); v128.store(c3, s31, 16)
}

/**
 * C ← alpha·op(A)·op(B) + beta·C for float32 matrices at byte addresses A, B,
 * C (row-major, leading dimensions in elements), with `workBytes()` of
 * scratch at `work`.
 */
export function gemm_f32(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize,
): void {
  scale32(M, N, beta, C, ldc)
  if (M == 0 || N == 0 || K == 0 || alpha == 0) return
  const packedA = work
  const packedB = work + <usize>(MC * KC * 8)
  const tile = packedB + <usize>(KC * NC * 8)
  const ldcBytes = <usize>ldc << 2
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0)
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = min(KC, K - p0)
      packB32(transB, B, ldb, p0, kc, j0, nc, packedB)
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = min(MC, M - i0)
        packA32(transA, A, lda, i0, mc, p0, kc, alpha, packedA)
        for (let jr = 0; jr < nc; jr += NR32) {
          const nr = min(NR32, nc - jr)
          const bp = packedB + (<usize>(jr * kc) << 2)
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir)
            const ap = packedA + (<usize>(ir * kc) << 2)
            const cp = C + (<usize>((i0 + ir) * ldc + j0 + jr) << 2)
            if (mr == MR && nr == NR32) {
              micro32(kc, ap, bp, cp, ldcBytes)
            } else {
              // An edge tile: run the full tile on a copy, write back the part inside C.
              memory.fill(tile, 0, MR * NR32 * 4)
              for (let r = 0; r < mr; r++) memory.copy(tile + (<usize>(r * NR32) << 2), cp + <usize>r * ldcBytes, <usize>nr << 2)
              micro32(kc, ap, bp, tile, NR32 * 4)
              for (let r = 0; r < mr; r++) memory.copy(cp + <usize>r * ldcBytes, tile + (<usize>(r * NR32) << 2), <usize>nr << 2)
            }
          }
        }
      }
    }
  }
}

// ── float64 ─────────────────────────────────────────────────────────────────

function scale64(M: i32, N: i32, beta: f64, C: usize, ldc: i32): void {
  if (beta == 1) return
  for (let i = 0; i < M; i++) {
    const row = C + (<usize>(i * ldc) << 3)
    if (beta == 0) memory.fill(row, 0, <usize>N << 3)
    else for (let j = 0; j < N; j++) store<f64>(row + (<usize>j << 3), load<f64>(row + (<usize>j << 3)) * beta)
  }
}

function packA64(transA: bool, A: usize, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, alpha: f64, out: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir)
    const panel = out + (<usize>(ir * kc) << 3)
    for (let r = 0; r < MR; r++) {
      let o = panel + (<usize>r << 3)
      if (r >= mr) {
        for (let p = 0; p < kc; p++, o += 32) store<f64>(o, 0)
        continue
      }
      const i = i0 + ir + r
      let a = A + (<usize>(transA ? p0 * lda + i : i * lda + p0) << 3)
      const step: usize = transA ? <usize>lda << 3 : 8
      // alpha = 1 copies exactly (the TypeScript kernel does the same).
      if (alpha == 1) for (let p = 0; p < kc; p++, o += 32, a += step) store<f64>(o, load<f64>(a))
      else for (let p = 0; p < kc; p++, o += 32, a += step) store<f64>(o, alpha * load<f64>(a))
    }
  }
}

function packB64(transB: bool, B: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, out: usize): void {
  for (let jr = 0; jr < nc; jr += NR64) {
    const nr = min(NR64, nc - jr)
    const panel = out + (<usize>(jr * kc) << 3)
    if (!transB && nr == NR64) {
      let b = B + (<usize>(p0 * ldb + j0 + jr) << 3)
      const step = <usize>ldb << 3
      let o = panel
      for (let p = 0; p < kc; p++, b += step, o += 32) {
        v128.store(o, v128.load(b))
        v128.store(o, v128.load(b, 16), 16)
      }
      continue
    }
    for (let c = 0; c < NR64; c++) {
      let o = panel + (<usize>c << 3)
      if (c >= nr) {
        for (let p = 0; p < kc; p++, o += 32) store<f64>(o, 0)
        continue
      }
      const j = j0 + jr + c
      let b = B + (<usize>(transB ? j * ldb + p0 : p0 * ldb + j) << 3)
      const step: usize = transB ? 8 : <usize>ldb << 3
      for (let p = 0; p < kc; p++, o += 32, b += step) store<f64>(o, load<f64>(b))
    }
  }
}

/** C[4×4 f64 tile] += Ap · Bp over kc, products rounded then added in k order. */
@inline
function micro64(kc: i32, a: usize, b: usize, c: usize, ldc: usize): void {
  const c1 = c + ldc
  const c2 = c1 + ldc
  const c3 = c2 + ldc
  let s00 = v128.load(c), s01 = v128.load(c, 16)
  let s10 = v128.load(c1), s11 = v128.load(c1, 16)
  let s20 = v128.load(c2), s21 = v128.load(c2, 16)
  let s30 = v128.load(c3), s31 = v128.load(c3, 16)
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b)
    const b1 = v128.load(b, 16)
    let x = v128.load64_splat(a)
    s00 = f64x2.add(s00, f64x2.mul(x, b0))
    s01 = f64x2.add(s01, f64x2.mul(x, b1))
    x = v128.load64_splat(a, 8)
    s10 = f64x2.add(s10, f64x2.mul(x, b0))
    s11 = f64x2.add(s11, f64x2.mul(x, b1))
    x = v128.load64_splat(a, 16)
    s20 = f64x2.add(s20, f64x2.mul(x, b0))
    s21 = f64x2.add(s21, f64x2.mul(x, b1))
    x = v128.load64_splat(a, 24)
    s30 = f64x2.add(s30, f64x2.mul(x, b0))
    s31 = f64x2.add(s31, f64x2.mul(x, b1))
    a += 32
    b += 32
  }
  v128.store(c, s00); v128.store(c, s01, 16)
  v128.store(c1, s10); v128.store(c1, s11, 16)
  v128.store(c2, s20); v128.store(c2, s21, 16)
  v128.store(c3, s30); v128.store(c3, s31, 16)
}

/** gemm_f32 for float64 matrices (addresses in bytes, leading dimensions in elements). */
export function gemm_f64(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f64,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize,
): void {
  scale64(M, N, beta, C, ldc)
  if (M == 0 || N == 0 || K == 0 || alpha == 0) return
  const packedA = work
  const packedB = work + <usize>(MC * KC * 8)
  const tile = packedB + <usize>(KC * NC * 8)
  const ldcBytes = <usize>ldc << 3
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0)
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = min(KC, K - p0)
      packB64(transB, B, ldb, p0, kc, j0, nc, packedB)
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = min(MC, M - i0)
        packA64(transA, A, lda, i0, mc, p0, kc, alpha, packedA)
        for (let jr = 0; jr < nc; jr += NR64) {
          const nr = min(NR64, nc - jr)
          const bp = packedB + (<usize>(jr * kc) << 3)
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir)
            const ap = packedA + (<usize>(ir * kc) << 3)
            const cp = C + (<usize>((i0 + ir) * ldc + j0 + jr) << 3)
            if (mr == MR && nr == NR64) {
              micro64(kc, ap, bp, cp, ldcBytes)
            } else {
              memory.fill(tile, 0, MR * NR64 * 8)
              for (let r = 0; r < mr; r++) memory.copy(tile + (<usize>(r * NR64) << 3), cp + <usize>r * ldcBytes, <usize>nr << 3)
              micro64(kc, ap, bp, tile, NR64 * 8)
              for (let r = 0; r < mr; r++) memory.copy(cp + <usize>r * ldcBytes, tile + (<usize>(r * NR64) << 3), <usize>nr << 3)
            }
          }
        }
      }
    }
  }
}

// ── convolution (float32) ───────────────────────────────────────────────────
//
// The whole of a conv layer's forward or backward pass for a batch in one call,
// one sample at a time: that sample's im2col matrix [C·k·k, P] (a few hundred
// kilobytes for the MNIST CNN) stays in L2 while the GEMMs read it, instead of
// a whole batch's columns streaming through memory. Same maths as the
// TypeScript reference (../../layers/conv2d.ts, ../im2col.ts).

/** Output columns of kernel column kx whose input column lies inside the image (see ../im2col.ts). */
function firstInside(width: i32, stride: i32, padding: i32, outWidth: i32, kx: i32): i32 {
  const q = padding - kx
  // ceil(q / stride) for any sign of q.
  const c = q > 0 ? (q + stride - 1) / stride : -((-q) / stride)
  return min(outWidth, max(0, c))
}

function endInside(width: i32, stride: i32, padding: i32, outWidth: i32, kx: i32): i32 {
  const q = width - 1 + padding - kx
  const f = q >= 0 ? q / stride : -((-q + stride - 1) / stride)
  return max(firstInside(width, stride, padding, outWidth, kx), min(outWidth, f + 1))
}

/** One sample x [C, H, W] → cols [C·k·k, OH·OW], zero padding written explicitly. */
export function im2col_f32(
  C: i32, H: i32, W: i32, k: i32, stride: i32, padding: i32, OH: i32, OW: i32, x: usize, cols: usize,
): void {
  let o = cols
  for (let c = 0; c < C; c++) {
    const plane = x + (<usize>(c * H * W) << 2)
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const first = firstInside(W, stride, padding, OW, kx)
        const end = endInside(W, stride, padding, OW, kx)
        for (let oy = 0; oy < OH; oy++, o += <usize>OW << 2) {
          const iy = oy * stride - padding + ky
          if (iy < 0 || iy >= H) {
            memory.fill(o, 0, <usize>OW << 2)
            continue
          }
          if (first > 0) memory.fill(o, 0, <usize>first << 2)
          const i = plane + (<usize>(iy * W + first * stride - padding + kx) << 2)
          if (stride == 1) {
            memory.copy(o + (<usize>first << 2), i, <usize>(end - first) << 2)
          } else {
            let src = i
            for (let ox = first; ox < end; ox++, src += <usize>stride << 2) store<f32>(o + (<usize>ox << 2), load<f32>(src))
          }
          if (end < OW) memory.fill(o + (<usize>end << 2), 0, <usize>(OW - end) << 2)
        }
      }
    }
  }
}

/** The adjoint of im2col_f32: adds cols back onto dx [C, H, W] (which the caller zeroed). */
export function col2im_f32(
  C: i32, H: i32, W: i32, k: i32, stride: i32, padding: i32, OH: i32, OW: i32, cols: usize, dx: usize,
): void {
  let o = cols
  for (let c = 0; c < C; c++) {
    const plane = dx + (<usize>(c * H * W) << 2)
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const first = firstInside(W, stride, padding, OW, kx)
        const end = endInside(W, stride, padding, OW, kx)
        for (let oy = 0; oy < OH; oy++, o += <usize>OW << 2) {
          const iy = oy * stride - padding + ky
          if (iy < 0 || iy >= H) continue
          let d = plane + (<usize>(iy * W + first * stride - padding + kx) << 2)
          let s = o + (<usize>first << 2)
          let ox = first
          if (stride == 1) {
            for (; ox + 4 <= end; ox += 4, d += 16, s += 16) v128.store(d, f32x4.add(v128.load(d), v128.load(s)))
          }
          for (; ox < end; ox++, d += <usize>stride << 2, s += 4) store<f32>(d, load<f32>(d) + load<f32>(s))
        }
      }
    }
  }
}

/**
 * y [n, O, OH, OW] = conv(x [n, C, H, W], w [O, C, k, k]) + bias (bias = 0: none).
 * Per sample: cols = im2col(x_s); y_s = bias, then y_s += w · cols.
 */
export function conv2d_forward_f32(
  n: i32, C: i32, H: i32, W: i32, k: i32, stride: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, bias: usize, y: usize, cols: usize, work: usize,
): void {
  const K = C * k * k
  const P = OH * OW
  const inBytes = <usize>(C * H * W) << 2
  const outBytes = <usize>(O * P) << 2
  for (let s = 0; s < n; s++) {
    const xs = x + <usize>s * inBytes
    const ys = y + <usize>s * outBytes
    im2col_f32(C, H, W, k, stride, padding, OH, OW, xs, cols)
    for (let o = 0; o < O; o++) {
      const row = ys + (<usize>(o * P) << 2)
      const b: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0
      const vb = f32x4.splat(b)
      let p = 0
      for (; p + 4 <= P; p += 4) v128.store(row + (<usize>p << 2), vb)
      for (; p < P; p++) store<f32>(row + (<usize>p << 2), b)
    }
    gemm_f32(false, false, O, P, K, 1, w, K, cols, P, 1, ys, P, work)
  }
}

/**
 * Gradients of conv2d_forward_f32 given dy [n, O, OH, OW]: dw (overwritten),
 * db (overwritten, unless 0), dx (overwritten, unless 0: the first layer's
 * input gradient nobody needs).
 */
export function conv2d_backward_f32(
  n: i32, C: i32, H: i32, W: i32, k: i32, stride: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, dy: usize, dw: usize, db: usize, dx: usize, cols: usize, work: usize,
): void {
  const K = C * k * k
  const P = OH * OW
  const inBytes = <usize>(C * H * W) << 2
  const outBytes = <usize>(O * P) << 2
  memory.fill(dw, 0, <usize>(O * K) << 2)
  if (db) {
    for (let o = 0; o < O; o++) {
      let sum: f64 = 0
      for (let s = 0; s < n; s++) {
        const row = dy + <usize>s * outBytes + (<usize>(o * P) << 2)
        for (let p = 0; p < P; p++) sum += <f64>load<f32>(row + (<usize>p << 2))
      }
      store<f32>(db + (<usize>o << 2), <f32>sum)
    }
  }
  for (let s = 0; s < n; s++) {
    const dys = dy + <usize>s * outBytes
    im2col_f32(C, H, W, k, stride, padding, OH, OW, x + <usize>s * inBytes, cols)
    // dw += dy_s · cols_sᵀ
    gemm_f32(false, true, O, K, P, 1, dys, P, cols, P, 1, dw, K, work)
    if (dx) {
      // dcols = wᵀ · dy_s (into cols, which has served), then col2im onto dx_s.
      gemm_f32(true, false, K, P, O, 1, w, K, dys, P, 0, cols, P, work)
      const dxs = dx + <usize>s * inBytes
      memory.fill(dxs, 0, inBytes)
      col2im_f32(C, H, W, k, stride, padding, OH, OW, cols, dxs)
    }
  }
}

// ── fused conv → bias → ReLU → 2×2 max-pool (float32) ───────────────────────
//
// The MNIST CNN's blocks are conv, ReLU, 2×2 max-pool. Done as three layers,
// the conv's full-size output crosses into JavaScript, ReLU and pooling each
// read and write it again (a quarter of the training time, for no
// arithmetic), and the pooled gradient is scattered back to full size. Here
// one call does the block per sample while the conv's output z [O, OH·OW]
// sits in cache, and only the pooled output leaves, with one byte per pooled
// value saying which of its four pixels won (0–3 in row-major order, the
// first maximum on ties, as PyTorch) or NO_WINNER when the maximum was not
// positive, where ReLU passes no gradient. Backward rebuilds dz from those
// bytes and the pooled gradient, then runs the conv's backward on it. The
// single-channel 3×3 conv (the first layer, isDirect3x3) goes further: its
// forward pools each pair of conv rows straight from registers, and its
// backward makes dz two channels at a time (all of it only when dx is wanted).
//
// Same maths as the three TypeScript layers (../../layers/{conv2d,relu,
// maxpool2d}.ts), which this is tested against.

const NO_WINNER: u8 = 4

/**
 * Single-channel 3×3 stride-1 convs (the first layer) are a 9-long dot per
 * output: as a GEMM, K = 9 wastes most of each micro-kernel call on loading
 * and storing C. Directly, each f32x4 of four neighbouring outputs takes nine
 * multiply-adds from a zero-padded copy of the image, and the nine weights
 * stay in registers for a whole output channel (direct3x3ReluPool); the
 * conv's output is pooled where it is made and never stored.
 */
function isDirect3x3(C: i32, k: i32, stride: i32, padding: i32, OW: i32): bool {
  return C == 1 && k == 3 && stride == 1 && padding <= 1 && (OW & 3) == 0
}

/**
 * Zeroes xp [H + 2·pad, W + 2·pad] (plus four spare floats: the last vector of
 * a row may read past the row end, into zeros). Once per call: padImage then
 * rewrites only the interior for each sample, so the borders stay zero.
 */
function clearPadded(H: i32, W: i32, padding: i32, xp: usize): void {
  memory.fill(xp, 0, (<usize>((H + 2 * padding) * (W + 2 * padding) + 4)) << 2)
}

/** x [H, W] → the interior of xp (cleared by clearPadded); returns xp's row length. */
function padImage(H: i32, W: i32, padding: i32, x: usize, xp: usize): i32 {
  const Wp = W + 2 * padding
  for (let iy = 0; iy < H; iy++) {
    memory.copy(xp + (<usize>((iy + padding) * Wp + padding) << 2), x + (<usize>(iy * W) << 2), <usize>W << 2)
  }
  return Wp
}

/** dw [3, 3] += Σ dz [OH, OW] · xp (padded, row length Wp), shifted by each tap: one channel. */
function direct3x3WeightsOne(OH: i32, OW: i32, Wp: i32, xp: usize, dz: usize, dw: usize): void {
  const rowBytes = <usize>Wp << 2
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0
  let d = dz
  for (let oy = 0; oy < OH; oy++) {
    let r0 = xp + <usize>oy * rowBytes
    for (let ox = 0; ox < OW; ox += 4, r0 += 16, d += 16) {
      const g = v128.load(d)
      const r1 = r0 + rowBytes
      const r2 = r1 + rowBytes
      a0 = madd(g, v128.load(r0), a0)
      a1 = madd(g, v128.load(r0, 4), a1)
      a2 = madd(g, v128.load(r0, 8), a2)
      a3 = madd(g, v128.load(r1), a3)
      a4 = madd(g, v128.load(r1, 4), a4)
      a5 = madd(g, v128.load(r1, 8), a5)
      a6 = madd(g, v128.load(r2), a6)
      a7 = madd(g, v128.load(r2, 4), a7)
      a8 = madd(g, v128.load(r2, 8), a8)
    }
  }
  store<f32>(dw, load<f32>(dw) + hsum(a0))
  store<f32>(dw, load<f32>(dw, 4) + hsum(a1), 4)
  store<f32>(dw, load<f32>(dw, 8) + hsum(a2), 8)
  store<f32>(dw, load<f32>(dw, 12) + hsum(a3), 12)
  store<f32>(dw, load<f32>(dw, 16) + hsum(a4), 16)
  store<f32>(dw, load<f32>(dw, 20) + hsum(a5), 20)
  store<f32>(dw, load<f32>(dw, 24) + hsum(a6), 24)
  store<f32>(dw, load<f32>(dw, 28) + hsum(a7), 28)
  store<f32>(dw, load<f32>(dw, 32) + hsum(a8), 32)
}

/**
 * direct3x3WeightsOne for two channels (dz planes za, zb; weight gradients
 * wa, wb), one kernel row at a time. The nine sums of one channel are nine
 * dependency chains, and they do not fit x86's sixteen vector registers
 * beside their inputs: V8 kept two in memory, which put a store and a load
 * into those chains on every step. Three taps of two channels are six
 * chains that fit, with the input loads shared. Each sum still takes its
 * products in the same order, so dw is bit-identical to the one-channel form.
 */
function direct3x3WeightsPair(OH: i32, OW: i32, Wp: i32, xp: usize, za: usize, zb: usize, wa: usize, wb: usize): void {
  const rowBytes = <usize>Wp << 2
  for (let ky = 0; ky < 3; ky++) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0
    let da = za, db = zb
    for (let oy = 0; oy < OH; oy++) {
      let r = xp + <usize>(oy + ky) * rowBytes
      for (let ox = 0; ox < OW; ox += 4, r += 16, da += 16, db += 16) {
        const x0 = v128.load(r), x1 = v128.load(r, 4), x2 = v128.load(r, 8)
        const ga = v128.load(da), gb = v128.load(db)
        a0 = madd(ga, x0, a0)
        a1 = madd(ga, x1, a1)
        a2 = madd(ga, x2, a2)
        b0 = madd(gb, x0, b0)
        b1 = madd(gb, x1, b1)
        b2 = madd(gb, x2, b2)
      }
    }
    const oa = wa + (<usize>(3 * ky) << 2), ob = wb + (<usize>(3 * ky) << 2)
    store<f32>(oa, load<f32>(oa) + hsum(a0))
    store<f32>(oa, load<f32>(oa, 4) + hsum(a1), 4)
    store<f32>(oa, load<f32>(oa, 8) + hsum(a2), 8)
    store<f32>(ob, load<f32>(ob) + hsum(b0))
    store<f32>(ob, load<f32>(ob, 4) + hsum(b1), 4)
    store<f32>(ob, load<f32>(ob, 8) + hsum(b2), 8)
  }
}

@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
}

/**
 * y [O, PH, PW] = maxpool2×2(relu(z [O, OH, OW])), win [O, PH, PW] = the
 * winner's position in its window (see NO_WINNER). Branch-free: after a conv
 * the comparisons go either way at random. NaN wins (a diverged run shows NaN).
 */
function reluPool(O: i32, OH: i32, OW: i32, z: usize, y: usize, win: usize): void {
  const PH = OH >> 1
  const PW = OW >> 1
  const row = <usize>OW << 2
  let out = y
  let code = win
  for (let o = 0; o < O; o++) {
    const plane = z + (<usize>(o * OH * OW) << 2)
    for (let py = 0; py < PH; py++) {
      let p = plane + <usize>(2 * py) * row
      let px = 0
      // Four windows at once (measured: conv1's fused forward, where this runs over 25,088 conv outputs
      // per picture, was a fifth of one-core training); the same comparisons, lane by lane.
      for (; px + 4 <= PW; px += 4, p += 32, out += 16, code += 4) {
        let best = evens(p)
        let at = i32x4.splat(0)
        let v = odds(p)
        let take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
        best = v128.bitselect(v, best, take)
        at = v128.bitselect(i32x4.splat(1), at, take)
        v = evens(p + row)
        take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
        best = v128.bitselect(v, best, take)
        at = v128.bitselect(i32x4.splat(2), at, take)
        v = odds(p + row)
        take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
        best = v128.bitselect(v, best, take)
        at = v128.bitselect(i32x4.splat(3), at, take)
        const passes = v128.or(f32x4.gt(best, f32x4.splat(0)), f32x4.ne(best, best))
        v128.store(out, v128.and(best, passes))
        const codes = v128.bitselect(at, i32x4.splat(NO_WINNER), passes)
        const narrow = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(codes, codes), i16x8.narrow_i32x4_u(codes, codes))
        v128.store32_lane(code, narrow, 0)
      }
      for (; px < PW; px++, p += 8, out += 4, code++) {
        let best = load<f32>(p)
        let at: u32 = 0
        let v = load<f32>(p, 4)
        let take = (v > best) | (v != v)
        best = select<f32>(v, best, take)
        at = select<u32>(1, at, take)
        v = load<f32>(p + row)
        take = (v > best) | (v != v)
        best = select<f32>(v, best, take)
        at = select<u32>(2, at, take)
        v = load<f32>(p + row, 4)
        take = (v > best) | (v != v)
        best = select<f32>(v, best, take)
        at = select<u32>(3, at, take)
        // ReLU of the maximum is the maximum of the ReLUs; no gradient unless it was positive (or NaN).
        const passes = (best > 0) | (best != best)
        store<f32>(out, select<f32>(best, 0, passes))
        store<u8>(code, <u8>select<u32>(at, NO_WINNER, passes))
      }
    }
  }
}

/**
 * v128.bitselect for masks that are all ones or all zeros per lane (a
 * comparison's): the relaxed build's lane select is one blend instruction
 * instead of three logic ops, with the same result on such masks.
 */
@inline
function pick(a: v128, b: v128, mask: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, mask)
  return v128.bitselect(a, b, mask)
}

/** Lanes where pixel v takes its window from `best`, the maximum so far: greater, or NaN (NaN wins). */
@inline
function poolTake(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
}

/**
 * Pools 2×2 windows whose conv outputs are in registers: t0, t1 the top row's
 * eight outputs, b0, b1 the bottom row's; four pooled values to `out`, four
 * winner bytes to `code`. The same comparisons as reluPool, lane by lane.
 */
@inline
function pool4(t0: v128, t1: v128, b0: v128, b1: v128, out: usize, code: usize): void {
  let best = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6)
  let at = i32x4.splat(0)
  let v = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7)
  let take = poolTake(v, best)
  best = pick(v, best, take)
  at = pick(i32x4.splat(1), at, take)
  v = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6)
  take = poolTake(v, best)
  best = pick(v, best, take)
  at = pick(i32x4.splat(2), at, take)
  v = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7)
  take = poolTake(v, best)
  best = pick(v, best, take)
  at = pick(i32x4.splat(3), at, take)
  const passes = v128.or(f32x4.gt(best, f32x4.splat(0)), f32x4.ne(best, best))
  v128.store(out, v128.and(best, passes))
  const codes = pick(at, i32x4.splat(NO_WINNER), passes)
  const narrow = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(codes, codes), i16x8.narrow_i32x4_u(codes, codes))
  v128.store32_lane(code, narrow, 0)
}

/** pool4 for the last two windows of a row (OW = 4 mod 8): t, b four outputs each; two values, two bytes. */
@inline
function pool2(t: v128, b: v128, out: usize, code: usize): void {
  let best = v128.shuffle<f32>(t, t, 0, 2, 0, 2)
  let at = i32x4.splat(0)
  let v = v128.shuffle<f32>(t, t, 1, 3, 1, 3)
  let take = poolTake(v, best)
  best = pick(v, best, take)
  at = pick(i32x4.splat(1), at, take)
  v = v128.shuffle<f32>(b, b, 0, 2, 0, 2)
  take = poolTake(v, best)
  best = pick(v, best, take)
  at = pick(i32x4.splat(2), at, take)
  v = v128.shuffle<f32>(b, b, 1, 3, 1, 3)
  take = poolTake(v, best)
  best = pick(v, best, take)
  at = pick(i32x4.splat(3), at, take)
  const passes = v128.or(f32x4.gt(best, f32x4.splat(0)), f32x4.ne(best, best))
  v128.store64_lane(out, v128.and(best, passes), 0)
  const codes = pick(at, i32x4.splat(NO_WINNER), passes)
  const narrow = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(codes, codes), i16x8.narrow_i32x4_u(codes, codes))
  v128.store16_lane(code, narrow, 0)
}

/**
 * y, win = reluPool(w [O, 3, 3] ⋆ xp (padded, row length Wp) + bias), the conv's
 * output never stored: each step computes two conv rows (2py, 2py + 1) at
 * eight columns, which share the loads of their middle input rows, and pools
 * them from registers. Each output is its nine products summed from zero in
 * tap order (w0·x first, then multiply-adds), then the bias: the order the
 * GEMM path takes, and the one the earlier two-pass form (conv into z, then
 * reluPool) took, so y and win are bit-identical to it (test/engine/
 * conv1-block.test.ts restates that form). Measured, per 256 MNIST pictures:
 * 8.8 → 4.2 ms, from not storing and re-reading z and from the shared loads.
 * OW must be a multiple of 4 (isDirect3x3): eight columns at a time, then
 * four (two windows) when OW = 4 mod 8. An odd last conv row, which pooling
 * drops, is not computed.
 */
function direct3x3ReluPool(O: i32, OH: i32, OW: i32, Wp: i32, xp: usize, w: usize, bias: usize, y: usize, win: usize): void {
  const rowBytes = <usize>Wp << 2
  const PH = OH >> 1
  const wide = OW & ~7
  let out = y
  let code = win
  for (let o = 0; o < O; o++) {
    const wo = w + (<usize>(o * 9) << 2)
    const w0 = v128.load32_splat(wo), w1 = v128.load32_splat(wo, 4), w2 = v128.load32_splat(wo, 8)
    const w3 = v128.load32_splat(wo, 12), w4 = v128.load32_splat(wo, 16), w5 = v128.load32_splat(wo, 20)
    const w6 = v128.load32_splat(wo, 24), w7 = v128.load32_splat(wo, 28), w8 = v128.load32_splat(wo, 32)
    const vb = f32x4.splat(bias ? load<f32>(bias + (<usize>o << 2)) : 0)
    for (let py = 0; py < PH; py++) {
      let r0 = xp + <usize>(2 * py) * rowBytes
      let ox = 0
      for (; ox < wide; ox += 8, r0 += 32, out += 16, code += 4) {
        const r1 = r0 + rowBytes
        const r2 = r1 + rowBytes
        const r3 = r2 + rowBytes
        // top: input rows r0, r1, r2; bottom: r1, r2, r3. Each from zero in tap order, then the bias.
        let x0 = v128.load(r0), x1 = v128.load(r0, 4), x2 = v128.load(r0, 8)
        let x4 = v128.load(r0, 16), x5 = v128.load(r0, 20), x6 = v128.load(r0, 24)
        let t0 = f32x4.mul(w0, x0), t1 = f32x4.mul(w0, x4)
        t0 = madd(w1, x1, t0); t1 = madd(w1, x5, t1)
        t0 = madd(w2, x2, t0); t1 = madd(w2, x6, t1)
        x0 = v128.load(r1); x1 = v128.load(r1, 4); x2 = v128.load(r1, 8)
        x4 = v128.load(r1, 16); x5 = v128.load(r1, 20); x6 = v128.load(r1, 24)
        t0 = madd(w3, x0, t0); t1 = madd(w3, x4, t1)
        t0 = madd(w4, x1, t0); t1 = madd(w4, x5, t1)
        t0 = madd(w5, x2, t0); t1 = madd(w5, x6, t1)
        let b0 = f32x4.mul(w0, x0), b1 = f32x4.mul(w0, x4)
        b0 = madd(w1, x1, b0); b1 = madd(w1, x5, b1)
        b0 = madd(w2, x2, b0); b1 = madd(w2, x6, b1)
        x0 = v128.load(r2); x1 = v128.load(r2, 4); x2 = v128.load(r2, 8)
        x4 = v128.load(r2, 16); x5 = v128.load(r2, 20); x6 = v128.load(r2, 24)
        t0 = madd(w6, x0, t0); t1 = madd(w6, x4, t1)
        t0 = madd(w7, x1, t0); t1 = madd(w7, x5, t1)
        t0 = madd(w8, x2, t0); t1 = madd(w8, x6, t1)
        b0 = madd(w3, x0, b0); b1 = madd(w3, x4, b1)
        b0 = madd(w4, x1, b0); b1 = madd(w4, x5, b1)
        b0 = madd(w5, x2, b0); b1 = madd(w5, x6, b1)
        x0 = v128.load(r3); x1 = v128.load(r3, 4); x2 = v128.load(r3, 8)
        x4 = v128.load(r3, 16); x5 = v128.load(r3, 20); x6 = v128.load(r3, 24)
        b0 = madd(w6, x0, b0); b1 = madd(w6, x4, b1)
        b0 = madd(w7, x1, b0); b1 = madd(w7, x5, b1)
        b0 = madd(w8, x2, b0); b1 = madd(w8, x6, b1)
        pool4(f32x4.add(t0, vb), f32x4.add(t1, vb), f32x4.add(b0, vb), f32x4.add(b1, vb), out, code)
      }
      if (ox < OW) {
        // The last four columns: two windows.
        const r1 = r0 + rowBytes
        const r2 = r1 + rowBytes
        const r3 = r2 + rowBytes
        let t = f32x4.mul(w0, v128.load(r0))
        t = madd(w1, v128.load(r0, 4), t)
        t = madd(w2, v128.load(r0, 8), t)
        t = madd(w3, v128.load(r1), t)
        t = madd(w4, v128.load(r1, 4), t)
        t = madd(w5, v128.load(r1, 8), t)
        t = madd(w6, v128.load(r2), t)
        t = madd(w7, v128.load(r2, 4), t)
        t = madd(w8, v128.load(r2, 8), t)
        let b = f32x4.mul(w0, v128.load(r1))
        b = madd(w1, v128.load(r1, 4), b)
        b = madd(w2, v128.load(r1, 8), b)
        b = madd(w3, v128.load(r2), b)
        b = madd(w4, v128.load(r2, 4), b)
        b = madd(w5, v128.load(r2, 8), b)
        b = madd(w6, v128.load(r3), b)
        b = madd(w7, v128.load(r3, 4), b)
        b = madd(w8, v128.load(r3, 8), b)
        pool2(f32x4.add(t, vb), f32x4.add(b, vb), out, code)
        out += 8
        code += 2
      }
    }
  }
}

/** dz [O, OH, OW] ← the pooled gradient g [O, PH, PW] at each window's winner, zero elsewhere. */
function unpool(O: i32, OH: i32, OW: i32, g: usize, win: usize, dz: usize): void {
  const PH = OH >> 1
  const PW = OW >> 1
  const row = <usize>OW << 2
  memory.fill(dz, 0, <usize>(O * OH * OW) << 2)
  let src = g
  let code = win
  for (let o = 0; o < O; o++) {
    const plane = dz + (<usize>(o * OH * OW) << 2)
    for (let py = 0; py < PH; py++) {
      const p = plane + <usize>(2 * py) * row
      for (let px = 0; px < PW; px++, src += 4, code++) {
        const c = <u32>load<u8>(code)
        if (c == NO_WINNER) continue
        store<f32>(p + (<usize>(2 * px + (c & 1)) << 2) + <usize>(c >> 1) * row, load<f32>(src))
      }
    }
  }
}

/**
 * One channel's dz plane [OH, OW] ← its pooled gradient g [OH/2, OW/2] at
 * each window's winner, zero elsewhere (and on an odd last row): what unpool
 * writes, without clearing the plane first. OW is a multiple of 4
 * (isDirect3x3), so each row's windows come in pairs.
 */
function unpoolPlane(OH: i32, OW: i32, g: usize, win: usize, dz: usize): void {
  const PH = OH >> 1
  const PW = OW >> 1
  const row = <usize>OW << 2
  const top = i32x4(0, 1, 0, 1), bottom = i32x4(2, 3, 2, 3)
  let p = dz
  for (let py = 0; py < PH; py++, p += row) {
    for (let px = 0; px < PW; px += 2, g += 8, win += 2, p += 16) {
      // [g0, g0, g1, g1] and the codes [c0, c0, c1, c1]: a lane passes g where its code names its pixel.
      const gs = v128.shuffle<f32>(v128.load64_zero(g), f32x4.splat(0), 0, 0, 1, 1)
      const c = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load16_splat(win)))
      const cs = v128.shuffle<i32>(c, c, 0, 0, 1, 1)
      v128.store(p, v128.and(gs, i32x4.eq(cs, top)))
      v128.store(p + row, v128.and(gs, i32x4.eq(cs, bottom)))
    }
  }
  if (OH & 1) memory.fill(p, 0, row)
}

/**
 * unpool then the weight gradient, two channels at a time, for the direct
 * 3×3 kernel. With `keep`, dz [O, OH, OW] is left whole in `dz` (the input
 * gradient's GEMM reads it); without, `dz` holds just the two planes in
 * hand, which stay in L1.
 */
function direct3x3UnpoolWeights(O: i32, OH: i32, OW: i32, Wp: i32, xp: usize, g: usize, win: usize, keep: bool, dz: usize, dw: usize): void {
  const P = OH * OW
  const PQ = (OH >> 1) * (OW >> 1)
  for (let o = 0; o < O; o += 2) {
    const za = dz + (keep ? <usize>(o * P) << 2 : 0)
    const zb = za + (<usize>P << 2)
    unpoolPlane(OH, OW, g + (<usize>(o * PQ) << 2), win + <usize>(o * PQ), za)
    const wa = dw + (<usize>(o * 9) << 2)
    if (o + 1 < O) {
      unpoolPlane(OH, OW, g + (<usize>((o + 1) * PQ) << 2), win + <usize>((o + 1) * PQ), zb)
      direct3x3WeightsPair(OH, OW, Wp, xp, za, zb, wa, wa + 36)
    } else {
      direct3x3WeightsOne(OH, OW, Wp, xp, za, wa)
    }
  }
}

/** sum + the pooled gradients g [4] that passed (win [4] not NO_WINNER), added one by one in order. */
@inline
function addPassed4(sum: f32, g: usize, win: usize): f32 {
  const c = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(win)))
  const v = v128.and(v128.load(g), i32x4.ne(c, i32x4.splat(NO_WINNER)))
  sum += f32x4.extract_lane(v, 0)
  sum += f32x4.extract_lane(v, 1)
  sum += f32x4.extract_lane(v, 2)
  return sum + f32x4.extract_lane(v, 3)
}

/** sum + g if it passed (its win byte is not NO_WINNER), branch-free: which way it goes is random. */
@inline
function addPassed(sum: f32, g: usize, win: usize): f32 {
  return sum + reinterpret<f32>(load<i32>(g) & -(<i32>(load<u8>(win) != NO_WINNER)))
}

/**
 * db [O] += each channel's pooled gradients g [O, PQ] that passed ReLU (win
 * not NO_WINNER): the sum of its dz, one value after another in window order.
 * Each sum is one chain of dependent adds; four channels side by side keep
 * four chains going at once (one alone waits on each add).
 */
function biasGradient(O: i32, PQ: i32, g: usize, win: usize, db: usize): void {
  const plane = <usize>PQ << 2
  let o = 0
  for (; o + 4 <= O; o += 4) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0
    const g0 = g + <usize>o * plane, c0 = win + <usize>(o * PQ)
    let q = 0
    for (; q + 4 <= PQ; q += 4) {
      const gq = g0 + (<usize>q << 2), cq = c0 + <usize>q
      s0 = addPassed4(s0, gq, cq)
      s1 = addPassed4(s1, gq + plane, cq + <usize>PQ)
      s2 = addPassed4(s2, gq + 2 * plane, cq + <usize>(2 * PQ))
      s3 = addPassed4(s3, gq + 3 * plane, cq + <usize>(3 * PQ))
    }
    for (; q < PQ; q++) {
      const gq = g0 + (<usize>q << 2), cq = c0 + <usize>q
      s0 = addPassed(s0, gq, cq)
      s1 = addPassed(s1, gq + plane, cq + <usize>PQ)
      s2 = addPassed(s2, gq + 2 * plane, cq + <usize>(2 * PQ))
      s3 = addPassed(s3, gq + 3 * plane, cq + <usize>(3 * PQ))
    }
    const out = db + (<usize>o << 2)
    store<f32>(out, load<f32>(out) + s0)
    store<f32>(out, load<f32>(out, 4) + s1, 4)
    store<f32>(out, load<f32>(out, 8) + s2, 8)
    store<f32>(out, load<f32>(out, 12) + s3, 12)
  }
  for (; o < O; o++) {
    let sum: f32 = 0
    const g0 = g + <usize>o * plane, c0 = win + <usize>(o * PQ)
    for (let q = 0; q < PQ; q++) sum = addPassed(sum, g0 + (<usize>q << 2), c0 + <usize>q)
    store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + sum)
  }
}

/** Scratch floats the fused block needs beyond `work` (cols, z, padded image), for these sizes. */
export function convBlockScratch(C: i32, H: i32, W: i32, k: i32, padding: i32, OH: i32, OW: i32, O: i32): i32 {
  const P = OH * OW
  return C * k * k * P + O * P + (H + 2 * padding) * (W + 2 * padding) + 64
}

/**
 * The block's forward pass for a batch: x [n, C, H, W] → y [n, O, OH/2, OW/2]
 * (floor), win [n, O, OH/2, OW/2] bytes for backward. `scratch` holds
 * convBlockScratch() floats.
 */
export function conv_relu_pool_forward_f32(
  n: i32, C: i32, H: i32, W: i32, k: i32, stride: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, bias: usize, y: usize, win: usize, scratch: usize, work: usize,
): void {
  const K = C * k * k
  const P = OH * OW
  const pooled = O * (OH >> 1) * (OW >> 1)
  const cols = scratch
  const z = cols + (<usize>(K * P) << 2)
  const xp = z + (<usize>(O * P) << 2)
  const inBytes = <usize>(C * H * W) << 2
  const direct = isDirect3x3(C, k, stride, padding, OW)
  if (direct) clearPadded(H, W, padding, xp)
  for (let s = 0; s < n; s++) {
    const xs = x + <usize>s * inBytes
    const ys = y + (<usize>(s * pooled) << 2)
    const wins = win + <usize>(s * pooled)
    if (direct) {
      const Wp = padImage(H, W, padding, xs, xp)
      direct3x3ReluPool(O, OH, OW, Wp, xp, w, bias, ys, wins)
      continue
    }
    im2col_f32(C, H, W, k, stride, padding, OH, OW, xs, cols)
    gemm_f32(false, false, O, P, K, 1, w, K, cols, P, 0, z, P, work)
    if (bias) {
      for (let o = 0; o < O; o++) {
        const vb = v128.load32_splat(bias + (<usize>o << 2))
        const b = load<f32>(bias + (<usize>o << 2))
        const r = z + (<usize>(o * P) << 2)
        let p = 0
        for (; p + 4 <= P; p += 4) v128.store(r + (<usize>p << 2), f32x4.add(v128.load(r + (<usize>p << 2)), vb))
        for (; p < P; p++) store<f32>(r + (<usize>p << 2), load<f32>(r + (<usize>p << 2)) + b)
      }
    }
    reluPool(O, OH, OW, z, ys, wins)
  }
}

/**
 * The block's backward pass from the pooled gradient g [n, O, OH/2, OW/2]:
 * dw and db (unless 0) overwritten, dx (unless 0) overwritten.
 */
export function conv_relu_pool_backward_f32(
  n: i32, C: i32, H: i32, W: i32, k: i32, stride: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, g: usize, win: usize, dw: usize, db: usize, dx: usize, scratch: usize, work: usize,
): void {
  const K = C * k * k
  const P = OH * OW
  const pooled = O * (OH >> 1) * (OW >> 1)
  const cols = scratch
  const dz = cols + (<usize>(K * P) << 2)
  const xp = dz + (<usize>(O * P) << 2)
  const inBytes = <usize>(C * H * W) << 2
  const direct = isDirect3x3(C, k, stride, padding, OW)
  if (direct) clearPadded(H, W, padding, xp)
  memory.fill(dw, 0, <usize>(O * K) << 2)
  if (db) memory.fill(db, 0, <usize>O << 2)
  for (let s = 0; s < n; s++) {
    const gs = g + (<usize>(s * pooled) << 2)
    if (!direct) unpool(O, OH, OW, gs, win + <usize>(s * pooled), dz)
    if (db) biasGradient(O, (OH >> 1) * (OW >> 1), gs, win + <usize>(s * pooled), db)
    const xs = x + <usize>s * inBytes
    if (direct) {
      const Wp = padImage(H, W, padding, xs, xp)
      // The first layer (no dx) never needs all of dz at once.
      direct3x3UnpoolWeights(O, OH, OW, Wp, xp, gs, win + <usize>(s * pooled), dx != 0, dz, dw)
    } else {
      im2col_f32(C, H, W, k, stride, padding, OH, OW, xs, cols)
      gemm_f32(false, true, O, K, P, 1, dz, P, cols, P, 1, dw, K, work)
    }
    if (dx) {
      // dcols = wᵀ · dz (into cols, which has served), then col2im onto dx_s.
      gemm_f32(true, false, K, P, O, 1, w, K, dz, P, 0, cols, P, work)
      const dxs = dx + <usize>s * inBytes
      memory.fill(dxs, 0, inBytes)
      col2im_f32(C, H, W, k, stride, padding, OH, OW, cols, dxs)
    }
  }
}

// ── Winograd F(2×2, 3×3) convolution (float32) ──────────────────────────────
//
// A 3×3 stride-1 convolution computes each 2×2 block of outputs from a 4×4
// tile of input (neighbouring tiles overlap by two pixels). Winograd's minimal
// filtering algorithm does that with 16 multiplications instead of 36:
//
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A      g: 3×3 filter, d: 4×4 input tile
//
//   Bᵀ = | 1  0 -1  0 |   G = | 1    0    0  |   Aᵀ = | 1  1  1  0 |
//        | 0  1  1  0 |       | ½    ½    ½  |        | 0  1 -1 -1 |
//        | 0 -1  1  0 |       | ½   -½    ½  |
//        | 0  1  0 -1 |       | 0    0    1  |
//
// Summed over input channels, the 16 elementwise products of each tile become
// 16 independent GEMMs, one per tile position ξ (4a + b): M_ξ [O × tiles] =
// U_ξ [O × C] · V_ξ [C × tiles], where U = G g Gᵀ and V = Bᵀ d B. The
// transforms are additions only, so for C·O large (the MNIST CNN's conv2:
// 32→64) the multiply count falls by 36/16 = 2.25×. For C = 1 there is nothing
// to amortise the transforms over and the direct kernels stay faster.
//
// Backward uses the transposed formulation, which shares the transformed
// output gradient between both gradients: with Ŷ = A dY Aᵀ per tile,
//   dU_ξ = Σ_tiles Ŷ_ξ · V_ξᵀ  → dW = Gᵀ dU G      (16 GEMMs [O×tiles]·[tiles×C])
//   dV_ξ = U_ξᵀ · Ŷ_ξ          → dX += B dV Bᵀ     (16 GEMMs, then overlapping tiles added)
// These are exact adjoints of the forward computation, so in exact arithmetic
// they equal the direct gradients; outputs past an odd edge (the last tile
// half outside) take a zero gradient.
//
// Layout (floats, in the caller's `scratch`, see winogradScratch): U and dU
// [16][O][C]; V [16][C][ld] and M (or Ŷ) [16][O][ld], where a group of whole
// samples' tiles sits side by side in each row (sample-major, then tile rows,
// then tile columns) so the GEMMs see a few hundred columns; then one
// zero-bordered image plane. The transforms run on four neighbouring tiles
// of a tile row at once, one per f32x4 lane. A vector that runs past the end
// of a tile row spills into the next row's first tiles, which are written
// afterwards, or into the spare columns at the end of each row (ld ≥ tiles + 4).

/** Tiles per GEMM group to aim for: a few hundred columns keep the GEMM efficient and V, M within L2. */
const WINO_TILES: i32 = 256

@inline function winoTileRows(OH: i32): i32 { return (OH + 1) >> 1 }
@inline function winoTileCols(OW: i32): i32 { return (OW + 1) >> 1 }
/** Samples per group (whole samples, at least one). */
@inline function winoGroup(n: i32, OH: i32, OW: i32): i32 {
  return max(1, min(n, WINO_TILES / (winoTileRows(OH) * winoTileCols(OW))))
}
/** Row length of V and M: the group's tiles plus room for a vector's spill, a multiple of four. */
@inline function winoLd(n: i32, OH: i32, OW: i32): i32 {
  return (winoGroup(n, OH, OW) * winoTileRows(OH) * winoTileCols(OW) + 7) & ~3
}
/** The zero-bordered plane's row length: every vector of four tiles reads and writes inside it. */
@inline function winoPlaneCols(OW: i32): i32 { return 2 * ((winoTileCols(OW) + 3) & ~3) + 8 }
@inline function winoPlaneRows(OH: i32): i32 { return 2 * winoTileRows(OH) + 2 }

/** Scratch floats the Winograd kernels need beyond `work`, for these sizes. */
export function winogradScratch(n: i32, C: i32, H: i32, W: i32, padding: i32, OH: i32, OW: i32, O: i32): i32 {
  const ld = winoLd(n, OH, OW)
  return 32 * O * C + 16 * C * ld + 16 * O * ld + winoPlaneRows(OH) * winoPlaneCols(OW) + 64
}

/** U [16][O][C] ← G g Gᵀ for every filter g = w [o, c, 3, 3]. */
function winoFilters(O: i32, C: i32, w: usize, U: usize): void {
  const xi = <usize>(O * C) << 2
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      const g = w + (<usize>((o * C + c) * 9) << 2)
      const u = U + (<usize>(o * C + c) << 2)
      // t = g Gᵀ (3 × 4), one row of g at a time.
      for (let i = 0; i < 3; i++) {
        const g0 = load<f32>(g + (<usize>(3 * i) << 2))
        const g1 = load<f32>(g + (<usize>(3 * i + 1) << 2))
        const g2 = load<f32>(g + (<usize>(3 * i + 2) << 2))
        const t0 = g0, t1 = (g0 + g1 + g2) * 0.5, t2 = (g0 - g1 + g2) * 0.5, t3 = g2
        // Park row i of t in U's rows ξ = 4i + b; the column pass below reads it back.
        store<f32>(u + <usize>(4 * i) * xi, t0)
        store<f32>(u + <usize>(4 * i + 1) * xi, t1)
        store<f32>(u + <usize>(4 * i + 2) * xi, t2)
        store<f32>(u + <usize>(4 * i + 3) * xi, t3)
      }
      // U = G t, one column of t at a time (row 3 of U first: rows 0–2 still hold t).
      for (let b = 0; b < 4; b++) {
        const t0 = load<f32>(u + <usize>b * xi)
        const t1 = load<f32>(u + <usize>(4 + b) * xi)
        const t2 = load<f32>(u + <usize>(8 + b) * xi)
        store<f32>(u + <usize>(12 + b) * xi, t2)
        store<f32>(u + <usize>(8 + b) * xi, (t0 - t1 + t2) * 0.5)
        store<f32>(u + <usize>(4 + b) * xi, (t0 + t1 + t2) * 0.5)
        store<f32>(u + <usize>b * xi, t0)
      }
    }
  }
}

/** dw [O, C, 3, 3] ← Gᵀ dU G for every dU [16][O][C]. */
function winoFilterGradients(O: i32, C: i32, dU: usize, dw: usize): void {
  const xi = <usize>(O * C) << 2
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      const u = dU + (<usize>(o * C + c) << 2)
      const g = dw + (<usize>((o * C + c) * 9) << 2)
      // s = Gᵀ dU (3 × 4), column by column, kept in registers per column then written to g's rows via t.
      let s00: f32 = 0, s01: f32 = 0, s02: f32 = 0, s03: f32 = 0
      let s10: f32 = 0, s11: f32 = 0, s12: f32 = 0, s13: f32 = 0
      let s20: f32 = 0, s21: f32 = 0, s22: f32 = 0, s23: f32 = 0
      for (let b = 0; b < 4; b++) {
        const u0 = load<f32>(u + <usize>b * xi)
        const u1 = load<f32>(u + <usize>(4 + b) * xi)
        const u2 = load<f32>(u + <usize>(8 + b) * xi)
        const u3 = load<f32>(u + <usize>(12 + b) * xi)
        const r0 = u0 + (u1 + u2) * 0.5
        const r1 = (u1 - u2) * 0.5
        const r2 = (u1 + u2) * 0.5 + u3
        if (b == 0) { s00 = r0; s10 = r1; s20 = r2 }
        else if (b == 1) { s01 = r0; s11 = r1; s21 = r2 }
        else if (b == 2) { s02 = r0; s12 = r1; s22 = r2 }
        else { s03 = r0; s13 = r1; s23 = r2 }
      }
      // dw = s G, row by row.
      store<f32>(g, s00 + (s01 + s02) * 0.5)
      store<f32>(g, (s01 - s02) * 0.5, 4)
      store<f32>(g, (s01 + s02) * 0.5 + s03, 8)
      store<f32>(g, s10 + (s11 + s12) * 0.5, 12)
      store<f32>(g, (s11 - s12) * 0.5, 16)
      store<f32>(g, (s11 + s12) * 0.5 + s13, 20)
      store<f32>(g, s20 + (s21 + s22) * 0.5, 24)
      store<f32>(g, (s21 - s22) * 0.5, 28)
      store<f32>(g, (s21 + s22) * 0.5 + s23, 32)
    }
  }
}

/** plane [rows, cols] ← src [H, W] shifted by `padding` rows and columns, zero elsewhere. */
function winoFillPlane(H: i32, W: i32, padding: i32, rows: i32, cols: i32, src: usize, plane: usize): void {
  memory.fill(plane, 0, <usize>(rows * cols + 16) << 2)
  const last = min(W, cols - padding)
  for (let iy = 0; iy < H; iy++) {
    const r = iy + padding
    if (r >= rows) break
    memory.copy(plane + (<usize>(r * cols + padding) << 2), src + (<usize>(iy * W) << 2), <usize>last << 2)
  }
}

/** The even and odd columns of eight floats at p: four tiles' columns j and j + 1. */
@inline function evens(p: usize): v128 { return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6) }
@inline function odds(p: usize): v128 { return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 1, 3, 5, 7) }

/**
 * V [ξ][c][t…] ← Bᵀ d B for every tile d of one zero-bordered plane (the
 * sample's channel c), tiles numbered from t0; `v` points at V[0][c][t0],
 * `xi` is the byte distance between ξ matrices.
 */
function winoInputTiles(TH: i32, TW: i32, cols: i32, plane: usize, v: usize, xi: usize): void {
  const row = <usize>cols << 2
  let t: usize = 0
  for (let ty = 0; ty < TH; ty++) {
    for (let tx = 0; tx < TW; tx += 4) {
      const p0 = plane + <usize>(2 * ty) * row + (<usize>(2 * tx) << 2)
      const p1 = p0 + row, p2 = p1 + row, p3 = p2 + row
      // d B for each of the four rows: (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
      const a0 = evens(p0), a1 = odds(p0), a2 = evens(p0 + 8), a3 = odds(p0 + 8)
      const b0 = evens(p1), b1 = odds(p1), b2 = evens(p1 + 8), b3 = odds(p1 + 8)
      const c0 = evens(p2), c1 = odds(p2), c2 = evens(p2 + 8), c3 = odds(p2 + 8)
      const d0 = evens(p3), d1 = odds(p3), d2 = evens(p3 + 8), d3 = odds(p3 + 8)
      const r00 = f32x4.sub(a0, a2), r01 = f32x4.add(a1, a2), r02 = f32x4.sub(a2, a1), r03 = f32x4.sub(a1, a3)
      const r10 = f32x4.sub(b0, b2), r11 = f32x4.add(b1, b2), r12 = f32x4.sub(b2, b1), r13 = f32x4.sub(b1, b3)
      const r20 = f32x4.sub(c0, c2), r21 = f32x4.add(c1, c2), r22 = f32x4.sub(c2, c1), r23 = f32x4.sub(c1, c3)
      const r30 = f32x4.sub(d0, d2), r31 = f32x4.add(d1, d2), r32 = f32x4.sub(d2, d1), r33 = f32x4.sub(d1, d3)
      // Bᵀ (d B): the same combination down each column.
      const o = v + (t << 2)
      v128.store(o, f32x4.sub(r00, r20))
      v128.store(o + xi, f32x4.sub(r01, r21))
      v128.store(o + 2 * xi, f32x4.sub(r02, r22))
      v128.store(o + 3 * xi, f32x4.sub(r03, r23))
      v128.store(o + 4 * xi, f32x4.add(r10, r20))
      v128.store(o + 5 * xi, f32x4.add(r11, r21))
      v128.store(o + 6 * xi, f32x4.add(r12, r22))
      v128.store(o + 7 * xi, f32x4.add(r13, r23))
      v128.store(o + 8 * xi, f32x4.sub(r20, r10))
      v128.store(o + 9 * xi, f32x4.sub(r21, r11))
      v128.store(o + 10 * xi, f32x4.sub(r22, r12))
      v128.store(o + 11 * xi, f32x4.sub(r23, r13))
      v128.store(o + 12 * xi, f32x4.sub(r10, r30))
      v128.store(o + 13 * xi, f32x4.sub(r11, r31))
      v128.store(o + 14 * xi, f32x4.sub(r12, r32))
      v128.store(o + 15 * xi, f32x4.sub(r13, r33))
      t += <usize>min(4, TW - tx)
    }
  }
}

/** Lanes [0, count) all ones, the rest zero. */
@inline function laneMask(count: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(count))
}

/**
 * The adjoint of winoInputTiles: plane (zeroed by the caller) += B dV Bᵀ for
 * every tile, overlapping tiles adding up; `v` points at dV[0][c][t0].
 */
function winoInputTilesAdjoint(TH: i32, TW: i32, cols: i32, v: usize, xi: usize, plane: usize): void {
  const row = <usize>cols << 2
  let t: usize = 0
  for (let ty = 0; ty < TH; ty++) {
    for (let tx = 0; tx < TW; tx += 4) {
      const count = min(4, TW - tx)
      // Lanes past the tile row hold the next row's tiles (or spare columns): they must add nothing.
      const keep = laneMask(count)
      const o = v + (t << 2)
      const e00 = v128.and(v128.load(o), keep), e01 = v128.and(v128.load(o + xi), keep)
      const e02 = v128.and(v128.load(o + 2 * xi), keep), e03 = v128.and(v128.load(o + 3 * xi), keep)
      const e10 = v128.and(v128.load(o + 4 * xi), keep), e11 = v128.and(v128.load(o + 5 * xi), keep)
      const e12 = v128.and(v128.load(o + 6 * xi), keep), e13 = v128.and(v128.load(o + 7 * xi), keep)
      const e20 = v128.and(v128.load(o + 8 * xi), keep), e21 = v128.and(v128.load(o + 9 * xi), keep)
      const e22 = v128.and(v128.load(o + 10 * xi), keep), e23 = v128.and(v128.load(o + 11 * xi), keep)
      const e30 = v128.and(v128.load(o + 12 * xi), keep), e31 = v128.and(v128.load(o + 13 * xi), keep)
      const e32 = v128.and(v128.load(o + 14 * xi), keep), e33 = v128.and(v128.load(o + 15 * xi), keep)
      // B e down each column: (e0, e1 − e2 + e3, e1 + e2 − e0, −e3).
      const s00 = e00, s01 = e01, s02 = e02, s03 = e03
      const s10 = f32x4.add(f32x4.sub(e10, e20), e30), s11 = f32x4.add(f32x4.sub(e11, e21), e31)
      const s12 = f32x4.add(f32x4.sub(e12, e22), e32), s13 = f32x4.add(f32x4.sub(e13, e23), e33)
      const s20 = f32x4.sub(f32x4.add(e10, e20), e00), s21 = f32x4.sub(f32x4.add(e11, e21), e01)
      const s22 = f32x4.sub(f32x4.add(e12, e22), e02), s23 = f32x4.sub(f32x4.add(e13, e23), e03)
      const s30 = f32x4.neg(e30), s31 = f32x4.neg(e31), s32 = f32x4.neg(e32), s33 = f32x4.neg(e33)
      const p0 = plane + <usize>(2 * ty) * row + (<usize>(2 * tx) << 2)
      winoAddRow(p0, s00, s01, s02, s03)
      winoAddRow(p0 + row, s10, s11, s12, s13)
      winoAddRow(p0 + 2 * row, s20, s21, s22, s23)
      winoAddRow(p0 + 3 * row, s30, s31, s32, s33)
      t += <usize>count
    }
  }
}

/** Adds one row (s0, s1, s2, s3) · Bᵀ of four tiles onto the plane row at p, tile l at columns 2l … 2l + 3. */
@inline function winoAddRow(p: usize, s0: v128, s1: v128, s2: v128, s3: v128): void {
  const c0 = s0
  const c1 = f32x4.add(f32x4.sub(s1, s2), s3)
  const c2 = f32x4.sub(f32x4.add(s1, s2), s0)
  const c3 = f32x4.neg(s3)
  // Columns 2l and 2l + 1 take (c0, c1) of tile l; columns 2l + 2 and 2l + 3 take (c2, c3).
  v128.store(p, f32x4.add(v128.load(p), v128.shuffle<f32>(c0, c1, 0, 4, 1, 5)))
  v128.store(p, f32x4.add(v128.load(p, 16), v128.shuffle<f32>(c0, c1, 2, 6, 3, 7)), 16)
  v128.store(p, f32x4.add(v128.load(p, 8), v128.shuffle<f32>(c2, c3, 0, 4, 1, 5)), 8)
  v128.store(p, f32x4.add(v128.load(p, 24), v128.shuffle<f32>(c2, c3, 2, 6, 3, 7)), 24)
}

/**
 * Ŷ [ξ][o][t…] ← A q Aᵀ for every 2×2 block q of one zero-bordered output
 * gradient plane (row length `cols`); `m` points at Ŷ[0][o][t0].
 */
function winoGradientTiles(TH: i32, TW: i32, cols: i32, plane: usize, m: usize, xi: usize): void {
  const row = <usize>cols << 2
  let t: usize = 0
  for (let ty = 0; ty < TH; ty++) {
    for (let tx = 0; tx < TW; tx += 4) {
      const p0 = plane + <usize>(2 * ty) * row + (<usize>(2 * tx) << 2)
      winoStoreGradient(evens(p0), odds(p0), evens(p0 + row), odds(p0 + row), m + (t << 2), xi)
      t += <usize>min(4, TW - tx)
    }
  }
}

/** Stores A q Aᵀ of four tiles' 2×2 gradients q (one lane each) at o, o + xi, … . */
@inline function winoStoreGradient(q00: v128, q01: v128, q10: v128, q11: v128, o: usize, xi: usize): void {
  // A q: rows (q0, q0 + q1, q0 − q1, −q1), for each of the two columns.
  const a0 = q00, a1 = q01
  const b0 = f32x4.add(q00, q10), b1 = f32x4.add(q01, q11)
  const c0 = f32x4.sub(q00, q10), c1 = f32x4.sub(q01, q11)
  const d0 = f32x4.neg(q10), d1 = f32x4.neg(q11)
  // (A q) Aᵀ: the same combination along each row.
  v128.store(o, a0)
  v128.store(o + xi, f32x4.add(a0, a1))
  v128.store(o + 2 * xi, f32x4.sub(a0, a1))
  v128.store(o + 3 * xi, f32x4.neg(a1))
  v128.store(o + 4 * xi, b0)
  v128.store(o + 5 * xi, f32x4.add(b0, b1))
  v128.store(o + 6 * xi, f32x4.sub(b0, b1))
  v128.store(o + 7 * xi, f32x4.neg(b1))
  v128.store(o + 8 * xi, c0)
  v128.store(o + 9 * xi, f32x4.add(c0, c1))
  v128.store(o + 10 * xi, f32x4.sub(c0, c1))
  v128.store(o + 11 * xi, f32x4.neg(c1))
  v128.store(o + 12 * xi, d0)
  v128.store(o + 13 * xi, f32x4.add(d0, d1))
  v128.store(o + 14 * xi, f32x4.sub(d0, d1))
  v128.store(o + 15 * xi, f32x4.neg(d1))
}

/** Output transform of four tiles: y00, y01, y10, y11 (one tile per lane) of Aᵀ m A + bias, m at o, o + xi, … . */
@inline function winoOutputRow(m0: v128, m1: v128, m2: v128, m3: v128): v128 {
  return f32x4.add(f32x4.add(m0, m1), m2)
}
@inline function winoOutputRowOdd(m0: v128, m1: v128, m2: v128, m3: v128): v128 {
  return f32x4.sub(f32x4.sub(m1, m2), m3)
}

// The current call's geometry and buffer addresses (bytes). Plain globals, not
// an object: the stub runtime would allocate it at __heap_base, which is where
// the TypeScript side lays out the GEMM's work area.
let winoTH: i32 = 0, winoTW: i32 = 0, winoT: i32 = 0, winoGroupSize: i32 = 0, winoLdCur: i32 = 0
let winoRows: i32 = 0, winoCols: i32 = 0
let winoU: usize = 0, winoDU: usize = 0, winoV: usize = 0, winoM: usize = 0, winoPlane: usize = 0

function winoPrepare(n: i32, C: i32, OH: i32, OW: i32, O: i32, scratch: usize): void {
  winoTH = winoTileRows(OH)
  winoTW = winoTileCols(OW)
  winoT = winoTH * winoTW
  winoGroupSize = winoGroup(n, OH, OW)
  winoLdCur = winoLd(n, OH, OW)
  winoRows = winoPlaneRows(OH)
  winoCols = winoPlaneCols(OW)
  winoU = scratch
  winoDU = winoU + (<usize>(16 * O * C) << 2)
  winoV = winoDU + (<usize>(16 * O * C) << 2)
  winoM = winoV + (<usize>(16 * C * winoLdCur) << 2)
  winoPlane = winoM + (<usize>(16 * O * winoLdCur) << 2)
}

/** V for samples [s0, s0 + count) of x [n, C, H, W]. */
function winoTransformInputs(s0: i32, count: i32, C: i32, H: i32, W: i32, padding: i32, x: usize): void {
  const xi = <usize>(C * winoLdCur) << 2
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < count; j++) {
      const src = x + (<usize>(((s0 + j) * C + c) * H * W) << 2)
      winoFillPlane(H, W, padding, winoRows, winoCols, src, winoPlane)
      winoInputTiles(winoTH, winoTW, winoCols, winoPlane, winoV + (<usize>(c * winoLdCur + j * winoT) << 2), xi)
    }
  }
}

/** M_ξ = U_ξ · V_ξ for the group's `columns` tiles (16 GEMMs). */
function winoMultiply(C: i32, O: i32, columns: i32, work: usize): void {
  for (let xi = 0; xi < 16; xi++) {
    gemm_f32(
      false, false, O, columns, C, 1,
      winoU + (<usize>(xi * O * C) << 2), C,
      winoV + (<usize>(xi * C * winoLdCur) << 2), winoLdCur,
      0, winoM + (<usize>(xi * O * winoLdCur) << 2), winoLdCur, work,
    )
  }
}

/**
 * y [n, O, OH, OW] = conv(x [n, C, H, W], w [O, C, 3, 3]) + bias (bias = 0:
 * none), 3×3 stride 1, by Winograd F(2×2, 3×3). `scratch` holds
 * winogradScratch() floats.
 */
export function winograd_forward_f32(
  n: i32, C: i32, H: i32, W: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, bias: usize, y: usize, scratch: usize, work: usize,
): void {
  winoPrepare(n, C, OH, OW, O, scratch)
  winoFilters(O, C, w, winoU)
  const xi = <usize>(O * winoLdCur) << 2
  for (let s0 = 0; s0 < n; s0 += winoGroupSize) {
    const count = min(winoGroupSize, n - s0)
    winoTransformInputs(s0, count, C, H, W, padding, x)
    winoMultiply(C, O, count * winoT, work)
    for (let j = 0; j < count; j++) {
      for (let o = 0; o < O; o++) {
        const vb = f32x4.splat(bias ? load<f32>(bias + (<usize>o << 2)) : 0)
        const out = y + (<usize>(((s0 + j) * O + o) * OH * OW) << 2)
        let t: usize = <usize>(o * winoLdCur + j * winoT)
        for (let ty = 0; ty < winoTH; ty++) {
          for (let tx = 0; tx < winoTW; tx += 4) {
            const m = winoM + (t << 2)
            // m A for each row of m, then Aᵀ (m A), plus the bias.
            const m00 = v128.load(m), m01 = v128.load(m + xi), m02 = v128.load(m + 2 * xi), m03 = v128.load(m + 3 * xi)
            const m10 = v128.load(m + 4 * xi), m11 = v128.load(m + 5 * xi), m12 = v128.load(m + 6 * xi), m13 = v128.load(m + 7 * xi)
            const m20 = v128.load(m + 8 * xi), m21 = v128.load(m + 9 * xi), m22 = v128.load(m + 10 * xi), m23 = v128.load(m + 11 * xi)
            const m30 = v128.load(m + 12 * xi), m31 = v128.load(m + 13 * xi), m32 = v128.load(m + 14 * xi), m33 = v128.load(m + 15 * xi)
            const r00 = winoOutputRow(m00, m01, m02, m03), r01 = winoOutputRowOdd(m00, m01, m02, m03)
            const r10 = winoOutputRow(m10, m11, m12, m13), r11 = winoOutputRowOdd(m10, m11, m12, m13)
            const r20 = winoOutputRow(m20, m21, m22, m23), r21 = winoOutputRowOdd(m20, m21, m22, m23)
            const r30 = winoOutputRow(m30, m31, m32, m33), r31 = winoOutputRowOdd(m30, m31, m32, m33)
            const y00 = f32x4.add(winoOutputRow(r00, r10, r20, r30), vb)
            const y01 = f32x4.add(winoOutputRow(r01, r11, r21, r31), vb)
            const y10 = f32x4.add(winoOutputRowOdd(r00, r10, r20, r30), vb)
            const y11 = f32x4.add(winoOutputRowOdd(r01, r11, r21, r31), vb)
            winoStoreOutput(out, OH, OW, 2 * ty, 2 * tx, min(4, winoTW - tx), y00, y01, y10, y11)
            t += <usize>min(4, winoTW - tx)
          }
        }
      }
    }
  }
}

/** Writes four tiles' 2×2 outputs at (oy, ox) of the plane out [OH, OW], dropping what falls outside. */
@inline function winoStoreOutput(
  out: usize, OH: i32, OW: i32, oy: i32, ox: i32, count: i32, y00: v128, y01: v128, y10: v128, y11: v128,
): void {
  const top = out + (<usize>(oy * OW + ox) << 2)
  const lo0 = v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), hi0 = v128.shuffle<f32>(y00, y01, 2, 6, 3, 7)
  const lo1 = v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), hi1 = v128.shuffle<f32>(y10, y11, 2, 6, 3, 7)
  if (count == 4 && ox + 8 <= OW && oy + 2 <= OH) {
    v128.store(top, lo0); v128.store(top, hi0, 16)
    const bottom = top + (<usize>OW << 2)
    v128.store(bottom, lo1); v128.store(bottom, hi1, 16)
    return
  }
  // An edge: through a staging row of eight values, keeping the columns inside.
  const width = min(2 * count, OW - ox)
  for (let a = 0; a < 2; a++) {
    if (oy + a >= OH) break
    const row = top + (<usize>(a * OW) << 2)
    const lo = a == 0 ? lo0 : lo1
    const hi = a == 0 ? hi0 : hi1
    for (let k = 0; k < width; k++) {
      const v = k < 4 ? lo : hi
      const lane = k & 3
      const value = lane == 0 ? f32x4.extract_lane(v, 0) : lane == 1 ? f32x4.extract_lane(v, 1) : lane == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3)
      store<f32>(row + (<usize>k << 2), value)
    }
  }
}

/**
 * The output gradient of sample s, channel o, into the zero-bordered plane:
 * dy [n, O, OH, OW] as it is, or, for the fused block, the pooled gradient
 * g [n, O, OH/2, OW/2] put back at each window's winner (see unpool).
 */
function winoGradientPlane(pooled: bool, s: i32, o: i32, O: i32, OH: i32, OW: i32, g: usize, win: usize): void {
  if (!pooled) {
    winoFillPlane(OH, OW, 0, winoRows, winoCols, g + (<usize>((s * O + o) * OH * OW) << 2), winoPlane)
    return
  }
  memory.fill(winoPlane, 0, <usize>(winoRows * winoCols + 16) << 2)
  const PH = OH >> 1, PW = OW >> 1
  const first = (s * O + o) * PH * PW
  const row = <usize>winoCols << 2
  let src = g + (<usize>first << 2)
  let code = win + <usize>first
  for (let py = 0; py < PH; py++) {
    const p = winoPlane + <usize>(2 * py) * row
    for (let px = 0; px < PW; px++, src += 4, code++) {
      const c = <u32>load<u8>(code)
      if (c == NO_WINNER) continue
      store<f32>(p + (<usize>(2 * px + (c & 1)) << 2) + <usize>(c >> 1) * row, load<f32>(src))
    }
  }
}

/** Shared by the plain and the fused backward pass: dw, db (unless 0), dx (unless 0) overwritten. */
function winoBackward(
  pooled: bool, n: i32, C: i32, H: i32, W: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, g: usize, win: usize, dw: usize, db: usize, dx: usize, scratch: usize, work: usize,
): void {
  winoPrepare(n, C, OH, OW, O, scratch)
  if (dx) winoFilters(O, C, w, winoU)
  memory.fill(winoDU, 0, <usize>(16 * O * C) << 2)
  if (db) winoBiasGradient(pooled, n, OH, OW, O, g, win, db)
  const xiM = <usize>(O * winoLdCur) << 2
  const xiV = <usize>(C * winoLdCur) << 2
  const inPlane = H * W
  for (let s0 = 0; s0 < n; s0 += winoGroupSize) {
    const count = min(winoGroupSize, n - s0)
    const columns = count * winoT
    winoTransformInputs(s0, count, C, H, W, padding, x)
    for (let j = 0; j < count; j++) {
      for (let o = 0; o < O; o++) {
        winoGradientPlane(pooled, s0 + j, o, O, OH, OW, g, win)
        winoGradientTiles(winoTH, winoTW, winoCols, winoPlane, winoM + (<usize>(o * winoLdCur + j * winoT) << 2), xiM)
      }
    }
    for (let xi = 0; xi < 16; xi++) {
      const m = winoM + <usize>xi * xiM
      const v = winoV + <usize>xi * xiV
      // dU_ξ += Ŷ_ξ · V_ξᵀ
      gemm_f32(false, true, O, C, columns, 1, m, winoLdCur, v, winoLdCur, 1, winoDU + (<usize>(xi * O * C) << 2), C, work)
      // dV_ξ = U_ξᵀ · Ŷ_ξ, into V_ξ, which has served.
      if (dx) gemm_f32(true, false, C, columns, O, 1, winoU + (<usize>(xi * O * C) << 2), C, m, winoLdCur, 0, v, winoLdCur, work)
    }
    if (!dx) continue
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < count; j++) {
        memory.fill(winoPlane, 0, <usize>(winoRows * winoCols + 16) << 2)
        winoInputTilesAdjoint(winoTH, winoTW, winoCols, winoV + (<usize>(c * winoLdCur + j * winoT) << 2), xiV, winoPlane)
        // The plane is the padded input's gradient: its interior is dx.
        const out = dx + (<usize>(((s0 + j) * C + c) * inPlane) << 2)
        for (let iy = 0; iy < H; iy++) {
          memory.copy(out + (<usize>(iy * W) << 2), winoPlane + (<usize>((iy + padding) * winoCols + padding) << 2), <usize>W << 2)
        }
      }
    }
  }
  winoFilterGradients(O, C, winoDU, dw)
}

/** db [O] ← Σ dy over samples and positions (float64 sums, as conv2d_backward_f32), or, pooled, over the winners. */
function winoBiasGradient(pooled: bool, n: i32, OH: i32, OW: i32, O: i32, g: usize, win: usize, db: usize): void {
  const P = pooled ? (OH >> 1) * (OW >> 1) : OH * OW
  for (let o = 0; o < O; o++) {
    let sum: f64 = 0
    for (let s = 0; s < n; s++) {
      const first = (s * O + o) * P
      const row = g + (<usize>first << 2)
      if (pooled) {
        const code = win + <usize>first
        for (let p = 0; p < P; p++) {
          sum += select<f64>(<f64>load<f32>(row + (<usize>p << 2)), 0, load<u8>(code + <usize>p) != NO_WINNER)
        }
      } else {
        for (let p = 0; p < P; p++) sum += <f64>load<f32>(row + (<usize>p << 2))
      }
    }
    store<f32>(db + (<usize>o << 2), <f32>sum)
  }
}

/**
 * Gradients of winograd_forward_f32 given dy [n, O, OH, OW]: dw
 * (overwritten), db (overwritten, unless 0), dx (overwritten, unless 0).
 */
export function winograd_backward_f32(
  n: i32, C: i32, H: i32, W: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, dy: usize, dw: usize, db: usize, dx: usize, scratch: usize, work: usize,
): void {
  winoBackward(false, n, C, H, W, padding, OH, OW, O, x, w, dy, 0, dw, db, dx, scratch, work)
}

/**
 * conv_relu_pool_forward_f32 for 3×3 stride-1 convs by Winograd: each output
 * tile is one 2×2 pooling window, so ReLU and the pool run on the tile as the
 * output transform leaves it, and the conv's full-size output is never
 * stored. Same contract: y [n, O, OH/2, OW/2] (floor), win bytes as reluPool.
 */
export function winograd_relu_pool_forward_f32(
  n: i32, C: i32, H: i32, W: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, bias: usize, y: usize, win: usize, scratch: usize, work: usize,
): void {
  winoPrepare(n, C, OH, OW, O, scratch)
  winoFilters(O, C, w, winoU)
  const xi = <usize>(O * winoLdCur) << 2
  const PH = OH >> 1, PW = OW >> 1
  const zero = f32x4.splat(0)
  for (let s0 = 0; s0 < n; s0 += winoGroupSize) {
    const count = min(winoGroupSize, n - s0)
    winoTransformInputs(s0, count, C, H, W, padding, x)
    winoMultiply(C, O, count * winoT, work)
    for (let j = 0; j < count; j++) {
      for (let o = 0; o < O; o++) {
        const vb = f32x4.splat(bias ? load<f32>(bias + (<usize>o << 2)) : 0)
        const first = ((s0 + j) * O + o) * PH * PW
        for (let py = 0; py < PH; py++) {
          for (let px = 0; px < PW; px += 4) {
            const m = winoM + (<usize>(o * winoLdCur + j * winoT + py * winoTW + px) << 2)
            const m00 = v128.load(m), m01 = v128.load(m + xi), m02 = v128.load(m + 2 * xi), m03 = v128.load(m + 3 * xi)
            const m10 = v128.load(m + 4 * xi), m11 = v128.load(m + 5 * xi), m12 = v128.load(m + 6 * xi), m13 = v128.load(m + 7 * xi)
            const m20 = v128.load(m + 8 * xi), m21 = v128.load(m + 9 * xi), m22 = v128.load(m + 10 * xi), m23 = v128.load(m + 11 * xi)
            const m30 = v128.load(m + 12 * xi), m31 = v128.load(m + 13 * xi), m32 = v128.load(m + 14 * xi), m33 = v128.load(m + 15 * xi)
            const r00 = winoOutputRow(m00, m01, m02, m03), r01 = winoOutputRowOdd(m00, m01, m02, m03)
            const r10 = winoOutputRow(m10, m11, m12, m13), r11 = winoOutputRowOdd(m10, m11, m12, m13)
            const r20 = winoOutputRow(m20, m21, m22, m23), r21 = winoOutputRowOdd(m20, m21, m22, m23)
            const r30 = winoOutputRow(m30, m31, m32, m33), r31 = winoOutputRowOdd(m30, m31, m32, m33)
            // The window's four pixels in row-major order; the first maximum wins, NaN wins (as reluPool).
            let best = f32x4.add(winoOutputRow(r00, r10, r20, r30), vb)
            let at = i32x4.splat(0)
            let v = f32x4.add(winoOutputRow(r01, r11, r21, r31), vb)
            let take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
            best = v128.bitselect(v, best, take)
            at = v128.bitselect(i32x4.splat(1), at, take)
            v = f32x4.add(winoOutputRowOdd(r00, r10, r20, r30), vb)
            take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
            best = v128.bitselect(v, best, take)
            at = v128.bitselect(i32x4.splat(2), at, take)
            v = f32x4.add(winoOutputRowOdd(r01, r11, r21, r31), vb)
            take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
            best = v128.bitselect(v, best, take)
            at = v128.bitselect(i32x4.splat(3), at, take)
            const passes = v128.or(f32x4.gt(best, zero), f32x4.ne(best, best))
            const pooledValue = v128.and(best, passes)
            const code = v128.bitselect(at, i32x4.splat(NO_WINNER), passes)
            const q = first + py * PW + px
            const out = y + (<usize>q << 2)
            const bytes = win + <usize>q
            if (px + 4 <= PW) {
              v128.store(out, pooledValue)
              v128.store32_lane(bytes, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(code, code), code), 0)
            } else {
              const left = PW - px
              store<f32>(out, f32x4.extract_lane(pooledValue, 0))
              store<u8>(bytes, <u8>i32x4.extract_lane(code, 0))
              if (left > 1) {
                store<f32>(out, f32x4.extract_lane(pooledValue, 1), 4)
                store<u8>(bytes, <u8>i32x4.extract_lane(code, 1), 1)
              }
              if (left > 2) {
                store<f32>(out, f32x4.extract_lane(pooledValue, 2), 8)
                store<u8>(bytes, <u8>i32x4.extract_lane(code, 2), 2)
              }
            }
          }
        }
      }
    }
  }
}

/**
 * conv_relu_pool_backward_f32 for 3×3 stride-1 convs by Winograd, from the
 * pooled gradient g and the winner bytes: dw, db (unless 0), dx (unless 0)
 * overwritten.
 */
export function winograd_relu_pool_backward_f32(
  n: i32, C: i32, H: i32, W: i32, padding: i32, OH: i32, OW: i32, O: i32,
  x: usize, w: usize, g: usize, win: usize, dw: usize, db: usize, dx: usize, scratch: usize, work: usize,
): void {
  winoBackward(true, n, C, H, W, padding, OH, OW, O, x, w, g, win, dw, db, dx, scratch, work)
}
