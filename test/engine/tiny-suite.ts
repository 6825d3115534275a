/**
 * The tiny-model fast path (src/engine/train/fast-path.ts, kernels/wasm/tiny.as)
 * against the readable TypeScript layers it replaces: forward outputs, the
 * trainer's evaluation, finite differences and a backprop step, on models
 * covering every layer type it runs, in float64 (bit for bit) and float32
 * (within rounding); then whole lesson runs through the trainer both ways.
 * Run by tiny-kernels.test.ts (base SIMD build) and tiny-kernels-fma.test.ts
 * (relaxed-SIMD build, fused float32 multiply-add).
 */
import { describe, expect, it } from 'vitest'
import type { LayerSpec, TrainingSpec } from '../../src/shared/experiment'
import type { Dataset } from '../../src/engine/datasets/dataset'
import { buildDatasets } from '../../src/engine/datasets'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildModel, type Sequential } from '../../src/engine/model'
import { createLoss } from '../../src/engine/loss/index'
import { SGD } from '../../src/engine/optim/sgd'
import { allocate, type Precision, type Tensor } from '../../src/engine/tensor'
import { finiteDifferenceGradients } from '../../src/engine/train/finite-difference'
import { createFastPath, setTinyFastPath, type FastPath } from '../../src/engine/train/fast-path'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import type { MetricRow } from '../../src/shared/experiment'

export function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  }
}

function randomSet(n: number, shape: number[], classes: number, precision: Precision, seed: number): Dataset {
  const next = lcg(seed)
  const size = shape.reduce((a, b) => a * b, 1)
  const data = allocate(precision, n * size)
  for (let i = 0; i < data.length; i++) data[i] = next() * 2
  const y = Int32Array.from({ length: n }, () => Math.floor((next() + 0.5) * classes) % classes)
  return { x: { shape: [n, ...shape], data }, y, classes: Array.from({ length: classes }, (_, i) => `c${i}`) }
}

/** A model with every weight and bias drawn from `seed` (biases too, so the bias's place in each sum is tested). */
function randomModel(layers: LayerSpec[], shape: number[], precision: Precision, seed: number): Sequential {
  const model = buildModel({ layers }, shape, precision, { initialise: false })
  const next = lcg(seed)
  for (const param of model.params()) for (let i = 0; i < param.value.data.length; i++) param.value.data[i] = next()
  return model
}

interface Case {
  name: string
  layers: LayerSpec[]
  shape: number[]
  classes: number
  loss: TrainingSpec['loss']
}

const conv = (inChannels: number, outChannels: number, kernelSize: number, stride = 1, padding = 0, bias = true): LayerSpec =>
  ({ type: 'conv2d', inChannels, outChannels, kernelSize, stride, padding, bias })
const linear = (inFeatures: number, outFeatures: number, bias = true): LayerSpec => ({ type: 'linear', inFeatures, outFeatures, bias })

const CASES: Case[] = [
  {
    name: 'TinyCNN (conv 1→3 3×3, relu, maxpool 2, linear)',
    layers: [conv(1, 3, 3), { type: 'relu' }, { type: 'maxpool2d', kernelSize: 2 }, { type: 'flatten' }, linear(27, 3)],
    shape: [1, 8, 8], classes: 3, loss: 'softmax-cross-entropy',
  },
  {
    name: 'TinyMLP (64→18→3)',
    layers: [{ type: 'flatten' }, linear(64, 18), { type: 'relu' }, linear(18, 3)],
    shape: [1, 8, 8], classes: 3, loss: 'softmax-cross-entropy',
  },
  {
    name: 'two channels, padding 1, linear without bias',
    layers: [conv(2, 3, 3, 1, 1), { type: 'relu' }, { type: 'maxpool2d', kernelSize: 2 }, { type: 'flatten' }, linear(48, 5, false)],
    shape: [2, 8, 8], classes: 5, loss: 'softmax-cross-entropy',
  },
  {
    name: 'stride 2 without bias, overlapping 3×3 pool (stride 1), two linears',
    layers: [
      conv(1, 2, 3, 2, 1, false), { type: 'relu' }, { type: 'maxpool2d', kernelSize: 3, stride: 1 }, { type: 'flatten' },
      linear(18, 6), { type: 'relu' }, linear(6, 4),
    ],
    shape: [1, 9, 9], classes: 4, loss: 'softmax-cross-entropy',
  },
  {
    name: 'two convs (the second needs dL/dx of its input)',
    layers: [conv(1, 2, 3), { type: 'relu' }, conv(2, 2, 3, 1, 1), { type: 'relu' }, { type: 'flatten' }, linear(72, 3)],
    shape: [1, 8, 8], classes: 3, loss: 'softmax-cross-entropy',
  },
  {
    name: "lesson 000's conv detector (conv 3×3, global max, sigmoid)",
    layers: [conv(1, 1, 3), { type: 'globalmaxpool2d' }, { type: 'sigmoid' }],
    shape: [1, 8, 8], classes: 2, loss: 'binary-cross-entropy',
  },
  {
    name: "lesson 000's FC detector (linear 64→1, sigmoid)",
    layers: [{ type: 'flatten' }, linear(64, 1), { type: 'sigmoid' }],
    shape: [1, 8, 8], classes: 2, loss: 'binary-cross-entropy',
  },
]

