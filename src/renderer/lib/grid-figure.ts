/**
 * Grid figures: many small heatmaps (kernels, weight walls, feature maps,
 * robustness maps) described once as panels with positions, then drawn three
 * ways from the same description: on screen into a canvas and as a PNG at
 * twice the size with its title and colour legend (grid-canvas.ts, which
 * needs the DOM), and as an SVG of rects and text (here, pure).
 * ECharts would take a chart instance per map; dozens of maps per drag step
 * need plain canvas.
 */
import type { Palette } from './palette'
import { cellText, colorOf, textColorOn, type ColorScale } from './colormap'
import { FONT_FAMILY } from './fonts'
import { rgbAt, rgbCss, type RgbRange } from './rgb'

export interface GridPanel {
  x: number
  y: number
  /** Side of one cell in CSS pixels. */
  cell: number
  rows: number
  cols: number
  /** values[offset + r * cols + c]. */
  values: ArrayLike<number>
  offset?: number
  scale: ColorScale
  /** Drawn above the panel. */
  label?: string
  /** What the hover tooltip calls the panel when it has no label ("f2, epoch 5"). */
  name?: string
  /** Write each value in its cell. */
  text?: boolean
  digits?: number
  /** Outline this rectangle of cells, [x0, x1) × [y0, y1) (equivariance's exact interior; outside it is the border band). */
  interior?: { x0: number; x1: number; y0: number; y1: number } | null
  /** A stroke around the panel (the selected epoch). */
  highlight?: boolean
  /**
   * A colour picture instead of a heatmap: values[offset …] hold three planes
   * of rows × cols (red, green, blue), each mapped from this range to 0–255.
   * `scale` is then unused for the cells, and no values are written in them
   * (three numbers do not fit a cell; the tooltip gives them).
   */
  rgb?: RgbRange
}

/** The colour of one cell as CSS, whichever way the panel is drawn. */
export function cellColor(p: GridPanel, row: number, col: number): string {
  const i = row * p.cols + col
  if (p.rgb) return rgbCss(rgbAt(p.values, p.offset ?? 0, p.rows * p.cols, i, p.rgb))
  return colorOf(p.scale, p.values[(p.offset ?? 0) + i])
}

export interface FigureText {
  x: number
  y: number
  text: string
  size?: number
  bold?: boolean
  align?: 'left' | 'center' | 'right'
  muted?: boolean
}

export interface GridFigure {
  width: number
  height: number
  panels: GridPanel[]
  texts: FigureText[]
  /** The colour scales a reader needs, each with what it means; shown under the figure. */
  legends?: GridLegend[]
}

export interface GridLegend {
  scale: ColorScale
  label: string
}

export const LABEL_HEIGHT = 14
/** Cells at least this big get their values written. */
export const TEXT_MIN_CELL = 22

/**
 * Width of a text in CSS pixels, estimated from per-character advances of a
 * system sans-serif (Arial/Segoe/Roboto are within a few per cent of these).
 * An estimate, not a measurement, so that the canvas, the SVG (which has no
 * text metrics) and the layout all make the same decision.
 */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') em += 0.556
    else if (ch === '.' || ch === ',' || ch === '·' || ch === ' ' || ch === 'i' || ch === 'l') em += 0.278
    else if (ch === '−' || ch === '+' || ch === '×') em += 0.584
    else if (ch === '-') em += 0.333
    else if (ch >= 'A' && ch <= 'Z') em += 0.667
    else em += 0.56
  }
  return em * size * (bold ? 1.06 : 1)
}

/** Room left for a value inside its cell, each side. */
const CELL_PAD = 2

/**
 * The font size and digits at which the widest value of a panel fits inside
 * its cells: the preferred digits at 12 px down to 8 px, then one digit fewer,
 * down to one decimal. Null when nothing fits (the value is then only in the
 * hover tooltip), so a "−1.23" never spills into its neighbour.
 */
export function fitCellText(p: GridPanel): { size: number; digits: number } | null {
  if (p.rgb) return null
  const off = p.offset ?? 0
  const n = p.rows * p.cols
  let widest = 0
  for (let i = 0; i < n; i++) {
    const a = Math.abs(p.values[off + i])
    if (Number.isFinite(a) && a > widest) widest = a
  }
  const preferred = p.digits ?? 2
  const room = p.cell - 2 * CELL_PAD
  const top = Math.max(8, Math.min(12, Math.floor(p.cell * 0.36)))
  for (let digits = preferred; digits >= Math.min(1, preferred); digits--) {
    // The widest string: the largest magnitude with a minus sign in front.
    const text = cellText(-widest, digits).replace(/^(?!−)/, '−')
    for (let size = top; size >= 8; size--) {
      if (textWidth(text, size) <= room && size <= p.cell * 0.6) return { size, digits }
    }
  }
  return null
}

