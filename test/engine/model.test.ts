import { describe, expect, it } from 'vitest'
import type { InitSpec, LayerSpec } from '../../src/shared/experiment'
import { fanIn, initialiseParams } from '../../src/engine/init'
import { SoftmaxCrossEntropy } from '../../src/engine/loss/softmax-cross-entropy'
import { buildModel, inferShapes } from '../../src/engine/model'
import { SGD } from '../../src/engine/optim/sgd'
import { PythonRandom } from '../../src/engine/python-random'
import { Rng } from '../../src/engine/rng'
import type { Tensor } from '../../src/engine/tensor'

const conv = (c: number, o: number, k: number, padding = 0): LayerSpec =>
  ({ type: 'conv2d', inChannels: c, outChannels: o, kernelSize: k, stride: 1, padding, bias: true })
const linear = (i: number, o: number): LayerSpec => ({ type: 'linear', inFeatures: i, outFeatures: o, bias: true })
const relu: LayerSpec = { type: 'relu' }
const flatten: LayerSpec = { type: 'flatten' }
const pool2: LayerSpec = { type: 'maxpool2d', kernelSize: 2 }

const tinyCnn = (classes: number): LayerSpec[] => [conv(1, 3, 3), relu, pool2, flatten, linear(27, classes)]
const tinyMlp = (classes: number): LayerSpec[] => [flatten, linear(64, 18), relu, linear(18, classes)]
const mnistCnn: LayerSpec[] = [
  conv(1, 32, 3, 1), relu, pool2, conv(32, 64, 3, 1), relu, pool2, flatten, linear(3136, 128), relu, linear(128, 10),
]
const mnistMlp: LayerSpec[] = [flatten, linear(784, 128), relu, linear(128, 10)]
const he: InitSpec = { scheme: 'he-normal', seed: 1 }

describe('parameter counts', () => {
  const cases: [string, LayerSpec[], number[], number][] = [
    ['TinyCNN, 3 classes', tinyCnn(3), [1, 8, 8], 114],
    ['TinyMLP, 3 classes', tinyMlp(3), [1, 8, 8], 1227],
    ['TinyCNN, 4 classes', tinyCnn(4), [1, 8, 8], 142],
    ['TinyMLP, 4 classes', tinyMlp(4), [1, 8, 8], 1246],
    ['lesson 003 CNN', mnistCnn, [1, 28, 28], 421_642],
    ['lesson 003 MLP', mnistMlp, [1, 28, 28], 101_770],
  ]
  for (const [name, layers, input, count] of cases) it(`${name} has ${count} parameters`, () => {
    const inferred = inferShapes(layers, input)
    expect(inferred.ok && inferred.parameterCount).toBe(count)
    const model = buildModel({ layers, init: he }, input)
    expect(model.parameterCount).toBe(count)
    expect(model.params().reduce((s, p) => s + p.value.data.length, 0)).toBe(count)
  })

  it('summarises every layer with its output shape', () => {
    const model = buildModel({ layers: tinyCnn(3) }, [1, 8, 8])
    expect(model.summary()).toEqual([
      { index: 0, type: 'conv2d', outputShape: [3, 6, 6], parameterCount: 30 },
      { index: 1, type: 'relu', outputShape: [3, 6, 6], parameterCount: 0 },
      { index: 2, type: 'maxpool2d', outputShape: [3, 3, 3], parameterCount: 0 },
      { index: 3, type: 'flatten', outputShape: [27], parameterCount: 0 },
      { index: 4, type: 'linear', outputShape: [3], parameterCount: 84 },
    ])
    const mnist = buildModel({ layers: mnistCnn }, [1, 28, 28])
    expect(mnist.summary().map((l) => l.outputShape)).toEqual([
      [32, 28, 28], [32, 28, 28], [32, 14, 14], [64, 14, 14], [64, 14, 14], [64, 7, 7], [3136], [128], [128], [10],
    ])
  })
})

describe('naming and layout', () => {
  it('names params by spec index with PyTorch layouts', () => {
    const model = buildModel({ layers: mnistCnn }, [1, 28, 28])
    expect(model.namedParams().map(({ name, param }) => [name, param.value.shape])).toEqual([
      ['0.weight', [32, 1, 3, 3]], ['0.bias', [32]],
      ['3.weight', [64, 32, 3, 3]], ['3.bias', [64]],
      ['7.weight', [128, 3136]], ['7.bias', [128]],
      ['9.weight', [10, 128]], ['9.bias', [10]],
    ])
  })
})

