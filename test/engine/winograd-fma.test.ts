// Must come first: switches on relaxed SIMD (Node 20) before the engine compiles its kernels.
import '../../src/host/wasm-features'
import { describe, expect, it } from 'vitest'
import { createWinogradConv } from '../../src/engine/kernels/winograd'
import { errors, operands, OUTPUTS, runKernel, runReference, type ConvCase } from './winograd-check'
import { backendKernels, defaultBackend } from '../../src/engine/backend'

/** The process's SIMD build (relaxed where the runtime takes it). */
const SIMD = backendKernels(defaultBackend()).simd!

// The relaxed-SIMD build's GEMMs round once per multiply-add: the Winograd
// path must hold the same float32 tolerance there (winograd.test.ts runs the base build).
describe('Winograd conv kernel, relaxed-SIMD build (fused multiply-add)', () => {
  it('matches the float64 TypeScript layer within 1e-5 of the largest magnitude', () => {
    expect(SIMD?.exports.fusedMultiplyAdd()).toBe(1)
    const wino = createWinogradConv(SIMD)!
    const cases: ConvCase[] = [
      { C: 32, O: 64, H: 14, W: 14, padding: 1, n: 6 },
      { C: 1, O: 5, H: 9, W: 11, padding: 0, n: 2 },
      { C: 3, O: 4, H: 7, W: 7, padding: 1, n: 3 },
    ]
    for (const c of cases) {
      const ops = operands(c, 17)
      const measured = errors(runKernel(wino, c, ops), runReference(c, ops))
      for (const key of OUTPUTS) {
        if (!(measured[key] <= 1e-5)) throw new Error(`${key}: error ${measured[key]} (C=${c.C} O=${c.O} ${c.H}×${c.W})`)
      }
    }
  })
})
