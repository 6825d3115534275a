/**
 * General matrix multiply, the one routine that convolution and dense layers
 * spend nearly all their time in:
 *
 *   C ← alpha · op(A) · op(B) + beta · C,   op(X) = X or Xᵀ
 *
 * with row-major matrices addressed through leading dimensions (the row
 * stride), exactly as BLAS's `gemm` but row-major. op(A) is M×K, op(B) is K×N
 * and C is M×N.
 *
 * The kernel is swappable (`setMatmulKernel`) so that a WebAssembly SIMD
 * version can replace the plain TypeScript one without touching any layer.
 */
import type { FloatArray } from '../tensor'

export interface MatmulKernel {
  readonly name: string
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: FloatArray,
    lda: number,
    B: FloatArray,
    ldb: number,
    beta: number,
    C: FloatArray,
    ldc: number,
  ): void
}

// ── the plain TypeScript kernel ─────────────────────────────────────────────
//
// GotoBLAS's recipe, scaled down to what a JIT can do with scalar doubles:
// copy ("pack") a K-slice of op(B) into panels NR columns wide and a block of
// op(A) into panels MR rows tall, each laid out in the order the inner loop
// reads them. Transposes are then handled once, while packing, and the hot
// micro-kernel always walks two contiguous Float64Arrays: the same code for
// float32 and float64 data, so V8 compiles it once and keeps it monomorphic.
// The micro-kernel keeps an MR×NR tile of C in local variables (registers)
// across the whole K-slice.

const MR = 4
const NR = 4
/** K-slice length: an MR-panel of A plus an NR-panel of B stay in L1. */
const KC = 256
/** Rows of A packed at once: MC×KC doubles stay in L2. */
const MC = 64
/** Columns of B packed at once: KC×NC doubles stay in L2/L3. */
const NC = 1024

let packedA = new Float64Array(MC * KC)
let packedB = new Float64Array(KC * NC)

/** Copies rows [i0, i0+mc) × cols [p0, p0+kc) of op(A)·alpha, MR rows per panel, zero-padded. */
function packA(
  transA: boolean, A: FloatArray, lda: number, i0: number, mc: number, p0: number, kc: number, alpha: number,
): void {
  const out = packedA
  let o = 0
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir)
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        if (r < mr) {
          const i = i0 + ir + r
          const k = p0 + p
          const a = transA ? A[k * lda + i] : A[i * lda + k]
          out[o++] = alpha === 1 ? a : alpha * a
        } else {
          out[o++] = 0
        }
      }
    }
  }
}

/** Copies rows [p0, p0+kc) × cols [j0, j0+nc) of op(B), NR columns per panel, zero-padded. */
function packB(transB: boolean, B: FloatArray, ldb: number, p0: number, kc: number, j0: number, nc: number): void {
  const out = packedB
  let o = 0
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr)
    if (!transB && nr === NR) {
      // The common case gets a straight four-value copy per row of B.
      let b = p0 * ldb + j0 + jr
      for (let p = 0; p < kc; p++, b += ldb) {
        out[o] = B[b]
        out[o + 1] = B[b + 1]
        out[o + 2] = B[b + 2]
        out[o + 3] = B[b + 3]
        o += 4
      }
      continue
    }
    for (let p = 0; p < kc; p++) {
      const k = p0 + p
      for (let c = 0; c < NR; c++) {
        if (c < nr) {
          const j = j0 + jr + c
          out[o++] = transB ? B[j * ldb + k] : B[k * ldb + j]
        } else {
          out[o++] = 0
        }
      }
    }
  }
}

/**
 * C[i0.., j0..] += Ap·Bp over kc for one full MR×NR tile. The accumulators start
 * from C and take the products in k order, so a float64 dot product comes out
 * bit-identical to a plain `total += w * x` loop (lesson 000 prints such sums).
 */
