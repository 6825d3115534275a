/**
 * Shared by conv-block.test.ts (base SIMD build) and kernels-fma.test.ts
 * (relaxed-SIMD build): the fused conv → ReLU → 2×2 max-pool kernel against
 * the three TypeScript layers it replaces, forward and every gradient.
 */
import { expect } from 'vitest'
import type { LayerSpec } from '../../src/shared/experiment'
import { buildModel } from '../../src/engine/model'
import { getConvBlockKernel, setConvBlockKernel, setConvKernel } from '../../src/engine/kernels/conv-wasm'

export function random(length: number, seed: number): Float32Array {
  const out = new Float32Array(length)
  let s = seed >>> 0
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 32 - 0.5
  }
  return out
}

/** [in channels, out channels, image size, kernel, stride, padding]: direct 3×3 and im2col + GEMM routes, odd sizes. */
export const blockGeometries: [number, number, number, number, number, number][] = [
  [1, 32, 28, 3, 1, 1], // MNIST layer 1: direct 3×3
  [32, 64, 14, 3, 1, 1], // MNIST layer 2: im2col + GEMM
  [1, 4, 10, 3, 1, 0], // direct, no padding
  [1, 3, 7, 3, 1, 1], // 7 wide: not a multiple of 4, GEMM route; odd pooling (floor)
  [3, 5, 9, 3, 2, 1], // stride 2, 5×5 output pooled to 2×2
  [2, 6, 11, 4, 1, 2], // kernel 4
]

/** Runs conv → relu → pool forward and backward with and without the fused kernel; throws where they differ. */
export function checkConvBlock(tolerance: number): void {
  const fused = getConvBlockKernel()
  expect(fused).not.toBeNull()
  for (const [c, o, size, k, stride, padding] of blockGeometries) {
    const layers: LayerSpec[] = [
      { type: 'conv2d', inChannels: c, outChannels: o, kernelSize: k, stride, padding, bias: true },
      { type: 'relu' },
      { type: 'maxpool2d', kernelSize: 2 },
    ]
    const n = 3
    const run = (useBlock: boolean) => {
      const previous = setConvBlockKernel(useBlock ? fused : null)
      const previousConv = setConvKernel(null) // the reference: plain TypeScript layers
      try {
        const model = buildModel({ layers }, [c, size, size], 'float32', { inputGradient: true })
        for (const [i, { param }] of model.namedParams().entries()) param.value.data.set(random(param.value.data.length, 31 + i))
        const x = { shape: [n, c, size, size], data: random(n * c * size * size, 33) }
        // A few exact ties and a window with only negatives, to exercise the winner rules.
        x.data.fill(0.25, 0, 6)
        const y = model.forward(x, true)
        const dy = { shape: y.shape, data: random(y.data.length, 34) }
        const dx = model.backward(dy)!
        const [w, b] = model.params()
        return { y: y.data.slice(), dx: dx.data.slice(), dw: w.grad.data.slice(), db: b.grad.data.slice() }
      } finally {
        setConvBlockKernel(previous)
        setConvKernel(previousConv)
      }
    }
    const a = run(true), ref = run(false)
    for (const key of ['y', 'dx', 'dw', 'db'] as const) {
      expect(a[key].length).toBe(ref[key].length)
      for (let i = 0; i < a[key].length; i++) {
        if (!(Math.abs(a[key][i] - ref[key][i]) <= tolerance * (1 + Math.abs(ref[key][i])))) {
          throw new Error(`${key}[${i}] = ${a[key][i]}, layers ${ref[key][i]} (${c}→${o}, ${size}px, k${k} s${stride} p${padding})`)
        }
      }
    }
  }
}
