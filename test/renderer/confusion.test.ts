import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildDatasets } from '../../src/engine/datasets'
import { buildModel } from '../../src/engine/model'
import { MNIST_UNAVAILABLE, predictClass, tally, valConfusion } from '../../src/renderer/lib/confusion'
import type { NamedTensors } from '../../src/shared/experiment'

describe('confusion matrix', () => {
  it('tallies actual × predicted', () => {
    const m = tally([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], ['a', 'b', 'c'])
    expect(m.counts).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ])
    expect(m.correct).toBe(4)
    expect(m.total).toBe(6)
  })

  it('reads a class from logits or from one sigmoid output', () => {
    expect(predictClass([0.1, 3, -1, 9, 0, 1], 3, 3)).toBe(0)
    expect(predictClass([0.1, 3, -1], 0, 3)).toBe(1)
    expect(predictClass([0.7], 0, 1)).toBe(1)
    expect(predictClass([0.2], 0, 1)).toBe(0)
  })

  it('runs the model over the rebuilt validation set with the given weights', () => {
    const experiment = getPreset('patterns-3')!
    const spec = experiment.models[0]
    const model = buildModel(spec, [1, 8, 8])
    const weights: NamedTensors = {}
    for (const { name, param } of model.namedParams()) weights[name] = { shape: [...param.value.shape], data: [...param.value.data] }
    const result = valConfusion(experiment, 'cnn', weights)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const { val } = buildDatasets(experiment.dataset)
    expect(result.matrix.total).toBe(val.y.length)
    expect(result.matrix.counts.flat().reduce((a, b) => a + b, 0)).toBe(val.y.length)
    // Row sums are the true class counts (30 per class).
    expect(result.matrix.counts.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([30, 30, 30])
    // Same weights, same answer: compare with the engine's own forward pass.
    const out = model.forward(val.x, false)
    let correct = 0
    for (let i = 0; i < val.y.length; i++) if (predictClass(out.data, i * 3, 3) === val.y[i]) correct++
    expect(result.matrix.correct).toBe(correct)
  })

  it('says why when it cannot', () => {
    expect(valConfusion(getPreset('mnist')!, 'cnn', {})).toEqual({ ok: false, reason: MNIST_UNAVAILABLE })
    expect(valConfusion(getPreset('patterns-3')!, 'cnn', undefined).ok).toBe(false)
    expect(valConfusion(getPreset('patterns-3')!, 'cnn', { '0.weight': { shape: [1], data: [1] } }).ok).toBe(false)
  })
})
