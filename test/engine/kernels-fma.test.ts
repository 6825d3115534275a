// Must come first: switches on relaxed SIMD (Node 20) before the engine compiles its kernels.
import '../../src/host/wasm-features'
import { describe, expect, it } from 'vitest'
import { naiveKernel } from '../../src/engine/kernels/matmul'
import { createWasmKernel } from '../../src/engine/kernels/gemm-wasm'
import { loadSimdModule } from '../../src/engine/kernels/wasm/simd-module'
import { backendKernels, defaultBackend } from '../../src/engine/backend'
import { lcg } from './route-cases'

function random(length: number, seed: number): Float32Array {
  const next = lcg(seed)
  return Float32Array.from({ length }, next)
}

describe('relaxed-SIMD build (fused multiply-add)', () => {
  it('loads once the host enables relaxed SIMD, and is then the default backend', () => {
    expect(backendKernels('relaxed-simd').gemm.name).toBe('wasm-simd-4x8-fma')
    expect(backendKernels('relaxed-simd').tiny!().fusedMultiplyAdd()).toBe(1)
    expect(defaultBackend()).toBe('relaxed-simd')
  })

  it('float32 GEMM matches the float64 triple loop within float32 rounding, every transpose', () => {
    const wasm = createWasmKernel(loadSimdModule(true)!, naiveKernel, 0)
    for (const transA of [false, true]) for (const transB of [false, true]) {
      for (const [M, N, K] of [[1, 1, 1], [17, 13, 11], [67, 70, 300], [130, 6, 700], [64, 196, 288]]) {
        const A = random(M * K, 4), B = random(K * N, 5)
        const C = new Float32Array(M * N)
        const ref = new Float64Array(M * N)
        wasm.gemm(transA, transB, M, N, K, 1, A, transA ? M : K, B, transB ? K : N, 0, C, N)
        naiveKernel.gemm(transA, transB, M, N, K, 1, Float64Array.from(A), transA ? M : K, Float64Array.from(B), transB ? K : N, 0, ref, N)
        for (let i = 0; i < C.length; i++) {
          if (Math.abs(C[i] - ref[i]) > 2e-6 * Math.sqrt(K) * (1 + Math.abs(ref[i]))) throw new Error(`C[${i}] = ${C[i]}, reference ${ref[i]}`)
        }
      }
    }
  })
})
