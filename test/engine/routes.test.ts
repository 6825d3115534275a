/**
 * Every training route against the reference route, on the same models and
 * data (src/engine/routes/): a route cannot drift from the layers silently.
 *
 *   route × backend            models                                   agreement with the reference
 *   tiny-wasm × simd, relaxed  every tiny layer combination (lesson 000/001)  float64: forward, evaluation, predicted
 *                                                                        classes and finite differences bit for bit;
 *                                                                        backprop steps 1e-12 (the module sums a batch
 *                                                                        in another order). float32: 2e-5 / 1e-4.
 *   fused-simd × simd, relaxed MNIST-shaped CNNs, MLP (float32)          2e-5 forward, 1e-4 after training steps
 *   reference × simd           the same models in float64                bit for bit (the SIMD GEMM is exact in float64)
 *   two cores (fused-simd)     small MNIST-shaped CNN, the host's helper  float32 sums in another order: 1e-4
 *
 * Each with and without augmentation (shifted batches), momentum, and a
 * short last batch. The reference is always the layers on the reference
 * backend (plain TypeScript).
 */
// Must come first: switches on relaxed SIMD (Node 20) before any WebAssembly compiles.
import '../../src/host/wasm-features'
import { afterAll, describe, expect, it } from 'vitest'
import type { Backend } from '../../src/shared/training-events'
import type { Dataset } from '../../src/engine/datasets/dataset'
import { backendKernels, resolveBackend } from '../../src/engine/backend'
import { buildDatasets } from '../../src/engine/datasets'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildModel, type Sequential } from '../../src/engine/model'
import { chooseRoute } from '../../src/engine/routes/choose'
import { createFusedSimdRoute, useFusedStages } from '../../src/engine/routes/fused-simd'
import { LayerRoute } from '../../src/engine/routes/layer-route'
import type { TrainingRoute } from '../../src/engine/routes/route'
import { createTinyRoute, type TinyRoute } from '../../src/engine/routes/tiny-wasm'
import { allocate, type Precision } from '../../src/engine/tensor'
import { epochShifts } from '../../src/engine/train/augment'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import { createGradientHelper } from '../../src/host/parallel/gradient-helper'
import type { MetricRow } from '../../src/shared/experiment'
import { MNIST_CASES, TINY_CASES, lcg, randomModel, randomSet, routeContext, type Case } from './route-cases'

const SIMD_BACKENDS: Backend[] = ['simd', 'relaxed-simd']

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string) {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i]
    const same = tolerance === 0 ? Object.is(a, e) || a === e : Math.abs(a - e) <= tolerance * (1 + Math.abs(e))
    if (!same) throw new Error(`${what}[${i}]: route ${a}, reference ${e}`)
  }
}

const weights = (model: Sequential) => model.params().flatMap((p) => Array.from(p.value.data))
const grads = (model: Sequential) => model.params().flatMap((p) => Array.from(p.grad.data))

/** The reference route: the layers on the reference backend, with the same weights as `model`. */
function referenceFor(c: Case, precision: Precision, seed: number, train: Dataset, val: Dataset, batchSize: number, scale: number) {
  const model = randomModel(c.layers, c.shape, precision, seed, 'reference', scale)
  return new LayerRoute('reference', model, routeContext(c, train, val, batchSize))
}

/** Both routes' evaluation of both sets: loss, accuracy and each val sample's predicted class. */
function compareEvaluation(route: TrainingRoute, reference: TrainingRoute, n: { train: number; val: number }, tolerance: number) {
  for (const set of ['train', 'val'] as const) {
    const ours = new Int32Array(n[set]), theirs = new Int32Array(n[set])
    const a = route.evaluate(set, ours)
    const b = reference.evaluate(set, theirs)
    expectClose([a.loss], [b.loss], tolerance, `${set} loss`)
    expect(a.accuracy).toBe(b.accuracy)
    expect(Array.from(ours)).toEqual(Array.from(theirs))
  }
}