export interface CellHit {
  panel: number
  row: number
  col: number
  /** The cell's value (a colour panel's red). */
  value: number
  /** A colour panel's red, green and blue values. */
  rgb?: [number, number, number]
}

/** The cell under a point of the figure (CSS pixels from its top-left), or null. */
export function hitTest(fig: GridFigure, x: number, y: number): CellHit | null {
  // Last panel first: it is drawn on top where panels touch.
  for (let i = fig.panels.length - 1; i >= 0; i--) {
    const p = fig.panels[i]
    const col = Math.floor((x - p.x) / p.cell)
    const row = Math.floor((y - p.y) / p.cell)
    if (col < 0 || row < 0 || col >= p.cols || row >= p.rows) continue
    const at = (p.offset ?? 0) + row * p.cols + col
    const plane = p.rows * p.cols
    if (p.rgb) return { panel: i, row, col, value: p.values[at], rgb: [p.values[at], p.values[at + plane], p.values[at + 2 * plane]] }
    return { panel: i, row, col, value: p.values[at] }
  }
  return null
}

/** A value as the tooltip writes it: three significant figures, a real minus sign. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  let s: string
  if (a === 0) s = '0'
  else if (a >= 1000) s = a.toFixed(0)
  else if (a < 0.001) s = a.toExponential(2)
  else {
    s = a.toPrecision(3)
    // "0.500" → "0.5", "2.00" → "2"; "100" keeps its zeros.
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '')
  }
  return (v < 0 ? '−' : '') + s
}

/** "f2, epoch 5 · row 1, col 3: −0.412" */
export function hoverText(fig: GridFigure, hit: CellHit): string {
  const p = fig.panels[hit.panel]
  const name = p.name ?? p.label
  const where = p.rows === 1 && p.cols === 1 ? '' : p.cols === 1 ? `row ${hit.row + 1}` : p.rows === 1 ? `col ${hit.col + 1}` : `row ${hit.row + 1}, col ${hit.col + 1}`
  const head = [name, where].filter(Boolean).join(' · ')
  const value = hit.rgb ? `R ${formatValue(hit.rgb[0])}, G ${formatValue(hit.rgb[1])}, B ${formatValue(hit.rgb[2])}` : formatValue(hit.value)
  return `${head ? `${head}: ` : ''}${value}`
}

export function emptyFigure(): GridFigure {
  return { width: 0, height: 0, panels: [], texts: [] }
}

export interface FlowItem {
  rows: number
  cols: number
  label?: string
}

/**
 * Places panels left to right, wrapping at maxWidth, each with room for its
 * label above. Returns each panel's top-left and the size used.
 */
export function flowLayout(
  items: readonly FlowItem[],
  options: { cell: number; gap: number; maxWidth: number; top?: number; left?: number; labels?: boolean },
): { positions: { x: number; y: number }[]; width: number; height: number } {
  const { cell, gap, maxWidth } = options
  const left = options.left ?? 0
  const labelH = options.labels === false ? 0 : LABEL_HEIGHT
  let x = left
  let y = options.top ?? 0
  let rowHeight = 0
  let width = 0
  const positions: { x: number; y: number }[] = []
  for (const item of items) {
    const w = item.cols * cell
    const h = item.rows * cell + labelH
    if (x > left && x + w > maxWidth) {
      x = left
      y += rowHeight + gap
      rowHeight = 0
    }
    positions.push({ x, y: y + labelH })
    x += w + gap
    width = Math.max(width, x - gap)
    rowHeight = Math.max(rowHeight, h)
  }
  return { positions, width, height: items.length ? y + rowHeight : y }
}

// ── export: title on top, legend below ──────────────────────────────────────

export const TITLE_H = 30
export const LEGEND_H = 40
export const PAD = 12
/** Length of the exported legend's colour bar. */
export const LEGEND_BAR = 200

/** The figure moved inside a frame with its title and legend, as both exports draw it. */
export function framed(fig: GridFigure, title: string): { fig: GridFigure; width: number; height: number } {
  // Wide enough for the title and for the legend's label written after its 200 px bar.
  const legends = fig.legends ?? []
  const legendWidth = Math.max(0, ...legends.map((l) => LEGEND_BAR + 12 + textWidth(l.label, 11)))
  const width = Math.ceil(Math.max(fig.width + 2 * PAD, 280, textWidth(title, 15, true) + 2 * PAD, legendWidth + 2 * PAD))
  const height = TITLE_H + fig.height + legends.length * LEGEND_H + PAD
  const shifted: GridFigure = {
    width: fig.width,
    height: fig.height,
    panels: fig.panels.map((p) => ({ ...p, x: p.x + PAD, y: p.y + TITLE_H })),
    texts: [
      { x: PAD, y: TITLE_H / 2 + 2, text: title, size: 15, bold: true },
      ...fig.texts.map((t) => ({ ...t, x: t.x + PAD, y: t.y + TITLE_H })),
    ],
    legends: fig.legends,
  }
  return { fig: shifted, width, height }
}

