/**
 * The one place that reads a conv or pooling layer's sizes. `kernelSize`,
 * `stride` and `padding` may each be a number (both axes) or `[h, w]`, as
 * PyTorch's `nn.Conv2d` takes them; every consumer (shape inference, budget,
 * calculator, probes, views) asks here instead of checking types itself.
 */

/** A size for both axes or one per axis, as the experiment file writes it. */
export type SizeSetting = number | readonly [number, number]

/** [h, w] from a size setting. */
export function pair(value: SizeSetting): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]]
}

/** Whether a size setting is the same on both axes. */
export function isSquare(value: SizeSetting): boolean {
  const [h, w] = pair(value)
  return h === w
}

export interface ConvAxes {
  kernel: [number, number]
  stride: [number, number]
  padding: [number, number]
  groups: number
}

/** The sizes of a conv2d spec, every field per axis, defaults filled in. */
export function convAxes(spec: {
  kernelSize: SizeSetting
  stride?: SizeSetting
  padding?: SizeSetting
  groups?: number
}): ConvAxes {
  return {
    kernel: pair(spec.kernelSize),
    stride: pair(spec.stride ?? 1),
    padding: pair(spec.padding ?? 0),
    groups: spec.groups ?? 1,
  }
}

/** The sizes of a pooling window (no padding; the stride defaults to the window, as in PyTorch). */
export function poolAxes(spec: { kernelSize: SizeSetting; stride?: SizeSetting }): { kernel: [number, number]; stride: [number, number] } {
  return { kernel: pair(spec.kernelSize), stride: pair(spec.stride ?? spec.kernelSize) }
}

/** Output length of one axis: floor((size + 2·padding − kernel) / stride) + 1. */
export function outputLength(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1
}

/** "3×3", "2×3": a size setting as people read it (height × width). */
export function sizeText(value: SizeSetting): string {
  const [h, w] = pair(value)
  return `${h}×${w}`
}