function micro4x4(
  kc: number, Ap: Float64Array, a0: number, Bp: Float64Array, b0: number, C: FloatArray, c0: number, ldc: number,
): void {
  const c1 = c0 + ldc
  const c2 = c1 + ldc
  const c3 = c2 + ldc
  let s00 = C[c0], s01 = C[c0 + 1], s02 = C[c0 + 2], s03 = C[c0 + 3]
  let s10 = C[c1], s11 = C[c1 + 1], s12 = C[c1 + 2], s13 = C[c1 + 3]
  let s20 = C[c2], s21 = C[c2 + 1], s22 = C[c2 + 2], s23 = C[c2 + 3]
  let s30 = C[c3], s31 = C[c3 + 1], s32 = C[c3 + 2], s33 = C[c3 + 3]
  let a = a0
  let b = b0
  for (let p = 0; p < kc; p++) {
    const x0 = Ap[a], x1 = Ap[a + 1], x2 = Ap[a + 2], x3 = Ap[a + 3]
    const y0 = Bp[b], y1 = Bp[b + 1], y2 = Bp[b + 2], y3 = Bp[b + 3]
    s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3
    s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3
    s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3
    s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3
    a += 4
    b += 4
  }
  C[c0] = s00; C[c0 + 1] = s01; C[c0 + 2] = s02; C[c0 + 3] = s03
  C[c1] = s10; C[c1 + 1] = s11; C[c1 + 2] = s12; C[c1 + 3] = s13
  C[c2] = s20; C[c2 + 1] = s21; C[c2 + 2] = s22; C[c2 + 3] = s23
  C[c3] = s30; C[c3 + 1] = s31; C[c3 + 2] = s32; C[c3 + 3] = s33
}

/** The ragged tiles at the right and bottom edges, same summation order as micro4x4. */
function microEdge(
  kc: number, mr: number, nr: number, Ap: Float64Array, a0: number, Bp: Float64Array, b0: number,
  C: FloatArray, c0: number, ldc: number,
): void {
  for (let r = 0; r < mr; r++) {
    for (let c = 0; c < nr; c++) {
      let s = C[c0 + r * ldc + c]
      let a = a0 + r
      let b = b0 + c
      for (let p = 0; p < kc; p++) {
        s += Ap[a] * Bp[b]
        a += MR
        b += NR
      }
      C[c0 + r * ldc + c] = s
    }
  }
}

function scale(M: number, N: number, beta: number, C: FloatArray, ldc: number): void {
  if (beta === 1) return
  for (let i = 0; i < M; i++) {
    const row = i * ldc
    // beta = 0 must overwrite, not multiply: C may hold NaN from an earlier use.
    if (beta === 0) C.fill(0, row, row + N)
    else for (let j = row; j < row + N; j++) C[j] *= beta
  }
}

export const blockedKernel: MatmulKernel = {
  name: 'ts-blocked-4x4',
  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
    scale(M, N, beta, C, ldc)
    if (M === 0 || N === 0 || K === 0 || alpha === 0) return
    if (packedB.length < KC * NC) packedB = new Float64Array(KC * NC)
    if (packedA.length < MC * KC) packedA = new Float64Array(MC * KC)
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0)
      for (let p0 = 0; p0 < K; p0 += KC) {
        const kc = Math.min(KC, K - p0)
        packB(transB, B, ldb, p0, kc, j0, nc)
        for (let i0 = 0; i0 < M; i0 += MC) {
          const mc = Math.min(MC, M - i0)
          packA(transA, A, lda, i0, mc, p0, kc, alpha)
          for (let jr = 0; jr < nc; jr += NR) {
            const nr = Math.min(NR, nc - jr)
            const b0 = jr * kc
            for (let ir = 0; ir < mc; ir += MR) {
              const mr = Math.min(MR, mc - ir)
              const c0 = (i0 + ir) * ldc + j0 + jr
              if (mr === MR && nr === NR) micro4x4(kc, packedA, ir * kc, packedB, b0, C, c0, ldc)
              else microEdge(kc, mr, nr, packedA, ir * kc, packedB, b0, C, c0, ldc)
            }
          }
        }
      }
    }
  },
}

/** The textbook triple loop: the reference the fast kernels are tested against. */
export const naiveKernel: MatmulKernel = {
  name: 'naive',
  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0
        for (let k = 0; k < K; k++) {
          s += (transA ? A[k * lda + i] : A[i * lda + k]) * (transB ? B[j * ldb + k] : B[k * ldb + j])
        }
        C[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j])
      }
    }
  },
}

let active: MatmulKernel = blockedKernel

/** Swaps the kernel every layer uses; returns the previous one so a test can restore it. */
export function setMatmulKernel(kernel: MatmulKernel): MatmulKernel {
  const previous = active
  active = kernel
  return previous
}

export function getMatmulKernel(): MatmulKernel {
  return active
}

/** C ← alpha·op(A)·op(B) + beta·C with the active kernel (see MatmulKernel). */
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: FloatArray, lda: number, B: FloatArray, ldb: number, beta: number, C: FloatArray, ldc: number,
): void {
  active.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
}
