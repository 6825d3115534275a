/**
 * Inverted dropout: while training, zero each activation with probability p and
 * scale the survivors by 1/(1−p), so evaluation needs no rescaling and is the
 * identity. A mask can be pinned with `setMask`, which gradient checks and the
 * finite-difference trainer need (every perturbed forward must see the same
 * units dropped).
 */
import { precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Layer, Param } from './layer'

/** Anything with a uniform [0, 1) draw, e.g. the engine's `Rng`. */
export interface RandomSource {
  next(): number
}

export class Dropout implements Layer {
  readonly type = 'dropout'
  readonly params: readonly Param[] = []
  private output: Tensor | null = null
  private dx: Tensor | null = null
  /** Per element: 0 (dropped) or 1/(1−p) (kept); null after an eval-mode forward. */
  private mask: Float64Array | null = null
  private pinned = false
  private active = false

  constructor(readonly p: number, private readonly rng: RandomSource) {}

  outputShape(inputShape: readonly number[]): number[] {
    return [...inputShape]
  }

  /**
   * Pins the training mask (one 0/1 keep flag per element of the batch), or
   * unpins it with null so every training forward draws a fresh one.
   */
  setMask(keep: ArrayLike<number> | null): void {
    if (!keep) {
      this.pinned = false
      return
    }
    const scale = 1 / (1 - this.p)
    this.mask = Float64Array.from(keep, (k) => (k ? scale : 0))
    this.pinned = true
  }

  forward(x: Tensor, training: boolean): Tensor {
    this.active = training && this.p > 0
    if (!this.active) return x
    const length = x.data.length
    if (this.pinned) {
      if (!this.mask || this.mask.length !== length) {
        throw new Error(`dropout: pinned mask has ${this.mask?.length ?? 0} values but the input has ${length}`)
      }
    } else {
      if (!this.mask || this.mask.length < length) this.mask = new Float64Array(length)
      const scale = 1 / (1 - this.p)
      for (let i = 0; i < length; i++) this.mask[i] = this.rng.next() < this.p ? 0 : scale
    }
    const y = (this.output = reuseTensor(this.output, x.shape, precisionOf(x.data)))
    const m = this.mask
    for (let i = 0; i < length; i++) y.data[i] = x.data[i] * m[i]
    return y
  }

  backward(dy: Tensor): Tensor {
    if (!this.active) return dy
    const dx = (this.dx = reuseTensor(this.dx, dy.shape, precisionOf(dy.data)))
    const m = this.mask!
    for (let i = 0; i < dy.data.length; i++) dx.data[i] = dy.data[i] * m[i]
    return dx
  }
}
