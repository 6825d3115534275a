import { afterAll, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildDatasets } from '../../src/engine/datasets'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import type { DataParallel } from '../../src/engine/train/data-parallel'
import { loadMnistSource } from '../../src/host/mnist-source'
import { createGradientHelper } from '../../src/host/parallel/gradient-helper'

/** The mnist preset, shrunk: 200 training images (the last batch is short: 200 = 3·64 + 8), 2 epochs. */
function smallMnist() {
  const experiment = getPreset('mnist')!
  experiment.dataset = { ...experiment.dataset, train: { count: 200, seed: 1 }, val: { count: 32, seed: 2 } }
  experiment.training.epochs = 2
  experiment.training.snapshotEpochs = []
  return experiment
}

function train(parallel?: DataParallel) {
  const experiment = smallMnist()
  const data = buildDatasets(experiment.dataset, { mnist: loadMnistSource() })
  const errors: string[] = []
  const trainer = createTrainer(experiment, data, (event) => {
    if (event.type === 'error') errors.push(event.message)
  }, { parallel })
  trainToEnd(trainer)
  expect(errors).toEqual([])
  return Object.fromEntries(experiment.models.map((m) => [m.id, trainer.finalWeights(m.id)]))
}

describe('two-core data-parallel training (worker thread + SharedArrayBuffer)', () => {
  const helper = createGradientHelper({ cores: 2 })
  afterAll(() => helper?.close())

  it('gives the one-core weights within float32 rounding (CNN and MLP, momentum, a short last batch)', () => {
    expect(helper).not.toBeNull()
    const one = train()
    let attached = 0
    const counting: DataParallel = {
      cores: helper!.cores,
      attach: (spec, weights) => {
        const channel = helper!.attach(spec, weights)
        if (channel) attached++
        return channel
      },
      close: () => undefined,
    }
    const two = train(counting)
    expect(attached).toBe(2) // both the CNN and the MLP split their batches
    for (const model of Object.keys(one)) {
      for (const name of Object.keys(one[model])) {
        const a = one[model][name].data, b = two[model][name].data
        let worst = 0
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(a[i])))
        // 2 epochs × 4 steps of SGD with momentum from the same start: only the order of float32 sums differs.
        if (worst > 1e-3) throw new Error(`${model} ${name}: relative difference ${worst}`)
      }
    }
  }, 60_000)

  it('one core asked for gives no helper', () => {
    expect(createGradientHelper({ cores: 1 })).toBeNull()
  })

  it('a helper failure surfaces as the run error', () => {
    const broken = createGradientHelper({ cores: 2 })!
    try {
      // The MLP expects 784 features: a replica for 16×16 images cannot be built, in the helper.
      const mlp = getPreset('mnist')!.models.find((m) => m.id === 'mlp')!
      const spec = {
        model: mlp, inputShape: [1, 16, 16], precision: 'float32' as const, loss: 'softmax-cross-entropy' as const,
        learningRate: 0.1, momentum: 0, batchSize: 32,
      }
      expect(() => broken.attach(spec, [])).toThrow(/gradient helper/)
    } finally {
      broken.close()
    }
  }, 30_000)
})
