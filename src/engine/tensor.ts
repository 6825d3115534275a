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
 * A tensor of this shape and precision for a layer's output or scratch,
 * recycling `current`'s memory: the same object when the shape is unchanged, a
 * new view on the same memory when it still fits (a training batch after a
 * larger evaluation chunk), fresh memory only when it grows. So layers allocate
 * only when the batch size outgrows what they have seen, never per call. The
 * contents are whatever was there before: callers overwrite every value.
 */
export function reuseTensor(current: Tensor | null, shape: readonly number[], precision: Precision): Tensor {
  if (current && precisionOf(current.data) === precision) {
    if (sameShape(current.shape, shape)) return current
    const length = sizeOf(shape)
    const memory = current.data.buffer
    if (memory.byteLength >= length * current.data.BYTES_PER_ELEMENT) {
      const data = precision === 'float64' ? new Float64Array(memory, 0, length) : new Float32Array(memory, 0, length)
      return { shape: [...shape], data }
    }
  }
  return zeros(shape, precision)
}

/** reuseTensor for a batch of n samples of shape `sample`, building no shape array when nothing changed. */
export function reuseBatch(current: Tensor | null, n: number, sample: readonly number[], precision: Precision): Tensor {
  if (current && current.shape[0] === n && current.shape.length === sample.length + 1 && precisionOf(current.data) === precision) {
    let same = true
    for (let i = 0; i < sample.length; i++) if (current.shape[i + 1] !== sample[i]) same = false
    if (same) return current
  }
  return reuseTensor(current, [n, ...sample], precision)
}

/** Scratch space of at least `length` values (it may be longer; use the first `length`). */
export function reuseArray(current: FloatArray | null, length: number, precision: Precision): FloatArray {
  if (current && precisionOf(current) === precision && current.length >= length) return current
  return allocate(precision, length)
}
