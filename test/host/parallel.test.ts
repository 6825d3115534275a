import { afterAll, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildDatasets } from '../../src/engine/datasets'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import { mayTrainOnTwoCores, type DataParallel } from '../../src/engine/train/data-parallel'
import { PRESET_IDS } from '../../src/engine/experiment/presets'
import { loadMnistSource } from '../../src/host/mnist-source'
import { createGradientHelper } from '../../src/host/parallel/gradient-helper'
import type { MetricRow } from '../../src/shared/experiment'

/**
 * The mnist preset, shrunk: 520 training images (the last batch is short: 520 = 8·64 + 8), 2 epochs; both
 * sets are more than one evaluation chunk (256), so their evaluations split too.
 */
function smallMnist() {
  const experiment = getPreset('mnist')!
  experiment.dataset = { ...experiment.dataset, train: { count: 520, seed: 1 }, val: { count: 300, seed: 2 } }
  experiment.training.epochs = 2
  experiment.training.snapshotEpochs = []
  return experiment
}

function train(parallel?: DataParallel) {
  const experiment = smallMnist()
  const data = buildDatasets(experiment.dataset, { mnist: loadMnistSource() })
  const errors: string[] = []
  const rows: MetricRow[] = []
  const routes: string[] = []
  const trainer = createTrainer(experiment, data, (event) => {
    if (event.type === 'started') routes.push(...event.models.map((m) => m.route!.label))
    if (event.type === 'error') errors.push(event.message)
    if (event.type === 'epoch') rows.push(event.row)
  }, { parallel })
  trainToEnd(trainer)
  expect(errors).toEqual([])
  return { rows, routes, weights: Object.fromEntries(experiment.models.map((m) => [m.id, trainer.finalWeights(m.id)])) }
}

describe('two-core data-parallel training (worker thread + SharedArrayBuffer)', () => {
  const helper = createGradientHelper({ cores: 2 })
  afterAll(() => helper?.close())

  it('gives the one-core weights within float32 rounding (CNN and MLP, momentum, a short last batch)', () => {
    expect(helper).not.toBeNull()
    const { rows: oneRows, weights: one } = train()
    let attached = 0
    const counting: DataParallel = {
      cores: helper!.cores,
      attach: (spec, weights, data) => {
        const channel = helper!.attach(spec, weights, data)
        if (channel) attached++
        return channel
      },
      close: () => undefined,
    }
    const { rows: twoRows, routes, weights: two } = train(counting)
    expect(attached).toBe(2) // both the CNN and the MLP split their batches
    expect(routes).toEqual(['fused SIMD, two cores', 'fused SIMD, two cores'])
    for (const model of Object.keys(one)) {
      for (const name of Object.keys(one[model])) {
        const a = one[model][name].data, b = two[model][name].data
        let worst = 0
        let largest = 0
        for (let i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i] - b[i]))
          largest = Math.max(largest, Math.abs(a[i]))
        }
        // 2 epochs × 8 steps of SGD with momentum from the same start: only the order of float32 sums
        // differs. Measured against the tensor's largest weight, since conv2 runs by Winograd, whose
        // weight gradient mixes each 3×3 kernel's entries, so a small weight carries its kernel's rounding.
        const relative = worst / largest
        if (relative > 1e-3) throw new Error(`${model} ${name}: difference ${relative} of the largest weight`)
      }
    }
    // The per-epoch evaluations, half of each set on each thread, agree as closely.
    expect(twoRows.map((r) => [r.model, r.epoch])).toEqual(oneRows.map((r) => [r.model, r.epoch]))
    oneRows.forEach((a, i) => {
      const b = twoRows[i]
      expect(b.trainLoss).toBeCloseTo(a.trainLoss!, 4)
      expect(b.valLoss).toBeCloseTo(a.valLoss!, 4)
      // Weights a rounding apart could tip one borderline image either way.
      expect(Math.abs(b.trainAccuracy! - a.trainAccuracy!)).toBeLessThanOrEqual(1 / 520)
      expect(Math.abs(b.valAccuracy! - a.valAccuracy!)).toBeLessThanOrEqual(1 / 300)
      // The confusion counts cover both halves (the helper's predictions come back through shared memory):
      // every val image counted once, the diagonal matching the accuracy, at most one image moved.
      const counts = b.confusion!
      expect(counts.flat().reduce((x, y) => x + y, 0)).toBe(300)
      expect(counts.reduce((x, row, t) => x + row[t], 0)).toBe(Math.round(b.valAccuracy! * 300))
      const moved = counts.flat().reduce((x, c, j) => x + Math.abs(c - a.confusion!.flat()[j]), 0)
      expect(moved).toBeLessThanOrEqual(2)
    })
  }, 60_000)

  it('a helper started before any model (startNow) trains the same run, and one never used closes cleanly', () => {
    const unused = createGradientHelper({ cores: 2, startNow: true })!
    unused.close()
    const early = createGradientHelper({ cores: 2, startNow: true })!
    try {
      const lazy = train(helper!)
      const eager = train(early)
      expect(eager.routes).toEqual(['fused SIMD, two cores', 'fused SIMD, two cores'])
      // Two runs with two-core helpers are bit-identical to each other; only the seconds differ.
      const untimed = (rows: MetricRow[]) => rows.map(({ seconds: _seconds, ...row }) => row)
      expect(untimed(eager.rows)).toEqual(untimed(lazy.rows))
    } finally {
      early.close()
    }
  }, 60_000)

  it('mayTrainOnTwoCores says yes for every preset where a model asks for the helper, and no for the lessons that never do', () => {
    const mnist = loadMnistSource()
    const asked: string[] = []
    for (const id of PRESET_IDS) {
      const experiment = getPreset(id)!
      // Fashion-MNIST's pictures are 28×28 as MNIST's: the choice only sees shapes, so MNIST stands in (its file is 149 MB).
      if (experiment.dataset.kind === 'fashion') experiment.dataset = { kind: 'mnist', train: experiment.dataset.train, val: experiment.dataset.val, valShift: 0 }
      let attached = false
      const watching: DataParallel = { cores: 2, attach: () => ((attached = true), null), close: () => undefined }
      createTrainer(experiment, buildDatasets(experiment.dataset, { mnist }), () => undefined, { parallel: watching })
      if (attached) asked.push(id)
      if (attached) expect(mayTrainOnTwoCores(experiment), id).toBe(true)
      if (experiment.dataset.kind === 'patterns' || experiment.dataset.kind === 'edges') expect(mayTrainOnTwoCores(experiment), id).toBe(false)
    }
    expect(asked).toContain('mnist')
    const fd = getPreset('mnist')!
    fd.training.gradient = 'finite-difference'
    expect(mayTrainOnTwoCores(fd)).toBe(false)
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
        learningRate: 0.1, momentum: 0, batchSize: 32, backend: 'simd' as const, route: 'fused-simd' as const,
      }
      const none = { x: { shape: [0, 1, 16, 16], data: new Float32Array(0) }, y: new Int32Array(0), classes: [] }
      expect(() => broken.attach(spec, [], { train: none, val: none })).toThrow(/gradient helper/)
    } finally {
      broken.close()
    }
  }, 30_000)
})
