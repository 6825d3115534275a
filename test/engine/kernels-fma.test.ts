// Must come first: switches on relaxed SIMD (Node 20) before the engine compiles its kernels.
import '../../src/host/wasm-features'
import { describe, expect, it } from 'vitest'
import { defaultKernel, naiveKernel } from '../../src/engine/kernels/matmul'
import { createWasmKernel } from '../../src/engine/kernels/gemm-wasm'
import { checkConvBlock, random } from './conv-block-check'

describe('relaxed-SIMD build (fused multiply-add)', () => {
  it('loads once the host enables relaxed SIMD', () => {
    expect(defaultKernel.name).toBe('wasm-simd-4x8-fma')
  })

  it('float32 GEMM matches the float64 triple loop within float32 rounding, every transpose', () => {
    const wasm = createWasmKernel(naiveKernel, 0)!
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

  it('fused conv block matches the TypeScript layers', () => {
    checkConvBlock(2e-5)
  })
})
