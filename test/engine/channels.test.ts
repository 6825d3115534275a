/**
 * Three input channels on every training route, each against the reference
 * route (the readable layers, reference backend): the tiny WebAssembly module,
 * the SIMD conv and fused conv block, the two-core split; and the probes
 * (equivariance, robustness, trace) on RGB pictures.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Experiment, type LayerSpec } from '../../src/shared/experiment'
import { buildDatasets, shiftDataset } from '../../src/engine/datasets'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildModel } from '../../src/engine/model'
import { createLoss } from '../../src/engine/loss/index'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import type { DataParallel } from '../../src/engine/train/data-parallel'
import type { Backend } from '../../src/shared/training-events'
import { equivarianceProfile } from '../../src/engine/probes/equivariance'
import { shiftRobustness } from '../../src/engine/probes/robustness'
import { inferenceTrace, sampleOf } from '../../src/engine/probes/trace'
import { createGradientHelper } from '../../src/host/parallel/gradient-helper'
import type { MetricRow } from '../../src/shared/experiment'

type Weights = Record<string, Record<string, { data: ArrayLike<number> }>>

function train(experiment: Experiment, backend: Backend, parallel?: DataParallel): { rows: MetricRow[]; weights: Weights; routes: Record<string, string> } {
  const data = buildDatasets(experiment.dataset)
  const rows: MetricRow[] = []
  const routes: Record<string, string> = {}
  const trainer = createTrainer(experiment, data, (event) => {
    if (event.type === 'error') throw new Error(event.message)
    if (event.type === 'epoch') rows.push(event.row)
    if (event.type === 'started') for (const m of event.models) routes[m.id] = `${m.route?.id}/${m.route?.cores}`
  }, { parallel, backend })
  trainToEnd(trainer)
  return { rows, routes, weights: Object.fromEntries(experiment.models.map((m) => [m.id, trainer.finalWeights(m.id)])) }
}

/** Largest relative difference between two runs' weights, per model. */
function worstDifference(a: Weights, b: Weights): Record<string, number> {
  const out: Record<string, number> = {}
  for (const model of Object.keys(a)) {
    let worst = 0
    for (const name of Object.keys(a[model])) {
      const x = a[model][name].data
      const y = b[model][name].data
      expect(y.length).toBe(x.length)
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1e-3 + Math.abs(x[i])))
    }
    out[model] = worst
  }
  return out
}

/** A 3-channel CNN too big for the tiny module (16x16 RGB, 16 then 16 filters), on the colour bars. */
function biggerColour(): Experiment {
  const layers: LayerSpec[] = [
    { type: 'conv2d', inChannels: 3, outChannels: 16, kernelSize: 3, stride: 1, padding: 1, bias: true },
    { type: 'relu' },
    { type: 'maxpool2d', kernelSize: 2 },
    { type: 'conv2d', inChannels: 16, outChannels: 16, kernelSize: 3, stride: 1, padding: 1, bias: true },
    { type: 'relu' },
    { type: 'maxpool2d', kernelSize: 2 },
    { type: 'flatten' },
    { type: 'linear', inFeatures: 256, outFeatures: 6, bias: true },
  ]
  return Experiment.parse({
    format: 'cnn-lab.experiment', version: 2, name: 'rgb',
    dataset: { kind: 'colour', size: 16, train: { count: 20, seed: 1 }, val: { count: 10, seed: 2 } },
    models: [{ id: 'cnn', label: 'RGB CNN', init: { scheme: 'he-normal', seed: 3 }, layers }],
    // 120 pictures in batches of 32: the last batch is short.
    training: { epochs: 2, learningRate: 0.02, batchSize: 32, momentum: 0.9, seed: 5 },
  })
}

