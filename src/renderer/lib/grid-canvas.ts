/**
 * Grid figures drawn with the canvas API: on screen (BaseHeatmapGrid) and as
 * a PNG at twice the size with title and legend. The description and the SVG
 * emitter live in grid-figure.ts, which needs no DOM.
 */
import { FONT_FAMILY } from './fonts'
import { cellText, colorIndex, colorOf, textColorOn } from './colormap'
import { LEGEND_BAR, LEGEND_H, PAD, TITLE_H, fitCellText, framed, legendTicks, type GridFigure, type GridLegend, type GridPanel } from './grid-figure'
import type { Palette } from './palette'
import { intensity } from './rgb'
import { canvasPng } from './figure-file'

/** One small canvas and image per panel size: resizing a canvas per panel would reallocate it every time. */
const scratches = new Map<string, { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D; image: ImageData }>()

function scratchFor(cols: number, rows: number) {
  const key = `${cols}x${rows}`
  let s = scratches.get(key)
  if (!s) {
    const canvas = document.createElement('canvas')
    canvas.width = cols
    canvas.height = rows
    const ctx = canvas.getContext('2d')!
    s = { canvas, ctx, image: ctx.createImageData(cols, rows) }
    scratches.set(key, s)
  }
  return s
}

/** The panel's cells as one small image, scaled up without smoothing: far faster than a rect per cell. */
function drawCells(ctx: CanvasRenderingContext2D, p: GridPanel): void {
  const { canvas, ctx: sctx, image } = scratchFor(p.cols, p.rows)
  const px = image.data
  const lut = p.scale.lut
  const off = p.offset ?? 0
  const n = p.rows * p.cols
  const rgb = p.rgb
  if (rgb) {
    // Three planes, one per colour channel.
    for (let i = 0; i < n; i++) {
      px[i * 4] = intensity(p.values[off + i], rgb)
      px[i * 4 + 1] = intensity(p.values[off + n + i], rgb)
      px[i * 4 + 2] = intensity(p.values[off + 2 * n + i], rgb)
      px[i * 4 + 3] = 255
    }
  } else {
    for (let i = 0; i < n; i++) {
      const k = colorIndex(p.scale, p.values[off + i]) * 3
      px[i * 4] = lut[k]
      px[i * 4 + 1] = lut[k + 1]
      px[i * 4 + 2] = lut[k + 2]
      px[i * 4 + 3] = 255
    }
  }
  sctx.putImageData(image, 0, 0)
  ctx.imageSmoothingEnabled = false
  ctx.drawImage(canvas, 0, 0, p.cols, p.rows, p.x, p.y, p.cols * p.cell, p.rows * p.cell)
}

function font(size: number, bold = false): string {
  return `${bold ? '600 ' : ''}${size}px ${FONT_FAMILY}`
}

/**
 * Draws the figure at (0, 0) in CSS pixels (the caller sets the transform for
 * the pixel ratio). On screen the figure's free texts are HTML laid over the
 * canvas (BaseHeatmapGrid), so `texts: false` leaves them out here.
 */
export function drawGridFigure(ctx: CanvasRenderingContext2D, fig: GridFigure, palette: Palette, options: { texts?: boolean } = {}): void {
  for (const p of fig.panels) {
    drawCells(ctx, p)
    const w = p.cols * p.cell
    const h = p.rows * p.cell
    ctx.strokeStyle = p.highlight ? palette.text : palette.axis
    ctx.lineWidth = p.highlight ? 2 : 0.5
    ctx.strokeRect(p.x - 0.5, p.y - 0.5, w + 1, h + 1)
    if (p.interior) {
      const { x0, x1, y0, y1 } = p.interior
      ctx.save()
      ctx.setLineDash([3, 2])
      ctx.strokeStyle = palette.text
      ctx.lineWidth = 1.25
      ctx.strokeRect(p.x + x0 * p.cell, p.y + y0 * p.cell, (x1 - x0) * p.cell, (y1 - y0) * p.cell)
      ctx.restore()
    }
    const fit = p.text ? fitCellText(p) : null
    if (fit) {
      ctx.font = font(fit.size)
      ctx.textAlign = 'center'
      ctx.textBaseline = 'middle'
      const off = p.offset ?? 0
      for (let r = 0; r < p.rows; r++) {
        for (let c = 0; c < p.cols; c++) {
          const v = p.values[off + r * p.cols + c]
          ctx.fillStyle = textColorOn(p.scale, v)
          ctx.fillText(cellText(v, fit.digits), p.x + (c + 0.5) * p.cell, p.y + (r + 0.5) * p.cell + 0.5)
        }
      }
    }
    if (p.label) {
      ctx.font = font(11)
      ctx.fillStyle = palette.muted
      ctx.textAlign = 'left'
      ctx.textBaseline = 'bottom'
      ctx.fillText(p.label, p.x, p.y - 2)
    }
  }
  if (options.texts === false) return
  for (const t of fig.texts) {
    ctx.font = font(t.size ?? 12, t.bold)
    ctx.fillStyle = t.muted ? palette.muted : palette.text
    ctx.textAlign = t.align ?? 'left'
    ctx.textBaseline = 'middle'
    ctx.fillText(t.text, t.x, t.y)
  }
}

function drawLegend(ctx: CanvasRenderingContext2D, legend: GridLegend, x: number, y: number, palette: Palette): void {
  const w = LEGEND_BAR
  const h = 10
  for (let i = 0; i < w; i++) {
    const v = legend.scale.min + ((legend.scale.max - legend.scale.min) * i) / (w - 1)
    ctx.fillStyle = colorOf(legend.scale, v)
    ctx.fillRect(x + i, y, 1, h)
  }
  ctx.font = font(11)
  ctx.fillStyle = palette.muted
  ctx.textBaseline = 'top'
  legendTicks(legend.scale).forEach((t, i) => {
    ctx.textAlign = i === 0 ? 'left' : i === 1 ? 'center' : 'right'
    ctx.fillText(t.label, x + (i * w) / 2, y + h + 3)
  })
  ctx.textAlign = 'left'
  ctx.textBaseline = 'middle'
  ctx.fillText(legend.label, x + w + 12, y + h / 2)
}

/** A PNG at pixel ratio 2, title and legend drawn, solid background. */
export function gridFigurePng(fig: GridFigure, title: string, palette: Palette, ratio = 2): Promise<Blob> {
  const { fig: inner, width, height } = framed(fig, title)
  const canvas = document.createElement('canvas')
  canvas.width = Math.ceil(width * ratio)
  canvas.height = Math.ceil(height * ratio)
  const ctx = canvas.getContext('2d')!
  ctx.scale(ratio, ratio)
  ctx.fillStyle = palette.background
  ctx.fillRect(0, 0, width, height)
  drawGridFigure(ctx, inner, palette)
  ;(fig.legends ?? []).forEach((legend, n) => drawLegend(ctx, legend, PAD, TITLE_H + fig.height + 12 + n * LEGEND_H, palette))
  return canvasPng(canvas)
}

