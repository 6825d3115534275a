/**
 * Figures for slides: a chart rendered again off screen with its title, its
 * legend and a solid background, as a PNG at twice its on-screen pixel size
 * or as an SVG, and handed to the door to save.
 */
import { init } from 'echarts/core'
import { chartSvg, type FigureRequest } from '../charts/chart-svg'
import { echartsThemeName } from '../charts/setup'
import { getLabClient } from '../lab-client'
import { safeFileStem } from '../lab-client/door-files'
import { exportOption } from '../lib/chart-options'

export type FigureFormat = 'png' | 'svg'

export type { FigureRequest } from '../charts/chart-svg'

function dataUrlBytes(url: string): Uint8Array {
  const base64 = url.slice(url.indexOf(',') + 1)
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export function renderFigure(request: FigureRequest, format: FigureFormat): Uint8Array {
  const { width, height, palette } = request
  const option = exportOption(request.option, request.title, palette)
  const theme = echartsThemeName(palette.theme)
  if (format === 'svg') return new TextEncoder().encode(chartSvg(request))
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
