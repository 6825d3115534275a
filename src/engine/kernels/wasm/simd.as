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
// bytes and the pooled gradient, then runs the conv's backward on it.
//
// Same maths as the three TypeScript layers (../../layers/{conv2d,relu,
// maxpool2d}.ts), which this is tested against.

const NO_WINNER: u8 = 4

/**
 * Single-channel 3×3 stride-1 convs (the first layer) are a 9-long dot per
 * output: as a GEMM, K = 9 wastes most of each micro-kernel call on loading
 * and storing C. Directly, each f32x4 of four neighbouring outputs takes nine
 * multiply-adds from a zero-padded copy of the image, and the nine weights
 * stay in registers for a whole output channel.
 */
function isDirect3x3(C: i32, k: i32, stride: i32, padding: i32, OW: i32): bool {
  return C == 1 && k == 3 && stride == 1 && padding <= 1 && (OW & 3) == 0
}

/** x [H, W] → xp [H + 2·pad, W + 2·pad] with zero borders; returns xp's row length. */
function padImage(H: i32, W: i32, padding: i32, x: usize, xp: usize): i32 {
  const Wp = W + 2 * padding
  const Hp = H + 2 * padding
  // Four spare floats: the last vector of a row may read past the row end (into zeros).
  memory.fill(xp, 0, (<usize>(Hp * Wp + 4)) << 2)
  for (let iy = 0; iy < H; iy++) {
    memory.copy(xp + (<usize>((iy + padding) * Wp + padding) << 2), x + (<usize>(iy * W) << 2), <usize>W << 2)
  }
  return Wp
}

/** z [O, OH, OW] = w [O, 3, 3] ⋆ xp (padded, row length Wp) + bias. */
function direct3x3Forward(O: i32, OH: i32, OW: i32, Wp: i32, xp: usize, w: usize, bias: usize, z: usize): void {
  const rowBytes = <usize>Wp << 2
  for (let o = 0; o < O; o++) {
    const wo = w + (<usize>(o * 9) << 2)
    const w0 = v128.load32_splat(wo), w1 = v128.load32_splat(wo, 4), w2 = v128.load32_splat(wo, 8)
    const w3 = v128.load32_splat(wo, 12), w4 = v128.load32_splat(wo, 16), w5 = v128.load32_splat(wo, 20)
    const w6 = v128.load32_splat(wo, 24), w7 = v128.load32_splat(wo, 28), w8 = v128.load32_splat(wo, 32)
    const vb = f32x4.splat(bias ? load<f32>(bias + (<usize>o << 2)) : 0)
    let out = z + (<usize>(o * OH * OW) << 2)
    for (let oy = 0; oy < OH; oy++) {
      let r0 = xp + <usize>oy * rowBytes
      for (let ox = 0; ox < OW; ox += 4, r0 += 16, out += 16) {
        const r1 = r0 + rowBytes
        const r2 = r1 + rowBytes
        // The products summed from zero in tap order, then the bias: the order the GEMM path takes.
        let s = f32x4.mul(w0, v128.load(r0))
        s = madd(w1, v128.load(r0, 4), s)
        s = madd(w2, v128.load(r0, 8), s)
        s = madd(w3, v128.load(r1), s)
        s = madd(w4, v128.load(r1, 4), s)
        s = madd(w5, v128.load(r1, 8), s)
        s = madd(w6, v128.load(r2), s)
        s = madd(w7, v128.load(r2, 4), s)
        s = madd(w8, v128.load(r2, 8), s)
        v128.store(out, f32x4.add(s, vb))
      }
    }
  }
}

/** dw [O, 3, 3] += Σ dz [O, OH, OW] · xp (padded, row length Wp), shifted by each tap. */
function direct3x3Weights(O: i32, OH: i32, OW: i32, Wp: i32, xp: usize, dz: usize, dw: usize): void {
  const rowBytes = <usize>Wp << 2
  for (let o = 0; o < O; o++) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0
    let d = dz + (<usize>(o * OH * OW) << 2)
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
    const out = dw + (<usize>(o * 9) << 2)
    store<f32>(out, load<f32>(out) + hsum(a0))
    store<f32>(out, load<f32>(out, 4) + hsum(a1), 4)
    store<f32>(out, load<f32>(out, 8) + hsum(a2), 8)
    store<f32>(out, load<f32>(out, 12) + hsum(a3), 12)
    store<f32>(out, load<f32>(out, 16) + hsum(a4), 16)
    store<f32>(out, load<f32>(out, 20) + hsum(a5), 20)
    store<f32>(out, load<f32>(out, 24) + hsum(a6), 24)
    store<f32>(out, load<f32>(out, 28) + hsum(a7), 28)
    store<f32>(out, load<f32>(out, 32) + hsum(a8), 32)
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
      for (let px = 0; px < PW; px++, p += 8, out += 4, code++) {
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
  for (let s = 0; s < n; s++) {
    const xs = x + <usize>s * inBytes
    if (direct) {
      const Wp = padImage(H, W, padding, xs, xp)
      direct3x3Forward(O, OH, OW, Wp, xp, w, bias, z)
    } else {
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
    }
    reluPool(O, OH, OW, z, y + (<usize>(s * pooled) << 2), win + <usize>(s * pooled))
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
  memory.fill(dw, 0, <usize>(O * K) << 2)
  if (db) memory.fill(db, 0, <usize>O << 2)
  for (let s = 0; s < n; s++) {
    const gs = g + (<usize>(s * pooled) << 2)
    unpool(O, OH, OW, gs, win + <usize>(s * pooled), dz)
    if (db) {
      // Each output channel's pooled gradients, where they passed: the sum of its dz.
      const PQ = (OH >> 1) * (OW >> 1)
      for (let o = 0; o < O; o++) {
        let sum: f32 = 0
        const src = gs + (<usize>(o * PQ) << 2)
        const code = win + <usize>(s * pooled + o * PQ)
        for (let q = 0; q < PQ; q++) {
          sum += select<f32>(load<f32>(src + (<usize>q << 2)), 0, load<u8>(code + <usize>q) != NO_WINNER)
        }
        store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + sum)
      }
    }
    const xs = x + <usize>s * inBytes
    if (direct) {
      const Wp = padImage(H, W, padding, xs, xp)
      direct3x3Weights(O, OH, OW, Wp, xp, dz, dw)
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
