/**
 * Fashion-MNIST splits (70,000 28x28 grayscale clothes in 10 classes) from a
 * source the host supplies (src/host/fashion-source.ts): bytes 0–255 per class,
 * so the pool costs one byte a pixel; only the pictures a run takes become floats.
 */
import type { DatasetSpec } from '../../shared/experiment'
import type { Dataset } from './dataset'
import { classArraysPool, splitPool } from './pool-split'

export type FashionSpec = Extract<DatasetSpec, { kind: 'fashion' }>

export const FASHION_SIZE = 28
export const FASHION_CLASSES: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

export interface FashionSource {
  /** Per class 0..9, that class's 28×28 pictures concatenated row-major, values 0–255. */
  classes: Uint8Array[]
}

export function makeFashion(spec: FashionSpec, source: FashionSource): { train: Dataset; val: Dataset } {
  if (source.classes.length !== FASHION_CLASSES.length) throw new Error(`Fashion-MNIST source must have 10 classes, got ${source.classes.length}`)
  return splitPool(classArraysPool('Fashion-MNIST', 'fashion', FASHION_SIZE, source.classes, 1 / 255), spec, FASHION_CLASSES)
}
