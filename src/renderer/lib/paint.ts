/**
 * Painting an input picture ([C, H, W]) one pointer position at a time: full
 * strength under the pointer, a softer halo on pictures wider than 12 (strokes
 * as thick as a written digit's). A grey picture gets ink; a colour picture
 * gets the chosen colour in its three channels. Pure: returns a new picture.
 */
import { RGB_CHANNELS } from './rgb'

export interface PaintColour {
  name: string
  /** Red, green, blue in [0, 1]. */
  rgb: readonly [number, number, number]
}

/** What a colour picture can be painted with: the primaries, their mixtures, white. */
export const PAINT_COLOURS: readonly PaintColour[] = [
  { name: 'red', rgb: [1, 0, 0] },
  { name: 'green', rgb: [0, 1, 0] },
  { name: 'blue', rgb: [0, 0, 1] },
  { name: 'yellow', rgb: [1, 1, 0] },
  { name: 'cyan', rgb: [0, 1, 1] },
  { name: 'magenta', rgb: [1, 0, 1] },
  { name: 'white', rgb: [1, 1, 1] },
]

/**
 * The picture with (x, y) painted, or erased when `colour` is null. On a
 * colour picture the centre pixel becomes the colour and the halo only adds
 * to what is there, so strokes of two colours mix at their edges.
 */
export function paintAt(image: Float32Array, shape: readonly number[], x: number, y: number, colour: PaintColour['rgb'] | null): Float32Array {
  const [c, h, w] = shape
  const next = image.slice()
  if (x < 0 || y < 0 || x >= w || y >= h) return next
  const plane = h * w
  const channels = c === RGB_CHANNELS ? RGB_CHANNELS : 1
  const radius = w > 12 ? 1 : 0
  for (let yy = y - radius; yy <= y + radius; yy++) {
    for (let xx = x - radius; xx <= x + radius; xx++) {
      if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue
      const centre = xx === x && yy === y
      const strength = centre ? 1 : 0.5
      for (let k = 0; k < channels; k++) {
        const i = k * plane + yy * w + xx
        // A grey picture paints ink (1); a colour picture its colour's share in this channel.
        const amount = channels === 1 ? 1 : colour ? colour[k] : 0
        if (!colour) next[i] = 0
        else if (centre && channels > 1) next[i] = amount
        else next[i] = Math.max(next[i], strength * amount)
      }
    }
  }
  return next
}
