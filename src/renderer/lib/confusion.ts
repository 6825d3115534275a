/**
 * The validation confusion matrix, computed in the renderer.
 *
 * The training events carry metrics, not predictions, so the matrix is made
 * here: the engine's pure code rebuilds the validation set from its seed
 * (edges and patterns only: the renderer has no MNIST images) and runs one
 * forward pass of the model with the run's weights. That is inference on a
 * few dozen 8x8 pictures, never training.
 */
import type { Experiment, NamedTensors } from '../../shared/experiment'
import { buildDatasets, datasetInfo } from '../../engine/datasets'
import { buildModel } from '../../engine/model'
import { tensor } from '../../engine/tensor'

export interface ConfusionMatrix {
  classes: string[]
  /** counts[actual][predicted] */
  counts: number[][]
  total: number
  correct: number
}

export type ConfusionResult = { ok: true; matrix: ConfusionMatrix } | { ok: false; reason: string }

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
  'The confusion matrix needs the validation pictures, which the app rebuilds itself only for the 8×8 lessons (edges and patterns).'

export function valConfusion(experiment: Experiment, modelId: string, weights: NamedTensors | undefined): ConfusionResult {
  if (experiment.dataset.kind === 'mnist') return { ok: false, reason: MNIST_UNAVAILABLE }
  const spec = experiment.models.find((m) => m.id === modelId)
  if (!spec) return { ok: false, reason: `no model "${modelId}" in the experiment` }
  if (!weights || Object.keys(weights).length === 0) return { ok: false, reason: 'Train the models to see how their validation predictions fall.' }
  try {
    const info = datasetInfo(experiment.dataset)
    const { val } = buildDatasets(experiment.dataset)
    const model = buildModel(spec, info.inputShape, 'float32', { initialise: false })
    for (const { name, param } of model.namedParams()) {
      const source = weights[name]
      if (!source || source.data.length !== param.value.data.length) return { ok: false, reason: `the weights do not match the model (${name})` }
      param.value.data.set(source.data)
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
    return { ok: true, matrix: tally(val.y, predicted, info.classes) }
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
}