describe('shape errors', () => {
  it('names the layer whose input does not fit, starting with its field path', () => {
    const layers = [conv(1, 3, 3), relu, pool2, flatten, linear(64, 3)]
    const inferred = inferShapes(layers, [1, 8, 8])
    expect(inferred.ok).toBe(false)
    if (!inferred.ok) {
      expect(inferred.error).toBe('layers.4 (linear): expects 64 input features but receives 27')
      expect(inferred.index).toBe(4)
      expect(inferred.layers).toHaveLength(4)
    }
    expect(() => buildModel({ layers }, [1, 8, 8])).toThrow(/^layers\.4 \(linear\): expects 64 input features but receives 27$/)
  })
  it('explains a missing flatten, a channel mismatch and a kernel too big', () => {
    expect(() => buildModel({ layers: [conv(1, 3, 3), linear(108, 2)] }, [1, 8, 8])).toThrow(/^layers\.1 \(linear\): .*flatten/)
    expect(() => buildModel({ layers: [conv(3, 3, 3)] }, [1, 8, 8])).toThrow(/^layers\.0 \(conv2d\): expects 3 input channels but receives 1/)
    expect(() => buildModel({ layers: [conv(1, 3, 9)] }, [1, 8, 8])).toThrow(/^layers\.0 \(conv2d\): kernel 9×9/)
    expect(() => buildModel({ layers: [flatten, conv(1, 3, 3)] }, [1, 8, 8])).toThrow(/^layers\.1 \(conv2d\): expects images/)
    expect(() => buildModel({ layers: [pool2, pool2, pool2, pool2] }, [1, 8, 8])).toThrow(/^layers\.3 \(maxpool2d\)/)
  })
  it('rejects a batch of the wrong sample shape', () => {
    const model = buildModel({ layers: tinyMlp(3) }, [1, 8, 8])
    expect(() => model.forward({ shape: [2, 1, 7, 7], data: new Float32Array(98) }, false)).toThrow(/\[1, 8, 8\]/)
  })
})

describe('initialisation', () => {
  it('he-normal: zero biases, weights with std ≈ sqrt(2 / fan_in)', () => {
    const model = buildModel({ layers: mnistCnn, init: { scheme: 'he-normal', seed: 3 } }, [1, 28, 28])
    for (const { name, param } of model.namedParams()) {
      const d = param.value.data
      if (name.endsWith('bias')) {
        expect(d.every((v) => v === 0)).toBe(true)
        continue
      }
      let ss = 0
      for (const v of d) ss += v * v
      const std = Math.sqrt(ss / d.length)
      const expected = Math.sqrt(2 / fanIn(param))
      expect(Math.abs(std / expected - 1)).toBeLessThan(d.length > 1000 ? 0.05 : 0.3)
    }
    expect(fanIn(model.namedParams()[2].param)).toBe(288)
  })
  it('pytorch-default: weights and biases within ±1/sqrt(fan_in), seeded', () => {
    const a = buildModel({ layers: tinyCnn(3), init: { scheme: 'pytorch-default', seed: 4 } }, [1, 8, 8])
    const b = buildModel({ layers: tinyCnn(3), init: { scheme: 'pytorch-default', seed: 4 } }, [1, 8, 8])
    for (const [i, { param }] of a.namedParams().entries()) {
      const bound = 1 / Math.sqrt(i < 2 ? 9 : 27)
      expect(param.value.data.every((v) => Math.abs(v) <= bound)).toBe(true)
      expect(param.value.data.some((v) => v !== 0)).toBe(true)
      expect(Array.from(param.value.data)).toEqual(Array.from(b.namedParams()[i].param.value.data))
    }
  })
  it('python-gauss / python-uniform draw lesson 000 numbers in PyTorch order, biases zero', () => {
    const fc = buildModel(
      { layers: [flatten, linear(64, 1), { type: 'sigmoid' }], init: { scheme: 'python-gauss', seed: 0, mean: 0, std: 0.1 } },
      [1, 8, 8], 'float64',
    )
    const rng = new PythonRandom(0)
    expect(Array.from(fc.namedParams()[0].param.value.data)).toEqual(Array.from({ length: 64 }, () => rng.gauss(0, 0.1)))
    expect(fc.namedParams()[1].param.value.data[0]).toBe(0)
    const cv = buildModel(
      { layers: [conv(1, 1, 3), { type: 'globalmaxpool2d' }, { type: 'sigmoid' }], init: { scheme: 'python-uniform', seed: 0, low: -0.3, high: 0.3 } },
      [1, 8, 8], 'float64',
    )
    const rng2 = new PythonRandom(0)
    expect(Array.from(cv.namedParams()[0].param.value.data)).toEqual(Array.from({ length: 9 }, () => rng2.uniform(-0.3, 0.3)))
    expect(cv.parameterCount).toBe(10)
    expect(fc.parameterCount).toBe(65)
  })
  it('initialiseParams re-initialises an existing model deterministically', () => {
    const model = buildModel({ layers: tinyMlp(3) }, [1, 8, 8], 'float32', { initialise: false })
    expect(model.params().every((p) => p.value.data.every((v) => v === 0))).toBe(true)
    initialiseParams(model, he)
    const first = Array.from(model.params()[0].value.data)
    initialiseParams(model, he)
    expect(Array.from(model.params()[0].value.data)).toEqual(first)
  })
})

