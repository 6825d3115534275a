/**
 * The text of an experiment file (format version 2), from an in-memory
 * `Experiment`: tensors as base64 bytes, 2-space JSON.
 *
 * One function writes every experiment file, in every door: the host's
 * writeExperimentFile (Electron's Save dialog), the browser door's download,
 * and the save dialog's size preview, which is therefore exact, not a guess.
 */
import { encodeTensor, type EncodedTensor, type TensorDtype } from './json-tensors'
import type { Experiment, NamedTensors, Results } from './experiment'

/** The largest file the lab opens (and so the largest it writes): an MNIST run with every snapshot fits. */
export const MAX_EXPERIMENT_BYTES = 64 * 1024 * 1024

/** What a save keeps: the recipe alone, plus the final results, or plus every snapshot too. */
export const SAVE_KEEPS = ['recipe', 'final', 'snapshots'] as const
export type SaveKeeps = (typeof SAVE_KEEPS)[number]

/** The experiment as a save that keeps `keeps` writes it. */
export function keepOnly(experiment: Experiment, keeps: SaveKeeps): Experiment {
  const { results, ...recipe } = experiment
  if (keeps === 'recipe' || !results) return recipe
  if (keeps === 'snapshots') return { ...recipe, results }
  return { ...recipe, results: { ...results, snapshots: [] } }
}

function encodeNamed(weights: NamedTensors, precision: TensorDtype): Record<string, EncodedTensor> {
  const out: Record<string, EncodedTensor> = {}
  for (const [name, tensor] of Object.entries(weights)) out[name] = encodeTensor(tensor, precision)
  return out
}

function encodeResults(results: Results, precision: TensorDtype) {
  const finalWeights: Record<string, Record<string, EncodedTensor>> = {}
  for (const [model, weights] of Object.entries(results.finalWeights)) finalWeights[model] = encodeNamed(weights, precision)
  return {
    metrics: results.metrics,
    snapshots: results.snapshots.map((s) => ({ model: s.model, epoch: s.epoch, weights: encodeNamed(s.weights, precision) })),
    finalWeights,
  }
}

/**
 * The file's text for an experiment that is already valid (the caller
 * validated it: the host with the schema, the renderer's stores by
 * construction). Keys keep the experiment's own order.
 */
export function experimentFileText(experiment: Experiment): string {
  const { results, ...recipe } = experiment
  const file = results ? { ...recipe, results: encodeResults(results, experiment.training.precision) } : recipe
  return `${JSON.stringify(file, null, 2)}\n`
}

/** The UTF-8 size of a text in bytes (what the file takes on disk), without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4 // a surrogate pair: one code point
      i++
    } else bytes += 3 // (a lone surrogate is written as U+FFFD, also 3 bytes)
  }
  return bytes
}
