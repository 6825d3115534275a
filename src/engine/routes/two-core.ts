/**
 * The two-core route: a layer route (reference or fused SIMD) whose batches
 * and evaluations are split with a replica of the model on the host's helper
 * thread (../train/data-parallel.ts explains the protocol; src/host/parallel/
 * runs the helper). The replica runs the same route's code.
 */
import type { RouteSummary } from '../../shared/training-events'
import type { Sequential } from '../model'
import type { Tensor } from '../tensor'
import { EVAL_CHUNK, copyIn, copyOut, flatLength, scale, splitPoint, type ReplicaChannel } from '../train/data-parallel'
import type { LayerRoute } from './layer-route'
import { routeLabel, type TrainingRoute } from './route'

export class TwoCoreRoute implements TrainingRoute {
  readonly summary: RouteSummary
  readonly model: Sequential

  constructor(private readonly inner: LayerRoute, private readonly replica: ReplicaChannel) {
    const id = inner.summary.id
    this.summary = { ...inner.summary, cores: 2, label: routeLabel(id, 2) }
    this.model = inner.model
  }

  trainBatch(order: Int32Array, start: number, count: number, shifts: Int8Array | null, learningRate: number, momentum: number): number {
    // A batch of one cannot be halved.
    if (count < 2) return this.inner.trainBatch(order, start, count, shifts, learningRate, momentum)
    // The replica's half is copied from this batch, so it trains on the same moved pictures.
    const { x, y } = this.inner.gather(order, start, count, shifts)
    this.inner.optimizer.learningRate = learningRate
    return this.splitBatch(x, y, count)
  }

  /**
   * One batch on two cores: the helper's replica takes the second half while
   * this thread does the first; gradients are weighted by each half's share
   * of the batch (the loss is a mean over all of it). Each side then steps
   * on its part of the weights with the sum of both, at the same time, and
   * they swap the new values. Returns this thread's half's mean loss (the
   * helper reports none): the step-loss curve's sample.
   */
  private splitBatch(x: Tensor, y: Int32Array, count: number): number {
    const { model, loss, optimizer, sampleSize } = this.inner
    const replica = this.replica
    const own = Math.ceil(count / 2)
    const other = count - own
    replica.x.set(x.data.subarray(own * sampleSize, count * sampleSize))
    replica.y.set(y.subarray(own, count))
    replica.compute(other, count)
    const input: Tensor = { shape: [own, ...model.inputShape], data: x.data.subarray(0, own * sampleSize) }
    const result = loss.compute(model.forward(input, true), y.subarray(0, own))
    const grad = result.grad!
    scale(grad.data, own / count)
    model.backward(grad)
    // Hand over the gradients the helper's part of the step needs while it
    // finishes its half of the batch (it has its own to copy out).
    const params = model.params()
    const length = flatLength(model)
    const split = splitPoint(length)
    let at = 0
    for (const p of params) {
      const g = p.grad.data
      const begin = Math.max(0, split - at)
      if (begin < g.length) replica.mine.set(begin === 0 ? g : g.subarray(begin), at + begin)
      at += g.length
    }
    const theirs = replica.wait()
    replica.update()
    optimizer.stepRange(theirs, 0, split)
    copyOut(params, replica.stepped, 0, split)
    copyIn(params, replica.updated(), split, length)
    return result.loss
  }

  finiteDifferenceStep(epsilon: number, learningRate: number, momentum: number): void {
    // chooseRoute never splits finite differences; one core if asked anyway.
    this.inner.finiteDifferenceStep(epsilon, learningRate, momentum)
  }

  /**
   * The helper evaluates the second half (whole chunks, so every chunk is the
   * one a single core would run) while this thread does the first; its val
   * predictions come back through shared memory (replica.predicted).
   */
  evaluate(which: 'train' | 'val', predicted?: Int32Array): { loss: number; accuracy: number } {
    const n = this.inner.set(which).y.length
    const own = n > EVAL_CHUNK ? Math.ceil(n / EVAL_CHUNK / 2) * EVAL_CHUNK : n
    if (own < n) this.replica.evaluate(which, own, n - own)
    let { lossSum, correct } = this.inner.evaluateRange(which, 0, own, predicted)
    if (own < n) {
      const theirs = this.replica.evaluated()
      lossSum += theirs.lossSum
      correct += theirs.correct
      if (predicted) predicted.set(this.replica.predicted.subarray(own, n), own)
    }
    return { loss: lossSum / n, accuracy: correct / n }
  }

  syncWeights(): void {
    // This thread's model holds every weight after each step's swap.
  }
}
