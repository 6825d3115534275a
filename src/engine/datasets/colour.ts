/**
 * A synthetic RGB set for lesson 002's colour story: one bar, two pixels thick,
 * on a black background, lit in pure red, green or blue, upright or lying.
 * The class is colour and orientation together (six classes), each picture
 * jittered, scaled by a random brightness and covered in noise per channel, as
 * lesson 001's patterns are.
 *
 * The three colours carry the same total light (one channel at the same
 * brightness), so a grayscale copy (the mean of the channels) of a red bar has
 * exactly the distribution of a green or a blue one: the set cannot be solved
 * without telling the channels apart, which pushes first-layer kernels towards
 * colour-edge and opponent-colour (red minus green, …) detectors.
 */
import { COLOUR_CLASSES, type DatasetSpec } from '../../shared/experiment'
import { deriveSeed, Rng } from '../rng'
import { tensor } from '../tensor'
import type { Dataset } from './dataset'
import { shiftImage } from './shift'

export type ColourSpec = Extract<DatasetSpec, { kind: 'colour' }>
export type ColourClass = (typeof COLOUR_CLASSES)[number]

export const COLOUR_CHANNELS = 3
const CHANNEL_OF = { red: 0, green: 1, blue: 2 } as const

/** The clean, centred picture of one class, [3, size, size] row-major, values in {0, 1}. */
export function colourTemplate(name: ColourClass, size: number): Float32Array {
  const [hue, orientation] = name.split('-') as [keyof typeof CHANNEL_OF, 'vertical' | 'horizontal']
  const plane = size * size
  const t = new Float32Array(COLOUR_CHANNELS * plane)
  const base = CHANNEL_OF[hue] * plane
  // A bar two pixels thick through the middle, two pixels short of each edge so a jitter keeps it whole.
  const c = size >> 1
  for (let along = 2; along < size - 2; along++) {
    for (const across of [c - 1, c]) {
      const [row, col] = orientation === 'vertical' ? [along, across] : [across, along]
      t[base + row * size + col] = 1
    }
  }
  return t
}

/**
 * One split: `count` pictures per class, classes in COLOUR_CLASSES order (label = index),
 * then shuffled so classes interleave.
 */
export function makeColour(spec: ColourSpec, split: 'train' | 'val'): Dataset {
  const { size, maxShift, noise } = spec
  const [b0, b1] = spec.brightness
  const perClass = spec[split].count
  const plane = size * size
  const picture = COLOUR_CHANNELS * plane
  const total = perClass * COLOUR_CLASSES.length
  const rng = new Rng(deriveSeed(spec[split].seed, 'colour'))
  // The val shift has a stream of its own, as the patterns' does: only positions move.
  const valShift = split === 'val' ? spec.valShift : 0
  const shiftRng = new Rng(deriveSeed(spec.val.seed, 'colour-val-shift'))
  const valSpan = 2 * valShift + 1
  const span = 2 * maxShift + 1

  const raw = new Float32Array(total * picture)
  const labels = new Int32Array(total)
  let n = 0
  COLOUR_CLASSES.forEach((name, label) => {
    const template = colourTemplate(name, size)
    for (let k = 0; k < perClass; k++, n++) {
      let dy = rng.int(span) - maxShift
      let dx = rng.int(span) - maxShift
      if (valShift > 0) {
        let sx = 0
        let sy = 0
        while (sx === 0 && sy === 0) {
          sx = shiftRng.int(valSpan) - valShift
          sy = shiftRng.int(valSpan) - valShift
        }
        dx += sx
        dy += sy
      }
      const base = n * picture
      shiftImage(template, raw, COLOUR_CHANNELS, size, size, dx, dy, 0, base)
      const brightness = rng.uniform(b0, b1)
      for (let p = base; p < base + picture; p++) {
        const v = raw[p] * brightness + noise * rng.normal()
        raw[p] = v < 0 ? 0 : v > 1 ? 1 : v
      }
      labels[n] = label
    }
  })

  const order = rng.permutation(total)
  const x = new Float32Array(total * picture)
  const y = new Int32Array(total)
  for (let i = 0; i < total; i++) {
    x.set(raw.subarray(order[i] * picture, (order[i] + 1) * picture), i * picture)
    y[i] = labels[order[i]]
  }
  return { x: tensor([total, COLOUR_CHANNELS, size, size], x), y, classes: [...COLOUR_CLASSES] }
}
