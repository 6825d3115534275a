/**
 * Figures for slides: a chart rendered again off screen with its title, its
 * legend and a solid background, as a PNG at twice its on-screen pixel size
 * or as an SVG, and handed to the door to save.
 */
import { init, type EChartsCoreOption } from 'echarts/core'
import { echartsThemeName } from '../charts/setup'
import { getLabClient } from '../lab-client'
import { safeFileStem } from '../lab-client/door-files'
import { exportOption } from '../lib/chart-options'
import type { Palette } from '../lib/palette'

export type FigureFormat = 'png' | 'svg'

export interface FigureRequest {
  title: string
  option: EChartsCoreOption
  width: number
  height: number
  palette: Palette
}

function dataUrlBytes(url: string): Uint8Array {
  const base64 = url.slice(url.indexOf(',') + 1)
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * The option with every fontFamily's double quotes made single. ECharts' SVG
 * renderer copies font families into style="…" unescaped, so one chart that
 * names a font in double quotes would otherwise export invalid XML.
 */
export function svgSafeFonts<T>(value: T): T {
  if (Array.isArray(value)) return value.map(svgSafeFonts) as T
  if (!value || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) out[key] = key === 'fontFamily' && typeof v === 'string' ? v.replace(/"/g, "'") : svgSafeFonts(v)
  return out as T
}

export function renderFigure(request: FigureRequest, format: FigureFormat): Uint8Array {
  const { width, height, palette } = request
  const option = exportOption(request.option, request.title, palette)
  const theme = echartsThemeName(palette.theme)
  if (format === 'svg') {
    // Server-side style rendering needs no DOM node and returns the SVG text directly.
    const chart = init(null as unknown as HTMLElement, theme, { renderer: 'svg', ssr: true, width, height })
    try {
      chart.setOption(svgSafeFonts(option))
      return new TextEncoder().encode(chart.renderToSVGString())
    } finally {
      chart.dispose()
    }
  }
  const host = document.createElement('div')
  host.style.cssText = `position:fixed;left:-10000px;top:0;width:${width}px;height:${height}px;`
  document.body.appendChild(host)
  const chart = init(host, theme, { renderer: 'canvas', width, height, devicePixelRatio: 2 })
  try {
    chart.setOption(option)
    return dataUrlBytes(chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: palette.background }))
  } finally {
    chart.dispose()
    host.remove()
  }
}

export async function saveFigure(request: FigureRequest, format: FigureFormat): Promise<{ path: string } | null> {
  const bytes = renderFigure(request, format)
  return getLabClient().saveFigure(`${safeFileStem(request.title)}.${format}`, format, bytes)
}
