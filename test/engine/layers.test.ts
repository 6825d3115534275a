/**
 * Every layer's backward against central finite differences in float64
 * (gradient-check.ts), and the losses and layer rules around them.
 */
import { describe, expect, it } from 'vitest'
import type { LayerSpec } from '../../src/shared/experiment'
import { createLayer, Conv2d, Dropout, type Layer } from '../../src/engine/layers'
import { BinaryCrossEntropy, countCorrectBinary } from '../../src/engine/loss/binary-cross-entropy'
import { SoftmaxCrossEntropy, countCorrectArgmax } from '../../src/engine/loss/softmax-cross-entropy'
import { layerOutputShape } from '../../src/engine/layers'
import type { Tensor } from '../../src/engine/tensor'
import { blockedKernel } from '../../src/engine/kernels/matmul'
import { gradientError, randomArray, randomTensor } from './gradient-check'

/** The float64 check with this file's defaults: seed 99, inference mode, within 1e-6. */
function gradCheck(layer: Layer, x: Tensor, seed = 99, training = false): void {
  expect(gradientError(layer, x, { seed, training })).toBeLessThan(1e-6)
}

function layerFor(spec: LayerSpec, sample: number[]): Layer {
  return createLayer(spec, sample, 'float64', blockedKernel)
}

const conv = (c: number, o: number, k: number, stride = 1, padding = 0, bias = true): LayerSpec =>
  ({ type: 'conv2d', inChannels: c, outChannels: o, kernelSize: k, stride, padding, bias })

describe('conv2d', () => {
  const cases: [string, LayerSpec, number[]][] = [
    ['3×3, stride 1, no padding', conv(2, 3, 3), [2, 6, 7]],
    ['3×3, stride 2, padding 1', conv(2, 3, 3, 2, 1), [2, 7, 6]],
    ['3×3, stride 1, padding 1', conv(3, 2, 3, 1, 1), [3, 5, 5]],
    ['2×2, stride 2, odd input', conv(1, 2, 2, 2, 0), [1, 5, 5]],
    ['no bias', conv(2, 2, 3, 1, 0, false), [2, 4, 4]],
  ]
  for (const [name, spec, sample] of cases) {
    it(`backward matches finite differences: ${name}`, () => {
      gradCheck(layerFor(spec, sample), randomTensor([3, ...sample], 5))
    })
  }

  it('matches a direct (no im2col) convolution', () => {
    const spec = conv(2, 3, 3, 2, 1)
    const layer = layerFor(spec, [2, 7, 6]) as Conv2d
    const x = randomTensor([2, 2, 7, 6], 3)
    layer.weight.value.data.set(randomArray(54, 1))
    layer.bias!.value.data.set(randomArray(3, 2))
    const y = layer.forward(x, false)
    expect(y.shape).toEqual([2, 3, 4, 3])
    const W = layer.weight.value.data
    for (let n = 0; n < 2; n++) for (let o = 0; o < 3; o++) for (let oy = 0; oy < 4; oy++) for (let ox = 0; ox < 3; ox++) {
      let s = 0
      for (let c = 0; c < 2; c++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
        if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue
        s += W[((o * 2 + c) * 3 + ky) * 3 + kx] * x.data[((n * 2 + c) * 7 + iy) * 6 + ix]
      }
      s += layer.bias!.value.data[o]
      expect(y.data[((n * 3 + o) * 4 + oy) * 3 + ox]).toBeCloseTo(s, 12)
    }
  })

  it('gives the same result when a large batch is split into im2col chunks', () => {
    const spec = conv(2, 3, 3, 1, 1)
    const whole = layerFor(spec, [2, 5, 5]) as Conv2d
    const x = randomTensor([5, 2, 5, 5], 8)
    whole.weight.value.data.set(randomArray(54, 1))
    whole.bias!.value.data.set(randomArray(3, 2))
    const y1 = Float64Array.from(whole.forward(x, true).data)
    const dy = { shape: [5, 3, 5, 5], data: randomArray(375, 4) }
    const dx1 = Float64Array.from(whole.backward(dy).data)
    const dw1 = Float64Array.from(whole.weight.grad.data)
    const saved = Conv2d.columnBudget
    Conv2d.columnBudget = 18 * 25 * 2 // two samples per chunk: chunks of 2, 2, 1
    try {
      const chunked = layerFor(spec, [2, 5, 5]) as Conv2d
      chunked.weight.value.data.set(whole.weight.value.data)
      chunked.bias!.value.data.set(whole.bias!.value.data)
      const y2 = chunked.forward(x, true).data
      const dx2 = chunked.backward(dy).data
      for (let i = 0; i < y1.length; i++) expect(y2[i]).toBeCloseTo(y1[i], 12)
      for (let i = 0; i < dx1.length; i++) expect(dx2[i]).toBeCloseTo(dx1[i], 12)
      for (let i = 0; i < dw1.length; i++) expect(chunked.weight.grad.data[i]).toBeCloseTo(dw1[i], 12)
      gradCheck(chunked, randomTensor([5, 2, 5, 5], 9))
    } finally {
      Conv2d.columnBudget = saved
    }
  })

  it('reuses its output buffer for the same batch size, recycles its memory for a smaller one, grows for a larger one', () => {
    const layer = layerFor(conv(1, 2, 3), [1, 5, 5])
    const a = layer.forward(randomTensor([4, 1, 5, 5], 1), false)
    const b = layer.forward(randomTensor([4, 1, 5, 5], 2), false)
    expect(b).toBe(a)
    const c = layer.forward(randomTensor([3, 1, 5, 5], 3), false)
    expect(c.shape).toEqual([3, 2, 3, 3])
    expect(c.data.length).toBe(54)
    expect(c.data.buffer).toBe(a.data.buffer)
    const d = layer.forward(randomTensor([5, 1, 5, 5], 4), false)
    expect(d.data.length).toBe(90)
    expect(d.data.buffer).not.toBe(a.data.buffer)
  })

  it('keeps float32 when its params are float32', () => {
    const layer = createLayer(conv(1, 2, 3), [1, 5, 5], 'float32', blockedKernel)
    const y = layer.forward({ shape: [1, 1, 5, 5], data: new Float32Array(25) }, false)
    expect(y.data).toBeInstanceOf(Float32Array)
    expect(layer.params[0].value.data).toBeInstanceOf(Float32Array)
  })
})

