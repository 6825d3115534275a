/**
 * MNIST splits from a pool of digit images supplied by the host (the engine
 * reads no files). The pool is shuffled once by the train seed and cut into
 * train and val, so the two never share an image; val may be translated to
 * show how much of each model's accuracy survives a small shift.
 */
import type { DatasetSpec } from '../../shared/experiment'
import type { Dataset } from './dataset'
import { classArraysPool, splitPool } from './pool-split'

export type MnistSpec = Extract<DatasetSpec, { kind: 'mnist' }>

export const MNIST_SIZE = 28
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
const PLANE = MNIST_SIZE * MNIST_SIZE

export interface MnistSource {
  /** Per digit class 0..9, that class's 28×28 images concatenated row-major, values in [0, 1]. */
  digits: Float32Array[]
}

export function mnistPoolSize(source: MnistSource): number {
  let n = 0
  for (const d of source.digits) n += Math.floor(d.length / PLANE)
  return n
}

export function makeMnist(spec: MnistSpec, source: MnistSource): { train: Dataset; val: Dataset } {
  if (source.digits.length !== 10) throw new Error(`MNIST source must have 10 digit classes, got ${source.digits.length}`)
  return splitPool(classArraysPool('MNIST', 'mnist', MNIST_SIZE, source.digits, 1), spec, MNIST_CLASSES)
}
