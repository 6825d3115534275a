/**
 * The lab's tensor: a shape and a flat, row-major typed array (batch-first NCHW
 * for images). Float32 by default; Float64 when an experiment asks for it, as
 * lesson 000 does to print its own numbers.
 */
export type Precision = 'float32' | 'float64'
export type FloatArray = Float32Array | Float64Array

export interface Tensor {
  readonly shape: readonly number[]
  readonly data: FloatArray
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function allocate(precision: Precision, length: number): FloatArray {
  return precision === 'float64' ? new Float64Array(length) : new Float32Array(length)
}

export function zeros(shape: readonly number[], precision: Precision = 'float32'): Tensor {
  return { shape: [...shape], data: allocate(precision, sizeOf(shape)) }
}

export function tensor(shape: readonly number[], data: FloatArray): Tensor {
  if (data.length !== sizeOf(shape)) {
    throw new Error(`tensor: shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${data.length}`)
  }
  return { shape: [...shape], data }
}

export function precisionOf(data: FloatArray): Precision {
  return data instanceof Float64Array ? 'float64' : 'float32'
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Returns `current` when it already has this shape and precision, otherwise a
 * fresh zeroed tensor. Layers keep their outputs and scratch in such buffers so
 * they allocate only when the batch size (or precision) changes, never per call.
 */
export function reuseTensor(current: Tensor | null, shape: readonly number[], precision: Precision): Tensor {
  if (current && precisionOf(current.data) === precision && sameShape(current.shape, shape)) return current
  return zeros(shape, precision)
}

/** Same as reuseTensor for a bare array of at least `length` values (scratch space). */
export function reuseArray(current: FloatArray | null, length: number, precision: Precision): FloatArray {
  if (current && precisionOf(current) === precision && current.length >= length) return current
  return allocate(precision, length)
}