/** Three batches (the last one short) of the same shuffled order, shifted or not; weights compared after each. */
function compareSteps(route: TrainingRoute, reference: TrainingRoute, trainCount: number, batchSize: number, augment: boolean, tolerance: number) {
  const order = Int32Array.from({ length: trainCount }, (_, i) => (i * 7) % trainCount)
  const shifts = augment ? epochShifts(3, 1, trainCount, 2) : null
  for (let start = 0; start < trainCount; start += batchSize) {
    const count = Math.min(batchSize, trainCount - start)
    const a = route.trainBatch(order, start, count, shifts, 0.1, 0.9)
    const b = reference.trainBatch(order, start, count, shifts, 0.1, 0.9)
    route.syncWeights()
    expectClose([a], [b], tolerance, `batch at ${start}: loss`)
    expectClose(weights(route.model), weights(reference.model), tolerance, `batch at ${start}: weight`)
  }
}

describe('the backend switch', () => {
  it('resolves a request against the runtime, and names the variable when the value is wrong', () => {
    expect(resolveBackend('reference')).toBe('reference')
    expect(resolveBackend('simd')).toBe('simd')
    expect(resolveBackend(undefined)).toBe('relaxed-simd') // this file enables relaxed SIMD first
    expect(() => resolveBackend('fast')).toThrow(/CNN_LAB_KERNELS: "fast" is not one of reference, simd, relaxed-simd/)
  })

  it('hands out each backend\'s kernels as values', () => {
    expect(backendKernels('reference').simd).toBeNull()
    expect(backendKernels('reference').tiny).toBeNull()
    expect(backendKernels('simd').tiny!().fusedMultiplyAdd()).toBe(0)
    expect(backendKernels('relaxed-simd').tiny!().fusedMultiplyAdd()).toBe(1)
  })
})

describe('chooseRoute: one place, readable reasons', () => {
  const small = randomSet(40, [1, 8, 8], 3, 'float32', 1)
  const digits = randomSet(40, [1, 28, 28], 10, 'float32', 1)
  const pick = (c: Case, precision: Precision, backend: Backend, set: Dataset) => {
    const data = precision === 'float32' ? set : randomSet(40, c.shape, c.classes, precision, 1)
    const model = randomModel(c.layers, c.shape, precision, 1, backend)
    return chooseRoute(model, backendKernels(backend), routeContext(c, data, data, 16)).summary
  }
  it('tiny models take the tiny module, bigger float32 ones the fused SIMD kernels, the rest the layers', () => {
    expect(pick(TINY_CASES[0], 'float32', 'simd', small)).toEqual({ id: 'tiny-wasm', cores: 1, backend: 'simd', label: 'tiny-model WebAssembly, one core' })
    expect(pick(TINY_CASES[0], 'float64', 'relaxed-simd', small).id).toBe('tiny-wasm')
    expect(pick(MNIST_CASES[0], 'float32', 'relaxed-simd', digits)).toEqual({ id: 'fused-simd', cores: 1, backend: 'relaxed-simd', label: 'fused SIMD, one core' })
    expect(pick(MNIST_CASES[0], 'float64', 'simd', digits).label).toBe('reference layers, one core')
    expect(pick(TINY_CASES[0], 'float32', 'reference', small).label).toBe('reference layers, one core')
  })

  it('leaves big models, dropout and labels the loss rejects out of the tiny module', () => {
    const kernels = backendKernels('simd')
    const big = randomModel(MNIST_CASES[2].layers, [1, 28, 28], 'float32', 1, 'simd')
    const ctx = (c: Case, train: Dataset) => routeContext(c, train, train, 10)
    expect(createTinyRoute(big, kernels, ctx(MNIST_CASES[2], digits))).toBeNull()
    const dropoutCase: Case = { ...TINY_CASES[1], layers: [{ type: 'flatten' }, { type: 'dropout', p: 0.5 }, { type: 'linear', inFeatures: 64, outFeatures: 3, bias: true }] }
    const dropout = buildModel({ layers: dropoutCase.layers }, [1, 8, 8], 'float32', { initialise: false, backend: 'simd', rng: { next: lcg(1) } })
    expect(createTinyRoute(dropout, kernels, ctx(dropoutCase, small))).toBeNull()
    const mlp = randomModel(TINY_CASES[1].layers, [1, 8, 8], 'float32', 1, 'simd')
    const bad = { ...small, y: Int32Array.from(small.y, () => 7) }
    expect(createTinyRoute(mlp, kernels, ctx(TINY_CASES[1], bad))).toBeNull()
    expect(createTinyRoute(mlp, kernels, ctx(TINY_CASES[1], small))).not.toBeNull()
  })
})

