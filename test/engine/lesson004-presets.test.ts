/**
 * Lesson 004's presets as the engine builds them: the hand-set edge kernel
 * (a `fixed` init, 0 epochs) marks the step exactly, a fixed init names what
 * is wrong with it, the parameter counts the texts quote are the models',
 * and a trace in train mode uses the picture's own statistics without
 * moving the model's running averages.
 */
import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildDatasets, datasetInfo } from '../../src/engine/datasets'
import { buildModel } from '../../src/engine/model'
import { inferenceTrace, type TraceMode } from '../../src/engine/probes/trace'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import { parseExperiment, type ModelSpec } from '../../src/shared/experiment'
import type { TrainingEvent } from '../../src/shared/training-events'

const kernelOnly = (data: number[]): ModelSpec => ({
  id: 'k',
  label: 'kernel',
  init: { scheme: 'fixed', seed: 0, tensors: { '0.weight': { shape: [1, 1, 1, 2], data } } },
  layers: [{ type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: [1, 2], stride: 1, padding: 0, bias: false }],
})

describe('lesson 004 presets', () => {
  it("reproduces the worked example: [-1, 1] on the 4x4 step picture gives a column of ones", () => {
    const model = buildModel(kernelOnly([-1, 1]), [1, 4, 4])
    const step = Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1])
    const out = model.forward({ shape: [1, 1, 4, 4], data: step }, false)
    expect(out.shape).toEqual([1, 1, 4, 3])
    expect(Array.from(out.data)).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0])
  })

  it('edge-kernel: 0 epochs, the kernel stays as set, and every val line is marked at its left side', () => {
    const experiment = getPreset('edge-kernel')!
    expect(experiment.training.epochs).toBe(0)
    const data = buildDatasets(experiment.dataset)
    const events: TrainingEvent[] = []
    const trainer = createTrainer(experiment, data, (e) => events.push(e))
    trainToEnd(trainer)
    const rows = events.flatMap((e) => (e.type === 'epoch' ? [e.row] : []))
    expect(rows.map((r) => r.epoch)).toEqual([0])
    expect(rows[0].valAccuracy).toBe(1)
    expect(Array.from(trainer.finalWeights('edge')['0.weight'].data)).toEqual([-1, 1])

    const model = buildModel(experiment.models[0], [1, 8, 8])
    const n = data.val.y.length
    for (let i = 0; i < n; i += 2) {
      const picture = { shape: [1, 8, 8], data: data.val.x.data.subarray(i * 64, (i + 1) * 64) }
      const line = Array.from(picture.data.subarray(0, 8)).indexOf(1)
      const map = inferenceTrace(model, picture).stages[1]
      expect(map.shape).toEqual([1, 8, 7])
      for (let r = 0; r < 8; r++) {
        const row = Array.from(map.values.subarray(r * 7, (r + 1) * 7))
        expect(row).toEqual(row.map((_, c) => (c === line - 1 ? 1 : c === line ? -1 : 0)))
      }
    }
  })

  it('a fixed init names the missing, misshapen or unknown tensor', () => {
    const bad = (tensors: Record<string, { shape: number[]; data: number[] }>) =>
      () => buildModel({ ...kernelOnly([0, 0]), init: { scheme: 'fixed', seed: 0, tensors } }, [1, 4, 4])
    expect(bad({})).toThrow(/init\.tensors\.0\.weight: missing/)
    expect(bad({ '0.weight': { shape: [1, 1, 2, 1], data: [1, 2] } })).toThrow(/init\.tensors\.0\.weight: shape \[1, 1, 2, 1\] does not match the parameter's \[1, 1, 1, 2\]/)
    expect(bad({ '0.weight': { shape: [1, 1, 1, 2], data: [1, 2] }, '0.bias': { shape: [1], data: [0] } })).toThrow(/init\.tensors\.0\.bias: the model has no parameter of that name/)
  })

  it('the parameter counts each text quotes are its models\'', () => {
    for (const id of ['stride-vs-pool', '3x3-vs-5x5', 'batchnorm', 'residual', 'depthwise']) {
      const experiment = getPreset(id)!
      const shape = [...datasetInfo(experiment.dataset).inputShape]
      for (const spec of experiment.models) {
        const count = buildModel(spec, shape).parameterCount.toLocaleString('en-US')
        expect(experiment.description, `${id}/${spec.id}`).toContain(count)
      }
    }
  })

  it('a train-mode trace normalises by the picture, leaves the running averages, and eval is the default', () => {
    const parsed = parseExperiment({
      ...getPreset('batchnorm')!,
      dataset: { kind: 'patterns', classes: ['vertical', 'horizontal'], train: { count: 8, seed: 1 }, val: { count: 4, seed: 2 } },
    })
    if (!parsed.ok) throw new Error(parsed.error)
    const spec: ModelSpec = {
      ...parsed.value.models[0],
      layers: [
        { type: 'conv2d', inChannels: 1, outChannels: 4, kernelSize: 3, stride: 1, padding: 1, bias: true },
        { type: 'batchnorm2d', numFeatures: 4, eps: 1e-5, momentum: 0.1 },
        { type: 'relu' },
        { type: 'globalavgpool2d' },
        { type: 'linear', inFeatures: 4, outFeatures: 2, bias: true },
      ],
    }
    const model = buildModel(spec, [1, 8, 8])
    // Running averages as a trained model would have them: far from this picture's statistics.
    const state = Object.fromEntries(model.namedStateList.map((t) => [t.name, t.value]))
    state['1.running_mean'].data.set([0.5, -0.5, 0.2, 0.1])
    state['1.running_var'].data.set([4, 3, 2, 5])
    const before = model.namedStateList.map((t) => Array.from(t.value.data))
    const picture = { shape: [1, 8, 8], data: Float32Array.from({ length: 64 }, (_, i) => (i % 8 === 3 ? 1 : 0)) }
    const inEval = inferenceTrace(model, picture)
    expect(inferenceTrace(model, picture, 'eval').probabilities).toEqual(inEval.probabilities)
    const inTrain = inferenceTrace(model, picture, 'train')
    expect(inTrain.probabilities).not.toEqual(inEval.probabilities)
    // Batch statistics of one picture: each channel of the normalised map has mean 0 (before weight 1, bias 0).
    const norm = inTrain.stages[2]
    for (let c = 0; c < 4; c++) {
      const plane = Array.from(norm.values.subarray(c * 64, (c + 1) * 64))
      expect(Math.abs(plane.reduce((a, b) => a + b, 0) / 64)).toBeLessThan(1e-5)
    }
    expect(model.namedStateList.map((t) => Array.from(t.value.data))).toEqual(before)
    expect(() => inferenceTrace(model, picture, 'test' as TraceMode)).toThrow(/mode must be "eval" or "train"/)
  })
})