/** The trainer's evaluation (trainer.ts), on the TypeScript layers. */
function referenceEvaluate(model: Sequential, set: Dataset, kind: TrainingSpec['loss']) {
  const loss = createLoss(kind)
  const n = set.y.length
  const size = set.x.data.length / n
  let lossSum = 0
  let correct = 0
  for (let start = 0; start < n; start += 256) {
    const count = Math.min(256, n - start)
    const x: Tensor = { shape: [count, ...set.x.shape.slice(1)], data: set.x.data.subarray(start * size, (start + count) * size) }
    const y = set.y.subarray(start, start + count)
    const out = model.forward(x, false)
    lossSum += loss.compute(out, y, false).loss * count
    correct += loss.countCorrect(out, y)
  }
  return { loss: lossSum / n, accuracy: correct / n }
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, exact: boolean, tolerance: number, what: string) {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]
    const e = expected[i]
    if (exact ? !Object.is(a, e) && !(a === e) : !(Math.abs(a - e) <= tolerance * (1 + Math.abs(e)))) {
      throw new Error(`${what}[${i}]: fast path ${a}, layers ${e}`)
    }
  }
}

function setup(c: Case, precision: Precision, trainCount: number, batchSize: number) {
  const train = randomSet(trainCount, c.shape, c.classes, precision, 11)
  const val = randomSet(21, c.shape, c.classes, precision, 12)
  const reference = randomModel(c.layers, c.shape, precision, 7)
  const model = randomModel(c.layers, c.shape, precision, 7)
  const fast = createFastPath(model, c.loss, train, val, batchSize)
  if (!fast) throw new Error('the fast path did not take a tiny model')
  return { train, val, reference, model, fast: fast as FastPath }
}

const weights = (model: Sequential) => model.params().flatMap((p) => Array.from(p.value.data))
const grads = (model: Sequential) => model.params().flatMap((p) => Array.from(p.grad.data))

