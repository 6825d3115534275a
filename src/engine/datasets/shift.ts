/**
 * Integer translation of images with zero fill: the one operation behind the
 * patterns' jitter, MNIST's shifted validation set and the equivariance probes,
 * so all three agree on what "shift by (dx, dy)" means.
 *
 * Positive dx moves content right, positive dy moves it down:
 * dst[y][x] = src[y - dy][x - dx], zero where that falls outside the image.
 */
import type { Rng } from '../rng'
import type { FloatArray } from '../tensor'
import { tensor } from '../tensor'
import type { Dataset } from './dataset'

/**
 * Shifts one [channels, height, width] image from src into dst, starting at
 * the given offsets (so a sample inside a batch needs no subarray). src and
 * dst must not overlap.
 */
export function shiftImage(
  src: FloatArray,
  dst: FloatArray,
  channels: number,
  height: number,
  width: number,
  dx: number,
  dy: number,
  srcOffset = 0,
  dstOffset = 0,
): void {
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) throw new RangeError(`shiftImage: shifts must be integers, got (${dx}, ${dy})`)
  const plane = height * width
  dst.fill(0, dstOffset, dstOffset + channels * plane)
  // Rows and columns of dst that receive content; empty when the shift is at least the size.
  const y0 = Math.max(0, dy)
  const y1 = Math.min(height, height + dy)
  const x0 = Math.max(0, dx)
  const x1 = Math.min(width, width + dx)
  if (y0 >= y1 || x0 >= x1) return
  const span = x1 - x0
  for (let c = 0; c < channels; c++) {
    const srcPlane = srcOffset + c * plane
    const dstPlane = dstOffset + c * plane
    for (let y = y0; y < y1; y++) {
      // A plain loop: rows are short (8–28), and subarray views would allocate per row.
      const from = srcPlane + (y - dy) * width + (x0 - dx)
      const to = dstPlane + y * width + x0
      for (let k = 0; k < span; k++) dst[to + k] = src[from + k]
    }
  }
}

/** A copy of the dataset with every image shifted by the same (dx, dy); labels copied. */
export function shiftDataset(ds: Dataset, dx: number, dy: number): Dataset {
  const [n, channels, height, width] = ds.x.shape
  const src = ds.x.data
  const dst = src instanceof Float64Array ? new Float64Array(src.length) : new Float32Array(src.length)
  const size = channels * height * width
  for (let i = 0; i < n; i++) shiftImage(src, dst, channels, height, width, dx, dy, i * size, i * size)
  return { x: tensor(ds.x.shape, dst), y: Int32Array.from(ds.y), classes: ds.classes }
}

/**
 * Moves each of `count` square one-channel images in place by its own (dx, dy),
 * uniform over the square of side 2·maxShift+1 minus the centre, so
 * 1 ≤ max(|dx|, |dy|) ≤ maxShift: the shifted validation sets (MNIST's, the patterns').
 */
export function shiftEachRandomly(x: Float32Array, count: number, size: number, maxShift: number, rng: Rng): void {
  const plane = size * size
  const span = 2 * maxShift + 1
  const scratch = new Float32Array(plane)
  for (let i = 0; i < count; i++) {
    let dx = 0
    let dy = 0
    while (dx === 0 && dy === 0) {
      dx = rng.int(span) - maxShift
      dy = rng.int(span) - maxShift
    }
    const base = i * plane
    scratch.set(x.subarray(base, base + plane))
    shiftImage(scratch, x, 1, size, size, dx, dy, 0, base)
  }
}
