import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { convChoices, kernelGrid } from '../../src/renderer/lib/kernels'

describe('kernels view, lesson 004 layers', () => {
  it('lists first, depthwise and hand-set convs, inside residual blocks too, and skips wide ones', () => {
    const depthwise = convChoices(getPreset('depthwise')!.models)
    expect(depthwise.map((c) => [c.model, c.key, c.depthwise])).toEqual([
      ['separable', '0', false],
      ['separable', '3', true],
      ['standard', '0', false],
    ])
    expect(depthwise[1].label).toContain('depthwise 3×3, one kernel per channel')
    // The residual stack's body convs see 8 channels each: too wide to draw; the stem is listed.
    expect(convChoices(getPreset('residual')!.models).map((c) => c.key)).toEqual(['0', '0'])
    const nested = convChoices([{ id: 'r', label: 'R', layers: [{ type: 'residual', layers: [{ type: 'conv2d', inChannels: 2, outChannels: 2, kernelSize: [3, 1], stride: 1, padding: [1, 0], groups: 2, bias: true }] }] }])
    expect(nested).toMatchObject([{ key: '0.body.0', depthwise: true }])
    expect(convChoices(getPreset('edge-kernel')!.models).map((c) => c.label)).toEqual([
      'Hand-set edge kernel · conv 1 (1 filter of 1×2)',
      'Hand-set edge kernel · conv 2 (1 filter of 8×1)',
    ])
  })

  it('draws a depthwise layer one kernel per channel, and non-square kernels in their shape', () => {
    const weights = { '3.weight': { shape: [4, 1, 3, 3], data: Array.from({ length: 36 }, (_, i) => i / 36 - 0.5) } }
    const grid = kernelGrid([{ epoch: 0, weights }], '3', 'light', 0, { depthwise: true })!
    expect(grid.filters).toBe(4)
    expect(grid.figure.panels.map((p) => p.name)).toEqual([0, 1, 2, 3].map((c) => `channel ${c + 1}'s kernel, epoch 0`))
    const wide = kernelGrid([{ epoch: 0, weights: { '0.weight': { shape: [1, 1, 1, 2], data: [-1, 1] } } }], 0, 'light', 0)!
    expect([wide.kernelSize, wide.kernelWidth]).toEqual([1, 2])
    expect(wide.figure.panels[0]).toMatchObject({ rows: 1, cols: 2 })
  })
})