export function tinyFastPathSuite(): void {
describe('tiny fast path vs the TypeScript layers', () => {
  for (const precision of ['float64', 'float32'] as const) {
    const exact = precision === 'float64'
    const tolerance = exact ? 0 : 2e-5
    for (const c of CASES) {
      describe(`${c.name}, ${precision}`, () => {
        it('forward, evaluation and the finite-difference loss match', () => {
          // 300 samples: two evaluation chunks, the second not a multiple of the vector width.
          const { train, val, reference, fast } = setup(c, precision, 300, 18)
          for (const [which, set] of [['train', train], ['val', val]] as const) {
            const n = Math.min(256, set.y.length)
            const size = set.x.data.length / set.y.length
            const x: Tensor = { shape: [n, ...c.shape], data: set.x.data.subarray(0, n * size) }
            expectClose(fast.outputs(which), reference.forward(x, false).data, exact, tolerance, `${which} outputs`)
            const ours = fast.evaluate(which)
            const theirs = referenceEvaluate(reference, set, c.loss)
            expect(ours.accuracy).toBe(theirs.accuracy)
            expectClose([ours.loss], [theirs.loss], exact, tolerance, `${which} loss`)
          }
          const loss = createLoss(c.loss)
          const mean = loss.compute(reference.forward(train.x, false), train.y, false).loss
          expectClose([fast.meanTrainLoss()], [mean], exact, tolerance, 'mean loss')
        })

        it('a finite-difference step matches', () => {
          const { train, reference, model, fast } = setup(c, precision, 37, 37)
          finiteDifferenceGradients(reference, train, createLoss(c.loss), 0.01)
          new SGD(reference.params(), { learningRate: 0.5 }).step()
          fast.finiteDifferenceStep(0.01, 0.5, 0)
          fast.syncModel()
          // float32: a gradient is a difference of two nearby losses / 0.02, so it keeps fewer digits.
          expectClose(grads(model), grads(reference), exact, exact ? 0 : 5e-3, 'gradient')
          expectClose(weights(model), weights(reference), exact, exact ? 0 : 5e-3, 'weight')
        })

        it('backprop steps match (batch not a multiple of the vector width, momentum)', () => {
          const { train, reference, model, fast } = setup(c, precision, 37, 18)
          const order = Int32Array.from({ length: 37 }, (_, i) => (i * 7) % 37)
          const loss = createLoss(c.loss)
          const sgd = new SGD(reference.params(), { learningRate: 0.1, momentum: 0.9 })
          const size = train.x.data.length / 37
          for (const [start, count] of [[0, 18], [18, 18], [36, 1]]) {
            const x = allocate(precision, count * size)
            const y = new Int32Array(count)
            for (let s = 0; s < count; s++) {
              x.set(train.x.data.subarray(order[start + s] * size, (order[start + s] + 1) * size), s * size)
              y[s] = train.y[order[start + s]]
            }
            const out = reference.forward({ shape: [count, ...c.shape], data: x }, true)
            reference.backward(loss.compute(out, y).grad!)
            sgd.step()
            fast.trainBatch(order, start, count, 0.1, 0.9)
            fast.syncModel()
            // Sums over the batch are taken in a different order: float64 agrees to rounding, not to the bit.
            expectClose(grads(model), grads(reference), false, exact ? 1e-12 : 1e-4, 'gradient')
            expectClose(weights(model), weights(reference), false, exact ? 1e-12 : 1e-4, 'weight')
          }
        })
      })
    }
  }

  it('leaves big models, dropout and labels the loss rejects to the layers', () => {
    const set = randomSet(10, [1, 28, 28], 10, 'float32', 1)
    const big = randomModel([{ type: 'flatten' }, linear(784, 128), { type: 'relu' }, linear(128, 10)], [1, 28, 28], 'float32', 1)
    expect(createFastPath(big, 'softmax-cross-entropy', set, set, 10)).toBeNull()
    const small = randomSet(10, [1, 8, 8], 3, 'float32', 1)
    const dropout = randomModel([{ type: 'flatten' }, { type: 'dropout', p: 0.5 }, linear(64, 3)], [1, 8, 8], 'float32', 1)
    expect(createFastPath(dropout, 'softmax-cross-entropy', small, small, 10)).toBeNull()
    const mlp = randomModel(CASES[1].layers, [1, 8, 8], 'float32', 1)
    const bad = { ...small, y: Int32Array.from(small.y, () => 7) }
    expect(createFastPath(mlp, 'softmax-cross-entropy', bad, small, 10)).toBeNull()
    expect(createFastPath(mlp, 'softmax-cross-entropy', small, small, 10)).not.toBeNull()
  })

})

describe('lessons through the trainer, fast path vs layers', () => {
  function rows(id: string, fast: boolean): MetricRow[] {
    const experiment = getPreset(id)!
    const data = buildDatasets(experiment.dataset, {})
    const previous = setTinyFastPath(fast)
    try {
      const out: MetricRow[] = []
      trainToEnd(createTrainer(experiment, data, (e) => {
        if (e.type === 'epoch') out.push({ ...e.row, seconds: 0 })
        if (e.type === 'error') throw new Error(e.message)
      }))
      return out
    } finally {
      setTinyFastPath(previous)
    }
  }

  it('edge-detector (float64, finite differences): every metric of every epoch bit for bit', () => {
    expect(rows('edge-detector', true)).toEqual(rows('edge-detector', false))
  }, 60_000)

  it('patterns-3 (float32, backprop): same epochs and accuracies, losses within float32 drift', () => {
    const fast = rows('patterns-3', true)
    const layers = rows('patterns-3', false)
    expect(fast.map((r) => [r.model, r.epoch])).toEqual(layers.map((r) => [r.model, r.epoch]))
    // Epoch 0 is the untrained model: the same weights, so the same numbers up to float32 rounding.
    for (let i = 0; i < fast.length; i++) {
      const tolerance = fast[i].epoch === 0 ? 1e-6 : 2e-3
      expect(Math.abs(fast[i].trainLoss! - layers[i].trainLoss!)).toBeLessThanOrEqual(tolerance * (1 + layers[i].trainLoss!))
      expect(Math.abs(fast[i].valLoss! - layers[i].valLoss!)).toBeLessThanOrEqual(tolerance * (1 + layers[i].valLoss!))
    }
    expect(fast.filter((r) => r.epoch === 80).map((r) => r.valAccuracy)).toEqual(layers.filter((r) => r.epoch === 80).map((r) => r.valAccuracy))
  }, 60_000)
})
}
