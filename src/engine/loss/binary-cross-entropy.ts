/**
 * Binary cross-entropy on a probability p [N, 1] (the output of a sigmoid
 * layer) against labels 0 / 1, as lesson 000 computes it:
 *   L = −(1/N) Σₙ [ t·log p + (1 − t)·log(1 − p) ],  p clamped to [1e-12, 1 − 1e-12]
 * The gradient is with respect to p; the sigmoid layer carries it on to the score.
 */
import { formatShape, precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Loss, LossResult } from './softmax-cross-entropy'

const EPSILON = 1e-12

export function countCorrectBinary(p: Tensor, targets: ArrayLike<number>): number {
  let correct = 0
  for (let r = 0; r < p.data.length; r++) if ((p.data[r] >= 0.5 ? 1 : 0) === targets[r]) correct++
  return correct
}

export class BinaryCrossEntropy implements Loss {
  readonly kind = 'binary-cross-entropy'
  private grad: Tensor | null = null

  compute(p: Tensor, targets: ArrayLike<number>, withGrad = true): LossResult {
    if (p.shape.length !== 2 || p.shape[1] !== 1) {
      throw new Error(
        `binary-cross-entropy: expects one probability per sample [batch, 1] but receives ${formatShape(p.shape)}; end the model with linear(…→1) and sigmoid`,
      )
    }
    const n = p.shape[0]
    if (targets.length < n) throw new Error(`binary-cross-entropy: ${n} predictions but ${targets.length} targets`)
    const pd = p.data
    let total = 0
    for (let r = 0; r < n; r++) {
      const t = targets[r]
      if (t !== 0 && t !== 1) throw new Error(`binary-cross-entropy: target ${t} of sample ${r} is not 0 or 1`)
      const q = Math.min(Math.max(pd[r], EPSILON), 1 - EPSILON)
      // V8's Math.log can differ from CPython's by an ulp; a correctly rounded
      // log (python-random's) was tried and made lesson 000 2.7× slower while
      // its 400 finite-difference epochs still ended ~1e-9 from CPython's
      // (exp differs too), far below the two decimals the lesson prints.
      // t is 0 or 1, so one of the two terms is 0·(finite log) = ±0, which
      // adds nothing: taking only the other log gives the same bits, half the work.
      total += -(t === 1 ? Math.log(q) : Math.log(1 - q))
    }
    let grad: Tensor | null = null
    if (withGrad) {
      grad = this.grad = reuseTensor(this.grad, p.shape, precisionOf(pd))
      // Taken at the clamped p, not zeroed where the clamp bites: a saturated,
      // confidently wrong sigmoid must still be pushed back (as PyTorch's BCELoss does).
      for (let r = 0; r < n; r++) {
        const t = targets[r]
        const q = Math.min(Math.max(pd[r], EPSILON), 1 - EPSILON)
        grad.data[r] = (-t / q + (1 - t) / (1 - q)) / n
      }
    }
    return { loss: total / n, predictions: p, grad }
  }

  countCorrect(output: Tensor, targets: ArrayLike<number>): number {
    return countCorrectBinary(output, targets)
  }

  predict(output: Tensor, into?: Int32Array): Int32Array {
    const n = output.shape[0]
    const out = into && into.length >= n ? into : new Int32Array(n)
    for (let r = 0; r < n; r++) out[r] = output.data[r] >= 0.5 ? 1 : 0
    return out
  }
}
