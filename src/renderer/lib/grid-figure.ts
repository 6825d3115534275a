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
  /** Write each value in its cell. */
  text?: boolean
  digits?: number
  /** Outline this rectangle of cells, [x0, x1) × [y0, y1) (equivariance's exact interior; outside it is the border band). */
  interior?: { x0: number; x1: number; y0: number; y1: number } | null
  /** A stroke around the panel (the selected epoch). */
  highlight?: boolean
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
  legend?: { scale: ColorScale; label: string }
}

export const LABEL_HEIGHT = 14
/** Cells at least this big get their values written. */
export const TEXT_MIN_CELL = 22

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
const LEGEND_H = 40
export const PAD = 12

/** The figure moved inside a frame with its title and legend, as both exports draw it. */
export function framed(fig: GridFigure, title: string): { fig: GridFigure; width: number; height: number } {
  const width = Math.max(fig.width + 2 * PAD, 280)
  const height = TITLE_H + fig.height + (fig.legend ? LEGEND_H : 0) + PAD
  const shifted: GridFigure = {
    width: fig.width,
    height: fig.height,
    panels: fig.panels.map((p) => ({ ...p, x: p.x + PAD, y: p.y + TITLE_H })),
    texts: [
      { x: PAD, y: TITLE_H / 2 + 2, text: title, size: 15, bold: true },
      ...fig.texts.map((t) => ({ ...t, x: t.x + PAD, y: t.y + TITLE_H })),
    ],
    legend: fig.legend,
  }
  return { fig: shifted, width, height }
}

/** Stops of the legend bar and its three labels (min, 0 or middle, max). */
export function legendTicks(scale: ColorScale): { value: number; label: string }[] {
  const mid = scale.kind === 'diverging' ? 0 : (scale.min + scale.max) / 2
  return [scale.min, mid, scale.max].map((value) => ({ value, label: cellText(value, Math.abs(scale.max) >= 10 ? 0 : 2) }))
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const r2 = (v: number) => Math.round(v * 100) / 100

/** The same figure as SVG text: one rect per cell, text where the screen writes it. */
export function gridFigureSvg(fig: GridFigure, title: string, palette: Palette): string {
  const { fig: inner, width, height } = framed(fig, title)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r2(width)}" height="${r2(height)}" viewBox="0 0 ${r2(width)} ${r2(height)}" font-family="system-ui, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="${palette.background}"/>`,
  ]
  for (const p of inner.panels) {
    const off = p.offset ?? 0
    out.push('<g shape-rendering="crispEdges">')
    for (let r = 0; r < p.rows; r++) {
      for (let c = 0; c < p.cols; c++) {
        const v = p.values[off + r * p.cols + c]
        out.push(`<rect x="${r2(p.x + c * p.cell)}" y="${r2(p.y + r * p.cell)}" width="${r2(p.cell)}" height="${r2(p.cell)}" fill="${colorOf(p.scale, v)}"/>`)
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
    if (p.text) {
      const size = Math.max(8, Math.min(12, Math.floor(p.cell * 0.36)))
      for (let r = 0; r < p.rows; r++) {
        for (let c = 0; c < p.cols; c++) {
          const v = p.values[off + r * p.cols + c]
          out.push(
            `<text x="${r2(p.x + (c + 0.5) * p.cell)}" y="${r2(p.y + (r + 0.5) * p.cell)}" font-size="${size}" text-anchor="middle" dominant-baseline="central" fill="${textColorOn(p.scale, v)}">${esc(cellText(v, p.digits))}</text>`,
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
  if (fig.legend) {
    const x = 12
    const y = TITLE_H + fig.height + 12
    const id = `legend-${fig.legend.scale.kind}`
    const stops = Array.from({ length: 11 }, (_, i) => {
      const v = fig.legend!.scale.min + ((fig.legend!.scale.max - fig.legend!.scale.min) * i) / 10
      return `<stop offset="${i * 10}%" stop-color="${colorOf(fig.legend!.scale, v)}"/>`
    }).join('')
    out.push(`<defs><linearGradient id="${id}">${stops}</linearGradient></defs>`)
    out.push(`<rect x="${x}" y="${y}" width="200" height="10" fill="url(#${id})"/>`)
    legendTicks(fig.legend.scale).forEach((t, i) => {
      const anchor = i === 0 ? 'start' : i === 1 ? 'middle' : 'end'
      out.push(`<text x="${x + i * 100}" y="${y + 22}" font-size="11" text-anchor="${anchor}" fill="${palette.muted}">${esc(t.label)}</text>`)
    })
    out.push(`<text x="${x + 212}" y="${y + 5}" font-size="11" dominant-baseline="central" fill="${palette.muted}">${esc(fig.legend.label)}</text>`)
  }
  out.push('</svg>')
  return out.join('\n')
}