/** Stops of the legend bar and its three labels (min, 0 or middle, max). */
export function legendTicks(scale: ColorScale): { value: number; label: string }[] {
  const mid = scale.kind === 'diverging' ? 0 : (scale.min + scale.max) / 2
  return [scale.min, mid, scale.max].map((value) => ({ value, label: cellText(value, Math.abs(scale.max) >= 10 ? 0 : 2) }))
}

/** Text and attribute values for XML: the five predefined entities, and no control characters XML 1.0 forbids. */
export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
}

const r2 = (v: number) => Math.round(v * 100) / 100

/** The same figure as SVG text: one rect per cell, text where the screen writes it. */
export function gridFigureSvg(fig: GridFigure, title: string, palette: Palette): string {
  const { fig: inner, width, height } = framed(fig, title)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r2(width)}" height="${r2(height)}" viewBox="0 0 ${r2(width)} ${r2(height)}" font-family="${esc(FONT_FAMILY)}">`,
    `<rect width="100%" height="100%" fill="${palette.background}"/>`,
  ]
  for (const p of inner.panels) {
    const off = p.offset ?? 0
    out.push('<g shape-rendering="crispEdges">')
    for (let r = 0; r < p.rows; r++) {
      for (let c = 0; c < p.cols; c++) {
        out.push(`<rect x="${r2(p.x + c * p.cell)}" y="${r2(p.y + r * p.cell)}" width="${r2(p.cell)}" height="${r2(p.cell)}" fill="${cellColor(p, r, c)}"/>`)
      }
    }
    out.push('</g>')
    out.push(
      `<rect x="${r2(p.x)}" y="${r2(p.y)}" width="${r2(p.cols * p.cell)}" height="${r2(p.rows * p.cell)}" fill="none" stroke="${p.highlight ? palette.text : palette.axis}" stroke-width="${p.highlight ? 2 : 0.5}"/>`,
    )
    if (p.interior) {
      const { x0, x1, y0, y1 } = p.interior
      out.push(
        `<rect x="${r2(p.x + x0 * p.cell)}" y="${r2(p.y + y0 * p.cell)}" width="${r2((x1 - x0) * p.cell)}" height="${r2((y1 - y0) * p.cell)}" fill="none" stroke="${palette.text}" stroke-dasharray="3 2"/>`,
      )
    }
    const fit = p.text ? fitCellText(p) : null
    if (fit) {
      for (let r = 0; r < p.rows; r++) {
        for (let c = 0; c < p.cols; c++) {
          const v = p.values[off + r * p.cols + c]
          out.push(
            `<text x="${r2(p.x + (c + 0.5) * p.cell)}" y="${r2(p.y + (r + 0.5) * p.cell)}" font-size="${fit.size}" text-anchor="middle" dominant-baseline="central" fill="${textColorOn(p.scale, v)}">${esc(cellText(v, fit.digits))}</text>`,
          )
        }
      }
    }
    if (p.label) out.push(`<text x="${r2(p.x)}" y="${r2(p.y - 3)}" font-size="11" fill="${palette.muted}">${esc(p.label)}</text>`)
  }
  for (const t of inner.texts) {
    const anchor = t.align === 'center' ? 'middle' : t.align === 'right' ? 'end' : 'start'
    out.push(
      `<text x="${r2(t.x)}" y="${r2(t.y)}" font-size="${t.size ?? 12}"${t.bold ? ' font-weight="600"' : ''} text-anchor="${anchor}" dominant-baseline="central" fill="${t.muted ? palette.muted : palette.text}">${esc(t.text)}</text>`,
    )
  }
  ;(fig.legends ?? []).forEach((legend, n) => {
    const x = 12
    const y = TITLE_H + fig.height + 12 + n * LEGEND_H
    const id = `legend-${n}-${legend.scale.kind}`
    const stops = Array.from({ length: 11 }, (_, i) => {
      const v = legend.scale.min + ((legend.scale.max - legend.scale.min) * i) / 10
      return `<stop offset="${i * 10}%" stop-color="${colorOf(legend.scale, v)}"/>`
    }).join('')
    out.push(`<defs><linearGradient id="${id}">${stops}</linearGradient></defs>`)
    out.push(`<rect x="${x}" y="${y}" width="${LEGEND_BAR}" height="10" fill="url(#${id})"/>`)
    legendTicks(legend.scale).forEach((t, i) => {
      const anchor = i === 0 ? 'start' : i === 1 ? 'middle' : 'end'
      out.push(`<text x="${x + (i * LEGEND_BAR) / 2}" y="${y + 22}" font-size="11" text-anchor="${anchor}" fill="${palette.muted}">${esc(t.label)}</text>`)
    })
    out.push(`<text x="${x + LEGEND_BAR + 12}" y="${y + 5}" font-size="11" dominant-baseline="central" fill="${palette.muted}">${esc(legend.label)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n')
}
