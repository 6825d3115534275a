/**
 * Loads the tiny-model module (compiled from ./wasm/tiny.as, embedded as
 * base64 in ./wasm/tiny-binary.ts). Each build is compiled once; each model
 * that runs on it (../routes/tiny-wasm.ts) gets its own instance, hence its
 * own linear memory, which holds that model's weights, activations and data
 * for the whole run.
 */
import { RELAXED_TINY_WASM_BASE64, TINY_WASM_BASE64 } from './wasm/tiny-binary'
import { compileModule, type CompiledModule } from './wasm/load'

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

const compiled = new Map<boolean, CompiledModule | null>()

/**
 * A factory of fresh tiny-module instances (each its own memory) for one build
 * (relaxed: fused float32 multiply-add), or null where the runtime refuses it.
 */
export function loadTinyModule(relaxed: boolean): (() => TinyExports) | null {
  if (!compiled.has(relaxed)) compiled.set(relaxed, compileModule(relaxed ? RELAXED_TINY_WASM_BASE64 : TINY_WASM_BASE64))
  const module = compiled.get(relaxed)
  if (!module) return null
  // exp and log are JavaScript's own, so float64 losses are bit-identical to the TypeScript ones.
  return () => module.instantiate({ Math: { exp: Math.exp, log: Math.log } }) as TinyExports
}
