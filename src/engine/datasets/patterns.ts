/**
 * Lesson 001's data: small bar, diagonal, dot and cross patterns, each sample
 * jittered by a random integer shift, scaled by a random brightness and
 * covered in Gaussian noise, so a model has to recognise a shape rather than
 * a fixed set of pixels.
 *
 * The lesson draws with NumPy; the lab uses its own Rng, so the images are the
 * lesson's in distribution, not pixel for pixel.
 */
import type { DatasetSpec } from '../../shared/experiment'
import { deriveSeed, Rng } from '../rng'
import { tensor } from '../tensor'
import type { Dataset } from './dataset'
import { jitteredSet } from './jittered'

export type PatternsSpec = Extract<DatasetSpec, { kind: 'patterns' }>
export type PatternName = PatternsSpec['classes'][number]

/** Off-diagonal weight of the diagonal pattern: a soft band rather than a one-pixel line. */
const DIAGONAL_SIDE = 0.35

/** The clean, centred template of one class, row-major size×size, values in [0, 1]. */
export function patternTemplate(name: PatternName, size: number): Float32Array {
  const t = new Float32Array(size * size)
  // The two middle rows/columns; for odd sizes the pair sits just above/left of centre.
  const c = size >> 1
  const lightColumns = () => {
    for (let r = 0; r < size; r++) t[r * size + c - 1] = t[r * size + c] = 1
  }
  const lightRows = () => {
    for (let col = 0; col < size; col++) t[(c - 1) * size + col] = t[c * size + col] = 1
  }
  switch (name) {
    case 'vertical':
      lightColumns()
      break
    case 'horizontal':
      lightRows()
      break
    case 'diagonal':
      for (let i = 0; i < size; i++) {
        t[i * size + i] = 1
        if (i + 1 < size) {
          t[i * size + i + 1] = DIAGONAL_SIDE
          t[(i + 1) * size + i] = DIAGONAL_SIDE
        }
      }
      break
    case 'dot':
      t[(c - 1) * size + c - 1] = t[(c - 1) * size + c] = t[c * size + c - 1] = t[c * size + c] = 1
      break
    case 'cross':
      // Overlap is set to 1, not summed, which is the clip to [0, 1].
      lightColumns()
      lightRows()
      break
  }
  return t
}

/**
 * One split of the patterns set: `count` images per class, classes in
 * spec.classes order (label = index), then shuffled so classes interleave.
 */
export function makePatterns(spec: PatternsSpec, split: 'train' | 'val'): Dataset {
  const { size, classes } = spec
  const rng = new Rng(deriveSeed(spec[split].seed, 'patterns'))
  // The val shift draws from a stream of its own, so valShift leaves every other
  // draw (jitter, brightness, noise, order) as it was: only the positions move.
  const shiftRng = new Rng(deriveSeed(spec.val.seed, 'patterns-val-shift'))
  const { x, y } = jitteredSet({
    templates: classes.map((name) => patternTemplate(name, size)),
    channels: 1, size, perClass: spec[split].count, maxShift: spec.maxShift,
    valShift: split === 'val' ? (spec.valShift ?? 0) : 0, brightness: spec.brightness, noise: spec.noise,
  }, rng, shiftRng)
  return { x: tensor([y.length, 1, size, size], x), y, classes: [...classes] }
}
