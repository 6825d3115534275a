/**
 * ECharts, registered on demand: only the charts, components and renderers
 * the dashboards use go into the bundle. Also one ECharts theme per app theme.
 */
import { use, registerTheme } from 'echarts/core'
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts'
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components'
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers'
import { FONT_FAMILY } from '../lib/fonts'
import { paletteFor, type ThemeName } from '../lib/palette'

use([
  LineChart,
  BarChart,
  HeatmapChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
  SVGRenderer,
])

export function echartsThemeName(theme: ThemeName): string {
  return `cnn-lab-${theme}`
}

for (const theme of ['light', 'dark'] as const) {
  const p = paletteFor(theme)
  const axis = {
    axisLine: { lineStyle: { color: p.axis } },
    axisTick: { lineStyle: { color: p.axis } },
    axisLabel: { color: p.muted },
    splitLine: { lineStyle: { color: p.grid } },
    nameTextStyle: { color: p.muted },
  }
  registerTheme(echartsThemeName(theme), {
    color: p.models,
    backgroundColor: 'transparent',
    textStyle: { color: p.text, fontFamily: FONT_FAMILY },
    title: { textStyle: { color: p.text }, subtextStyle: { color: p.muted } },
    legend: { textStyle: { color: p.text }, inactiveColor: p.axis },
    valueAxis: axis,
    categoryAxis: axis,
    logAxis: axis,
    tooltip: { backgroundColor: p.surface, borderColor: p.axis, textStyle: { color: p.text } },
  })
}
