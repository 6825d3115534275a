/**
 * MNIST splits from a pool of digit images supplied by the host (the engine
 * reads no files). The pool is shuffled once by the train seed and cut into
 * train and val, so the two never share an image; val may be translated to
 * show how much of each model's accuracy survives a small shift.
 */
import type { DatasetSpec } from '../../shared/experiment'
import { deriveSeed, Rng } from '../rng'
import { tensor } from '../tensor'
import type { Dataset } from './dataset'
import { shiftEachRandomly } from './shift'

export type MnistSpec = Extract<DatasetSpec, { kind: 'mnist' }>

export const MNIST_SIZE = 28
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
const PLANE = MNIST_SIZE * MNIST_SIZE

export interface MnistSource {
  /** Per digit class 0..9, that class's 28×28 images concatenated row-major, values in [0, 1]. */
  digits: Float32Array[]
}

export function mnistPoolSize(source: MnistSource): number {
  let n = 0
  for (const d of source.digits) n += Math.floor(d.length / PLANE)
  return n
}

export function makeMnist(spec: MnistSpec, source: MnistSource): { train: Dataset; val: Dataset } {
  if (source.digits.length !== 10) throw new Error(`MNIST source must have 10 digit classes, got ${source.digits.length}`)
  source.digits.forEach((d, digit) => {
    if (d.length % PLANE !== 0) throw new Error(`MNIST source: digit ${digit} holds ${d.length} values, not a whole number of 28×28 images`)
  })
  const pool = mnistPoolSize(source)
  const need = spec.train.count + spec.val.count
  if (need > pool) {
    throw new Error(`MNIST has ${pool} images but train.count + val.count = ${spec.train.count} + ${spec.val.count} = ${need}`)
  }

  // Pool index → (digit, image within digit), in digit order.
  const poolDigit = new Int32Array(pool)
  const poolIndex = new Int32Array(pool)
  let at = 0
  source.digits.forEach((d, digit) => {
    const n = d.length / PLANE
    for (let k = 0; k < n; k++, at++) {
      poolDigit[at] = digit
      poolIndex[at] = k
    }
  })
  const order = new Rng(deriveSeed(spec.train.seed, 'mnist-split')).permutation(pool)

  const take = (start: number, count: number): { x: Float32Array; y: Int32Array } => {
    const x = new Float32Array(count * PLANE)
    const y = new Int32Array(count)
    for (let i = 0; i < count; i++) {
      const p = order[start + i]
      const digit = poolDigit[p]
      const from = poolIndex[p] * PLANE
      x.set(source.digits[digit].subarray(from, from + PLANE), i * PLANE)
      y[i] = digit
    }
    return { x, y }
  }

  const train = take(0, spec.train.count)
  const val = take(spec.train.count, spec.val.count)
  if (spec.valShift > 0) shiftEachRandomly(val.x, spec.val.count, MNIST_SIZE, spec.valShift, new Rng(deriveSeed(spec.val.seed, 'mnist-shift')))

  const shape = (n: number) => [n, 1, MNIST_SIZE, MNIST_SIZE]
  return {
    train: { x: tensor(shape(spec.train.count), train.x), y: train.y, classes: MNIST_CLASSES },
    val: { x: tensor(shape(spec.val.count), val.x), y: val.y, classes: MNIST_CLASSES },
  }
}
