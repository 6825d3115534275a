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
 * The kernel is swappable (`setMatmulKernel`) without touching any layer. By
 * default it is the WebAssembly SIMD kernel (./gemm-wasm.ts) wherever
 * WebAssembly SIMD runs (Node 20, Chromium, Electron), else the plain
 * TypeScript one (./gemm-ts.ts), which also stays the readable reference the
 * fast kernel is tested against. CNN_LAB_KERNELS=reference forces the plain
 * path (see wasm/simd-module.ts).
 */
import type { FloatArray } from '../tensor'
import { blockedKernel, naiveKernel } from './gemm-ts'
import { createWasmKernel } from './gemm-wasm'

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

/** The kernel the engine starts with: WebAssembly SIMD where available. */
export const defaultKernel: MatmulKernel = createWasmKernel(blockedKernel) ?? blockedKernel

let active: MatmulKernel = defaultKernel

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
