/**
 * The float64 gradient check shared by the layer tests (layers.test.ts,
 * lesson004-layers.test.ts): a layer's backward against central finite
 * differences. The probe loss is L = Σ y·r with a fixed random r, so
 * dL/dy = r and every output element contributes with a different weight.
 */
import type { Layer } from '../../src/engine/layers'
import { sizeOf, type Tensor } from '../../src/engine/tensor'

/** Deterministic values in [-1, 1) from a small LCG, so a failing case can be rerun exactly. */
export function randomArray(length: number, seed: number): Float64Array {
  const out = new Float64Array(length)
  let s = seed >>> 0
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = (s / 2 ** 32) * 2 - 1
  }
  return out
}

export function randomTensor(shape: number[], seed: number): Tensor {
  return { shape, data: randomArray(sizeOf(shape), seed) }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

/**
 * Largest |numeric − analytic| over dL/dx and every parameter's gradient
 * (central differences, h = 1e-6). The layer's parameters are first set to
 * random values from `seed`, and r is drawn from it too.
 */
export function gradientError(layer: Layer, x: Tensor, options: { seed: number; training: boolean }): number {
  const { seed, training } = options
  for (const p of layer.params) p.value.data.set(randomArray(p.value.data.length, seed + p.value.data.length))
  const y = layer.forward(x, training)
  const r = randomArray(y.data.length, seed)
  const loss = () => dot(layer.forward(x, training).data, r)
  // Forward once more so backward sees this input's caches, not the last probe's.
  layer.forward(x, training)
  const dx = Float64Array.from(layer.backward({ shape: y.shape, data: r }).data)
  const grads = layer.params.map((p) => Float64Array.from(p.grad.data))
  const h = 1e-6
  const numeric = (arr: Float64Array | Float32Array, i: number) => {
    const saved = arr[i]
    arr[i] = saved + h
    const up = loss()
    arr[i] = saved - h
    const down = loss()
    arr[i] = saved
    return (up - down) / (2 * h)
  }
  let worst = 0
  for (let i = 0; i < x.data.length; i++) worst = Math.max(worst, Math.abs(numeric(x.data, i) - dx[i]))
  layer.params.forEach((p, k) => {
    for (let i = 0; i < p.value.data.length; i++) worst = Math.max(worst, Math.abs(numeric(p.value.data, i) - grads[k][i]))
  })
  return worst
}
