/**
 * Data-parallel training on two (or more) cores, the engine's half: pure
 * code, no threads. The host (src/host/parallel/) runs a helper thread that
 * holds a replica of each model and talks to the trainer's side, the
 * two-core route (../routes/two-core.ts), through shared memory; the engine only sees the `DataParallel` interface below.
 *
 * One batch of n samples, split n = n₀ + n₁ (this thread takes n₀):
 *   1. the route copies the helper's n₁ samples into `x` and calls
 *      `compute(n₁, n)`, which returns at once;
 *   2. both compute gradients of their part. The loss is a mean over the
 *      whole batch, L = (n₀/n)·L₀ + (n₁/n)·L₁, so each side scales the loss
 *      gradient of its part by its share before backward;
 *   3. the trainer copies its gradients into `mine` (while the helper is
 *      still busy: it hands over too, so it finishes a little later),
 *      `wait()` returns the helper's, and `update()` lets the helper step;
 *   4. the SGD step is split too, at `splitPoint` of the parameters laid end
 *      to end: this thread steps on the first part, the helper on the rest,
 *      at the same time, each adding the other's gradients to its own in the
 *      step's single pass (SGD.stepRange). Each then publishes its new
 *      weights in the shared `stepped` and takes the other part from there
 *      (the trainer at once, the helper before its next command), so the
 *      replicas stay bit-identical, and the result equals a one-core run up
 *      to the order of the float32 sums (tested: test/host/parallel.test.ts).
 *      Each replica's momentum lives with the part it steps on.
 *
 * Evaluation (a forward pass over the training and validation sets after
 * every epoch: as long as a third of an epoch's training on the lab's MNIST
 * preset) splits too: the helper gets both sets once, at attach, and
 * `evaluate()` hands it a range of one of them. The replicas hold the same
 * weights, so its half counts exactly as this thread's would.
 */
import type { Experiment, ModelSpec } from '../../shared/experiment'
import type { Backend } from '../../shared/training-events'
import { backendKernels } from '../backend'
import { buildModel, type Sequential } from '../model'
import { useFusedStages } from '../routes/fused-simd'
import { SGD } from '../optim/sgd'
import { createLoss, type Loss } from '../loss/index'
import type { FloatArray, Precision, Tensor } from '../tensor'
import type { Param } from '../layers/layer'
import type { Dataset } from '../datasets/dataset'
import { datasetInfo } from '../datasets'
import { usesBatchStatistics } from '../layers'

/** What the helper needs to build a replica of one model. */
export interface ReplicaSpec {
  model: ModelSpec
  inputShape: number[]
  precision: Precision
  loss: 'softmax-cross-entropy' | 'binary-cross-entropy'
  learningRate: number
  momentum: number
  batchSize: number
  /** The backend and the layer route the trainer's copy runs on: the replica runs the same code. */
  backend: Backend
  route: 'reference' | 'fused-simd'
}

