/**
 * The tiny module's float32 exp and the committed binary. The module against
 * the TypeScript layers: ./routes.test.ts (tiny-wasm, both builds).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildModuleText } from '../../scripts/build-wasm.mjs'
import { backendKernels } from '../../src/engine/backend'
import { lcg } from './route-cases'

describe('tiny module', () => {
  it("float32 softmax's exp is Math.exp to within an ulp (float64 models call Math.exp itself)", () => {
    const wasm = backendKernels('simd').tiny!() as unknown as { exp_float32_softmax(x: number): number }
    const next = lcg(5)
    for (let i = 0; i < 20000; i++) {
      const x = (next() - 0.5) * (i % 2 ? 80 : 1400)
      const expected = Math.exp(x)
      const actual = wasm.exp_float32_softmax(x)
      if (x < -708) expect(actual).toBe(0) // below 2^-1022 the softmax term is dropped
      else if (Math.abs(actual - expected) > expected * 2.3e-16) throw new Error(`exp(${x}) = ${actual}, Math.exp ${expected}`)
    }
  })

  it('the committed binary is what tiny.as compiles to (run `npm run build:wasm`)', async () => {
    const fresh = await buildModuleText('tiny')
    expect(readFileSync('src/engine/kernels/wasm/tiny-binary.ts', 'utf8')).toBe(fresh)
  }, 60_000)
})
