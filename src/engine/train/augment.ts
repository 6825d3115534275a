/**
 * Random-shift augmentation (`training.augment.shift`): each epoch, every
 * training picture is moved by its own integer (dx, dy), zero fill, before
 * it enters a batch.
 *
 * The shifts depend only on the training seed, the epoch and the picture's
 * index, never on the model or the route it trains on, so every model of a
 * run sees exactly the same moved pictures (a fair comparison), and a
 * rerun sees them again.
 */
import type { Dataset } from '../datasets/dataset'
import { shiftImage } from '../datasets/shift'
import { deriveSeed, Rng } from '../rng'
import type { FloatArray } from '../tensor'

/**
 * The shifts of one epoch (1-based, the epoch being trained): picture i moves
 * by (shifts[2i], shifts[2i+1]) = (dx, dy), each uniform in [-maxShift, maxShift].
 */
export function epochShifts(seed: number, epoch: number, count: number, maxShift: number): Int8Array {
  const rng = new Rng(deriveSeed(seed, `augment:${epoch}`))
  const span = 2 * maxShift + 1
  const shifts = new Int8Array(2 * count)
  for (let i = 0; i < 2 * count; i++) shifts[i] = rng.int(span) - maxShift
  return shifts
}

/**
 * Copies the pictures order[start .. start+count) into x (and their labels into y),
 * each moved by its shift of the epoch when `shifts` is given: the one place a
 * training batch is assembled, so every route trains on the same pixels.
 */
export function gatherBatch(
  set: Dataset,
  order: Int32Array,
  start: number,
  count: number,
  x: FloatArray,
  y: Int32Array,
  shifts: Int8Array | null,
): void {
  const [, channels, height, width] = set.x.shape
  // Every dataset is [N, C, H, W] (src/engine/datasets/dataset.ts).
  const sampleSize = channels * height * width
  const source = set.x.data
  for (let i = 0; i < count; i++) {
    const index = order[start + i]
    if (shifts) shiftImage(source, x, channels, height, width, shifts[2 * index], shifts[2 * index + 1], index * sampleSize, i * sampleSize)
    else x.set(source.subarray(index * sampleSize, (index + 1) * sampleSize), i * sampleSize)
    y[i] = set.y[index]
  }
}
