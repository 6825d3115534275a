/**
 * Train and val sets cut from a fixed pool of one-channel square pictures (MNIST's,
 * Fashion-MNIST's, the 8x8 digits): the pool is shuffled once by the train seed and cut,
 * so the two sets never share a picture; val may then be moved by a random shift each.
 */
import { deriveSeed, Rng } from '../rng'
import { tensor } from '../tensor'
import type { Dataset } from './dataset'
import { shiftEachRandomly } from './shift'

export interface PicturePool {
  /** What the pool is called in messages ("MNIST") and in its seed purposes ("mnist"). */
  name: string
  salt: string
  count: number
  /** Pictures are size × size, one channel. */
  size: number
  label(index: number): number
  /** Writes picture `index`, values in [0, 1], into dst at offset `at`. */
  copy(index: number, dst: Float32Array, at: number): void
}

export interface PoolSplitSpec {
  train: { count: number; seed: number }
  val: { count: number; seed: number }
  valShift: number
}

export function splitPool(pool: PicturePool, spec: PoolSplitSpec, classes: readonly string[]): { train: Dataset; val: Dataset } {
  const need = spec.train.count + spec.val.count
  if (need > pool.count) {
    throw new Error(`${pool.name} has ${pool.count} images but train.count + val.count = ${spec.train.count} + ${spec.val.count} = ${need}`)
  }
  const plane = pool.size * pool.size
  const order = new Rng(deriveSeed(spec.train.seed, `${pool.salt}-split`)).permutation(pool.count)
  const take = (start: number, count: number): { x: Float32Array; y: Int32Array } => {
    const x = new Float32Array(count * plane)
    const y = new Int32Array(count)
    for (let i = 0; i < count; i++) {
      pool.copy(order[start + i], x, i * plane)
      y[i] = pool.label(order[start + i])
    }
    return { x, y }
  }
  const train = take(0, spec.train.count)
  const val = take(spec.train.count, spec.val.count)
  if (spec.valShift > 0) shiftEachRandomly(val.x, spec.val.count, pool.size, spec.valShift, new Rng(deriveSeed(spec.val.seed, `${pool.salt}-shift`)))
  const shape = (n: number) => [n, 1, pool.size, pool.size]
  return {
    train: { x: tensor(shape(spec.train.count), train.x), y: train.y, classes },
    val: { x: tensor(shape(spec.val.count), val.x), y: val.y, classes },
  }
}

/**
 * A pool kept as one array per class (how the mnist and fashion-mnist packages ship their
 * pictures), in class order; `scale` turns a stored value into [0, 1].
 */
export function classArraysPool(name: string, salt: string, size: number, perClass: readonly ArrayLike<number>[], scale: number): PicturePool {
  const plane = size * size
  perClass.forEach((d, label) => {
    if (d.length % plane !== 0) throw new Error(`${name} source: class ${label} holds ${d.length} values, not a whole number of ${size}×${size} images`)
  })
  const count = perClass.reduce((n, d) => n + d.length / plane, 0)
  const poolClass = new Int32Array(count)
  const poolIndex = new Int32Array(count)
  let at = 0
  perClass.forEach((d, label) => {
    for (let k = 0; k < d.length / plane; k++, at++) {
      poolClass[at] = label
      poolIndex[at] = k
    }
  })
  return {
    name,
    salt,
    count,
    size,
    label: (i) => poolClass[i],
    copy(i, dst, offset) {
      const values = perClass[poolClass[i]]
      const from = poolIndex[i] * plane
      for (let p = 0; p < plane; p++) dst[offset + p] = values[from + p] * scale
    },
  }
}
