/**
 * The plain TypeScript GEMM kernels: `blockedKernel`, the portable fallback
 * (and the reference the WebAssembly kernel is tested against), and
 * `naiveKernel`, the textbook triple loop every kernel is tested against.
 * See ./matmul.ts for the contract.
 */
import type { FloatArray } from '../tensor'
import type { MatmulKernel } from './matmul'

// ── the plain TypeScript kernel ─────────────────────────────────────────────
//
// GotoBLAS's recipe, scaled down to what a JIT can do with scalar doubles:
// copy ("pack") a K-slice of op(B) into panels NR columns wide and a block of
// op(A) into panels MR rows tall, each laid out in the order the inner loop
// reads them. Transposes (and alpha) are then handled once, while packing, and
// the hot micro-kernel always walks two contiguous Float64Arrays whatever the
// data's type. It keeps an MR×NR tile of C in local variables (registers)
// across the whole K-slice. The panels are module scratch, allocated once.

const MR = 4
const NR = 4
/** K-slice length: an MR-panel of A plus an NR-panel of B stay in L1. */
const KC = 256
/** Rows of A packed at once: MC×KC doubles stay in L2. */
const MC = 64
/** Columns of B packed at once: KC×NC doubles stay in L2/L3. */
const NC = 1024

const packedA = new Float64Array(MC * KC)
const packedB = new Float64Array(KC * NC)

/**
 * Copies rows [i0, i0+mc) × cols [p0, p0+kc) of op(A)·alpha into MR-row panels,
 * k-major (panel[p·MR + r]), zero-padding the last panel. Each source row or
 * column is walked along its contiguous direction.
 */
function packA(
  transA: boolean, A: FloatArray, lda: number, i0: number, mc: number, p0: number, kc: number, alpha: number,
): void {
  const out = packedA
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir)
    const panel = ir * kc
    for (let r = 0; r < MR; r++) {
      let o = panel + r
      if (r >= mr) {
        for (let p = 0; p < kc; p++, o += MR) out[o] = 0
        continue
      }
      const i = i0 + ir + r
      // op(A)[i, k] is A[i, k] (stride 1 in k) or A[k, i] (stride lda).
      let a = transA ? p0 * lda + i : i * lda + p0
      const step = transA ? lda : 1
      if (alpha === 1) for (let p = 0; p < kc; p++, o += MR, a += step) out[o] = A[a]
      else for (let p = 0; p < kc; p++, o += MR, a += step) out[o] = alpha * A[a]
    }
  }
}

/** Copies rows [p0, p0+kc) × cols [j0, j0+nc) of op(B) into NR-column panels, k-major, zero-padded. */
function packB(transB: boolean, B: FloatArray, ldb: number, p0: number, kc: number, j0: number, nc: number): void {
  const out = packedB
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr)
    const panel = jr * kc
    if (!transB && nr === NR) {
      // The common case: four neighbouring values of each row of B.
      let o = panel
      let b = p0 * ldb + j0 + jr
      for (let p = 0; p < kc; p++, b += ldb, o += NR) {
        out[o] = B[b]
        out[o + 1] = B[b + 1]
        out[o + 2] = B[b + 2]
        out[o + 3] = B[b + 3]
      }
      continue
    }
    for (let c = 0; c < NR; c++) {
      let o = panel + c
      if (c >= nr) {
        for (let p = 0; p < kc; p++, o += NR) out[o] = 0
        continue
      }
      const j = j0 + jr + c
      // op(B)[k, j] is B[k, j] (stride ldb in k) or B[j, k] (stride 1).
      let b = transB ? j * ldb + p0 : p0 * ldb + j
      const step = transB ? 1 : ldb
      for (let p = 0; p < kc; p++, o += NR, b += step) out[o] = B[b]
    }
  }
}