for (const backend of SIMD_BACKENDS) {
  describe(`tiny-wasm on ${backend} vs the reference layers`, () => {
    for (const precision of ['float64', 'float32'] as const) {
      const exact = precision === 'float64'
      for (const c of TINY_CASES) {
        describe(`${c.name}, ${precision}`, () => {
          const setup = (trainCount: number, batchSize: number) => {
            const train = randomSet(trainCount, c.shape, c.classes, precision, 11)
            const val = randomSet(21, c.shape, c.classes, precision, 12)
            const model = randomModel(c.layers, c.shape, precision, 7, backend)
            const route = createTinyRoute(model, backendKernels(backend), routeContext(c, train, val, batchSize))
            if (!route) throw new Error('the tiny route did not take a tiny model')
            return { train, val, route: route as TinyRoute, reference: referenceFor(c, precision, 7, train, val, batchSize, 1) }
          }

          it('outputs, evaluation, predicted classes and the finite-difference loss match', () => {
            // 300 samples: two evaluation chunks, the second not a multiple of the vector width.
            const { train, route, reference } = setup(300, 18)
            const n = 256
            const size = train.x.data.length / train.y.length
            const x = { shape: [n, ...c.shape], data: train.x.data.subarray(0, n * size) }
            expectClose(route.outputs('train'), reference.model.forward(x, false).data, exact ? 0 : 2e-5, 'outputs')
            compareEvaluation(route, reference, { train: 300, val: 21 }, exact ? 0 : 2e-5)
            const mean = reference.loss.compute(reference.model.forward(train.x, false), train.y, false).loss
            expectClose([route.meanTrainLoss()], [mean], exact ? 0 : 2e-5, 'mean loss')
          })

          it('a finite-difference step matches', () => {
            const { route, reference } = setup(37, 37)
            reference.finiteDifferenceStep(0.01, 0.5)
            route.finiteDifferenceStep(0.01, 0.5, 0.9)
            route.syncWeights()
            // float32: a gradient is a difference of two nearby losses / 0.02, so it keeps fewer digits.
            expectClose(grads(route.model), grads(reference.model), exact ? 0 : 5e-3, 'gradient')
            expectClose(weights(route.model), weights(reference.model), exact ? 0 : 5e-3, 'weight')
          })

          for (const augment of [false, true]) {
            it(`backprop steps match${augment ? ', shifted batches' : ''} (batch not a multiple of the vector width, momentum)`, () => {
              const { route, reference } = setup(37, 18)
              // The module sums each batch in another order: float64 agrees to rounding, not to the bit.
              compareSteps(route, reference, 37, 18, augment, exact ? 1e-12 : 1e-4)
              expectClose(grads(route.model), grads(reference.model), exact ? 1e-12 : 1e-4, 'gradient')
              compareEvaluation(route, reference, { train: 37, val: 21 }, exact ? 1e-12 : 1e-4)
            })
          }
        })
      }
    }
  })
}

