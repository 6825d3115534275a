/**
 * Inference trace: one input through the model, keeping every intermediate
 * activation. Feature maps are the trace's 4-D stages.
 */
import type { Sequential } from '../model'
import { allocate, precisionOf, sizeOf, type FloatArray, type Tensor } from '../tensor'

export interface TraceStage {
  /** Index in the model's layer list; -1 for the input, layers.length for the softmax read-out. */
  index: number
  type: string
  /** One sample's shape (no batch axis). */
  shape: number[]
  values: FloatArray
}

export interface Trace {
  stages: TraceStage[]
  /** Class probabilities: softmax of the logits, or [1 - p, p] for a single sigmoid output. */
  probabilities: number[]
}

/**
 * How the layers run: `eval` (the default, and what every evaluation uses) normalises
 * batch norm with its running averages; `train` uses the statistics of the batch,
 * here the one picture, which is lesson 004's pitfall of forgetting eval mode.
 */
export type TraceMode = 'eval' | 'train'

/**
 * `input` is one sample, [C, H, W] (a batch axis of 1 is added here). A
 * train-mode trace leaves the model as it found it: the running statistics a
 * train-mode batch norm moves are put back afterwards.
 */
export function inferenceTrace(model: Sequential, input: Tensor, mode: TraceMode = 'eval'): Trace {
  if (mode !== 'eval' && mode !== 'train') throw new Error(`inferenceTrace: mode must be "eval" or "train", got ${String(mode)}`)
  const training = mode === 'train'
  const kept = training ? model.namedStateList.map(({ value }) => ({ value, data: value.data.slice() })) : []
  let x: Tensor = { shape: [1, ...input.shape], data: input.data }
  const stages: TraceStage[] = [{ index: -1, type: 'input', shape: [...input.shape], values: input.data.slice() }]
  try {
    model.layers.forEach((layer, index) => {
      x = layer.forward(x, training)
      stages.push({ index, type: layer.type, shape: x.shape.slice(1), values: x.data.slice() })
    })
  } finally {
    for (const { value, data } of kept) value.data.set(data)
  }
  const last = stages[stages.length - 1]
  const probabilities = last.type === 'sigmoid' && last.values.length === 1 ? [1 - last.values[0], last.values[0]] : softmax(last.values)
  if (last.type !== 'sigmoid') {
    const probs = allocate(precisionOf(last.values), probabilities.length)
    probs.set(probabilities)
    stages.push({ index: model.layers.length, type: 'softmax', shape: [probabilities.length], values: probs })
  }
  return { stages, probabilities }
}

export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i])
  const exps = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i] - max))
  const sum = exps.reduce((a, b) => a + b, 0)
  return exps.map((e) => e / sum)
}

/** The stages with spatial maps ([C, H, W]), i.e. what a feature-map view draws. */
export function featureMaps(trace: Trace): TraceStage[] {
  return trace.stages.filter((stage) => stage.shape.length === 3 && stage.index >= 0)
}

export function sampleOf(set: { x: Tensor }, index: number): Tensor {
  const shape = set.x.shape.slice(1)
  const size = sizeOf(shape)
  return { shape, data: set.x.data.subarray(index * size, (index + 1) * size) }
}
