/**
 * Colour maps for weights, errors and activations, as 256-entry lookup tables
 * (a drag step colours tens of thousands of cells; a table lookup per cell is
 * what keeps that within a frame).
 *
 * - Diverging, for signed values (weights, signed errors): blue for negative,
 *   a neutral centre for zero, red for positive, always symmetric around zero
 *   so a colour means the same magnitude on both sides. The ends are
 *   ColorBrewer's RdBu, which stays readable under the common colour-vision
 *   deficiencies; the centre follows the theme (near white in light, a dark
 *   slate in dark) so zero looks like "nothing" on either surface.
 * - Sequential, for values ≥ 0 (activations, accuracy, |error|): viridis,
 *   perceptually even and colour-blind safe.
 */
import type { ThemeName } from './palette'

export type ScaleKind = 'diverging' | 'sequential'

export interface ColorScale {
  kind: ScaleKind
  min: number
  max: number
  /** 256 × RGB. */
  lut: Uint8Array
}

type Rgb = [number, number, number]

function hex(h: string): Rgb {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)]
}

/** A table interpolated linearly between evenly spaced stops. */
export function makeLut(stops: readonly string[]): Uint8Array {
  const rgb = stops.map(hex)
  const lut = new Uint8Array(256 * 3)
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (rgb.length - 1)
    const k = Math.min(rgb.length - 2, Math.floor(t))
    const f = t - k
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(rgb[k][c] + (rgb[k + 1][c] - rgb[k][c]) * f)
  }
  return lut
}

const RDBU_NEG = ['#053061', '#2166ac', '#4393c3', '#92c5de']
const RDBU_POS = ['#f4a582', '#d6604d', '#b2182b', '#67001f']
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725']

const luts = new Map<string, Uint8Array>()
function cached(key: string, make: () => Uint8Array): Uint8Array {
  let lut = luts.get(key)
  if (!lut) luts.set(key, (lut = make()))
  return lut
}

export function divergingLut(theme: ThemeName): Uint8Array {
  const centre = theme === 'dark' ? '#2b3240' : '#f7f7f7'
  return cached(`div-${theme}`, () => makeLut([...RDBU_NEG, centre, ...RDBU_POS]))
}

export function sequentialLut(): Uint8Array {
  return cached('viridis', () => makeLut(VIRIDIS))
}

/** Largest |v|, never 0 (a map of zeros still needs a scale). */
export function maxAbs(values: ArrayLike<number>, start = 0, end = values.length): number {
  let m = 0
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[i])
    if (a > m) m = a
  }
  return m > 0 ? m : 1
}

/** A diverging scale symmetric around zero: [-limit, +limit]. */
export function divergingScale(theme: ThemeName, limit: number): ColorScale {
  const l = limit > 0 && Number.isFinite(limit) ? limit : 1
  return { kind: 'diverging', min: -l, max: l, lut: divergingLut(theme) }
}

export function sequentialScale(min: number, max: number): ColorScale {
  return { kind: 'sequential', min, max: max > min ? max : min + 1, lut: sequentialLut() }
}

/** Table index of a value, clamped to the ends (NaN maps to the middle). */
export function colorIndex(scale: ColorScale, v: number): number {
  const t = (v - scale.min) / (scale.max - scale.min)
  if (!(t === t)) return 128
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255)
}

export function colorOf(scale: ColorScale, v: number): string {
  const i = colorIndex(scale, v) * 3
  const l = scale.lut
  return `rgb(${l[i]},${l[i + 1]},${l[i + 2]})`
}

/** Black or white text, whichever reads better on that cell (WCAG relative luminance). */
export function textColorOn(scale: ColorScale, v: number): string {
  const i = colorIndex(scale, v) * 3
  const lin = (c: number) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  const y = 0.2126 * lin(scale.lut[i]) + 0.7152 * lin(scale.lut[i + 1]) + 0.0722 * lin(scale.lut[i + 2])
  return y > 0.22 ? '#111111' : '#ffffff'
}

/** A weight as written in a cell: two decimals, no leading zero, a real minus sign. */
export function cellText(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '·'
  const s = Math.abs(v).toFixed(digits).replace(/^0\./, '.')
  return (v < 0 && Number(s) !== 0 ? '−' : '') + s
}

/** Input pictures: ink on paper in the light theme, light strokes on the dark surface. */
export function inkScale(theme: ThemeName, max = 1): ColorScale {
  const lut = cached(`ink-${theme}`, () => makeLut(theme === 'dark' ? ['#141821', '#ffffff'] : ['#ffffff', '#111111']))
  return { kind: 'sequential', min: 0, max: max > 0 ? max : 1, lut }
}

const CHANNEL_STOPS = ['#ff0000', '#00ff00', '#0000ff'] as const
export const CHANNEL_NAMES = ['red', 'green', 'blue'] as const

/** One channel of a colour picture on its own: black at min (0) up to the channel's pure colour at max, in either theme. */
export function channelScale(channel: number, max = 1, min = 0): ColorScale {
  const stop = CHANNEL_STOPS[channel] ?? '#ffffff'
  const lut = cached(`channel-${stop}`, () => makeLut(['#000000', stop]))
  return { kind: 'sequential', min, max: max > min ? max : min + 1, lut }
}