describe('fused-simd and the reference route on a SIMD backend vs the reference layers', () => {
  const combos: { backend: Backend; precision: Precision; id: 'fused-simd' | 'reference' }[] = [
    { backend: 'simd', precision: 'float32', id: 'fused-simd' },
    { backend: 'relaxed-simd', precision: 'float32', id: 'fused-simd' },
    { backend: 'simd', precision: 'float64', id: 'reference' },
  ]
  for (const { backend, precision, id } of combos) {
    const exact = precision === 'float64'
    for (const c of MNIST_CASES) {
      for (const augment of [false, true]) {
        it(`${id} on ${backend}, ${precision}: ${c.name}${augment ? ', shifted batches' : ''}`, () => {
          // 40 samples in batches of 16: the last is short. Weights scaled for O(1) logits.
          const train = randomSet(40, c.shape, c.classes, precision, 21)
          const val = randomSet(30, c.shape, c.classes, precision, 22)
          const model = randomModel(c.layers, c.shape, precision, 9, backend, 0.2)
          const route = chooseRoute(model, backendKernels(backend), routeContext(c, train, val, 16))
          expect(route.summary.id).toBe(id)
          const reference = referenceFor(c, precision, 9, train, val, 16, 0.2)
          compareEvaluation(route, reference, { train: 40, val: 30 }, exact ? 0 : 2e-5)
          compareSteps(route, reference, 40, 16, augment, exact ? 0 : 1e-4)
          compareEvaluation(route, reference, { train: 40, val: 30 }, exact ? 0 : 1e-4)
        })
      }
    }
  }

  it('fused conv → ReLU → pool matches the three layers on odd geometries: output, dX, dW, db', () => {
    // [in, out, size, kernel, stride, padding]: MNIST's two layers, no padding, odd widths, stride 2, kernel 4.
    const geometries = [[1, 32, 28, 3, 1, 1], [32, 64, 14, 3, 1, 1], [1, 4, 10, 3, 1, 0], [1, 3, 7, 3, 1, 1], [3, 5, 9, 3, 2, 1], [2, 6, 11, 4, 1, 2]]
    for (const backend of SIMD_BACKENDS) {
      for (const [ci, co, size, k, stride, padding] of geometries) {
        const c: Case = {
          name: 'block', shape: [ci, size, size], classes: 0, loss: 'softmax-cross-entropy',
          layers: [{ type: 'conv2d', inChannels: ci, outChannels: co, kernelSize: k, stride, padding, bias: true }, { type: 'relu' }, { type: 'maxpool2d', kernelSize: 2 }],
        }
        const run = (fused: boolean) => {
          const model = buildModel({ layers: c.layers }, c.shape, 'float32', { inputGradient: true, backend: fused ? backend : 'reference' })
          if (fused) useFusedStages(model, backendKernels(backend))
          const next = lcg(31)
          for (const p of model.params()) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] = next()
          const x = { shape: [3, ...c.shape], data: Float32Array.from({ length: 3 * ci * size * size }, lcg(33)) }
          // A few exact ties and a window with only negatives, to exercise the winner rules.
          x.data.fill(0.25, 0, 6)
          const y = model.forward(x, true)
          const dx = model.backward({ shape: y.shape, data: Float32Array.from({ length: y.data.length }, lcg(34)) })!
          return [y.data.slice(), dx.data.slice(), ...model.params().map((p) => p.grad.data.slice())]
        }
        const fused = run(true), layers = run(false)
        fused.forEach((values, i) => expectClose(values, layers[i], 2e-5, `${backend} ${ci}→${co} ${size}px k${k} s${stride} p${padding}: output ${i}`))
      }
    }
  })

  it('the mnist CNN runs both its blocks fused; the layers inside leave no activation', () => {
    const spec = getPreset('mnist')!.models.find((m) => m.id === 'cnn')!
    const model = buildModel(spec, [1, 28, 28], 'float32', { backend: 'simd' })
    const route = createFusedSimdRoute(model, backendKernels('simd'), routeContext({ name: 'cnn', layers: spec.layers, shape: [1, 28, 28], classes: 10, loss: 'softmax-cross-entropy' }, randomSet(2, [1, 28, 28], 10, 'float32', 1), randomSet(2, [1, 28, 28], 10, 'float32', 2), 2))
    const y = route.model.forward({ shape: [2, 1, 28, 28], data: new Float32Array(2 * 784).fill(0.5) }, true)
    expect(y.shape).toEqual([2, 10])
    expect(model.activations[0]).toBeUndefined()
    expect(model.activations[2]?.shape).toEqual([2, 32, 14, 14])
    expect(model.activations[5]?.shape).toEqual([2, 64, 7, 7])
  })
})

describe('two cores (the host helper thread) vs one', () => {
  const helper = createGradientHelper({ cores: 2 })
  afterAll(() => helper?.close())

  it('fused SIMD split across two cores gives the one-core weights within float32 rounding, evaluation split too', () => {
    expect(helper).not.toBeNull()
    const c = MNIST_CASES[0]
    // 300 val samples: more than one evaluation chunk, so the evaluation splits.
    const train = randomSet(40, c.shape, c.classes, 'float32', 31)
    const val = randomSet(300, c.shape, c.classes, 'float32', 32)
    const two = chooseRoute(randomModel(c.layers, c.shape, 'float32', 5, 'simd', 0.2), backendKernels('simd'), { ...routeContext(c, train, val, 16), parallel: helper! })
    expect(two.summary).toEqual({ id: 'fused-simd', cores: 2, backend: 'simd', label: 'fused SIMD, two cores' })
    const one = chooseRoute(randomModel(c.layers, c.shape, 'float32', 5, 'simd', 0.2), backendKernels('simd'), routeContext(c, train, val, 16))
    const order = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 40)
    const shifts = epochShifts(3, 1, 40, 2)
    for (let start = 0; start < 40; start += 16) {
      const count = Math.min(16, 40 - start)
      two.trainBatch(order, start, count, shifts, 0.1, 0.9)
      one.trainBatch(order, start, count, shifts, 0.1, 0.9)
    }
    expectClose(weights(two.model), weights(one.model), 1e-4, 'weight')
    compareEvaluation(two, one, { train: 40, val: 300 }, 1e-4)
  }, 60_000)
})

