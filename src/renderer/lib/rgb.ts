/**
 * Colour pictures: three planes of values ([3, H, W], red, green, blue) drawn
 * as one RGB image. A range says which value is black (min) and which is full
 * intensity (max) in every channel; the same range for the three channels, so
 * a channel that is larger really looks stronger.
 */

export interface RgbRange {
  min: number
  max: number
}

/** The channel count at which an input is drawn in colour. */
export const RGB_CHANNELS = 3

/** Whether a [C, H, W] shape is a colour picture. */
export function isRgbShape(shape: readonly number[]): boolean {
  return shape.length === 3 && shape[0] === RGB_CHANNELS
}

/** A value as a 0–255 intensity within the range, clamped at both ends (NaN is black). */
export function intensity(v: number, range: RgbRange): number {
  const span = range.max - range.min
  const t = span > 0 ? (v - range.min) / span : 0
  if (!(t > 0)) return 0
  return t >= 1 ? 255 : Math.round(t * 255)
}

/**
 * Red, green and blue of pixel i of a picture whose planes start at offset and
 * are `plane` values apart (rows × cols).
 */
export function rgbAt(values: ArrayLike<number>, offset: number, plane: number, i: number, range: RgbRange): [number, number, number] {
  return [intensity(values[offset + i], range), intensity(values[offset + plane + i], range), intensity(values[offset + 2 * plane + i], range)]
}

export function rgbCss([r, g, b]: readonly number[]): string {
  return `rgb(${r},${g},${b})`
}

/** The smallest and largest of values[start, end): a kernel normalised to its own range, as lesson 002 draws its filters. */
export function ownRange(values: ArrayLike<number>, start = 0, end = values.length): RgbRange {
  let min = Infinity
  let max = -Infinity
  for (let i = start; i < end; i++) {
    const v = values[i]
    if (v < min) min = v
    if (v > max) max = v
  }
  // A flat (or empty) picture: its value is the range's bottom, as the grey pictures always drew it (blank paper).
  if (!(max > min)) return { min: Number.isFinite(min) ? min : 0, max: (Number.isFinite(min) ? min : 0) + 1 }
  return { min, max }
}

/** ± limit, so a weight of 0 is mid-grey in every channel and weights on one scale compare across units and epochs. */
export function symmetricRange(limit: number): RgbRange {
  const l = limit > 0 && Number.isFinite(limit) ? limit : 1
  return { min: -l, max: l }
}

/**
 * A [C, H, W] picture as RGBA bytes, for a plain canvas: colour for three
 * channels, otherwise channel 0 as dark ink on white. Scaled to the picture's
 * own range (inputs may be normalised).
 */
export function pictureRgba(values: ArrayLike<number>, shape: readonly number[]): { width: number; height: number; data: Uint8ClampedArray } {
  const [c, h, w] = shape.length === 3 ? shape : [1, ...shape]
  const plane = h * w
  const data = new Uint8ClampedArray(plane * 4)
  const colour = c === RGB_CHANNELS
  const range = ownRange(values, 0, colour ? 3 * plane : plane)
  for (let i = 0; i < plane; i++) {
    const [r, g, b] = colour ? rgbAt(values, 0, plane, i, range) : [0, 0, 0].map(() => 255 - intensity(values[i], range))
    data[i * 4] = r
    data[i * 4 + 1] = g
    data[i * 4 + 2] = b
    data[i * 4 + 3] = 255
  }
  return { width: w, height: h, data }
}
