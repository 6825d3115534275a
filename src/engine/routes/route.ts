/**
 * A training route: the engine object that trains one model, whichever code
 * does the arithmetic. The trainer (../train/trainer.ts) schedules batches and
 * emits events; a route does the batch. `chooseRoute` (./choose.ts) picks one
 * per model, in one place, and its `summary` says which (the `started` event,
 * run.json's models[].route, the terminal summary).
 */
import type { ModelSpec, TrainingSpec } from '../../shared/experiment'
import type { RouteSummary } from '../../shared/training-events'
import type { Dataset } from '../datasets/dataset'
import type { Sequential } from '../model'
import type { DataParallel } from '../train/data-parallel'

export interface TrainingRoute {
  readonly summary: RouteSummary
  /** The model in TypeScript; its weights are the live ones after syncWeights(). */
  readonly model: Sequential
  /**
   * One mini-batch of the training samples order[start .. start+count), each
   * moved by its shift of the epoch when `shifts` is given: forward, loss,
   * backward, SGD step. Returns the batch's mean loss.
   */
  trainBatch(order: Int32Array, start: number, count: number, shifts: Int8Array | null, learningRate: number, momentum: number): number
  /** Lesson 000's step: every gradient by central differences on the whole training set, then one SGD update. */
  finiteDifferenceStep(epsilon: number, learningRate: number, momentum: number): void
  /** Mean loss and accuracy on a whole set; with `predicted`, each sample's predicted class goes there. */
  evaluate(set: 'train' | 'val', predicted?: Int32Array): { loss: number; accuracy: number }
  /** Copies the live weights (and gradients) into `model`, for snapshots, final weights and probes. */
  syncWeights(): void
}

/** What every route is built from besides the model and the backend. */
export interface RouteContext {
  /** The model's spec (a two-core replica is built from it). */
  spec: ModelSpec
  loss: TrainingSpec['loss']
  gradient: TrainingSpec['gradient']
  /** Both sets in the model's precision. */
  train: Dataset
  val: Dataset
  batchSize: number
  learningRate: number
  momentum: number
  /** The host's helper thread, when it offers one (two cores). */
  parallel?: DataParallel
}

/** RouteSummary.label: "fused SIMD, two cores". */
export function routeLabel(id: RouteSummary['id'], cores: 1 | 2): string {
  const names: Record<RouteSummary['id'], string> = {
    reference: 'reference layers',
    'tiny-wasm': 'tiny-model WebAssembly',
    'fused-simd': 'fused SIMD',
  }
  return `${names[id]}, ${cores === 1 ? 'one core' : 'two cores'}`
}
