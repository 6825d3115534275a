/**
 * The one place WebAssembly bytes become a module: both embedded binaries
 * (./simd-binary.ts, ./tiny-binary.ts, built by scripts/build-wasm.mjs) are
 * decoded and compiled here, synchronously, the same way in every door (Node,
 * the engine worker, the renderer). A runtime that refuses a build (no SIMD,
 * no relaxed SIMD, or a content security policy without 'wasm-unsafe-eval')
 * gets null, and the backend (../../backend.ts) falls back a step.
 */

/** Just the part of the WebAssembly JS API used here (the Node typings do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
}

export interface CompiledModule {
  /** A fresh instance (its own linear memory) with these imports. */
  instantiate(imports?: object): unknown
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

export function decodeBase64(text: string): Uint8Array {
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

/** Compiles one embedded build, or null where the runtime refuses it. */
export function compileModule(base64: string): CompiledModule | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly
  if (!api) return null
  try {
    // Validation fails where (relaxed) SIMD is unsupported; a CSP forbids compiling: both throw.
    const module = new api.Module(decodeBase64(base64))
    return { instantiate: (imports = {}) => new api.Instance(module, imports).exports }
  } catch {
    return null
  }
}
