/**
 * The layers' own forward and backward and the SGD step, in TypeScript: the
 * reference route, and the fused-SIMD route too, whose model runs SIMD
 * stages in place of some layers (./fused-simd.ts) but trains the same way.
 */
import type { RouteSummary } from '../../shared/training-events'
import type { Dataset } from '../datasets/dataset'
import { createLoss, type Loss } from '../loss/index'
import type { Sequential } from '../model'
import { SGD } from '../optim/sgd'
import { allocate, sizeOf, type Tensor } from '../tensor'
import { gatherBatch } from '../train/augment'
import { EVAL_CHUNK } from '../train/data-parallel'
import { finiteDifferenceGradients } from '../train/finite-difference'
import { routeLabel, type RouteContext, type TrainingRoute } from './route'

export class LayerRoute implements TrainingRoute {
  readonly summary: RouteSummary
  readonly loss: Loss
  readonly optimizer: SGD
  readonly sampleSize: number
  /** The batch as gathered (the two-core wrapper splits it from here). */
  readonly batchX: Tensor
  readonly batchY: Int32Array

  constructor(id: 'reference' | 'fused-simd', readonly model: Sequential, readonly context: RouteContext) {
    this.summary = { id, cores: 1, backend: model.backend, label: routeLabel(id, 1) }
    this.loss = createLoss(context.loss)
    this.optimizer = new SGD(model.params(), { learningRate: context.learningRate, momentum: context.momentum })
    this.sampleSize = sizeOf(model.inputShape)
    const n = context.batchSize
    this.batchX = { shape: [n, ...model.inputShape], data: allocate(model.precision, n * this.sampleSize) }
    this.batchY = new Int32Array(n)
  }

  set(which: 'train' | 'val'): Dataset {
    return which === 'train' ? this.context.train : this.context.val
  }

  /** The batch's samples, gathered (and shifted) into batchX/batchY; views of its first `count`. */
  gather(order: Int32Array, start: number, count: number, shifts: Int8Array | null): { x: Tensor; y: Int32Array } {
    gatherBatch(this.context.train, order, start, count, this.batchX.data, this.batchY, shifts)
    if (count === this.context.batchSize) return { x: this.batchX, y: this.batchY }
    const x = { shape: [count, ...this.model.inputShape], data: this.batchX.data.subarray(0, count * this.sampleSize) }
    return { x, y: this.batchY.subarray(0, count) }
  }

  /** `momentum` is the one the optimizer was built with (the run's; it does not change). */
  trainBatch(order: Int32Array, start: number, count: number, shifts: Int8Array | null, learningRate: number, _momentum?: number): number {
    const { x, y } = this.gather(order, start, count, shifts)
    const result = this.loss.compute(this.model.forward(x, true), y)
    this.model.backward(result.grad!)
    this.optimizer.learningRate = learningRate
    this.optimizer.step()
    return result.loss
  }

  finiteDifferenceStep(epsilon: number, learningRate: number, _momentum?: number): void {
    finiteDifferenceGradients(this.model, this.context.train, this.loss, epsilon)
    this.optimizer.learningRate = learningRate
    this.optimizer.step()
  }

  /** Sums of loss and correct answers over samples [from, to) of a set, in evaluation chunks. */
  evaluateRange(which: 'train' | 'val', from: number, to: number, predicted?: Int32Array): { lossSum: number; correct: number } {
    const set = this.set(which)
    let lossSum = 0
    let correct = 0
    for (let start = from; start < to; start += EVAL_CHUNK) {
      const count = Math.min(EVAL_CHUNK, to - start)
      const x: Tensor = {
        shape: [count, ...this.model.inputShape],
        data: set.x.data.subarray(start * this.sampleSize, (start + count) * this.sampleSize),
      }
      const y = set.y.subarray(start, start + count)
      const out = this.model.forward(x, false)
      lossSum += this.loss.compute(out, y, false).loss * count
      correct += this.loss.countCorrect(out, y)
      if (predicted) this.loss.predict(out, predicted.subarray(start, start + count))
    }
    return { lossSum, correct }
  }

  evaluate(which: 'train' | 'val', predicted?: Int32Array): { loss: number; accuracy: number } {
    const n = this.set(which).y.length
    const { lossSum, correct } = this.evaluateRange(which, 0, n, predicted)
    return { loss: lossSum / n, accuracy: correct / n }
  }

  syncWeights(): void {
    // The model's own arrays are the live weights.
  }
}
