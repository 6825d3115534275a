import { describe, expect, it } from 'vitest'
import { buildModel } from '../../src/engine/model'
import { getConvBlockKernel } from '../../src/engine/kernels/conv-wasm'
import { getPreset } from '../../src/engine/experiment/presets'
import { checkConvBlock } from './conv-block-check'

describe('fused conv → ReLU → max-pool (WebAssembly)', () => {
  it('is available in Node (base SIMD build here: this file does not enable relaxed SIMD)', () => {
    expect(getConvBlockKernel()?.name).toBe('wasm-simd-conv-relu-pool')
  })

  it('matches the three TypeScript layers: output, dX, dW, db (direct 3×3 and GEMM routes)', () => {
    checkConvBlock(2e-5)
  })

  it('runs both blocks of the mnist CNN fused, and the model trains on through them', () => {
    const spec = getPreset('mnist')!.models.find((m) => m.id === 'cnn')!
    const model = buildModel(spec, [1, 28, 28], 'float32')
    const x = { shape: [2, 1, 28, 28], data: new Float32Array(2 * 784).fill(0.5) }
    const y = model.forward(x, true)
    expect(y.shape).toEqual([2, 10])
    // Layers inside a fused block leave no activation of their own.
    expect(model.activations[0]).toBeUndefined()
    expect(model.activations[2]?.shape).toEqual([2, 32, 14, 14])
    expect(model.activations[5]?.shape).toEqual([2, 64, 7, 7])
  })
})
