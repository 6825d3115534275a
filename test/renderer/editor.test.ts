import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { chainLayers, errorsUnder, friendlyMessage, validateDraft } from '../../src/renderer/lib/editor'
import type { LayerSpec } from '../../src/shared/experiment'

describe('experiment editor validation', () => {
  it('accepts every preset as it is', () => {
    for (const id of ['edge-detector', 'patterns-3', 'patterns-5', 'mnist']) {
      const result = validateDraft(getPreset(id))
      expect(result.errors).toEqual({})
      expect(result.ok).toBe(true)
    }
  })

  it('gives live shapes and parameter counts', () => {
    const result = validateDraft(getPreset('patterns-3'))
    expect(result.inputShape).toEqual([1, 8, 8])
    const [cnn, mlp] = result.shapes
    expect(cnn?.ok && cnn.parameterCount).toBe(114)
    expect(mlp?.ok && mlp.parameterCount).toBe(1227)
    expect(cnn?.layers.map((l) => l.outputShape)).toEqual([[3, 6, 6], [3, 6, 6], [3, 3, 3], [27], [3]])
  })

  it('re-chains input sizes after the user changes filters or widths', () => {
    const experiment = getPreset('patterns-3')!
    const layers = experiment.models[0].layers.map((l) => ({ ...l })) as LayerSpec[]
    const conv = layers[0]
    if (conv.type === 'conv2d') conv.outChannels = 5
    const chained = chainLayers(layers, [1, 8, 8])
    const linear = chained[4]
    expect(linear.type === 'linear' && linear.inFeatures).toBe(45)
    experiment.models[0].layers = chained
    const result = validateDraft(experiment)
    expect(result.ok).toBe(true)
    expect(result.shapes[0]?.ok && result.shapes[0].parameterCount).toBe(5 * 9 + 5 + 45 * 3 + 3)
  })

  it('flags each bad value at its own field', () => {
    const experiment = getPreset('patterns-3')! as unknown as Record<string, any>
    experiment.training.epochs = Number.NaN
    experiment.training.learningRate = -1
    experiment.models[0].layers[0].kernelSize = 0
    const result = validateDraft(experiment)
    expect(result.ok).toBe(false)
    expect(result.errors['training.epochs']).toBe('enter a number')
    expect(result.errors['training.learningRate']).toMatch(/more than 0/)
    expect(result.errors['models.0.layers.0.kernelSize']).toMatch(/at least 1/)
    expect(errorsUnder(result.errors, 'models.0.layers.0').length).toBeGreaterThan(0)
    expect(errorsUnder(result.errors, 'models.1')).toEqual([])
  })

  it('flags a layer that no longer fits its input', () => {
    const experiment = getPreset('patterns-3')!
    const conv = experiment.models[0].layers[0]
    if (conv.type === 'conv2d') conv.kernelSize = 9 // larger than the 8x8 picture
    const result = validateDraft(experiment)
    expect(result.ok).toBe(false)
    expect(result.errors['models.0.layers.0']).toBeTruthy()
  })

  it('turns zod messages into short instructions', () => {
    expect(friendlyMessage('Invalid input: expected number, received NaN')).toBe('enter a number')
    expect(friendlyMessage('Too small: expected number to be >=1')).toBe('must be at least 1')
    expect(friendlyMessage('Too big: expected number to be <=64')).toBe('must be at most 64')
  })
})
