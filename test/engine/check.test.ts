import { describe, expect, it } from 'vitest'
import { checkExperiment, formatIssue } from '../../src/engine/experiment/check'
import { getPreset, PRESET_IDS } from '../../src/engine/experiment/presets'
import type { Experiment } from '../../src/shared/experiment'

function issuesOf(experiment: Experiment): string[] {
  const result = checkExperiment(experiment)
  return result.ok ? [] : result.issues.map(formatIssue)
}

describe('checkExperiment: can this experiment start?', () => {
  it('passes every lesson preset as it is', () => {
    expect(PRESET_IDS.length).toBeGreaterThanOrEqual(6)
    for (const id of PRESET_IDS) expect({ id, issues: issuesOf(getPreset(id)!) }).toEqual({ id, issues: [] })
  })

  it('names the output layer when it does not fit the class count, and says what to set', () => {
    const experiment = getPreset('patterns-3')!
    if (experiment.dataset.kind !== 'patterns') throw new Error('patterns expected')
    experiment.dataset.classes = ['vertical', 'horizontal', 'diagonal', 'dot', 'cross']
    expect(issuesOf(experiment)).toEqual([
      'models.0.layers.4: the last layer (linear) gives 3 outputs but the dataset has 5 classes; set outFeatures to 5',
      'models.1.layers.3: the last layer (linear) gives 3 outputs but the dataset has 5 classes; set outFeatures to 5',
    ])
  })

  it('looks through pass-through layers after the output layer', () => {
    const experiment = getPreset('patterns-3')!
    const last = experiment.models[1].layers.at(-1)!
    if (last.type === 'linear') last.outFeatures = 4
    experiment.models[1].layers.push({ type: 'dropout', p: 0.2 })
    expect(issuesOf(experiment)).toEqual([
      'models.1.layers.3: the last layer (linear) gives 4 outputs but the dataset has 3 classes; set outFeatures to 3',
    ])
  })

  it('names the first layer where the chain breaks, with what to change', () => {
    const experiment = getPreset('patterns-3')!
    experiment.models[1].layers[1] = { type: 'linear', inFeatures: 65, outFeatures: 18, bias: true }
    expect(issuesOf(experiment)).toEqual(['models.1.layers.1: linear expects 65 input features but receives 64; set inFeatures to 64'])

    const conv = getPreset('patterns-3')!
    const first = conv.models[0].layers[0]
    if (first.type === 'conv2d') first.kernelSize = 9
    expect(issuesOf(conv)).toEqual([
      'models.0.layers.0: in this conv2d, kernel 9×9 with padding 0 does not fit the 8×8 input; use a smaller kernel or more padding',
    ])
  })

  it('asks for images at the end to be flattened into outputs', () => {
    const experiment = getPreset('patterns-3')!
    experiment.models[0].layers = experiment.models[0].layers.slice(0, 3)
    expect(issuesOf(experiment)).toEqual([
      'models.0.layers.2: the model ends with images [3, 3, 3]; end it with flatten and a linear layer of 3 outputs',
    ])
  })

  it('wants one sigmoid output under binary cross-entropy', () => {
    const experiment = getPreset('edge-detector')!
    const fc = experiment.models[1].layers[1]
    if (fc.type === 'linear') fc.outFeatures = 2
    const conv = experiment.models[0].layers[0]
    if (conv.type === 'conv2d') conv.outChannels = 2
    expect(issuesOf(experiment)).toEqual([
      'models.0.layers.1: the model gives 2 outputs (one per filter of layer 0) but binary-cross-entropy needs one output; set that conv\'s filters to 1',
      'models.1.layers.1: the last layer (linear) gives 2 outputs but binary-cross-entropy needs one output; set outFeatures to 1',
    ])

    const noSigmoid = getPreset('edge-detector')!
    noSigmoid.models[1].layers.pop()
    expect(issuesOf(noSigmoid)).toEqual(['models.1.layers.1: binary-cross-entropy takes a probability: end the model with a sigmoid layer'])
  })

  it('refuses binary cross-entropy on more than two classes', () => {
    const experiment = getPreset('patterns-3')!
    experiment.training.loss = 'binary-cross-entropy'
    const issues = issuesOf(experiment)
    expect(issues[0]).toBe('training.loss: binary-cross-entropy answers a yes/no question but the dataset has 3 classes; use softmax-cross-entropy')
  })

  it('refuses dropout that finite differences would never apply', () => {
    const experiment = getPreset('edge-detector')!
    experiment.models[1].layers.splice(1, 0, { type: 'dropout', p: 0.2 })
    expect(issuesOf(experiment)).toEqual([
      'models.1.layers.1: dropout does nothing under finite-difference training; remove it or train with backprop',
    ])
  })
})