/**
 * C[c0…] += Ap·Bp over kc for one MR×NR tile, of which the top-left mr×nr lies
 * inside C. The accumulators start from C and take the products in k order, so
 * a float64 dot product comes out bit-identical to a plain `total += w * x`
 * loop (lesson 000 prints such sums).
 *
 * Edge tiles need no special code: a row or column beyond C's edge reads and
 * writes the last real one instead (its index is clamped). Its packed A row or
 * B column is zero padding, so its accumulator just carries that cell's old
 * value, and because the stores run from the last cell back to the first, the
 * real, updated value is always written last. Small matrices (a 3-filter conv,
 * a 3-class head) are nearly all edge, and stay on this fast path.
 *
 * It exists twice, once per type of C, on purpose: a V8 function that has seen
 * both Float32Array and Float64Array goes polymorphic on every C access and
 * runs several times slower, even in a process that only ever uses one type.
 */
function micro4x4f32(
  kc: number, Ap: Float64Array, a0: number, Bp: Float64Array, b0: number,
  C: Float32Array, c0: number, ldc: number, mr: number, nr: number,
): void {
  const r1 = c0 + (mr > 1 ? ldc : 0)
  const r2 = c0 + (mr > 2 ? 2 * ldc : (mr - 1) * ldc)
  const r3 = c0 + (mr > 3 ? 3 * ldc : (mr - 1) * ldc)
  const j1 = nr > 1 ? 1 : 0
  const j2 = nr > 2 ? 2 : nr - 1
  const j3 = nr > 3 ? 3 : nr - 1
  let s00 = C[c0], s01 = C[c0 + j1], s02 = C[c0 + j2], s03 = C[c0 + j3]
  let s10 = C[r1], s11 = C[r1 + j1], s12 = C[r1 + j2], s13 = C[r1 + j3]
  let s20 = C[r2], s21 = C[r2 + j1], s22 = C[r2 + j2], s23 = C[r2 + j3]
  let s30 = C[r3], s31 = C[r3 + j1], s32 = C[r3 + j2], s33 = C[r3 + j3]
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
  C[r3 + j3] = s33; C[r3 + j2] = s32; C[r3 + j1] = s31; C[r3] = s30
  C[r2 + j3] = s23; C[r2 + j2] = s22; C[r2 + j1] = s21; C[r2] = s20
  C[r1 + j3] = s13; C[r1 + j2] = s12; C[r1 + j1] = s11; C[r1] = s10
  C[c0 + j3] = s03; C[c0 + j2] = s02; C[c0 + j1] = s01; C[c0] = s00
}

/** The same kernel for float64 C (see micro4x4f32 for why there are two). */
function micro4x4f64(
  kc: number, Ap: Float64Array, a0: number, Bp: Float64Array, b0: number,
  C: Float64Array, c0: number, ldc: number, mr: number, nr: number,
): void {
  const r1 = c0 + (mr > 1 ? ldc : 0)
  const r2 = c0 + (mr > 2 ? 2 * ldc : (mr - 1) * ldc)
  const r3 = c0 + (mr > 3 ? 3 * ldc : (mr - 1) * ldc)
  const j1 = nr > 1 ? 1 : 0
  const j2 = nr > 2 ? 2 : nr - 1
  const j3 = nr > 3 ? 3 : nr - 1
  let s00 = C[c0], s01 = C[c0 + j1], s02 = C[c0 + j2], s03 = C[c0 + j3]
  let s10 = C[r1], s11 = C[r1 + j1], s12 = C[r1 + j2], s13 = C[r1 + j3]
  let s20 = C[r2], s21 = C[r2 + j1], s22 = C[r2 + j2], s23 = C[r2 + j3]
  let s30 = C[r3], s31 = C[r3 + j1], s32 = C[r3 + j2], s33 = C[r3 + j3]
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
  C[r3 + j3] = s33; C[r3 + j2] = s32; C[r3 + j1] = s31; C[r3] = s30
  C[r2 + j3] = s23; C[r2 + j2] = s22; C[r2 + j1] = s21; C[r2] = s20
  C[r1 + j3] = s13; C[r1 + j2] = s12; C[r1 + j1] = s11; C[r1] = s10
  C[c0 + j3] = s03; C[c0 + j2] = s02; C[c0 + j1] = s01; C[c0] = s00
}

