import { describe, expect, it } from 'vitest'
import { pair } from '../../src/shared/layer-geometry'
import { getPreset } from '../../src/engine/experiment/presets'
import {
  STANDARD_SIZES,
  convParameters,
  costTable,
  denseParameters,
  experimentInputSize,
  fieldError,
  formulaTerm,
  growthSeries,
  outputSize,
  outputSizeExpression,
  receptiveFields,
} from '../../src/renderer/lib/calculator'

describe('parameter calculator', () => {
  it('reproduces lesson 002: a 512-neuron dense layer vs 32 filters of 3x3', () => {
    const rows = costTable(STANDARD_SIZES, 512, 32, 3)
    const bySize = Object.fromEntries(rows.map((r) => [`${r.size.height}x${r.size.channels}`, r]))
    expect(bySize['8x1'].features).toBe(64)
    expect(bySize['8x1'].dense).toBe(33_280)
    expect(bySize['32x3'].features).toBe(3072)
    expect(bySize['32x3'].dense).toBe(1_573_376)
    expect(bySize['224x3'].features).toBe(150_528)
    expect(bySize['224x3'].dense).toBe(77_070_848)
    // The conv layer's cost does not move with the picture's size.
    expect(bySize['32x3'].conv).toBe(896)
    expect(bySize['224x3'].conv).toBe(896)
  })

  it('reproduces lesson 003: 784 × 128 weights, and the true size of its CNN', () => {
    expect(denseParameters(28 * 28, 128, false)).toBe(100_352)
    const cnn = getPreset('mnist')!.models.find((m) => m.id === 'cnn')!
    let total = 0
    for (const layer of cnn.layers) {
      if (layer.type === 'conv2d') total += convParameters(layer.inChannels, layer.outChannels, pair(layer.kernelSize)[0])
      if (layer.type === 'linear') total += denseParameters(layer.inFeatures, layer.outFeatures)
    }
    expect(total).toBe(421_642)
  })

  it('computes ⌊(H − K + 2P) / S⌋ + 1', () => {
    expect(outputSize(8, 3, 0, 1)).toBe(6)
    expect(outputSize(28, 3, 1, 1)).toBe(28)
    expect(outputSize(32, 3, 1, 2)).toBe(16)
    expect(outputSize(224, 7, 3, 2)).toBe(112)
    expect(outputSize(5, 3, 0, 3)).toBe(1)
    expect(outputSize(2, 5, 0, 1)).toBeNull()
    expect(outputSize(8, 3, 0, 0)).toBeNull()
    expect(outputSize(8.5, 3, 0, 1)).toBeNull()
  })

  it('grows the receptive field through convs and pools', () => {
    const cnn = getPreset('mnist')!.models[0]
    const rows = receptiveFields(cnn.layers)
    expect(rows.map((r) => [r.type, r.field, r.jump])).toEqual([
      ['conv2d', 3, 1],
      ['maxpool2d', 4, 2],
      ['conv2d', 8, 2],
      ['maxpool2d', 10, 4],
    ])
    // Two stacked 3x3 convs see what one 5x5 sees.
    const two = receptiveFields([
      { type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: 3, stride: 1, padding: 0, bias: true },
      { type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: 3, stride: 1, padding: 0, bias: true },
    ])
    expect(two.at(-1)!.field).toBe(5)
  })

  it('samples the growth chart: dense grows with the area, conv stays flat', () => {
    const points = growthSeries(3, 512, 32, 3)
    expect(points.at(-1)!.dense).toBe(77_070_848)
    expect(new Set(points.map((p) => p.conv))).toEqual(new Set([896]))
    for (let i = 1; i < points.length; i++) expect(points[i].dense).toBeGreaterThan(points[i - 1].dense)
  })
})

describe('calculator fields and formula text', () => {
  it('states the limits in every error, and says what to type in an empty field', () => {
    expect(fieldError(3)).toBeNull()
    expect(fieldError(0, 0)).toBeNull()
    expect(fieldError(100_000)).toBeNull()
    expect(fieldError(Number.NaN)).toBe('type a whole number, 1 to 100,000')
    expect(fieldError(0)).toBe('0 is out of range: 1 to 100,000')
    expect(fieldError(-2, 0)).toBe('-2 is out of range: 0 to 100,000')
    // Too big is "out of range" with the range, not "must be ≥ 1".
    expect(fieldError(250_000)).toBe('250,000 is out of range: 1 to 100,000')
    expect(fieldError(2.5)).toBe('a whole number, 1 to 100,000 (not 2.5)')
  })

  it('writes negative numbers in parentheses and blanks as "?", never NaN or "2·-2"', () => {
    expect(formulaTerm(-2)).toBe('(−2)')
    expect(formulaTerm(Number.NaN)).toBe('?')
    expect(outputSizeExpression(28, 3, 1, 1)).toBe('⌊(28 − 3 + 2·1) / 1⌋ + 1')
    expect(outputSizeExpression(28, -3, -2, 1)).toBe('⌊(28 − (−3) + 2·(−2)) / 1⌋ + 1')
    const blank = outputSizeExpression(Number.NaN, 3, Number.NaN, Number.NaN)
    expect(blank).toBe('⌊(? − 3 + 2·?) / ?⌋ + 1')
    expect(blank).not.toMatch(/NaN|·-/)
    // And the result itself is null rather than NaN for such input.
    expect(outputSize(Number.NaN, 3, 0, 1)).toBeNull()
    expect(outputSize(8, 3, -1, 1)).toBeNull()
  })

  it('the open experiment’s row takes its channel count: a colour input costs the conv layer three times the kernel', () => {
    const colour = experimentInputSize('Colour shapes', [3, 16, 16])
    expect(colour).toEqual({ label: '16×16 RGB (this experiment: Colour shapes)', height: 16, width: 16, channels: 3 })
    const [row] = costTable([colour], 512, 32, 3)
    expect(row.features).toBe(768)
    expect(row.conv).toBe(32 * 3 * 9 + 32)
    expect(row.dense).toBe(768 * 512 + 512)
    expect(experimentInputSize('digits', [1, 8, 8]).label).toBe('8×8 grey (this experiment: digits)')
    expect(() => experimentInputSize('x', [8, 8])).toThrow(/inputShape/)
  })
})