describe('linear', () => {
  it('backward matches finite differences', () => {
    gradCheck(layerFor({ type: 'linear', inFeatures: 7, outFeatures: 5, bias: true }, [7]), randomTensor([4, 7], 3))
  })
  it('without bias', () => {
    gradCheck(layerFor({ type: 'linear', inFeatures: 6, outFeatures: 3, bias: false }, [6]), randomTensor([2, 6], 4))
  })
  it('adds the products to the bias in order, as lesson 000 sums (bit-exact in float64)', () => {
    const layer = layerFor({ type: 'linear', inFeatures: 64, outFeatures: 1, bias: true }, [64])
    const w = randomArray(64, 1)
    layer.params[0].value.data.set(w)
    layer.params[1].value.data[0] = 0.3
    const x = randomTensor([1, 64], 2)
    let z = 0.3
    for (let i = 0; i < 64; i++) z += w[i] * x.data[i]
    expect(layer.forward(x, false).data[0]).toBe(z)
  })
})

describe('activations and pooling', () => {
  it('relu backward matches finite differences', () => {
    gradCheck(layerFor({ type: 'relu' }, [2, 3, 4]), randomTensor([2, 2, 3, 4], 6))
  })
  it('sigmoid backward matches finite differences, and is stable far from 0', () => {
    gradCheck(layerFor({ type: 'sigmoid' }, [5]), randomTensor([3, 5], 7))
    const y = layerFor({ type: 'sigmoid' }, [3]).forward({ shape: [1, 3], data: new Float64Array([-800, 0, 800]) }, false)
    expect(Array.from(y.data)).toEqual([0, 0.5, 1])
  })
  it('maxpool2d 2×2 backward matches finite differences', () => {
    gradCheck(layerFor({ type: 'maxpool2d', kernelSize: 2 }, [2, 6, 6]), randomTensor([2, 2, 6, 6], 8))
  })
  it('maxpool2d with stride ≠ kernel (3, stride 2; 2, stride 1) matches finite differences', () => {
    gradCheck(layerFor({ type: 'maxpool2d', kernelSize: 3, stride: 2 }, [2, 7, 8]), randomTensor([2, 2, 7, 8], 9))
    gradCheck(layerFor({ type: 'maxpool2d', kernelSize: 2, stride: 1 }, [1, 4, 5]), randomTensor([2, 1, 4, 5], 10))
  })
  it('maxpool2d floors the output size and picks the first maximum on ties', () => {
    const layer = layerFor({ type: 'maxpool2d', kernelSize: 2 }, [1, 3, 3])
    const y = layer.forward({ shape: [1, 1, 3, 3], data: new Float64Array([1, 1, 0, 1, 1, 0, 0, 0, 0]) }, true)
    expect(y.shape).toEqual([1, 1, 1, 1])
    const dx = layer.backward({ shape: [1, 1, 1, 1], data: new Float64Array([1]) })
    expect(Array.from(dx.data)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0])
  })
  it('globalmaxpool2d backward matches finite differences', () => {
    gradCheck(layerFor({ type: 'globalmaxpool2d' }, [3, 4, 5]), randomTensor([2, 3, 4, 5], 11))
    expect(layerOutputShape({ type: 'globalmaxpool2d' }, [3, 4, 5])).toEqual([3])
  })
  it('flatten is a row-major reshape', () => {
    const layer = layerFor({ type: 'flatten' }, [2, 2, 2])
    const x = randomTensor([3, 2, 2, 2], 12)
    const y = layer.forward(x, false)
    expect(y.shape).toEqual([3, 8])
    expect(y.data).toBe(x.data)
    gradCheck(layer, x)
  })
})

