/**
 * The models and data test/engine/routes.test.ts runs every route on: random
 * but reproducible weights and sets, and the context a route is built from.
 */
import type { LayerSpec, ModelSpec, TrainingSpec } from '../../src/shared/experiment'
import type { Backend } from '../../src/shared/training-events'
import type { Dataset } from '../../src/engine/datasets/dataset'
import { buildModel, type Sequential } from '../../src/engine/model'
import type { RouteContext } from '../../src/engine/routes/route'
import { allocate, type Precision } from '../../src/engine/tensor'

export function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  }
}

export function randomSet(n: number, shape: number[], classes: number, precision: Precision, seed: number): Dataset {
  const next = lcg(seed)
  const size = shape.reduce((a, b) => a * b, 1)
  const data = allocate(precision, n * size)
  for (let i = 0; i < data.length; i++) data[i] = next() * 2
  const y = Int32Array.from({ length: n }, () => Math.floor((next() + 0.5) * classes) % classes)
  return { x: { shape: [n, ...shape], data }, y, classes: Array.from({ length: classes }, (_, i) => `c${i}`) }
}

/** A model with every weight and bias drawn from `seed` (biases too, so the bias's place in each sum is tested). */
export function randomModel(layers: LayerSpec[], shape: number[], precision: Precision, seed: number, backend: Backend, scale = 1): Sequential {
  const model = buildModel({ layers }, shape, precision, { initialise: false, backend })
  const next = lcg(seed)
  for (const param of model.params()) for (let i = 0; i < param.value.data.length; i++) param.value.data[i] = next() * scale
  return model
}

export interface Case {
  name: string
  layers: LayerSpec[]
  shape: number[]
  classes: number
  loss: TrainingSpec['loss']
}

export const conv = (inChannels: number, outChannels: number, kernelSize: number, stride = 1, padding = 0, bias = true): LayerSpec =>
  ({ type: 'conv2d', inChannels, outChannels, kernelSize, stride, padding, bias })
export const linear = (inFeatures: number, outFeatures: number, bias = true): LayerSpec => ({ type: 'linear', inFeatures, outFeatures, bias })
const pool: LayerSpec = { type: 'maxpool2d', kernelSize: 2 }

/** Every layer type the tiny module runs, in the combinations that stress its bookkeeping. */
export const TINY_CASES: Case[] = [
  {
    name: 'lesson 001 TinyCNN (conv 1→3 3×3, relu, maxpool 2, linear)',
    layers: [conv(1, 3, 3), { type: 'relu' }, pool, { type: 'flatten' }, linear(27, 3)],
    shape: [1, 8, 8], classes: 3, loss: 'softmax-cross-entropy',
  },
  {
    name: 'lesson 001 TinyMLP (64→18→3)',
    layers: [{ type: 'flatten' }, linear(64, 18), { type: 'relu' }, linear(18, 3)],
    shape: [1, 8, 8], classes: 3, loss: 'softmax-cross-entropy',
  },
  {
    name: 'two channels, padding 1, linear without bias',
    layers: [conv(2, 3, 3, 1, 1), { type: 'relu' }, pool, { type: 'flatten' }, linear(48, 5, false)],
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

/** Models too big for the tiny module: MNIST-shaped, for the fused-SIMD and two-core routes. */
export const MNIST_CASES: Case[] = [
  {
    name: 'small MNIST-shaped CNN (two conv → relu → pool blocks)',
    layers: [conv(1, 4, 3, 1, 1), { type: 'relu' }, pool, conv(4, 8, 3, 1, 1), { type: 'relu' }, pool, { type: 'flatten' }, linear(392, 10)],
    shape: [1, 28, 28], classes: 10, loss: 'softmax-cross-entropy',
  },
  {
    // conv2 has 8 input channels: its block runs by Winograd on the fused-SIMD route (routes/fused-simd.ts).
    name: 'MNIST-shaped CNN whose second block runs by Winograd (8 → 8 channels)',
    layers: [conv(1, 8, 3, 1, 1), { type: 'relu' }, pool, conv(8, 8, 3, 1, 1), { type: 'relu' }, pool, { type: 'flatten' }, linear(392, 10)],
    shape: [1, 28, 28], classes: 10, loss: 'softmax-cross-entropy',
  },
  {
    name: 'MNIST-shaped CNN with a conv outside any block (stride 2, then global max)',
    layers: [conv(1, 8, 3, 2, 1), { type: 'relu' }, conv(8, 8, 3, 1, 0), { type: 'globalmaxpool2d' }, { type: 'flatten' }, linear(8, 10)],
    shape: [1, 28, 28], classes: 10, loss: 'softmax-cross-entropy',
  },
  {
    name: 'MNIST MLP (784→64→10)',
    layers: [{ type: 'flatten' }, linear(784, 64), { type: 'relu' }, linear(64, 10)],
    shape: [1, 28, 28], classes: 10, loss: 'softmax-cross-entropy',
  },
]

export function modelSpec(c: Case): ModelSpec {
  return { id: 'm', label: c.name, init: { scheme: 'pytorch-default', seed: 1 }, layers: c.layers }
}

export function routeContext(c: Case, train: Dataset, val: Dataset, batchSize: number, momentum = 0.9): RouteContext {
  return { spec: modelSpec(c), loss: c.loss, gradient: 'backprop', train, val, batchSize, learningRate: 0.1, momentum }
}
