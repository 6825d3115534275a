/**
 * Figures for slides: a chart rendered again off screen with its title, its
 * legend and a solid background, as a PNG at twice its on-screen pixel size
 * or as an SVG, as the file the door saves.
 */
import { init } from 'echarts/core'
import { chartSvg, type FigureRequest } from '../charts/chart-svg'
import { echartsThemeName } from '../charts/setup'
import { exportOption } from '../lib/chart-options'
import { canvasPng, svgFile, type FigureFormat } from '../lib/figure-file'

export async function renderChartFigure(request: FigureRequest, format: FigureFormat): Promise<Blob> {
  if (format === 'svg') return svgFile(chartSvg(request))
  const { width, height, palette } = request
  const host = document.createElement('div')
  host.style.cssText = `position:fixed;left:-10000px;top:0;width:${width}px;height:${height}px;`
  document.body.appendChild(host)
  const chart = init(host, echartsThemeName(palette.theme), { renderer: 'canvas', width, height, devicePixelRatio: 2 })
  try {
    chart.setOption(exportOption(request.option, request.title, palette))
    // The rendered canvas, encoded once by the browser (no data URL to decode and encode again).
    return await canvasPng(chart.renderToCanvas({ pixelRatio: 2, backgroundColor: palette.background }))
  } finally {
    chart.dispose()
    host.remove()
  }
}