/** Growable float64 accumulators for a single row of C (see rowTimesMatrix). */
let rowScratch = new Float64Array(256)

/**
 * M = 1: one row of C, the shape of a one-filter conv (lesson 000's detector)
 * or a one-output layer's weight gradient. Every element of B is used once,
 * so packing would cost as much as the arithmetic and a 4×4 tile would waste
 * three rows in four. Each output still starts from C and takes its products
 * in k order, exactly as the tiled path does.
 */
function rowTimesMatrix(
  transA: boolean, transB: boolean, N: number, K: number, alpha: number,
  A: FloatArray, lda: number, B: FloatArray, ldb: number, C: FloatArray,
): void {
  if (transB) {
    // Row j of B is column j of op(B): a contiguous dot product per output.
    for (let j = 0; j < N; j++) {
      let s = C[j]
      const row = j * ldb
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * lda] : A[k]
        s += (alpha === 1 ? a : alpha * a) * B[row + k]
      }
      C[j] = s
    }
    return
  }
  if (rowScratch.length < N) rowScratch = new Float64Array(N)
  const acc = rowScratch
  for (let j = 0; j < N; j++) acc[j] = C[j]
  for (let k = 0; k < K; k++) {
    const a0 = transA ? A[k * lda] : A[k]
    const a = alpha === 1 ? a0 : alpha * a0
    const row = k * ldb
    for (let j = 0; j < N; j++) acc[j] += a * B[row + j]
  }
  for (let j = 0; j < N; j++) C[j] = acc[j]
}

/**
 * N = 1: one column of C (a one-output linear layer), one dot product per row.
 * Four rows at a time: each row's sum is a chain of dependent additions, and
 * four independent chains keep the adder busy where one would wait on itself.
 * Each row still starts from C and adds its products in k order.
 */
function matrixTimesColumn(
  transA: boolean, transB: boolean, M: number, K: number, alpha: number,
  A: FloatArray, lda: number, B: FloatArray, ldb: number, C: FloatArray, ldc: number,
): void {
  const bStep = transB ? 1 : ldb
  const aStep = transA ? lda : 1
  const rowStep = transA ? 1 : lda
  let i = 0
  if (alpha === 1) {
    for (; i + 4 <= M; i += 4) {
      let s0 = C[i * ldc], s1 = C[(i + 1) * ldc], s2 = C[(i + 2) * ldc], s3 = C[(i + 3) * ldc]
      let a = transA ? i : i * lda
      let b = 0
      for (let k = 0; k < K; k++, a += aStep, b += bStep) {
        const y = B[b]
        s0 += A[a] * y
        s1 += A[a + rowStep] * y
        s2 += A[a + 2 * rowStep] * y
        s3 += A[a + 3 * rowStep] * y
      }
      C[i * ldc] = s0
      C[(i + 1) * ldc] = s1
      C[(i + 2) * ldc] = s2
      C[(i + 3) * ldc] = s3
    }
  }
  for (; i < M; i++) {
    let s = C[i * ldc]
    let a = transA ? i : i * lda
    let b = 0
    for (let k = 0; k < K; k++, a += aStep, b += bStep) s += (alpha === 1 ? A[a] : alpha * A[a]) * B[b]
    C[i * ldc] = s
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
    if (M === 1) return rowTimesMatrix(transA, transB, N, K, alpha, A, lda, B, ldb, C)
    if (N === 1) return matrixTimesColumn(transA, transB, M, K, alpha, A, lda, B, ldb, C, ldc)
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
              if (C instanceof Float32Array) micro4x4f32(kc, packedA, ir * kc, packedB, b0, C, c0, ldc, mr, nr)
              else micro4x4f64(kc, packedA, ir * kc, packedB, b0, C as Float64Array, c0, ldc, mr, nr)
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
