/**
 * Layer specs (from the experiment file) → layer objects, plus the pure shape
 * and parameter-count rules the model builder and the renderer's editor share.
 */
import type { LayerSpec } from '../../shared/experiment'
import type { Precision } from '../tensor'
import type { MatmulKernel } from '../kernels/matmul'
import { Conv2d, conv2dOutputShape, conv2dParameterCount } from './conv2d'
import { Dropout, type RandomSource } from './dropout'
import { Flatten } from './flatten'
import { GlobalMaxPool2d, globalMaxPool2dOutputShape } from './globalmaxpool2d'
import type { Layer } from './layer'
import { Linear, linearOutputShape, linearParameterCount } from './linear'
import { MaxPool2d, maxPool2dOutputShape } from './maxpool2d'
import { ReLU } from './relu'
import { Sigmoid } from './sigmoid'

export type { Layer, Param } from './layer'
export type { RandomSource } from './dropout'
export { Conv2d, Dropout, Flatten, GlobalMaxPool2d, Linear, MaxPool2d, ReLU, Sigmoid }

/** One sample's output shape; throws an Error saying what does not fit (without the layer's name). */
export function layerOutputShape(spec: LayerSpec, inputShape: readonly number[]): number[] {
  switch (spec.type) {
    case 'conv2d':
      return conv2dOutputShape(spec, inputShape)
    case 'linear':
      return linearOutputShape(spec, inputShape)
    case 'maxpool2d':
      return maxPool2dOutputShape(spec, inputShape)
    case 'globalmaxpool2d':
      return globalMaxPool2dOutputShape(inputShape)
    case 'flatten':
      if (inputShape.length === 0) throw new Error('expects an input with at least one axis')
      return [inputShape.reduce((a, b) => a * b, 1)]
    case 'relu':
    case 'sigmoid':
    case 'dropout':
      return [...inputShape]
  }
}

export function layerParameterCount(spec: LayerSpec): number {
  switch (spec.type) {
    case 'conv2d':
      return conv2dParameterCount(spec)
    case 'linear':
      return linearParameterCount(spec)
    default:
      return 0
  }
}

/** Never drawn from unless a dropout layer trains without a generator of its own. */
const noRandomness: RandomSource = {
  next() {
    throw new Error('dropout: no random generator was given to the model')
  },
}

/**
 * Builds the layer for one spec. `inputShape` is one sample's shape and must
 * already fit (check with layerOutputShape); `gemm` is the model's backend's
 * (../backend.ts); `rng` feeds dropout masks.
 */
export function createLayer(
  spec: LayerSpec, inputShape: readonly number[], precision: Precision, gemm: MatmulKernel, rng: RandomSource = noRandomness,
): Layer {
  switch (spec.type) {
    case 'conv2d':
      return new Conv2d(spec, inputShape, precision, gemm)
    case 'linear':
      return new Linear(spec, precision, gemm)
    case 'maxpool2d':
      return new MaxPool2d(spec)
    case 'globalmaxpool2d':
      return new GlobalMaxPool2d()
    case 'flatten':
      return new Flatten()
    case 'relu':
      return new ReLU()
    case 'sigmoid':
      return new Sigmoid()
    case 'dropout':
      return new Dropout(spec.p, rng)
  }
}
