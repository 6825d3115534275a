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
        let o = row * rowLength + colOffset
        for (let oy = 0; oy < outHeight; oy++) {
          const iy = oy * stride - padding + ky
          if (iy < 0 || iy >= height) {
            cols.fill(0, o, o + outWidth)
            o += outWidth
            continue
          }
          const line = plane + iy * width
          let ix = kx - padding
          if (stride === 1 && ix >= 0 && ix + outWidth <= width) {
            // Unpadded stride-1 rows are a plain contiguous copy.
            for (let ox = 0; ox < outWidth; ox++) cols[o++] = x[line + ix + ox]
            continue
          }
          for (let ox = 0; ox < outWidth; ox++, ix += stride) {
            cols[o++] = ix >= 0 && ix < width ? x[line + ix] : 0
          }
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
        let o = row * rowLength + colOffset
        for (let oy = 0; oy < outHeight; oy++) {
          const iy = oy * stride - padding + ky
          if (iy < 0 || iy >= height) {
            o += outWidth
            continue
          }
          const line = plane + iy * width
          let ix = kx - padding
          for (let ox = 0; ox < outWidth; ox++, ix += stride, o++) {
            if (ix >= 0 && ix < width) dx[line + ix] += cols[o]
          }
        }
      }
    }
  }
}
