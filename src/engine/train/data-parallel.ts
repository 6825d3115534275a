/**
 * Data-parallel training on two (or more) cores, the engine's half: pure
 * code, no threads. The host (src/host/parallel/) runs a helper thread that
 * holds a replica of each model and talks to the trainer through shared
 * memory; the engine only sees the `DataParallel` interface below.
 *
 * One batch of n samples, split n = n₀ + n₁ (this thread takes n₀):
 *   1. the trainer copies the helper's n₁ samples into `input` and calls
 *      `compute(n₁, n)`, which returns at once;
 *   2. both compute gradients of their part. The loss is a mean over the
 *      whole batch, L = (n₀/n)·L₀ + (n₁/n)·L₁, so each side scales the loss
 *      gradient of its part by its share before backward;
 *   3. `wait()` returns the helper's gradients (every parameter, flat, in
 *      model.params() order); the trainer adds them to its own, writes the
 *      sum back into `grads` and calls `update()`;
 *   4. both replicas take the same SGD step on the same summed gradient from
 *      the same weights and velocity, so they stay identical without copying
 *      weights, and the result equals a one-core run up to the order of the
 *      float32 sums (tested: test/host/parallel.test.ts).
 */
import type { ModelSpec } from '../../shared/experiment'
import { buildModel, type Sequential } from '../model'
import { SGD } from '../optim/sgd'
import { createLoss, type Loss } from '../loss/index'
import type { FloatArray, Precision, Tensor } from '../tensor'

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
  /** Starts the helper on its `count` samples of a batch of `total`; returns at once. */
  compute(count: number, total: number): void
  /** Blocks until the helper is done; returns its gradients (share-weighted), flat in params() order. */
  wait(): FloatArray
  /** The trainer wrote the summed gradient into the array wait() returned: the helper applies the same step. */
  update(): void
}

export interface DataParallel {
  /** Cores in use, this thread included (≥ 2). */
  readonly cores: number
  /**
   * A replica of this model with these weights in the helper, or null where
   * it does not pay or cannot be exact (the caller then trains alone).
   */
  attach(spec: ReplicaSpec, weights: readonly FloatArray[]): ReplicaChannel | null
  /** Ends the helper. */
  close(): void
}

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

  /** The SGD step with the summed gradient (flat, params() order). */
  update(summed: FloatArray): void {
    let at = 0
    for (const p of this.model.params()) {
      p.grad.data.set(summed.subarray(at, at + p.grad.data.length))
      at += p.grad.data.length
    }
    this.optimizer.step()
  }
}

export function scale(data: FloatArray, factor: number): void {
  for (let i = 0; i < data.length; i++) data[i] *= factor
}
