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
 * Each layer is handed its kernel when built, from the model's backend
 * (../backend.ts): the WebAssembly SIMD kernel (./gemm-wasm.ts) on the simd
 * backends, the plain TypeScript one (./gemm-ts.ts) on the reference
 * backend, which also stays the readable code the fast kernel is tested against.
 */
import type { FloatArray } from '../tensor'
import { blockedKernel, naiveKernel } from './gemm-ts'

export { blockedKernel, naiveKernel }

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