describe('three input channels on every training path', () => {
  it('the tiny WebAssembly module trains the colour preset as the reference route does', () => {
    const experiment = getPreset('colour')!
    experiment.training.epochs = 3
    const reference = train(experiment, 'reference')
    const fast = train(experiment, 'simd')
    // Both models are small enough for the module, and it takes RGB input.
    expect(fast.routes).toEqual({ cnn: 'tiny-wasm/1', mlp: 'tiny-wasm/1' })
    expect(reference.routes).toEqual({ cnn: 'reference/1', mlp: 'reference/1' })
    const worst = worstDifference(reference.weights, fast.weights)
    expect(worst.cnn).toBeLessThan(1e-3)
    expect(worst.mlp).toBeLessThan(1e-3)
    expect(fast.rows.map((r) => r.valAccuracy)).toEqual(reference.rows.map((r) => r.valAccuracy))
  })

  it('the SIMD conv and fused conv-block route trains an RGB CNN as the reference route does', () => {
    const kernels = train(biggerColour(), 'simd')
    expect(kernels.routes).toEqual({ cnn: 'fused-simd/1' })
    const reference = train(biggerColour(), 'reference')
    expect(worstDifference(reference.weights, kernels.weights).cnn).toBeLessThan(1e-3)
    kernels.rows.forEach((row, i) => expect(row.valLoss).toBeCloseTo(reference.rows[i].valLoss!, 4))
  })

  describe('two cores', () => {
    const helper = createGradientHelper({ cores: 2 })
    afterAll(() => helper?.close())

    it('splits RGB batches across a helper thread and gives the one-core weights', () => {
      expect(helper).not.toBeNull()
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
      const one = train(biggerColour(), 'simd')
      const two = train(biggerColour(), 'simd', counting)
      expect(attached).toBe(1)
      expect(two.routes).toEqual({ cnn: 'fused-simd/2' })
      expect(worstDifference(one.weights, two.weights).cnn).toBeLessThan(1e-3)
    })
  })
})

describe('probes on RGB pictures', () => {
  const experiment = getPreset('colour')!
  const { val } = buildDatasets(experiment.dataset)
  // A padded RGB conv stack, so equivariance holds away from the border.
  const model = buildModel(
    { init: { scheme: 'he-normal', seed: 4 }, layers: [
      { type: 'conv2d', inChannels: 3, outChannels: 4, kernelSize: 3, stride: 1, padding: 1, bias: true },
      { type: 'relu' },
      { type: 'conv2d', inChannels: 4, outChannels: 2, kernelSize: 3, stride: 1, padding: 1, bias: true },
      { type: 'globalmaxpool2d' },
      { type: 'linear', inFeatures: 2, outFeatures: 6, bias: true },
    ] },
    [3, 12, 12],
    'float32',
  )

  it('the trace starts from the [3, 12, 12] picture and carries every channel', () => {
    const input = sampleOf(val, 7)
    expect(input.shape).toEqual([3, 12, 12])
    const trace = inferenceTrace(model, input)
    expect(trace.stages[0].shape).toEqual([3, 12, 12])
    expect(Array.from(trace.stages[0].values)).toEqual(Array.from(input.data))
    expect(trace.stages.map((s) => s.shape)).toEqual([[3, 12, 12], [4, 12, 12], [4, 12, 12], [2, 12, 12], [2], [6], [6]])
  })

  it('equivariance: a moved RGB picture moves the maps, exactly inside the clean interior', () => {
    const profile = equivarianceProfile(model, sampleOf(val, 3), 2, 1)
    const maps = profile.filter((l) => l.kind === 'equivariance')
    expect(maps.map((l) => l.shape[0])).toEqual([4, 4, 2])
    for (const layer of maps) {
      expect(layer.interior).not.toBeNull()
      expect(layer.interiorError!).toBeLessThan(1e-6)
    }
    // Zero fill and padding break it in the border band: the probe would notice a wrong channel stride there.
    expect(maps[0].error).toBeGreaterThan(0)
  })

  it('robustness: the centre of the shift map is the accuracy on unmoved pictures', () => {
    const loss = createLoss('softmax-cross-entropy')
    const map = shiftRobustness(model, val, loss, 1)
    expect(map.accuracy.length).toBe(9)
    const moved = shiftDataset(val, 1, 0)
    expect(moved.x.shape).toEqual([600, 3, 12, 12])
    const out = model.forward(val.x, false)
    expect(map.accuracy[4]).toBeCloseTo(loss.countCorrect(out, val.y) / val.y.length, 10)
  })
})
