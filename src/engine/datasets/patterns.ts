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
import { shiftImage } from './shift'

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
  const { size, maxShift, noise } = spec
  const [b0, b1] = spec.brightness
  const perClass = spec[split].count
  const classes = spec.classes
  const plane = size * size
  const total = perClass * classes.length
  const rng = new Rng(deriveSeed(spec[split].seed, 'patterns'))
  // The val shift draws from a stream of its own, so valShift leaves every other
  // draw (jitter, brightness, noise, order) as it was: only the positions move.
  const valShift = split === 'val' ? (spec.valShift ?? 0) : 0
  const shiftRng = new Rng(deriveSeed(spec.val.seed, 'patterns-val-shift'))
  const valSpan = 2 * valShift + 1
  const templates = classes.map((name) => patternTemplate(name, size))

  const raw = new Float32Array(total * plane)
  const labels = new Int32Array(total)
  const span = 2 * maxShift + 1
  let n = 0
  for (let label = 0; label < classes.length; label++) {
    const template = templates[label]
    for (let k = 0; k < perClass; k++, n++) {
      // Row shift first, then column shift, as the lesson draws them.
      let dy = rng.int(span) - maxShift
      let dx = rng.int(span) - maxShift
      if (valShift > 0) {
        // As MNIST's valShift: uniform over the square minus its centre. Added to the
        // jitter before brightness and noise, so a moved pattern is noisy edge to edge.
        let sx = 0
        let sy = 0
        while (sx === 0 && sy === 0) {
          sx = shiftRng.int(valSpan) - valShift
          sy = shiftRng.int(valSpan) - valShift
        }
        dx += sx
        dy += sy
      }
      const base = n * plane
      shiftImage(template, raw, 1, size, size, dx, dy, 0, base)
      const brightness = rng.uniform(b0, b1)
      for (let p = base; p < base + plane; p++) {
        const v = raw[p] * brightness + noise * rng.normal()
        raw[p] = v < 0 ? 0 : v > 1 ? 1 : v
      }
      labels[n] = label
    }
  }

  const order = rng.permutation(total)
  const x = new Float32Array(total * plane)
  const y = new Int32Array(total)
  for (let i = 0; i < total; i++) {
    const from = order[i]
    x.set(raw.subarray(from * plane, (from + 1) * plane), i * plane)
    y[i] = labels[from]
  }
  return { x: tensor([total, 1, size, size], x), y, classes: [...classes] }
}
