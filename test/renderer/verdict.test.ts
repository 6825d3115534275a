import { describe, expect, it } from 'vitest'
import { verdictText } from '../../src/renderer/lib/verdict'

describe('verdict', () => {
  const cnn = { id: 'cnn', label: 'TinyCNN', parameterCount: 114 }
  const mlp = { id: 'mlp', label: 'TinyMLP', parameterCount: 1227 }
  const models = [cnn, mlp]
  const row = (model: string, epoch: number, valAccuracy: number) => ({ model, epoch, trainLoss: 0, trainAccuracy: 1, valLoss: 0, valAccuracy, seconds: 0 })

  it('says both learned, and how much smaller the CNN is', () => {
    const text = verdictText(models, [row('cnn', 80, 1), row('mlp', 80, 0.989)])
    expect(text).toBe('Final validation accuracy: TinyCNN 100.0 % with 114 parameters; TinyMLP 98.9 % with 1,227 parameters. Both reach ≥ 97 %; the CNN needs 10.8× fewer parameters.')
  })

  it('says who is ahead otherwise, and nothing before the end', () => {
    expect(verdictText(models, [row('cnn', 3, 0.9), row('mlp', 3, 0.6)])).toMatch(/ TinyCNN is 30\.0 points ahead of TinyMLP with 10\.8× fewer parameters\.$/)
    expect(verdictText(models, [row('cnn', 3, 0.5), row('mlp', 3, 0.6)])).toMatch(/ TinyMLP is 10\.0 points ahead of TinyCNN with 10\.8× more parameters\.$/)
    expect(verdictText(models, [row('cnn', 3, 0.9)])).toBe('')
  })

  it('speaks of the one model when an experiment trains one', () => {
    expect(verdictText([cnn], [row('cnn', 80, 0.99)])).toBe('Final validation accuracy: TinyCNN 99.0 % with 114 parameters. TinyCNN reaches ≥ 97 %.')
    expect(verdictText([mlp], [row('mlp', 80, 0.989)])).toBe('Final validation accuracy: TinyMLP 98.9 % with 1,227 parameters. TinyMLP reaches ≥ 97 %.')
    // Below the bar there is nobody to compare it with: just its figures.
    expect(verdictText([cnn], [row('cnn', 80, 0.9)])).toBe('Final validation accuracy: TinyCNN 90.0 % with 114 parameters.')
    expect(verdictText([cnn], [])).toBe('')
  })

  it('counts three or more models rather than saying "both"', () => {
    const wide = { id: 'wide', label: 'WideCNN', parameterCount: 500 }
    const text = verdictText([cnn, mlp, wide], [row('cnn', 80, 1), row('mlp', 80, 0.98), row('wide', 80, 0.99)])
    expect(text).toBe(
      'Final validation accuracy: TinyCNN 100.0 % with 114 parameters; TinyMLP 98.0 % with 1,227 parameters; WideCNN 99.0 % with 500 parameters. All 3 reach ≥ 97 %; the CNN needs 10.8× fewer parameters.',
    )
  })
})
