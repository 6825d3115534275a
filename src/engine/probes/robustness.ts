/**
 * Shift robustness: validation accuracy when every image is moved by the same
 * (dx, dy), for every shift in a square range. A model that learned "a stroke
 * is a stroke wherever it is" keeps a broad plateau; one that learned pixel
 * positions falls off a cliff.
 */
import type { Dataset } from '../datasets/dataset'
import { shiftDataset } from '../datasets/shift'
import type { Sequential } from '../model'
import type { Loss } from '../loss/index'

export interface RobustnessMap {
  range: number
  /** accuracy[(dy + range) * size + (dx + range)] */
  accuracy: number[]
  mean: number
}

export function shiftRobustness(
  model: Sequential,
  val: Dataset,
  loss: Loss,
  range: number,
  onProgress?: (done: number, total: number) => void,
): RobustnessMap {
  const size = 2 * range + 1
  const accuracy: number[] = []
  for (let dy = -range; dy <= range; dy++) {
    for (let dx = -range; dx <= range; dx++) {
      accuracy.push(accuracyOn(model, shiftDataset(val, dx, dy), loss))
      onProgress?.(accuracy.length, size * size)
    }
  }
  return { range, accuracy, mean: accuracy.reduce((a, b) => a + b, 0) / accuracy.length }
}

function accuracyOn(model: Sequential, set: Dataset, loss: Loss, chunk = 256): number {
  const n = set.y.length
  const sampleShape = set.x.shape.slice(1)
  const sampleSize = set.x.data.length / n
  let correct = 0
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start)
    const out = model.forward(
      { shape: [count, ...sampleShape], data: set.x.data.subarray(start * sampleSize, (start + count) * sampleSize) },
      false,
    )
    correct += loss.countCorrect(out, set.y.subarray(start, start + count))
  }
  return correct / n
}
