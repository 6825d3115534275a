// Must come first: switches on relaxed SIMD (Node 20) before the engine compiles its kernels.
import '../../src/host/wasm-features'
import { expect, it } from 'vitest'
import { tinyInstance } from '../../src/engine/kernels/tiny-module'
import { tinyFastPathSuite } from './tiny-suite'

it('the relaxed-SIMD build of the tiny module loads once the host enables relaxed SIMD', () => {
  expect(tinyInstance()!.fusedMultiplyAdd()).toBe(1)
})

// The same checks on that build: float32 within rounding, float64 still bit for bit.
tinyFastPathSuite()
