import { describe, expect, it } from 'vitest'
import { getPreset, PRESET_IDS } from '../../src/engine/experiment/presets'
import {
  chainLayers,
  describePath,
  editedName,
  errorsUnder,
  friendlyMessage,
  insertLayer,
  moveLayer,
  numberListProblem,
  outputCount,
  removeLayer,
  sameRecipe,
  validateDraft,
} from '../../src/renderer/lib/editor'
import { checkExperiment, formatIssue } from '../../src/engine/experiment/check'
import type { LayerSpec } from '../../src/shared/experiment'
import { DEFAULT_BUDGET } from '../../src/shared/budget'
import { estimateLines, formatDuration } from '../../src/renderer/lib/editor'

describe('experiment editor validation', () => {
  it('accepts every preset as it is', () => {
    for (const id of PRESET_IDS) {
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
    expect(friendlyMessage('Too small: expected string to have >=1 characters')).toBe('must not be empty')
    expect(friendlyMessage('Too big: expected string to have <=200 characters')).toBe('must have at most 200 characters')
  })

  it('states the limit of every number field that is too big', () => {
    const experiment = getPreset('patterns-3')! as unknown as Record<string, any>
    experiment.models[0].layers[0].outChannels = 5000
    experiment.training.epochs = 200_000
    experiment.dataset.size = 100
    experiment.training.batchSize = 200_000
    const { errors } = validateDraft(experiment)
    expect(errors['models.0.layers.0.outChannels']).toBe('must be at most 4096')
    expect(errors['training.epochs']).toBe('must be at most 100000')
    expect(errors['dataset.size']).toBe('must be at most 64')
    expect(errors['training.batchSize']).toBe('must be at most 100000')
  })

  it('is not ready when the last layer does not fit the classes, in the words the host uses', () => {
    const experiment = getPreset('patterns-3')!
    if (experiment.dataset.kind !== 'patterns') throw new Error('patterns expected')
    experiment.dataset.classes.push('dot', 'cross')
    const result = validateDraft(experiment)
    expect(result.ok).toBe(false)
    expect(result.errors['models.0.layers.4']).toBe('the last layer (linear) gives 3 outputs but the dataset has 5 classes; set outFeatures to 5')
    const check = checkExperiment(experiment)
    expect(check.ok).toBe(false)
    if (!check.ok) for (const issue of check.issues) expect(formatIssue(issue)).toBe(`${issue.path}: ${result.errors[issue.path]}`)
  })

  it('flags the loss that does not fit the data', () => {
    const experiment = getPreset('patterns-3')!
    experiment.training.loss = 'binary-cross-entropy'
    expect(validateDraft(experiment).errors['training.loss']).toMatch(/has 3 classes; use softmax-cross-entropy/)
  })

  it('names the place of a problem in the editor\'s words', () => {
    const recipe = getPreset('patterns-3')!
    expect(describePath('models.0.layers.4', recipe)).toBe('TinyCNN, layer 4 (linear)')
    expect(describePath('models.1.layers.3.outFeatures', recipe)).toBe('TinyMLP, layer 3 (linear), outFeatures')
    expect(describePath('training.loss', recipe)).toBe('Training, loss')
    expect(describePath('dataset.train.count', recipe)).toBe('Data, train count')
  })
})

describe('editing the layer list', () => {
  const mlp = () => getPreset('patterns-3')!.models[1].layers // flatten, linear 64→18, relu, linear 18→3

  it('inserts a layer anywhere, and a new output layer starts with one output per class', () => {
    const withDropout = insertLayer(mlp(), 3, 'dropout', 3)
    expect(withDropout.map((l) => l.type)).toEqual(['flatten', 'linear', 'relu', 'dropout', 'linear'])
    const first = insertLayer(mlp(), 0, 'relu', 3)
    expect(first.map((l) => l.type)).toEqual(['relu', 'flatten', 'linear', 'relu', 'linear'])
    const hidden = insertLayer(mlp(), 2, 'linear', 5)[2]
    expect(hidden.type === 'linear' && hidden.outFeatures).toBe(16)
    const output = insertLayer(mlp(), 4, 'linear', 5)[4]
    expect(output.type === 'linear' && output.outFeatures).toBe(5)
    expect(insertLayer(mlp(), 99, 'sigmoid', 3).at(-1)?.type).toBe('sigmoid')
  })

  it('removes any layer but never the last one left', () => {
    expect(removeLayer(mlp(), 2).map((l) => l.type)).toEqual(['flatten', 'linear', 'linear'])
    const one = [{ type: 'flatten' }] as LayerSpec[]
    expect(removeLayer(one, 0)).toEqual(one)
    expect(removeLayer(mlp(), 9)).toHaveLength(4)
  })

  it('moves a layer up or down, clamped at the ends, without touching the input', () => {
    const layers = mlp()
    const moved = moveLayer(layers, 2, 1)
    expect(moved.map((l) => l.type)).toEqual(['flatten', 'relu', 'linear', 'linear'])
    expect(layers.map((l) => l.type)).toEqual(['flatten', 'linear', 'relu', 'linear'])
    expect(moveLayer(layers, 0, -1).map((l) => l.type)).toEqual(['flatten', 'linear', 'relu', 'linear'])
    expect(moveLayer(layers, 3, 4).map((l) => l.type)).toEqual(['flatten', 'linear', 'relu', 'linear'])
  })

  it('chains an inserted layer into a model that trains', () => {
    const experiment = getPreset('patterns-3')!
    experiment.models[0].layers = chainLayers(insertLayer(experiment.models[0].layers, 1, 'conv2d', 3), [1, 8, 8])
    const result = validateDraft(experiment)
    expect(result.errors).toEqual({})
    expect(result.shapes[0]?.ok && result.shapes[0].outputShape).toEqual([3])
  })

  it('counts the outputs a model must end with', () => {
    expect(outputCount(getPreset('patterns-5')!)).toBe(5)
    expect(outputCount(getPreset('mnist')!)).toBe(10)
    expect(outputCount(getPreset('edge-detector')!)).toBe(1)
  })
})

describe('modified recipes and their names', () => {
  it('compares recipes whatever order their fields were written in', () => {
    const a = getPreset('patterns-3')!
    const b = getPreset('patterns-3')!
    b.dataset = { ...b.dataset } // same values, rebuilt
    const { kind, ...rest } = b.dataset
    b.dataset = { ...rest, kind } as typeof b.dataset
    expect(sameRecipe(a, b)).toBe(true)
    b.training.epochs = 7
    expect(sameRecipe(a, b)).toBe(false)
    const renamed = { ...getPreset('patterns-3')!, name: 'mine' }
    expect(sameRecipe(a, renamed)).toBe(false)
    expect(sameRecipe(a, renamed, true)).toBe(true)
  })

  it('names an edited recipe after its origin, once', () => {
    expect(editedName('Patterns, 3 classes: TinyCNN vs TinyMLP')).toBe('Patterns, 3 classes: TinyCNN vs TinyMLP (edited)')
    expect(editedName('X (edited)')).toBe('X (edited)')
    expect(editedName('n'.repeat(200))).toHaveLength(200)
  })

  it('says which sweep value is wrong and what the limit is', () => {
    const limits = { min: 1, max: 4096, maxCount: 32 }
    expect(numberListProblem('2, 4, 8', limits)).toBeNull()
    expect(numberListProblem('2, 5000, 8', limits)).toBe('5000 is too big: values must be at most 4096.')
    expect(numberListProblem('0, 4', limits)).toBe('0 is too small: values must be at least 1.')
    expect(numberListProblem('2.5', limits)).toBe('2.5 is not a whole number: enter whole numbers from 1 to 4096.')
    expect(numberListProblem('two', limits)).toBe('"two" is not a number: enter whole numbers from 1 to 4096.')
    expect(numberListProblem('', limits)).toBe('Enter whole numbers from 1 to 4096, separated by commas.')
    expect(numberListProblem(Array(33).fill('1').join(','), limits)).toBe('At most 32 values (there are 33).')
  })
})

describe('the editor against the host budget', () => {
  it('refuses a draft over the budget it is given and shows the estimate against it', () => {
    const recipe = getPreset('patterns-3')!
    const roomy = validateDraft(recipe)
    expect(roomy.ok).toBe(true)
    expect(roomy.budget).toEqual(DEFAULT_BUDGET)
    const lines = estimateLines(roomy.estimate!, roomy.budget)
    expect(lines.map((l) => l.label)).toEqual(['parameters', 'memory', 'snapshots', 'time'])
    expect(lines[0].value).toBe('1,341')
    expect(lines[1]).toMatchObject({ value: expect.stringMatching(/ MB of 2 GB$/), over: false })
    // The same recipe under a 50 MB host budget: not ready, the memory line over, the field named.
    const tight = validateDraft(recipe, { memoryBytes: 0.05e9, snapshotBytes: 1e9 })
    expect(tight.ok).toBe(false)
    expect(Object.values(tight.errors).join(' ')).toMatch(/the memory budget for a run is 50 MB/)
    expect(estimateLines(tight.estimate!, tight.budget)[1].over).toBe(true)
    expect(formatDuration(0.2)).toBe('under a second')
    expect(formatDuration(447)).toBe('about 7 min')
  })
})
