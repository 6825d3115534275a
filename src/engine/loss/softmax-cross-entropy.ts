/**
 * Softmax cross-entropy on raw scores (logits) [N, K] against class indices,
 * as `nn.CrossEntropyLoss` with mean reduction:
 *   L = −(1/N) Σₙ log softmax(zₙ)[yₙ],   dL/dz = (softmax(z) − onehot(y)) / N
 * A sample's loss is capped at −log(1e-12) ≈ 27.6, the same clip lesson 001
 * puts on the probability, so one hopeless sample cannot make the mean infinite.
 */
import { formatShape, precisionOf, reuseTensor, type Tensor } from '../tensor'

export interface LossResult {
  /** Mean loss over the batch. */
  loss: number
  /**
   * What accuracy is read from: class probabilities [N, K] here, p [N, 1] for
   * binary cross-entropy. Owned by the loss object and overwritten by its next call.
   */
  predictions: Tensor
  /** dL/d(input), same shape as the input; also reused across calls. Absent when not asked for. */
  grad: Tensor | null
}

export interface Loss {
  readonly kind: 'softmax-cross-entropy' | 'binary-cross-entropy'
  /** `withGrad` false skips the gradient (evaluation). */
  compute(output: Tensor, targets: ArrayLike<number>, withGrad?: boolean): LossResult
  /** How many samples the model's output gets right. */
  countCorrect(output: Tensor, targets: ArrayLike<number>): number
  /** The predicted class of every sample. */
  predict(output: Tensor, into?: Int32Array): Int32Array
}

const MAX_SAMPLE_LOSS = -Math.log(1e-12)

/** Index of each row's largest score (first one on ties, as argmax does). */
export function argmaxRows(scores: Tensor, into?: Int32Array): Int32Array {
  const [n, k] = scores.shape
  const out = into && into.length >= n ? into : new Int32Array(n)
  const d = scores.data
  for (let r = 0; r < n; r++) {
    let best = 0
    let bestValue = d[r * k]
    for (let c = 1; c < k; c++) {
      if (d[r * k + c] > bestValue) {
        bestValue = d[r * k + c]
        best = c
      }
    }
    out[r] = best
  }
  return out
}

/** Works on logits or probabilities alike: softmax does not change the argmax. */
export function countCorrectArgmax(scores: Tensor, targets: ArrayLike<number>): number {
  const [n, k] = scores.shape
  const d = scores.data
  let correct = 0
  for (let r = 0; r < n; r++) {
    let best = 0
    let bestValue = d[r * k]
    for (let c = 1; c < k; c++) {
      if (d[r * k + c] > bestValue) {
        bestValue = d[r * k + c]
        best = c
      }
    }
    if (best === targets[r]) correct++
  }
  return correct
}

export class SoftmaxCrossEntropy implements Loss {
  readonly kind = 'softmax-cross-entropy'
  private probabilities: Tensor | null = null
  private grad: Tensor | null = null

  compute(logits: Tensor, targets: ArrayLike<number>, withGrad = true): LossResult {
    if (logits.shape.length !== 2) {
      throw new Error(`softmax-cross-entropy: expects scores [batch, classes] but receives ${formatShape(logits.shape)}`)
    }
    const [n, k] = logits.shape
    if (targets.length < n) throw new Error(`softmax-cross-entropy: ${n} scores but ${targets.length} targets`)
    const precision = precisionOf(logits.data)
    const probs = (this.probabilities = reuseTensor(this.probabilities, logits.shape, precision))
    const z = logits.data
    const p = probs.data
    let total = 0
    for (let r = 0; r < n; r++) {
      const row = r * k
      const target = targets[r]
      if (!(target >= 0 && target < k)) {
        throw new Error(`softmax-cross-entropy: target ${target} of sample ${r} is not a class index below ${k}`)
      }
      // Subtracting the row's maximum keeps exp from overflowing.
      let max = z[row]
      for (let c = 1; c < k; c++) if (z[row + c] > max) max = z[row + c]
      let sum = 0
      for (let c = 0; c < k; c++) {
        const e = Math.exp(z[row + c] - max)
        p[row + c] = e
        sum += e
      }
      for (let c = 0; c < k; c++) p[row + c] /= sum
      total += Math.min(Math.log(sum) - (z[row + target] - max), MAX_SAMPLE_LOSS)
    }
    let grad: Tensor | null = null
    if (withGrad) {
      grad = this.grad = reuseTensor(this.grad, logits.shape, precision)
      const g = grad.data
      for (let i = 0; i < n * k; i++) g[i] = p[i] / n
      for (let r = 0; r < n; r++) g[r * k + targets[r]] -= 1 / n
    }
    return { loss: total / n, predictions: probs, grad }
  }

  countCorrect(output: Tensor, targets: ArrayLike<number>): number {
    return countCorrectArgmax(output, targets)
  }

  predict(output: Tensor, into?: Int32Array): Int32Array {
    return argmaxRows(output, into)
  }
}
