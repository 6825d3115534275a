/**
 * The WebAssembly SIMD GEMM (micro-kernels in ./wasm/simd.as) behind the
 * `MatmulKernel` interface, so no layer knows which one runs.
 *
 * WebAssembly computes on its own linear memory, so each call copies op(A),
 * op(B) (and C, when its old values matter) in and C back out. A copy is one
 * pass over each operand while the product makes K passes, so for the large
 * products that dominate training the copies cost a few percent; operands
 * that already live in the module's memory are used where they are.
 *
 * Tiny products (the 8×8 lessons) stay on the TypeScript kernel, for which a
 * call costs less than the round trip would.
 */
import type { FloatArray } from '../tensor'
import type { MatmulKernel } from './matmul'
import type { SimdModule } from './wasm/simd-module'

/** Below this many multiply-adds the TypeScript kernel wins (measured on the lesson models). */
const SMALL_PRODUCT = 1 << 12

/** Number of elements of a rows×cols matrix with row stride ld, from its first to its last value. */
function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols
}

const align = (bytes: number) => Math.ceil(bytes / 64) * 64

/** The SIMD GEMM on one build of the module (the backend picks it: ../backend.ts). */
export function createWasmKernel(
  simd: SimdModule,
  fallback: MatmulKernel,
  /** Tests set 0 to send every product through WebAssembly. */
  smallProduct = SMALL_PRODUCT,
): MatmulKernel {
  const wasm = simd.exports
  let buffer = simd.reserve(0)
  let f32 = new Float32Array(buffer)
  let f64 = new Float64Array(buffer)

  return {
    name: wasm.fusedMultiplyAdd() ? 'wasm-simd-4x8-fma' : 'wasm-simd-4x8',
    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      const double = C instanceof Float64Array
      const sameType = double
        ? A instanceof Float64Array && B instanceof Float64Array
        : A instanceof Float32Array && B instanceof Float32Array
      if (!sameType || M * N * K < smallProduct) {
        fallback.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
        return
      }
      const size = double ? 8 : 4
      const lengthA = transA ? extent(K, M, lda) : extent(M, K, lda)
      const lengthB = transB ? extent(N, K, ldb) : extent(K, N, ldb)
      const lengthC = extent(M, N, ldc)
      const bytes = align(lengthA * size) + align(lengthB * size) + align(lengthC * size)
      if (simd.reserve(bytes) !== buffer) {
        buffer = simd.reserve(bytes)
        f32 = new Float32Array(buffer)
        f64 = new Float64Array(buffer)
      }
      const view: FloatArray = double ? f64 : f32
      let next = simd.operands
      /** Address of X in the module's memory, copying it there unless it already is. */
      const place = (X: FloatArray, length: number, copy: boolean): number => {
        if (X.buffer === buffer) return X.byteOffset
        const at = next
        next += align(length * size)
        if (copy) view.set(X.length === length ? X : X.subarray(0, length), at / size)
        return at
      }
      const a = place(A, lengthA, true)
      const b = place(B, lengthB, true)
      // C's old values matter when beta ≠ 0, and in the gaps between its rows
      // (which are copied back as they were) when ldc > N.
      const c = place(C, lengthC, beta !== 0 || ldc !== N)
      const ta = transA ? 1 : 0
      const tb = transB ? 1 : 0
      if (double) wasm.gemm_f64(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, simd.work)
      else wasm.gemm_f32(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, simd.work)
      if (C.buffer !== buffer) C.set(view.subarray(c / size, c / size + lengthC))
    },
  }
}
