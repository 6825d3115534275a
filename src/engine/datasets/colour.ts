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
import { jitteredSet } from './jittered'

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
  const { size } = spec
  const rng = new Rng(deriveSeed(spec[split].seed, 'colour'))
  // The val shift has a stream of its own, as the patterns' does: only positions move.
  const shiftRng = new Rng(deriveSeed(spec.val.seed, 'colour-val-shift'))
  const { x, y } = jitteredSet({
    templates: COLOUR_CLASSES.map((name) => colourTemplate(name, size)),
    channels: COLOUR_CHANNELS, size, perClass: spec[split].count, maxShift: spec.maxShift,
    valShift: split === 'val' ? spec.valShift : 0, brightness: spec.brightness, noise: spec.noise,
  }, rng, shiftRng)
  return { x: tensor([y.length, COLOUR_CHANNELS, size, size], x), y, classes: [...COLOUR_CLASSES] }
}
