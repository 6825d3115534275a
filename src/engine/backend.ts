/**
 * The engine's numeric backend, chosen in one place.
 *
 *   reference      plain TypeScript kernels (the readable code everything is tested against)
 *   simd           the WebAssembly SIMD builds of simd.as and tiny.as
 *   relaxed-simd   their relaxed-SIMD builds (fused multiply-add in float32)
 *
 * CNN_LAB_KERNELS (globalThis first, for a page; then the environment) asks
 * for one; unset means the fastest the runtime compiles. A request the
 * runtime cannot honour steps down (relaxed-simd → simd → reference).
 * Tests do not set the variable: they pass a backend to `backendKernels`.
 */
import type { Backend } from '../shared/training-events'
import { blockedKernel, type MatmulKernel } from './kernels/matmul'
import { createWasmKernel } from './kernels/gemm-wasm'
import { loadSimdModule, type SimdModule } from './kernels/wasm/simd-module'
import { loadTinyModule, type TinyExports } from './kernels/tiny-module'

export type { Backend }

export const BACKENDS: readonly Backend[] = ['reference', 'simd', 'relaxed-simd']

/** What one backend computes with. */
export interface BackendKernels {
  readonly backend: Backend
  /** The GEMM every layer multiplies with. */
  readonly gemm: MatmulKernel
  /** The SIMD module (GEMM, conv, fused conv block), or null on the reference backend. */
  readonly simd: SimdModule | null
  /** A fresh tiny-model module instance per call, or null on the reference backend. */
  readonly tiny: (() => TinyExports) | null
}

/** Whether the runtime compiles this backend's WebAssembly (reference always runs). */
export function backendRuns(backend: Backend): boolean {
  return backend === 'reference' || loadSimdModule(backend === 'relaxed-simd') !== null
}

const cache = new Map<Backend, BackendKernels>()

/** The kernels of a backend; throws if the runtime cannot compile it (see backendRuns). */
export function backendKernels(backend: Backend): BackendKernels {
  let kernels = cache.get(backend)
  if (kernels) return kernels
  if (backend === 'reference') {
    kernels = { backend, gemm: blockedKernel, simd: null, tiny: null }
  } else {
    const relaxed = backend === 'relaxed-simd'
    const simd = loadSimdModule(relaxed)
    const tiny = loadTinyModule(relaxed)
    if (!simd || !tiny) throw new Error(`backend "${backend}": this runtime does not compile its WebAssembly`)
    kernels = { backend, gemm: createWasmKernel(simd, blockedKernel), simd, tiny }
  }
  cache.set(backend, kernels)
  return kernels
}

/** The CNN_LAB_KERNELS request, or undefined when unset. */
function requested(): string | undefined {
  const g = globalThis as { CNN_LAB_KERNELS?: string; process?: { env?: Record<string, string | undefined> } }
  const value = g.CNN_LAB_KERNELS ?? g.process?.env?.CNN_LAB_KERNELS
  return value === '' ? undefined : value
}

/** Resolves a request against the runtime: the request itself, or the next one down that runs. */
export function resolveBackend(request: string | undefined): Backend {
  if (request !== undefined && !(BACKENDS as readonly string[]).includes(request)) {
    throw new Error(`CNN_LAB_KERNELS: "${request}" is not one of ${BACKENDS.join(', ')}`)
  }
  const wanted = (request ?? 'relaxed-simd') as Backend
  const order = BACKENDS.slice(0, BACKENDS.indexOf(wanted) + 1).reverse()
  return order.find(backendRuns) ?? 'reference'
}

let chosen: Backend | undefined

/** The backend of this process (CNN_LAB_KERNELS, read once). */
export function defaultBackend(): Backend {
  return (chosen ??= resolveBackend(requested()))
}
