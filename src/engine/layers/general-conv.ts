/**
 * Convolution for any geometry: a kernel, stride and padding of their own on
 * each axis, and channel groups (each group of outChannels / groups filters
 * sees only its inChannels / groups input channels; groups = inChannels is a
 * depthwise convolution). Weight [out, in / groups, kh, kw] as PyTorch's.
 *
 * Plain loops, the readable reference for the layers the fast kernels do not
 * take (Conv2d uses them when `conv2dNeedsGeneralLoops` says so). Each output
 * sums its products first and adds the bias last, the order the other conv
 * routes use.
 */
import type { FloatArray } from '../tensor'

export interface GeneralConvGeometry {
  channels: number
  height: number
  width: number
  outChannels: number
  outHeight: number
  outWidth: number
  kernel: [number, number]
  stride: [number, number]
  padding: [number, number]
  groups: number
}

export function generalConvForward(
  g: GeneralConvGeometry, n: number, x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray,
): void {
  const { channels: C, height: H, width: W, outChannels: O, outHeight: OH, outWidth: OW } = g
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding
  const inPerGroup = C / g.groups
  const outPerGroup = O / g.groups
  let at = 0
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < O; o++) {
      const firstChannel = Math.floor(o / outPerGroup) * inPerGroup
      const b = bias ? bias[o] : 0
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++, at++) {
          let sum = 0
          for (let c = 0; c < inPerGroup; c++) {
            const plane = (s * C + firstChannel + c) * H
            const filter = (o * inPerGroup + c) * kh
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - ph + ky
              if (iy < 0 || iy >= H) continue
              const row = (plane + iy) * W
              const wrow = (filter + ky) * kw
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pw + kx
                if (ix >= 0 && ix < W) sum += w[wrow + kx] * x[row + ix]
              }
            }
          }
          y[at] = sum + b
        }
      }
    }
  }
}

/** Overwrites dW and db; adds into dx when given (the caller zeroes it), skips it when null. */
export function generalConvBackward(
  g: GeneralConvGeometry, n: number, x: FloatArray, w: FloatArray, dy: FloatArray,
  dw: FloatArray, db: FloatArray | null, dx: FloatArray | null,
): void {
  const { channels: C, height: H, width: W, outChannels: O, outHeight: OH, outWidth: OW } = g
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding
  const inPerGroup = C / g.groups
  const outPerGroup = O / g.groups
  dw.fill(0)
  if (db) db.fill(0)
  let at = 0
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < O; o++) {
      const firstChannel = Math.floor(o / outPerGroup) * inPerGroup
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++, at++) {
          const grad = dy[at]
          if (db) db[o] += grad
          for (let c = 0; c < inPerGroup; c++) {
            const plane = (s * C + firstChannel + c) * H
            const filter = (o * inPerGroup + c) * kh
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - ph + ky
              if (iy < 0 || iy >= H) continue
              const row = (plane + iy) * W
              const wrow = (filter + ky) * kw
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pw + kx
                if (ix < 0 || ix >= W) continue
                dw[wrow + kx] += grad * x[row + ix]
                if (dx) dx[row + ix] += grad * w[wrow + kx]
              }
            }
          }
        }
      }
    }
  }
}
