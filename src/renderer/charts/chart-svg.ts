/**
 * A chart as SVG text, as the chart cards export it: ECharts' server-side SVG
 * renderer (no DOM node needed, so unit tests run it in node) with the app's
 * theme and the export frame (title, solid background, no animation).
 */
import { init, type EChartsCoreOption } from 'echarts/core'
import { echartsThemeName } from './setup'
import { exportOption } from '../lib/chart-options'
import type { Palette } from '../lib/palette'

export interface FigureRequest {
  title: string
  option: EChartsCoreOption
  width: number
  height: number
  palette: Palette
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

export function chartSvg(request: FigureRequest): string {
  const { width, height, palette } = request
  const option = svgSafeFonts(exportOption(request.option, request.title, palette))
  const chart = init(null as unknown as Parameters<typeof init>[0], echartsThemeName(palette.theme), { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption(option)
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}
