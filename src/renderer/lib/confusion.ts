/**
 * The validation confusion matrix the Compare view draws.
 *
 * The engine counts it in its own val pass every epoch (MetricRow.confusion,
 * every dataset, every door) and, at a model's last epoch or at a stop, lists
 * the val indices behind each cell (`confusion-cells`). Only results files
 * saved before the engine counted carry no counts: for those the matrix is
 * made here, as before, by rebuilding the 8x8 val set from its seed and
 * running one forward pass with the saved weights (MNIST's pictures live on
 * the host, so an old MNIST file shows none).
 */
import type { Experiment, NamedTensors } from '../../shared/experiment'
import { buildDatasets, datasetInfo } from '../../engine/datasets'
import { buildModel } from '../../engine/model'
import { tensor } from '../../engine/tensor'
import { confusionCells } from '../../engine/train/confusion'
import type { MetricRow } from '../../shared/experiment'

export interface ConfusionMatrix {
  classes: string[]
  /** counts[actual][predicted] */
  counts: number[][]
  total: number
  correct: number
}

export interface ConfusionOk {
  ok: true
  matrix: ConfusionMatrix
  /** The epoch the counts are from (null: from the final weights of an older file). */
  epoch: number | null
  /** cells[actual * classes + predicted]: val indices behind each cell, when known. */
  cells: number[][] | null
}

export type ConfusionResult = ConfusionOk | { ok: false; reason: string }

/** A matrix from the engine's counts. */
export function fromCounts(counts: number[][], classes: readonly string[]): ConfusionMatrix {
  let total = 0
  let correct = 0
  counts.forEach((row, a) =>
    row.forEach((c, p) => {
      total += c
      if (a === p) correct += c
    }),
  )
  return { classes: [...classes], counts: counts.map((r) => [...r]), total, correct }
}

/** The model's latest row with counts, if any. */
export function latestCounts(rows: readonly MetricRow[], model: string): MetricRow | undefined {
  let best: MetricRow | undefined
  for (const r of rows) if (r.model === model && r.confusion && (!best || r.epoch >= best.epoch)) best = r
  return best
}

/** The val indices behind one cell, at most `limit`. */
export function cellIndices(cells: number[][] | null, classes: number, actual: number, predicted: number, limit = 32): number[] {
  return (cells?.[actual * classes + predicted] ?? []).slice(0, limit)
}

export function tally(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: readonly string[]): ConfusionMatrix {
  const k = classes.length
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  let correct = 0
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]
    const p = predicted[i]
    if (a < 0 || a >= k || p < 0 || p >= k) continue
    counts[a][p]++
    if (a === p) correct++
  }
  return { classes: [...classes], counts, total: actual.length, correct }
}

/** Class index from one sample's outputs: argmax, or a 0.5 threshold for a single sigmoid output. */
export function predictClass(outputs: ArrayLike<number>, offset: number, width: number): number {
  if (width === 1) return outputs[offset] >= 0.5 ? 1 : 0
  let best = 0
  for (let j = 1; j < width; j++) if (outputs[offset + j] > outputs[offset + best]) best = j
  return best
}

export const MNIST_UNAVAILABLE =
  'This file was saved without confusion counts; for MNIST they come from training (train it, or open its run in Runs).'

export function valConfusion(experiment: Experiment, modelId: string, weights: NamedTensors | undefined): ConfusionResult {
  if (experiment.dataset.kind === 'mnist') return { ok: false, reason: MNIST_UNAVAILABLE }
  const spec = experiment.models.find((m) => m.id === modelId)
  if (!spec) return { ok: false, reason: `no model "${modelId}" in the experiment` }
  if (!weights || Object.keys(weights).length === 0) return { ok: false, reason: 'Train the models to see how their validation predictions fall.' }
  try {
    const info = datasetInfo(experiment.dataset)
    const { val } = buildDatasets(experiment.dataset)
    const model = buildModel(spec, info.inputShape, 'float32', { initialise: false })
    try {
      model.loadWeights(weights)
    } catch (error) {
      return { ok: false, reason: (error as Error).message }
    }
    const n = val.y.length
    const sample = info.inputShape.reduce((a, b) => a * b, 1)
    const predicted = new Int32Array(n)
    const chunk = 256
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start)
      const x = tensor([size, ...info.inputShape], val.x.data.slice(start * sample, (start + size) * sample) as Float32Array)
      // forward returns a buffer the model reuses: read the predictions out at once.
      const out = model.forward(x, false)
      const width = out.data.length / size
      for (let i = 0; i < size; i++) predicted[start + i] = predictClass(out.data, i * width, width)
    }
    return { ok: true, matrix: tally(val.y, predicted, info.classes), epoch: null, cells: confusionCells(val.y, predicted, info.classes.length) }
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
}
