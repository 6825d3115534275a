/**
 * Data-parallel training on two (or more) cores, the engine's half: pure
 * code, no threads. The host (src/host/parallel/) runs a helper thread that
 * holds a replica of each model and talks to the trainer through shared
 * memory; the engine only sees the `DataParallel` interface below.
 *
 * One batch of n samples, split n = n₀ + n₁ (this thread takes n₀):
 *   1. the trainer copies the helper's n₁ samples into `x` and calls
 *      `compute(n₁, n)`, which returns at once;
 *   2. both compute gradients of their part. The loss is a mean over the
 *      whole batch, L = (n₀/n)·L₀ + (n₁/n)·L₁, so each side scales the loss
 *      gradient of its part by its share before backward;
 *   3. the trainer copies its gradients into `mine` (while the helper is
 *      still busy: the helper is the one that hands over, so it finishes a
 *      little later), `wait()` returns the helper's, and `update()` lets the
 *      helper step at once;
 *   4. both replicas then take the same SGD step at the same time, each
 *      adding the other's gradients to its own in the step's single pass
 *      (SGD.step(extra)). a + b = b + a exactly in floating point, so from
 *      the same weights and velocity they stay bit-identical without copying
 *      weights, and the result equals a one-core run up to the order of the
 *      float32 sums (tested: test/host/parallel.test.ts).
 *
 * Evaluation (a forward pass over the training and validation sets after
 * every epoch: as long as a third of an epoch's training on the lab's MNIST
 * preset) splits too: the helper gets both sets once, at attach, and
 * `evaluate()` hands it a range of one of them. The replicas hold the same
 * weights, so its half counts exactly as this thread's would.
 */
import type { ModelSpec } from '../../shared/experiment'
import { buildModel, type Sequential } from '../model'
import { SGD } from '../optim/sgd'
import { createLoss, type Loss } from '../loss/index'
import type { FloatArray, Precision, Tensor } from '../tensor'
import type { Dataset } from '../datasets/dataset'

/** What the helper needs to build a replica of one model. */
export interface ReplicaSpec {
  model: ModelSpec
  inputShape: number[]
  precision: Precision
  loss: 'softmax-cross-entropy' | 'binary-cross-entropy'
  learningRate: number
  momentum: number
  batchSize: number
}

/** The trainer's handle on one model's replica in the helper. */
export interface ReplicaChannel {
  /** Room for the helper's samples: batchSize × sample values, and labels. */
  readonly x: FloatArray
  readonly y: Int32Array
  /** Room for this thread's gradients (share-weighted, flat in params() order), for the helper to add to its own. */
  readonly mine: FloatArray
  /** Starts the helper on its `count` samples of a batch of `total`; returns at once. */
  compute(count: number, total: number): void
  /** Blocks until the helper is done; returns its gradients (share-weighted), flat in params() order. */
  wait(): FloatArray
  /** `mine` holds this thread's gradients: the helper takes the SGD step with the sum; returns at once. */
  update(): void
  /** Starts the helper evaluating samples [start, start + count) of a set given at attach; returns at once. */
  evaluate(set: 'train' | 'val', start: number, count: number): void
  /** Blocks until the evaluation is done: the sum of the samples' losses and how many were right. */
  evaluated(): { lossSum: number; correct: number }
}

/** The sets a replica evaluates on (the trainer's, in the run's precision). */
export interface ReplicaData {
  train: Dataset
  val: Dataset
}

export interface DataParallel {
  /** Cores in use, this thread included (≥ 2). */
  readonly cores: number
  /**
   * A replica of this model with these weights in the helper, or null where
   * it does not pay or cannot be exact (the caller then trains alone).
   */
  attach(spec: ReplicaSpec, weights: readonly FloatArray[], data: ReplicaData): ReplicaChannel | null
  /** Ends the helper. */
  close(): void
}

/** Samples per forward pass when evaluating a set (bounds the activations' memory). */
export const EVAL_CHUNK = 256

/** Number of parameters of a model, i.e. the length of its flat gradient. */
export function flatLength(model: Sequential): number {
  let n = 0
  for (const p of model.params()) n += p.value.data.length
  return n
}

/**
 * Whether splitting this model's batches across threads is worth it and
 * exact: no dropout (each replica would draw its own masks), a batch big
 * enough to halve, and enough work per batch to cover the hand-over
 * (about 0.1 ms; the 8×8 lesson models take less than that per batch).
 */
export function worthSplitting(spec: ReplicaSpec): boolean {
  if (spec.model.layers.some((layer) => layer.type === 'dropout')) return false
  if (spec.batchSize < 16) return false
  const inputSize = spec.inputShape.reduce((a, b) => a * b, 1)
  return inputSize >= 256
}

/** The helper's side: one model replica that computes gradients of its part and takes the shared step. */
export class Replica {
  readonly model: Sequential
  private readonly optimizer: SGD
  private readonly loss: Loss

  constructor(readonly spec: ReplicaSpec, weights: readonly FloatArray[]) {
    this.model = buildModel(spec.model, spec.inputShape, spec.precision, { initialise: false })
    const params = this.model.params()
    params.forEach((p, i) => p.value.data.set(weights[i]))
    this.optimizer = new SGD(params, { learningRate: spec.learningRate, momentum: spec.momentum })
    this.loss = createLoss(spec.loss)
  }

  /** Gradients of `count` samples of a batch of `total`, weighted by count/total, into `out` (flat). */
  compute(x: FloatArray, y: Int32Array, count: number, total: number, out: FloatArray): void {
    const sample = this.spec.inputShape.reduce((a, b) => a * b, 1)
    const input: Tensor = { shape: [count, ...this.spec.inputShape], data: x.subarray(0, count * sample) }
    const grad = this.loss.compute(this.model.forward(input, true), y.subarray(0, count)).grad!
    scale(grad.data, count / total)
    this.model.backward(grad)
    let at = 0
    for (const p of this.model.params()) {
      out.set(p.grad.data, at)
      at += p.grad.data.length
    }
  }

  /** The SGD step with the sum of this replica's gradients and the trainer's (`theirs`, flat, params() order). */
  update(theirs: FloatArray): void {
    this.optimizer.step(theirs)
  }

  /** Sum of the losses and number right over samples [start, start + count) of a set, in evaluation chunks. */
  evaluate(x: FloatArray, y: Int32Array, start: number, count: number): { lossSum: number; correct: number } {
    const sample = this.spec.inputShape.reduce((a, b) => a * b, 1)
    let lossSum = 0
    let correct = 0
    for (let from = start; from < start + count; from += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, start + count - from)
      const input: Tensor = { shape: [n, ...this.spec.inputShape], data: x.subarray(from * sample, (from + n) * sample) }
      const labels = y.subarray(from, from + n)
      const out = this.model.forward(input, false)
      lossSum += this.loss.compute(out, labels, false).loss * n
      correct += this.loss.countCorrect(out, labels)
    }
    return { lossSum, correct }
  }
}

export function scale(data: FloatArray, factor: number): void {
  for (let i = 0; i < data.length; i++) data[i] *= factor
}
