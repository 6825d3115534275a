/**
 * im2col turns convolution into one matrix multiply: every receptive field of
 * the input becomes a column, so `weights [O, C·kh·kw] × cols [C·kh·kw, P]`
 * is the whole convolution (P = output positions). col2im is its adjoint: it
 * adds each column back onto the pixels it was read from, which is exactly the
 * gradient with respect to the input.
 *
 * Columns of several samples sit side by side (sample n owns columns
 * [n·P, (n+1)·P)), so a whole batch chunk is a single, large GEMM.
 */
import type { FloatArray } from '../tensor'

export interface ConvGeometry {
  channels: number
  height: number
  width: number
  kernel: number
  stride: number
  padding: number
  outHeight: number
  outWidth: number
}

/**
 * For kernel column kx, the output columns [firstInside, endInside) whose input
 * column ox·stride − padding + kx lies inside the image. Outside that range the
 * tap reads padding, so the inner loops below need no bounds test per pixel.
 */
function firstInside(g: ConvGeometry, kx: number): number {
  return Math.min(g.outWidth, Math.max(0, Math.ceil((g.padding - kx) / g.stride)))
}

function endInside(g: ConvGeometry, kx: number): number {
  const end = Math.floor((g.width - 1 + g.padding - kx) / g.stride) + 1
  return Math.max(firstInside(g, kx), Math.min(g.outWidth, end))
}

/**
 * Writes sample `x[xOffset..]` (C×H×W) into `cols` rows of length `rowLength`,
 * starting at column `colOffset`. Zero padding is written explicitly.
 */
export function im2col(
  g: ConvGeometry, x: FloatArray, xOffset: number, cols: FloatArray, rowLength: number, colOffset: number,
): void {
  const { channels, height, width, kernel, stride, padding, outHeight, outWidth } = g
  let row = 0
  for (let c = 0; c < channels; c++) {
    const plane = xOffset + c * height * width
    for (let ky = 0; ky < kernel; ky++) {
      for (let kx = 0; kx < kernel; kx++, row++) {
        const first = firstInside(g, kx)
        const end = endInside(g, kx)
        let o = row * rowLength + colOffset
        for (let oy = 0; oy < outHeight; oy++, o += outWidth) {
          const iy = oy * stride - padding + ky
          if (iy < 0 || iy >= height) {
            cols.fill(0, o, o + outWidth)
            continue
          }
          for (let ox = 0; ox < first; ox++) cols[o + ox] = 0
          let i = plane + iy * width + first * stride - padding + kx
          for (let ox = first; ox < end; ox++, i += stride) cols[o + ox] = x[i]
          for (let ox = end; ox < outWidth; ox++) cols[o + ox] = 0
        }
      }
    }
  }
}

/** The adjoint of im2col: adds the columns back into `dx[dxOffset..]`, which the caller zeroed. */
export function col2im(
  g: ConvGeometry, cols: FloatArray, rowLength: number, colOffset: number, dx: FloatArray, dxOffset: number,
): void {
  const { channels, height, width, kernel, stride, padding, outHeight, outWidth } = g
  let row = 0
  for (let c = 0; c < channels; c++) {
    const plane = dxOffset + c * height * width
    for (let ky = 0; ky < kernel; ky++) {
      for (let kx = 0; kx < kernel; kx++, row++) {
        const first = firstInside(g, kx)
        const end = endInside(g, kx)
        let o = row * rowLength + colOffset
        for (let oy = 0; oy < outHeight; oy++, o += outWidth) {
          const iy = oy * stride - padding + ky
          if (iy < 0 || iy >= height) continue
          let i = plane + iy * width + first * stride - padding + kx
          for (let ox = first; ox < end; ox++, i += stride) dx[i] += cols[o + ox]
        }
      }
    }
  }
}
