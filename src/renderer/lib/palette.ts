/**
 * Colours for both themes. Model colours come from the Okabe–Ito set, which
 * stays distinguishable under the common colour-vision deficiencies; the
 * charts also tell train from val by dash, not by colour alone.
 */
export type ThemeName = 'light' | 'dark'

export interface Palette {
  theme: ThemeName
  background: string
  surface: string
  text: string
  muted: string
  axis: string
  grid: string
  /** CNN, MLP, then further models. */
  models: string[]
  /** Low end of sequential maps (confusion matrix). */
  heatLow: string
}

const LIGHT: Palette = {
  theme: 'light',
  background: '#ffffff',
  surface: '#ffffff',
  text: '#1b2330',
  muted: '#5d6878',
  axis: '#9aa4b2',
  grid: '#e6e9ef',
  models: ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'],
  heatLow: '#f4f6f9',
}

const DARK: Palette = {
  theme: 'dark',
  background: '#1a1f28',
  surface: '#1a1f28',
  text: '#e4e8ef',
  muted: '#9aa5b5',
  axis: '#566072',
  grid: '#2a313d',
  // Lighter members of the same set, readable on a dark surface.
  models: ['#56B4E9', '#E69F00', '#009E73', '#CC79A7', '#F0E442', '#0072B2', '#ffffff', '#D55E00'],
  heatLow: '#222835',
}

export function paletteFor(theme: ThemeName): Palette {
  return theme === 'dark' ? DARK : LIGHT
}

/** A model's colour: the CNN is always blue and the MLP vermillion/orange, whatever their order. */
export function modelColor(palette: Palette, id: string, index: number): string {
  if (id === 'cnn') return palette.models[0]
  if (id === 'mlp') return palette.models[1]
  return palette.models[(index + 2) % palette.models.length]
}
