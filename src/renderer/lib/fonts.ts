/**
 * The one font stack of every figure (ECharts charts, grid canvases, exports).
 * Single quotes only: ECharts' SVG renderer writes the family into a
 * style="…" attribute without escaping it, so a double quote would end the
 * attribute and make every exported chart SVG invalid XML.
 */
export const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