describe('lessons through the trainer: the default backend\'s routes vs the reference backend', () => {
  function run(id: string, backend: Backend): { rows: MetricRow[]; routes: string[] } {
    const experiment = getPreset(id)!
    const data = buildDatasets(experiment.dataset, {})
    const rows: MetricRow[] = []
    const routes: string[] = []
    trainToEnd(createTrainer(experiment, data, (e) => {
      if (e.type === 'started') routes.push(...e.models.map((m) => m.route!.label))
      if (e.type === 'epoch') rows.push({ ...e.row, seconds: 0 })
      if (e.type === 'error') throw new Error(e.message)
    }, { backend }))
    return { rows, routes }
  }

  it('edge-detector (float64, finite differences): every metric of every epoch bit for bit', () => {
    const fast = run('edge-detector', 'relaxed-simd'), reference = run('edge-detector', 'reference')
    expect(fast.routes).toEqual(['tiny-model WebAssembly, one core', 'tiny-model WebAssembly, one core'])
    expect(reference.routes).toEqual(['reference layers, one core', 'reference layers, one core'])
    expect(fast.rows).toEqual(reference.rows)
  }, 60_000)

  it('patterns-3 (float32, backprop): same epochs and final accuracies, losses within float32 drift', () => {
    const fast = run('patterns-3', 'simd').rows, layers = run('patterns-3', 'reference').rows
    expect(fast.map((r) => [r.model, r.epoch])).toEqual(layers.map((r) => [r.model, r.epoch]))
    for (let i = 0; i < fast.length; i++) {
      // Epoch 0 is the untrained model: the same weights, so the same numbers up to float32 rounding.
      const tolerance = fast[i].epoch === 0 ? 1e-6 : 2e-3
      expect(Math.abs(fast[i].trainLoss! - layers[i].trainLoss!)).toBeLessThanOrEqual(tolerance * (1 + layers[i].trainLoss!))
      expect(Math.abs(fast[i].valLoss! - layers[i].valLoss!)).toBeLessThanOrEqual(tolerance * (1 + layers[i].valLoss!))
    }
    expect(fast.filter((r) => r.epoch === 80).map((r) => r.valAccuracy)).toEqual(layers.filter((r) => r.epoch === 80).map((r) => r.valAccuracy))
  }, 60_000)
})

describe('Sequential.stateDict / loadWeights', () => {
  const layers = TINY_CASES[0].layers
  it('round-trips the weights as a copy, by PyTorch name', () => {
    const a = randomModel(layers, [1, 8, 8], 'float32', 3, 'reference')
    const state = a.stateDict()
    expect(Object.keys(state)).toEqual(['0.weight', '0.bias', '4.weight', '4.bias'])
    expect(state['4.weight'].shape).toEqual([3, 27])
    state['0.bias'].data[0] = 99
    expect(a.params()[1].value.data[0]).not.toBe(99)
    const b = buildModel({ layers }, [1, 8, 8], 'float32', { initialise: false, backend: 'reference' })
    b.loadWeights(a.stateDict())
    expect(weights(b)).toEqual(weights(a))
    b.loadWeights({ ...a.stateDict(), '0.bias': { shape: [3], data: [1, 2, 3] } })
    expect(Array.from(b.params()[1].value.data)).toEqual([1, 2, 3])
  })

  it('names the first parameter that is missing, misshapen or unknown', () => {
    const model = randomModel(layers, [1, 8, 8], 'float32', 3, 'reference')
    const { '4.bias': _, ...missing } = model.stateDict()
    expect(() => model.loadWeights(missing)).toThrow('the weights do not match the model: "4.bias" is missing')
    const wrong = { ...model.stateDict(), '4.weight': { shape: [3, 28], data: allocate('float32', 84) } }
    expect(() => model.loadWeights(wrong)).toThrow('"4.weight" has shape [3, 28] where the model\'s is [3, 27]')
    expect(() => model.loadWeights({ ...model.stateDict(), '9.weight': { shape: [1], data: [0] } })).toThrow('"9.weight" is not one of its parameters')
  })
})
