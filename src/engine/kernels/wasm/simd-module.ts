/**
 * Loads the WebAssembly SIMD kernels (compiled from ./simd.as, embedded as
 * base64 in ./simd-binary.ts) synchronously, the same way in every door: Node
 * (terminal, tests, bench), the engine worker, and the renderer. Where
 * WebAssembly or its SIMD extension is missing, or the page's content
 * security policy forbids compiling it, `loadSimdModule()` returns null and the
 * backend steps down (../../backend.ts).
 *
 * The module owns one linear memory. This file hands out two kinds of room in
 * it: fixed scratch for the GEMM's packed panels, and a growable operand area
 * that callers copy their matrices into for the duration of one call.
 */
import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from './simd-binary'
import { compileModule } from './load'

/** The module's exports (see simd.as). Addresses are byte offsets into `memory`. */
export interface SimdExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
  workBytes(): number
  heapBase(): number
  /** 1 in the relaxed-SIMD build (fused multiply-add), 0 in the base build. */
  fusedMultiplyAdd(): number
  gemm_f32(
    transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number, work: number,
  ): void
  gemm_f64(
    transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number, work: number,
  ): void
  conv2d_forward_f32(
    n: number, C: number, H: number, W: number, k: number, stride: number, padding: number, OH: number, OW: number,
    O: number, x: number, w: number, bias: number, y: number, cols: number, work: number,
  ): void
  conv2d_backward_f32(
    n: number, C: number, H: number, W: number, k: number, stride: number, padding: number, OH: number, OW: number,
    O: number, x: number, w: number, dy: number, dw: number, db: number, dx: number, cols: number, work: number,
  ): void
  convBlockScratch(C: number, H: number, W: number, k: number, padding: number, OH: number, OW: number, O: number): number
  conv_relu_pool_forward_f32(
    n: number, C: number, H: number, W: number, k: number, stride: number, padding: number, OH: number, OW: number,
    O: number, x: number, w: number, bias: number, y: number, win: number, scratch: number, work: number,
  ): void
  conv_relu_pool_backward_f32(
    n: number, C: number, H: number, W: number, k: number, stride: number, padding: number, OH: number, OW: number,
    O: number, x: number, w: number, g: number, win: number, dw: number, db: number, dx: number, scratch: number, work: number,
  ): void
}

export interface SimdModule {
  readonly exports: SimdExports
  /** Address of the GEMM's scratch (`workBytes()` long). */
  readonly work: number
  /** Start of the operand area. */
  readonly operands: number
  /** Makes the memory at least `bytes` long (operand area included); returns the current buffer. */
  reserve(bytes: number): ArrayBuffer
}

const PAGE = 65536

function instantiate(relaxed: boolean): SimdModule | null {
  const compiled = compileModule(relaxed ? RELAXED_SIMD_WASM_BASE64 : SIMD_WASM_BASE64)
  if (!compiled) return null
  const exports = compiled.instantiate() as SimdExports
  const align = (n: number) => Math.ceil(n / 64) * 64
  const work = align(exports.heapBase())
  const operands = align(work + exports.workBytes())
  const reserve = (bytes: number): ArrayBuffer => {
    const memory = exports.memory
    const missing = operands + bytes - memory.buffer.byteLength
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE))
    return memory.buffer
  }
  reserve(0)
  return { exports, work, operands, reserve }
}

const loaded = new Map<boolean, SimdModule | null>()

/**
 * The SIMD kernels of one build (relaxed: fused multiply-add), one instance
 * per build for the process, or null where the runtime refuses that build.
 * Which build runs is the backend's choice (../../backend.ts).
 */
export function loadSimdModule(relaxed: boolean): SimdModule | null {
  if (!loaded.has(relaxed)) loaded.set(relaxed, instantiate(relaxed))
  return loaded.get(relaxed)!
}