describe('dropout', () => {
  const rng = () => {
    let s = 1
    return { next: () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) }
  }
  it('is the identity in eval mode (and its gradient too)', () => {
    const layer = new Dropout(0.5, rng())
    const x = randomTensor([2, 6], 13)
    expect(layer.forward(x, false).data).toEqual(x.data)
    gradCheck(layer, x, 99, false)
  })
  it('with a pinned mask, zeroes the dropped units and scales the rest by 1/(1−p); gradient matches', () => {
    const layer = new Dropout(0.25, rng())
    const keep = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]
    layer.setMask(keep)
    const x = randomTensor([2, 6], 14)
    const y = layer.forward(x, true)
    for (let i = 0; i < 12; i++) expect(y.data[i]).toBeCloseTo(keep[i] ? x.data[i] / 0.75 : 0, 14)
    gradCheck(layer, x, 99, true)
  })
  it('draws a fresh mask each training forward, dropping about p of the units', () => {
    const layer = new Dropout(0.3, rng())
    const x = { shape: [1, 10000], data: new Float64Array(10000).fill(1) }
    const a = Float64Array.from(layer.forward(x, true).data)
    const b = layer.forward(x, true).data
    const dropped = a.filter((v) => v === 0).length
    expect(dropped / 10000).toBeGreaterThan(0.27)
    expect(dropped / 10000).toBeLessThan(0.33)
    expect(Array.from(a)).not.toEqual(Array.from(b))
  })
})