/** The trainer's handle on one model's replica in the helper. */
export interface ReplicaChannel {
  /** Room for the helper's samples: batchSize × sample values, and labels. */
  readonly x: FloatArray
  readonly y: Int32Array
  /** Room for this thread's gradients (share-weighted, flat in params() order), for the helper to add to its own. */
  readonly mine: FloatArray
  /** The weights after a step, flat: this thread writes [0, splitPoint), the helper the rest. */
  readonly stepped: FloatArray
  /** Starts the helper on its `count` samples of a batch of `total`; returns at once. */
  compute(count: number, total: number): void
  /** Blocks until the helper is done; returns its gradients (share-weighted), flat in params() order: the values [0, splitPoint) only, which the trainer steps on. */
  wait(): FloatArray
  /** `mine` holds this thread's gradients: the helper steps on its part of the weights; returns at once. */
  update(): void
  /** Blocks until the helper's step is done; returns `stepped`, its part now up to date. */
  updated(): FloatArray
  /** Starts the helper evaluating samples [start, start + count) of a set given at attach; returns at once. */
  evaluate(set: 'train' | 'val', start: number, count: number): void
  /** Blocks until the evaluation is done: the sum of the samples' losses and how many were right. */
  evaluated(): { lossSum: number; correct: number }
  /**
   * Each val sample's predicted class, by val index: the helper fills the
   * range of each val evaluation (for the trainer's confusion matrix).
   */
  readonly predicted: Int32Array
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

/** Where the helper's part of the flat parameters starts in the split SGD step (the trainer steps on the values before). */
export function splitPoint(length: number): number {
  return Math.ceil(length / 2)
}

/** Copies the values [from, to) of the params laid end to end into `flat` (same positions). */
export function copyOut(params: readonly Param[], flat: FloatArray, from: number, to: number): void {
  let at = 0
  for (const p of params) {
    const data = p.value.data
    const begin = Math.max(0, from - at), end = Math.min(data.length, to - at)
    if (begin < end) flat.set(data.subarray(begin, end), at + begin)
    at += data.length
  }
}

/** Copies the values [from, to) of `flat` into the params laid end to end. */
export function copyIn(params: readonly Param[], flat: FloatArray, from: number, to: number): void {
  let at = 0
  for (const p of params) {
    const data = p.value.data
    const begin = Math.max(0, from - at), end = Math.min(data.length, to - at)
    if (begin < end) data.set(flat.subarray(at + begin, at + end), begin)
    at += data.length
  }
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
export function worthSplitting(spec: Pick<ReplicaSpec, 'model' | 'inputShape' | 'batchSize'>): boolean {
  if (spec.model.layers.some((layer) => layer.type === 'dropout')) return false
  // Batch norm's train-mode statistics come from the whole batch: halves would not give the same step.
  if (spec.model.layers.some(usesBatchStatistics)) return false
  if (spec.batchSize < 16) return false
  const inputSize = spec.inputShape.reduce((a, b) => a * b, 1)
  return inputSize >= 256
}

/**
 * Whether any model of a run may split its batches, told from the experiment
 * alone, so a host can start its helper thread while the pictures load. A yes
 * can still end on one core (chooseRoute may pick the tiny route); a no never
 * splits.
 */
export function mayTrainOnTwoCores(experiment: Experiment): boolean {
  if (experiment.training.gradient !== 'backprop') return false
  const { inputShape } = datasetInfo(experiment.dataset)
  return experiment.models.some((model) => {
    const batchSize = model.training?.batchSize ?? experiment.training.batchSize
    // 'full' is the whole training set: as big a batch as there is.
    return worthSplitting({ model, inputShape, batchSize: batchSize === 'full' ? Number.MAX_SAFE_INTEGER : batchSize })
  })
}

/** The helper's side: one model replica that computes gradients of its part and takes the shared step. */
export class Replica {
  readonly model: Sequential
  private readonly optimizer: SGD
  private readonly loss: Loss
  private readonly length: number
  private readonly split: number
  /** The trainer's part of the weights changed in the last step and is still to be read from here. */
  private stale: FloatArray | null = null

  constructor(readonly spec: ReplicaSpec, weights: readonly FloatArray[]) {
    this.model = buildModel(spec.model, spec.inputShape, spec.precision, { initialise: false, backend: spec.backend })
    if (spec.route === 'fused-simd') useFusedStages(this.model, backendKernels(spec.backend))
    const params = this.model.params()
    params.forEach((p, i) => p.value.data.set(weights[i]))
    this.optimizer = new SGD(params, { learningRate: spec.learningRate, momentum: spec.momentum })
    this.loss = createLoss(spec.loss)
    this.length = flatLength(this.model)
    this.split = splitPoint(this.length)
  }

  /** Takes the trainer's part of the last step's weights, if not done yet (before anything that reads weights). */
  private sync(): void {
    if (!this.stale) return
    copyIn(this.model.params(), this.stale, 0, this.split)
    this.stale = null
  }

  /** Gradients of `count` samples of a batch of `total`, weighted by count/total, into `out` (flat; the trainer's part [0, splitPoint) only). */
  compute(x: FloatArray, y: Int32Array, count: number, total: number, out: FloatArray): void {
    this.sync()
    const sample = this.spec.inputShape.reduce((a, b) => a * b, 1)
    const input: Tensor = { shape: [count, ...this.spec.inputShape], data: x.subarray(0, count * sample) }
    const grad = this.loss.compute(this.model.forward(input, true), y.subarray(0, count)).grad!
    scale(grad.data, count / total)
    this.model.backward(grad)
    // Only the trainer's part [0, split): the trainer steps on that part alone, and this copy is on
    // the critical path of every batch (the trainer waits for it), so the other half is not copied.
    let at = 0
    for (const p of this.model.params()) {
      const g = p.grad.data
      if (at >= this.split) break
      out.set(at + g.length <= this.split ? g : g.subarray(0, this.split - at), at)
      at += g.length
    }
  }

  /**
   * The SGD step on the helper's part of the weights, with the sum of this
   * replica's gradients and the trainer's (`theirs`, flat, params() order);
   * publishes that part in `stepped`, and will take the trainer's from there.
   */
  update(theirs: FloatArray, stepped: FloatArray): void {
    this.optimizer.stepRange(theirs, this.split, this.length)
    copyOut(this.model.params(), stepped, this.split, this.length)
    this.stale = stepped
  }

  /**
   * Sum of the losses and number right over samples [start, start + count) of a set, in evaluation
   * chunks; with `predicted`, each sample's predicted class goes there, at the sample's index.
   */
  evaluate(x: FloatArray, y: Int32Array, start: number, count: number, predicted?: Int32Array): { lossSum: number; correct: number } {
    this.sync()
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
      if (predicted) this.loss.predict(out, predicted.subarray(from, from + n))
    }
    return { lossSum, correct }
  }
}

export function scale(data: FloatArray, factor: number): void {
  for (let i = 0; i < data.length; i++) data[i] *= factor
}