describe('whole-model gradient', () => {
  it('backprop through the TinyCNN matches finite differences of the loss (float64)', () => {
    const model = buildModel({ layers: [conv(1, 2, 3, 1), relu, { type: 'maxpool2d', kernelSize: 2 }, flatten, linear(32, 3)], init: he }, [1, 8, 8], 'float64')
    const rng = new Rng(5)
    const x: Tensor = { shape: [3, 1, 8, 8], data: Float64Array.from({ length: 192 }, () => rng.normal()) }
    const y = [0, 2, 1]
    const loss = new SoftmaxCrossEntropy()
    model.backward(loss.compute(model.forward(x, true), y).grad!)
    const h = 1e-6
    for (const { name, param } of model.namedParams()) {
      const analytic = Float64Array.from(param.grad.data)
      for (let i = 0; i < param.value.data.length; i += 3) {
        const saved = param.value.data[i]
        param.value.data[i] = saved + h
        const up = loss.compute(model.forward(x, false), y, false).loss
        param.value.data[i] = saved - h
        const down = loss.compute(model.forward(x, false), y, false).loss
        param.value.data[i] = saved
        expect(Math.abs((up - down) / (2 * h) - analytic[i]), `${name}[${i}]`).toBeLessThan(1e-7)
      }
    }
  })
})

describe('input gradient', () => {
  it('is skipped by default (backward returns null, param grads unchanged) and returned on request', () => {
    const layers = [conv(1, 2, 3, 1), relu, pool2, flatten, linear(32, 3)]
    const lean = buildModel({ layers, init: he }, [1, 8, 8], 'float64')
    const full = buildModel({ layers, init: he }, [1, 8, 8], 'float64', { inputGradient: true })
    const rng = new Rng(9)
    const x: Tensor = { shape: [2, 1, 8, 8], data: Float64Array.from({ length: 128 }, () => rng.normal()) }
    const loss = new SoftmaxCrossEntropy()
    expect(lean.backward(loss.compute(lean.forward(x, true), [1, 2]).grad!)).toBeNull()
    const dx = full.backward(loss.compute(full.forward(x, true), [1, 2]).grad!)!
    expect(dx.shape).toEqual([2, 1, 8, 8])
    lean.params().forEach((p, i) => expect(Array.from(p.grad.data)).toEqual(Array.from(full.params()[i].grad.data)))
    const h = 1e-6
    for (let i = 0; i < 128; i += 7) {
      const saved = x.data[i]
      x.data[i] = saved + h
      const up = loss.compute(full.forward(x, false), [1, 2], false).loss
      x.data[i] = saved - h
      const down = loss.compute(full.forward(x, false), [1, 2], false).loss
      x.data[i] = saved
      expect(Math.abs((up - down) / (2 * h) - dx.data[i])).toBeLessThan(1e-7)
    }
  })
})

describe('SGD', () => {
  it('follows PyTorch momentum: v = μv + g, p -= lr·v', () => {
    const param = { name: 'weight' as const, value: { shape: [2], data: new Float64Array([1, -1]) }, grad: { shape: [2], data: new Float64Array([0.5, 2]) } }
    const sgd = new SGD([param], { learningRate: 0.1, momentum: 0.9 })
    sgd.step() // v = g
    expect(Array.from(param.value.data)).toEqual([1 - 0.1 * 0.5, -1 - 0.1 * 2])
    sgd.step() // v = 0.9 g + g
    expect(param.value.data[0]).toBeCloseTo(1 - 0.05 - 0.1 * 0.95, 14)
    const plain = new SGD([param], { learningRate: 0.5 })
    const before = param.value.data[1]
    plain.step()
    expect(param.value.data[1]).toBe(before - 0.5 * 2)
  })

  it('trains a linear model on separable data to high accuracy', () => {
    const rng = new Rng(7)
    const n = 200
    const x = new Float32Array(n * 4)
    const y = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      y[i] = i % 2
      for (let j = 0; j < 4; j++) x[i * 4 + j] = rng.normal() * 0.5 + (y[i] ? 1 : -1) * (j < 2 ? 1 : -0.5)
    }
    const model = buildModel({ layers: [flatten, linear(4, 2)], init: { scheme: 'pytorch-default', seed: 1 } }, [4])
    const loss = new SoftmaxCrossEntropy()
    const sgd = new SGD(model.params(), { learningRate: 0.3, momentum: 0.5 })
    const batch = 20
    const bx: Tensor = { shape: [batch, 4], data: new Float32Array(batch * 4) }
    const by = new Int32Array(batch)
    let first = 0
    for (let epoch = 0; epoch < 20; epoch++) {
      for (let b = 0; b < n; b += batch) {
        bx.data.set(x.subarray(b * 4, (b + batch) * 4))
        by.set(y.subarray(b, b + batch))
        const result = loss.compute(model.forward(bx, true), by)
        if (epoch === 0 && b === 0) first = result.loss
        model.backward(result.grad!)
        sgd.step()
      }
    }
    const all = loss.compute(model.forward({ shape: [n, 4], data: x }, false), y, false)
    expect(all.loss).toBeLessThan(first / 3)
    expect(loss.countCorrect(all.predictions, y) / n).toBeGreaterThan(0.97)
  })
})