describe('losses', () => {
  it('softmax cross-entropy: value, probabilities and dL/dlogits against finite differences', () => {
    const loss = new SoftmaxCrossEntropy()
    const logits = randomTensor([4, 3], 15)
    const targets = new Int32Array([0, 2, 1, 2])
    const result = loss.compute(logits, targets)
    // Hand-computed mean −log softmax.
    let expected = 0
    for (let r = 0; r < 4; r++) {
      const row = Array.from(logits.data.subarray(r * 3, r * 3 + 3))
      const sum = row.reduce((s, z) => s + Math.exp(z), 0)
      expected -= Math.log(Math.exp(row[targets[r]]) / sum) / 4
      for (let c = 0; c < 3; c++) expect(result.predictions.data[r * 3 + c]).toBeCloseTo(Math.exp(row[c]) / sum, 14)
    }
    expect(result.loss).toBeCloseTo(expected, 14)
    const grad = Float64Array.from(result.grad!.data)
    const h = 1e-6
    for (let i = 0; i < 12; i++) {
      const saved = logits.data[i]
      logits.data[i] = saved + h
      const up = loss.compute(logits, targets, false).loss
      logits.data[i] = saved - h
      const down = loss.compute(logits, targets, false).loss
      logits.data[i] = saved
      expect(Math.abs((up - down) / (2 * h) - grad[i])).toBeLessThan(1e-8)
    }
  })
  it('softmax cross-entropy stays finite for huge logits and caps a hopeless sample at −log 1e-12', () => {
    const result = new SoftmaxCrossEntropy().compute({ shape: [1, 2], data: new Float64Array([1000, -1000]) }, [1])
    expect(result.loss).toBeCloseTo(-Math.log(1e-12), 10)
  })
  it('binary cross-entropy: value and dL/dp against finite differences', () => {
    const loss = new BinaryCrossEntropy()
    const p = { shape: [4, 1], data: new Float64Array([0.2, 0.7, 0.55, 0.95]) }
    const targets = [0, 1, 0, 1]
    const result = loss.compute(p, targets)
    const expected = -(Math.log(0.8) + Math.log(0.7) + Math.log(0.45) + Math.log(0.95)) / 4
    expect(result.loss).toBeCloseTo(expected, 14)
    const grad = Float64Array.from(result.grad!.data)
    const h = 1e-7
    for (let i = 0; i < 4; i++) {
      const saved = p.data[i]
      p.data[i] = saved + h
      const up = loss.compute(p, targets, false).loss
      p.data[i] = saved - h
      const down = loss.compute(p, targets, false).loss
      p.data[i] = saved
      expect(Math.abs((up - down) / (2 * h) - grad[i])).toBeLessThan(1e-7)
    }
  })
  it('binary cross-entropy clamps p to [1e-12, 1 − 1e-12]', () => {
    const result = new BinaryCrossEntropy().compute({ shape: [2, 1], data: new Float64Array([0, 1]) }, [1, 0])
    expect(Number.isFinite(result.loss)).toBe(true)
    expect(result.loss).toBeCloseTo(-Math.log(1e-12), 3)
  })
  it('sigmoid + binary cross-entropy backprop to the score matches finite differences', () => {
    const sig = layerFor({ type: 'sigmoid' }, [1])
    const loss = new BinaryCrossEntropy()
    const z = randomTensor([5, 1], 16)
    const targets = [1, 0, 0, 1, 1]
    const dp = loss.compute(sig.forward(z, true), targets).grad!
    const dz = Float64Array.from(sig.backward(dp).data)
    const h = 1e-6
    for (let i = 0; i < 5; i++) {
      const saved = z.data[i]
      z.data[i] = saved + h
      const up = loss.compute(sig.forward(z, false), targets, false).loss
      z.data[i] = saved - h
      const down = loss.compute(sig.forward(z, false), targets, false).loss
      z.data[i] = saved
      expect(Math.abs((up - down) / (2 * h) - dz[i])).toBeLessThan(1e-8)
    }
  })
  it('counts correct predictions: argmax for softmax, p ≥ 0.5 for one sigmoid output', () => {
    const scores = { shape: [3, 3], data: new Float64Array([0.1, 0.5, 0.4, 2, 1, 0, 0, 0, 1]) }
    expect(countCorrectArgmax(scores, [1, 0, 0])).toBe(2)
    expect(new SoftmaxCrossEntropy().countCorrect(scores, [1, 0, 2])).toBe(3)
    const p = { shape: [4, 1], data: new Float64Array([0.5, 0.49, 0.9, 0.1]) }
    expect(countCorrectBinary(p, [1, 0, 0, 0])).toBe(3)
    expect(Array.from(new BinaryCrossEntropy().predict(p))).toEqual([1, 0, 1, 0])
  })
})
