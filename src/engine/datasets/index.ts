/**
 * One entry point from a dataset spec to train and val sets, and the shapes a
 * model builder needs before any data exists.
 */
import type { DatasetSpec } from '../../shared/experiment'
import type { Dataset } from './dataset'
import { EDGE_CLASSES, makeEdges } from './edges'
import { makeMnist, MNIST_CLASSES, MNIST_SIZE, type MnistSource } from './mnist'
import { makePatterns } from './patterns'

export type { Dataset } from './dataset'
export type { MnistSource } from './mnist'
export { makeEdges } from './edges'
export { makeMnist } from './mnist'
export { makePatterns, patternTemplate } from './patterns'
export { shiftDataset, shiftImage } from './shift'

export interface DatasetSources {
  mnist?: MnistSource
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
  }
}
