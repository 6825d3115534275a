/**
 * Layer specs (from the experiment file) → layer objects, plus the pure shape
 * and parameter-count rules the model builder and the renderer's editor share.
 */
import type { LayerSpec } from '../../shared/experiment'
import type { Precision } from '../tensor'
import type { MatmulKernel } from '../kernels/matmul'
import { AvgPool2d, avgPool2dOutputShape } from './avgpool2d'
import { BatchNorm2d, batchNorm2dOutputShape } from './batchnorm2d'
import { Conv2d, conv2dMacsPerPosition, conv2dNeedsGeneralLoops, conv2dOutputShape, conv2dParameterCount } from './conv2d'
import { Dropout, type RandomSource } from './dropout'
import { Flatten } from './flatten'
import { GlobalAvgPool2d, globalAvgPool2dOutputShape } from './globalavgpool2d'
import { GlobalMaxPool2d, globalMaxPool2dOutputShape } from './globalmaxpool2d'
import type { Layer } from './layer'
import { Linear, linearOutputShape, linearParameterCount } from './linear'
import { MaxPool2d, maxPool2dOutputShape } from './maxpool2d'
import { ReLU } from './relu'
import { NestedLayerError, Residual, residualOutputShape } from './residual'
import { Sigmoid } from './sigmoid'

export type { Buffer, Layer, Param } from './layer'
export type { RandomSource } from './dropout'
export {
  AvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool2d, GlobalMaxPool2d, Linear, MaxPool2d,
  NestedLayerError, ReLU, Residual, Sigmoid,
}

/**
 * True when a layer (or, for a residual block, anything in its body) is one
 * only the reference route runs: the fused and tiny-model kernels know the
 * original layer types with square kernels, one stride and padding, no groups.
 */
export function needsReferenceRoute(spec: LayerSpec): boolean {
  switch (spec.type) {
    case 'conv2d':
      return conv2dNeedsGeneralLoops(spec)
    case 'avgpool2d':
    case 'globalavgpool2d':
    case 'batchnorm2d':
    case 'residual':
      return true
    default:
      return false
  }
}

/**
 * True when a layer's output for one sample depends on the rest of its batch
 * in train mode (batch norm): a batch split over two cores would then not
 * compute the same step.
 */
export function usesBatchStatistics(spec: LayerSpec): boolean {
  if (spec.type === 'batchnorm2d') return true
  return spec.type === 'residual' && spec.layers.some(usesBatchStatistics)
}

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
    case 'avgpool2d':
      return avgPool2dOutputShape(spec, inputShape)
    case 'globalavgpool2d':
      return globalAvgPool2dOutputShape(inputShape)
    case 'batchnorm2d':
      return batchNorm2dOutputShape(spec, inputShape)
    case 'residual':
      return residualOutputShape(spec, inputShape, layerOutputShape)
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
    case 'batchnorm2d':
      // weight and bias; the running statistics are buffers, not parameters (as torch counts them).
      return 2 * spec.numFeatures
    case 'residual':
      return spec.layers.reduce((sum, inner) => sum + layerParameterCount(inner), 0)
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
    case 'avgpool2d':
      return new AvgPool2d(spec)
    case 'globalavgpool2d':
      return new GlobalAvgPool2d()
    case 'batchnorm2d':
      return new BatchNorm2d(spec, precision)
    case 'residual': {
      const body: Layer[] = []
      let shape: readonly number[] = inputShape
      for (const inner of spec.layers) {
        body.push(createLayer(inner, shape, precision, gemm, rng))
        shape = layerOutputShape(inner, shape)
      }
      return new Residual(spec, body, inputShape)
    }
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

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)

/**
 * A residual block's count: `own` (for the block itself) plus `count` of each
 * body layer at the shape that layer receives, in order.
 */
function blockSum(
  spec: Extract<LayerSpec, { type: 'residual' }>, inputShape: readonly number[], own: number,
  count: (inner: LayerSpec, shape: readonly number[]) => number,
): number {
  let shape: readonly number[] = inputShape
  let total = own
  for (const inner of spec.layers) {
    total += count(inner, shape)
    shape = layerOutputShape(inner, shape)
  }
  return total
}

/**
 * Multiply-adds per sample of one layer's forward pass, as train/fast-path.ts's
 * tinyModelCost counts them: a conv's and a linear layer's products, one per
 * input value for the rest (activations, pools, batch norm); a residual block
 * is its body plus the addition.
 */
export function layerMultiplyAdds(spec: LayerSpec, inputShape: readonly number[]): number {
  switch (spec.type) {
    case 'conv2d':
      return conv2dMacsPerPosition(spec) * product(conv2dOutputShape(spec, inputShape))
    case 'linear':
      return spec.inFeatures * spec.outFeatures
    case 'residual':
      return blockSum(spec, inputShape, product(inputShape), layerMultiplyAdds)
    default:
      return product(inputShape)
  }
}

/** Floating-point operations per sample forward: two per multiply-add of a conv or linear layer, one per value elsewhere. */
export function layerFlops(spec: LayerSpec, inputShape: readonly number[]): number {
  switch (spec.type) {
    case 'conv2d':
    case 'linear':
      return 2 * layerMultiplyAdds(spec, inputShape)
    case 'residual':
      return blockSum(spec, inputShape, product(inputShape), layerFlops)
    default:
      return product(inputShape)
  }
}

/** Values a layer keeps per sample between forward and backward: its output, and for a block every map inside it. */
export function layerActivationValues(spec: LayerSpec, inputShape: readonly number[]): number {
  const out = layerOutputShape(spec, inputShape)
  return spec.type === 'residual' ? blockSum(spec, inputShape, product(out), layerActivationValues) : product(out)
}
