/**
 * Lesson 000's data: 8x8 binary images, even indices a full-height vertical
 * line, odd indices `size` pixels lit at random. Both classes light the same
 * number of pixels, so brightness alone cannot tell them apart.
 *
 * Draws come from PythonRandom in the lesson's exact order, so a given
 * (count, seed) yields the very images the lesson trained on.
 */
import { PythonRandom } from '../python-random'
import { tensor } from '../tensor'
import type { Dataset } from './dataset'

/** Label 0 is noise, label 1 is an edge (the lesson's targets for its sigmoid). */
export const EDGE_CLASSES: readonly string[] = ['noise', 'edge']

export function makeEdges(count: number, seed: number, size = 8): Dataset {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`makeEdges: count must be a non-negative integer, got ${count}`)
  if (!Number.isInteger(size) || size < 3) throw new RangeError(`makeEdges: size must be an integer ≥ 3, got ${size}`)
  const rng = new PythonRandom(seed)
  const plane = size * size
  const x = new Float32Array(count * plane)
  const y = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const base = i * plane
    if (i % 2 === 0) {
      // Columns 0 and size-1 are never used, as in the lesson.
      const col = rng.randint(1, size - 2)
      for (let row = 0; row < size; row++) x[base + row * size + col] = 1
      y[i] = 1
    } else {
      let lit = 0
      while (lit < size) {
        const row = rng.randint(0, size - 1)
        const col = rng.randint(0, size - 1)
        const at = base + row * size + col
        if (x[at] === 0) {
          x[at] = 1
          lit++
        }
      }
      y[i] = 0
    }
  }
  return { x: tensor([count, 1, size, size], x), y, classes: EDGE_CLASSES }
}
