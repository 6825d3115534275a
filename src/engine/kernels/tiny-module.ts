/**
 * Loads the tiny-model fast path (compiled from ./wasm/tiny.as, embedded as
 * base64 in ./wasm/tiny-binary.ts). The module is compiled once; each model
 * that runs on it gets its own instance, hence its own linear memory, which
 * holds that model's weights, activations and data for the whole run.
 *
 * Returns null where WebAssembly or its SIMD extension is missing, where a
 * content security policy forbids compiling it, or when CNN_LAB_KERNELS=reference
 * asks for the plain TypeScript layers: the trainer then uses those.
 */
import { RELAXED_TINY_WASM_BASE64, TINY_WASM_BASE64 } from './wasm/tiny-binary'

/** The module's exports (see tiny.as). Addresses are byte offsets into `memory`; model/set are descriptor addresses. */
export interface TinyExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
  heapBase(): number
  /** 1 in the relaxed-SIMD build (fused float32 multiply-add), 0 in the base build. */
  fusedMultiplyAdd(): number
  forward_f32(model: number, x: number, npad: number): number
  forward_f64(model: number, x: number, npad: number): number
  backward_f32(model: number, npad: number): void
  backward_f64(model: number, npad: number): void
  evaluate_f32(model: number, set: number): number
  evaluate_f64(model: number, set: number): number
  mean_loss_f32(model: number, set: number): number
  mean_loss_f64(model: number, set: number): number
  finite_differences_f32(model: number, set: number, epsilon: number): void
  finite_differences_f64(model: number, set: number, epsilon: number): void
  sgd_f32(model: number, learningRate: number, momentum: number): void
  sgd_f64(model: number, learningRate: number, momentum: number): void
  train_batch_f32(model: number, set: number, count: number, learningRate: number, momentum: number): number
  train_batch_f64(model: number, set: number, count: number, learningRate: number, momentum: number): number
}

/** Just the part of the WebAssembly JS API used here (the Node typings do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
}

function decodeBase64(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const lookup = new Uint8Array(128)
  for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i
  const clean = text.replace(/=+$/, '')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let o = 0
  for (let i = 0; i < clean.length; i += 4) {
    const bits =
      (lookup[clean.charCodeAt(i)] << 18) | (lookup[clean.charCodeAt(i + 1)] << 12) |
      ((i + 2 < clean.length ? lookup[clean.charCodeAt(i + 2)] : 0) << 6) |
      (i + 3 < clean.length ? lookup[clean.charCodeAt(i + 3)] : 0)
    if (o < out.length) out[o++] = (bits >> 16) & 255
    if (o < out.length) out[o++] = (bits >> 8) & 255
    if (o < out.length) out[o++] = bits & 255
  }
  return out
}

let compiled: { api: WebAssemblyApi; module: object } | null | undefined

/** CNN_LAB_KERNELS: "reference" (TypeScript layers only), "simd" (no relaxed SIMD), or unset. */
function kernelsSetting(): string | undefined {
  const g = globalThis as { CNN_LAB_KERNELS?: string; process?: { env?: Record<string, string | undefined> } }
  return g.CNN_LAB_KERNELS ?? g.process?.env?.CNN_LAB_KERNELS
}

function compile(api: WebAssemblyApi, base64: string): object | null {
  try {
    return new api.Module(decodeBase64(base64))
  } catch {
    return null // no (relaxed) SIMD, or a CSP without 'wasm-unsafe-eval'
  }
}

/** A fresh instance of the tiny module (its own memory), or null where it cannot run. */
export function tinyInstance(): TinyExports | null {
  if (compiled === undefined) {
    const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly
    compiled = null
    const setting = kernelsSetting()
    if (api && setting !== 'reference') {
      // The relaxed-SIMD build where the runtime takes it (Chromium/Electron,
      // Node ≥ 22, Node 20 with the flag src/host/wasm-features.ts sets), else the base build.
      const module = (setting !== 'simd' ? compile(api, RELAXED_TINY_WASM_BASE64) : null) ?? compile(api, TINY_WASM_BASE64)
      compiled = module ? { api, module } : null
    }
  }
  if (!compiled) return null
  // exp and log are JavaScript's own, so float64 losses are bit-identical to the TypeScript ones.
  const imports = { Math: { exp: Math.exp, log: Math.log } }
  return new compiled.api.Instance(compiled.module, imports).exports as TinyExports
}
