/**
 * The equivariance probe's interior: wherever it says f(shift x) must equal
 * shift f(x), it does (to rounding), for valid and padded convs, pooling and
 * both shift directions; and the border band it marks is where the error is.
 */
import { describe, expect, it } from 'vitest'
import { buildModel } from '../../src/engine/model'
import { compareTraces, equivarianceProfile } from '../../src/engine/probes/equivariance'
import { inferenceTrace } from '../../src/engine/probes/trace'
import { tinyCnnLayers, tinyMlpLayers } from '../../src/engine/experiment/presets'
import { Rng } from '../../src/engine/rng'
import type { LayerSpec } from '../../src/shared/experiment'

function randomImage(size: number, seed: number): Float32Array {
  const rng = new Rng(seed)
  return Float32Array.from({ length: size * size }, () => rng.uniform(0, 1))
}

const padded: LayerSpec[] = [
  { type: 'conv2d', inChannels: 1, outChannels: 4, kernelSize: 3, stride: 1, padding: 1, bias: true },
  { type: 'relu' },
  { type: 'maxpool2d', kernelSize: 2 },
  { type: 'conv2d', inChannels: 4, outChannels: 3, kernelSize: 3, stride: 1, padding: 1, bias: true },
  { type: 'relu' },
  { type: 'maxpool2d', kernelSize: 2 },
  { type: 'flatten' },
  { type: 'linear', inFeatures: 3 * 3 * 3, outFeatures: 5, bias: true },
]

describe('equivarianceProfile', () => {
  for (const [name, layers, size] of [
    ['TinyCNN (valid conv, 8x8)', tinyCnnLayers(3), 8],
    ['two padded conv blocks (12x12)', padded, 12],
  ] as const) {
    for (const [dx, dy] of [[2, 0], [-2, 2], [0, -4], [4, 2]]) {
      it(`${name}, shift (${dx}, ${dy}): zero error inside the interior, the error sits in the band`, () => {
        const model = buildModel({ layers, init: { scheme: 'he-normal', seed: 3 } }, [1, size, size])
        const profile = equivarianceProfile(model, { shape: [1, size, size], data: randomImage(size, 7 + dx) }, dx, dy)
        const spatial = profile.filter((l) => l.kind === 'equivariance')
        expect(spatial.length).toBeGreaterThan(0)
        for (const layer of spatial) {
          if (!layer.interior) continue
          expect(layer.interiorError!).toBeLessThan(1e-5)
          const [, h, w] = layer.shape
          const { x0, x1, y0, y1 } = layer.interior
          for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) expect(layer.errorMap![y * w + x]).toBeLessThan(1e-5)
          expect(layer.band).toBe(Math.max(x0, w - x1, y0, h - y1))
        }
        // The first conv always keeps an interior and has some error in its band.
        expect(spatial[0].interior).not.toBeNull()
        expect(spatial[0].error).toBeGreaterThan(1e-3)
      })
    }
  }

  it('TinyCNN, 2 px right: the conv map is exact in columns 2..5, the pooled map in columns 1..2', () => {
    const model = buildModel({ layers: tinyCnnLayers(3), init: { scheme: 'he-normal', seed: 3 } }, [1, 8, 8])
    const profile = equivarianceProfile(model, { shape: [1, 8, 8], data: randomImage(8, 1) }, 2, 0)
    expect(profile[0].interior).toEqual({ x0: 2, x1: 6, y0: 0, y1: 6 })
    expect(profile[2].interior).toEqual({ x0: 1, x1: 3, y0: 0, y1: 3 })
  })

  it("an MLP's hidden code just changes; compareTraces gives the same profile from ready traces", () => {
    const mlp = buildModel({ layers: tinyMlpLayers(3), init: { scheme: 'he-normal', seed: 5 } }, [1, 8, 8])
    const input = { shape: [1, 8, 8], data: randomImage(8, 2) }
    const profile = equivarianceProfile(mlp, input, 2, 0)
    expect(profile.every((l) => l.kind === 'change')).toBe(true)
    expect(profile[2].error).toBeGreaterThan(0.1)
    const shifted = new Float32Array(64)
    for (let y = 0; y < 8; y++) for (let x = 2; x < 8; x++) shifted[y * 8 + x] = input.data[y * 8 + x - 2]
    const again = compareTraces(mlp, inferenceTrace(mlp, input).stages, inferenceTrace(mlp, { shape: input.shape, data: shifted }).stages, 2, 0)
    expect(again.map((l) => l.error)).toEqual(profile.map((l) => l.error))
  })
})
