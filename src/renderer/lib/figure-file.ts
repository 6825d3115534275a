/**
 * A figure as the file a door saves: a Blob, made once. PNG comes straight
 * from the canvas's encoder (no data URL to decode), SVG from its text; the
 * browser door downloads the Blob as it is, the Electron door reads it as
 * base64 once, for the IPC call.
 */
export type FigureFormat = 'png' | 'svg'

export const FIGURE_TYPES: Record<FigureFormat, string> = { png: 'image/png', svg: 'image/svg+xml' }

export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas could not be encoded as PNG'))), FIGURE_TYPES.png)
  })
}

export function svgFile(svg: string): Blob {
  return new Blob([svg], { type: FIGURE_TYPES.svg })
}

/** The Blob's bytes as base64 (what the lab API's exportFigure carries), encoded by the browser in one pass. */
export function blobBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => {
      const url = String(reader.result)
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.onerror = () => reject(reader.error ?? new Error('the figure could not be read'))
    reader.readAsDataURL(blob)
  })
}
