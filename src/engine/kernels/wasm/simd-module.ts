/**
 * Loads the WebAssembly SIMD kernels (compiled from ./simd.as, embedded as
 * base64 in ./simd-binary.ts) synchronously, the same way in every door: Node
 * (terminal, tests, bench), the engine worker, and the renderer. Where
 * WebAssembly or its SIMD extension is missing, or the page's content
 * security policy forbids compiling it, `simdModule()` returns null and the
 * engine keeps its plain TypeScript kernels.
 *
 * The module owns one linear memory. This file hands out two kinds of room in
 * it: fixed scratch for the GEMM's packed panels, and a growable operand area
 * that callers copy their matrices into for the duration of one call.
 */
import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from './simd-binary'

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

/** Just the part of the WebAssembly JS API used here (the Node typings do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
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

function decodeBase64(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const lookup = new Uint8Array(128)
  for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i
  const clean = text.replace(/=+$/, '')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let o = 0
  for (let i = 0; i < clean.length; i += 4) {
    const a = lookup[clean.charCodeAt(i)]
    const b = lookup[clean.charCodeAt(i + 1)]
    const c = i + 2 < clean.length ? lookup[clean.charCodeAt(i + 2)] : 0
    const d = i + 3 < clean.length ? lookup[clean.charCodeAt(i + 3)] : 0
    const bits = (a << 18) | (b << 12) | (c << 6) | d
    if (o < out.length) out[o++] = (bits >> 16) & 255
    if (o < out.length) out[o++] = (bits >> 8) & 255
    if (o < out.length) out[o++] = bits & 255
  }
  return out
}

/** Compiles one build, or null where the runtime refuses it. */
function compile(api: WebAssemblyApi, base64: string): SimdExports | null {
  try {
    // Synchronous: the binary is a few kilobytes. Throws where SIMD (or
    // relaxed SIMD) is unsupported, as validation fails, or where a CSP
    // without 'wasm-unsafe-eval' forbids compiling.
    const module = new api.Module(decodeBase64(base64))
    return new api.Instance(module, {}).exports as SimdExports
  } catch {
    return null
  }
}

function instantiate(relaxed: boolean): SimdModule | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly
  if (!api) return null
  // The relaxed-SIMD build (fused multiply-add) runs in Chromium/Electron and
  // Node ≥ 22, and in Node 20 once the host has switched the V8 flag on
  // (src/host/wasm-features.ts); elsewhere the base build.
  const exports = (relaxed ? compile(api, RELAXED_SIMD_WASM_BASE64) : null) ?? compile(api, SIMD_WASM_BASE64)
  if (!exports) return null
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

let loaded: SimdModule | null | undefined

/**
 * The SIMD kernels, or null where they cannot run. Set the environment
 * variable CNN_LAB_KERNELS=reference (or `globalThis.CNN_LAB_KERNELS =
 * 'reference'` in a page) to force the plain TypeScript path for debugging,
 * or CNN_LAB_KERNELS=simd for the base SIMD build without fused multiply-add.
 */
export function simdModule(): SimdModule | null {
  if (loaded === undefined) {
    const requested = kernelsRequested()
    loaded = requested === 'reference' ? null : instantiate(requested !== 'simd')
  }
  return loaded
}

function kernelsRequested(): string | undefined {
  const g = globalThis as { CNN_LAB_KERNELS?: string; process?: { env?: Record<string, string | undefined> } }
  return g.CNN_LAB_KERNELS ?? g.process?.env?.CNN_LAB_KERNELS
}
