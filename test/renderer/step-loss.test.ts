import { describe, expect, it } from 'vitest'
import { appendStep, emaSmooth, emptySeries } from '../../src/renderer/lib/step-loss'
import { modelSettings, settingsText } from '../../src/renderer/lib/training-settings'
import { cellIndices, fromCounts, latestCounts } from '../../src/renderer/lib/confusion'
import { getPreset } from '../../src/engine/experiment/presets'

describe('TensorBoard smoothing', () => {
  it('is a debiased exponential moving average', () => {
    const w = 0.6
    const values = [4, 2, 3, 1]
    // By hand: last = w·last + (1−w)·v, divided by 1 − w^n.
    let last = 0
    const expected = values.map((v, i) => {
      last = w * last + (1 - w) * v
      return last / (1 - w ** (i + 1))
    })
    expect(emaSmooth(values, w)).toEqual(expected)
    // Debiased: the first point is the first value, not pulled towards zero.
    expect(emaSmooth([5, 5, 5], 0.9)[0]).toBeCloseTo(5, 12)
    expect(emaSmooth([5, 5, 5], 0.9)[2]).toBeCloseTo(5, 12)
  })

  it('weight 0 is the raw curve, and a non-finite value passes without poisoning the rest', () => {
    expect(emaSmooth([3, 1, 2], 0)).toEqual([3, 1, 2])
    const s = emaSmooth([1, Number.NaN, 1], 0.6)
    expect(Number.isNaN(s[1])).toBe(true)
    expect(s[2]).toBeCloseTo(1, 12)
  })
})

describe('the step series', () => {
  it('stays within its bound by merging neighbours, keeping the span, the latest point and the step-weighted mean', () => {
    const series = emptySeries()
    let sum = 0
    for (let i = 1; i <= 10_000; i++) {
      appendStep(series, { epoch: i / 1000, loss: i, steps: 2 }, 100)
      sum += i * 2
    }
    expect(series.epochs.length).toBeLessThanOrEqual(100)
    expect(series.epochs.length).toBeGreaterThan(50)
    expect(series.epochs.at(-1)).toBe(10)
    expect(series.steps.reduce((a, b) => a + b, 0)).toBe(20_000)
    const weighted = series.losses.reduce((a, l, i) => a + l * series.steps[i], 0)
    expect(weighted).toBeCloseTo(sum, 3)
    for (let i = 1; i < series.epochs.length; i++) expect(series.epochs[i]).toBeGreaterThan(series.epochs[i - 1])
  })

  it('ignores a point it already has (a backfill overlapping the live stream)', () => {
    const series = emptySeries()
    appendStep(series, { epoch: 0.5, loss: 1, steps: 1 })
    appendStep(series, { epoch: 0.5, loss: 9, steps: 1 })
    appendStep(series, { epoch: 0.25, loss: 9, steps: 1 })
    expect(series.losses).toEqual([1])
  })
})

describe('per-model training settings', () => {
  it("show lesson 000's own epochs and learning rates", () => {
    const exp = getPreset('edge-detector')!
    const mlp = modelSettings(exp, 'mlp')!
    const cnn = modelSettings(exp, 'cnn')!
    expect(settingsText(mlp)).toBe('80 epochs · lr 3 · batch full')
    expect(settingsText(cnn)).toBe('400 epochs · lr 1 · batch full')
    expect(mlp.ownSettings && cnn.ownSettings).toBe(true)
    expect(modelSettings(getPreset('patterns-3')!, 'cnn')!.ownSettings).toBe(false)
  })
})

describe('confusion from the engine', () => {
  it('reads the latest counts and a cell’s indices', () => {
    const rows = [
      { model: 'cnn', epoch: 0, trainLoss: 1, trainAccuracy: 0, valLoss: 1, valAccuracy: 0, seconds: 0, confusion: [[1, 1], [2, 0]] },
      { model: 'cnn', epoch: 1, trainLoss: 1, trainAccuracy: 0, valLoss: 1, valAccuracy: 0, seconds: 0, confusion: [[2, 0], [1, 1]] },
      { model: 'mlp', epoch: 2, trainLoss: 1, trainAccuracy: 0, valLoss: 1, valAccuracy: 0, seconds: 0 },
    ]
    expect(latestCounts(rows, 'cnn')!.epoch).toBe(1)
    expect(latestCounts(rows, 'mlp')).toBeUndefined()
    expect(fromCounts([[2, 0], [1, 1]], ['a', 'b'])).toEqual({ classes: ['a', 'b'], counts: [[2, 0], [1, 1]], total: 4, correct: 3 })
    expect(cellIndices([[0, 1], [], [2], [3]], 2, 1, 0)).toEqual([2])
    expect(cellIndices([Array.from({ length: 64 }, (_, i) => i)], 1, 0, 0, 32)).toHaveLength(32)
  })
})
