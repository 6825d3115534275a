import type { Tensor } from '../tensor'

/** A labelled set of images: x is [N, C, H, W] float32, y holds class indices. */
export interface Dataset {
  readonly x: Tensor
  readonly y: Int32Array
  /** Class names, index = label. */
  readonly classes: readonly string[]
}

/** One sample's shape, [C, H, W]. */
export function sampleShape(dataset: Dataset): number[] {
  return dataset.x.shape.slice(1)
}
