/**
 * One entry point from a dataset spec to train and val sets, and the shapes a
 * model builder needs before any data exists.
 */
import type { DatasetSpec } from '../../shared/experiment'
import type { Dataset } from './dataset'
import { EDGE_CLASSES, makeEdges } from './edges'
import { makeMnist, MNIST_CLASSES, MNIST_SIZE, type MnistSource } from './mnist'
import { makePatterns } from './patterns'
import { DIGITS_CLASSES, DIGITS_SIZE, makeDigits } from './digits'
import { FASHION_CLASSES, FASHION_SIZE, makeFashion, type FashionSource } from './fashion'
import { COLOUR_CHANNELS, makeColour } from './colour'
import { COLOUR_CLASSES } from '../../shared/experiment'

export type { Dataset } from './dataset'
export type { MnistSource } from './mnist'
export type { FashionSource } from './fashion'
export { makeDigits, digitsSource } from './digits'
export { makeFashion } from './fashion'
export { makeColour, colourTemplate } from './colour'
export { makeEdges } from './edges'
export { makeMnist } from './mnist'
export { makePatterns, patternTemplate } from './patterns'
export { shiftDataset, shiftImage } from './shift'

export interface DatasetSources {
  mnist?: MnistSource
  fashion?: FashionSource
}

export interface DatasetInfo {
  /** One sample's shape, [C, H, W]. */
  inputShape: [number, number, number]
  classes: string[]
}

export function buildDatasets(spec: DatasetSpec, sources: DatasetSources = {}): { train: Dataset; val: Dataset } {
  switch (spec.kind) {
    case 'edges':
      return { train: makeEdges(spec.train.count, spec.train.seed, spec.size), val: makeEdges(spec.val.count, spec.val.seed, spec.size) }
    case 'patterns':
      return { train: makePatterns(spec, 'train'), val: makePatterns(spec, 'val') }
    case 'mnist':
      if (!sources.mnist) {
        throw new Error('This experiment uses MNIST, but no MNIST images were provided (the host must load them with loadMnistSource()).')
      }
      return makeMnist(spec, sources.mnist)
    case 'digits':
      return makeDigits(spec)
    case 'fashion':
      if (!sources.fashion) {
        throw new Error('This experiment uses Fashion-MNIST, but no pictures were provided (the host must load them with loadFashionSource()).')
      }
      return makeFashion(spec, sources.fashion)
    case 'colour':
      return { train: makeColour(spec, 'train'), val: makeColour(spec, 'val') }
  }
}

export function datasetInfo(spec: DatasetSpec): DatasetInfo {
  switch (spec.kind) {
    case 'edges':
      return { inputShape: [1, spec.size, spec.size], classes: [...EDGE_CLASSES] }
    case 'patterns':
      return { inputShape: [1, spec.size, spec.size], classes: [...spec.classes] }
    case 'mnist':
      return { inputShape: [1, MNIST_SIZE, MNIST_SIZE], classes: [...MNIST_CLASSES] }
    case 'digits':
      return { inputShape: [1, DIGITS_SIZE, DIGITS_SIZE], classes: [...DIGITS_CLASSES] }
    case 'fashion':
      return { inputShape: [1, FASHION_SIZE, FASHION_SIZE], classes: [...FASHION_CLASSES] }
    case 'colour':
      return { inputShape: [COLOUR_CHANNELS, spec.size, spec.size], classes: [...COLOUR_CLASSES] }
  }
}
