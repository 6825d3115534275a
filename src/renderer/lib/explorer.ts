/**
 * The explorer's engine side, in the renderer: models rebuilt from a run's
 * weights with the engine's pure buildModel, one input traced once unshifted
 * and once per shift (a few microseconds for an 8x8 picture), and the
 * per-layer equivariance profile compared from the two traces.
 */
import type { ModelSpec, NamedTensors } from '../../shared/experiment'
import { shiftImage } from '../../engine/datasets/shift'
import { buildModel, type Sequential } from '../../engine/model'
import { compareTraces, type LayerEquivariance } from '../../engine/probes/equivariance'
import { inferenceTrace, type Trace } from '../../engine/probes/trace'
import type { Tensor } from '../../engine/tensor'

export interface ProbedModel {
  id: string
  label: string
  spec: ModelSpec
  model: Sequential
  /** Whether the model has a conv layer (it is drawn as feature maps). */
  conv: boolean
}

/** A float32 model with the given weights copied in; throws when they do not fit. */
export function modelWithWeights(spec: ModelSpec, inputShape: readonly number[], weights: NamedTensors): Sequential {
  const model = buildModel(spec, inputShape, 'float32', { initialise: false })
  for (const { name, param } of model.namedParams()) {
    const source = weights[name]
    if (!source || source.data.length !== param.value.data.length) throw new Error(`the weights do not match the model (${name})`)
    param.value.data.set(source.data)
  }
  return model
}

/** How far the input may be dragged: ±3 pixels on 8x8 pictures, ±6 on 28x28. */
export function shiftLimit(size: number): number {
  return Math.max(1, Math.min(8, size <= 12 ? Math.round(size * 0.375) : Math.round(size * 0.22)))
}

export function clampShift(v: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, Math.round(v)))
}

export interface ShiftStep {
  dx: number
  dy: number
  input: Float32Array
  traces: Record<string, Trace>
  profiles: Record<string, LayerEquivariance[]>
}

/** One input and its models: the unshifted traces are made once, each shift traces once more. */
export class ShiftSession {
  readonly base: Record<string, Trace> = {}
  private readonly scratch: Float32Array

  constructor(
    readonly models: readonly ProbedModel[],
    readonly input: Tensor,
  ) {
    for (const m of models) this.base[m.id] = inferenceTrace(m.model, input)
    this.scratch = new Float32Array(input.data.length)
  }

  shifted(dx: number, dy: number): Float32Array {
    const [c, h, w] = this.input.shape
    const out = new Float32Array(this.input.data.length)
    shiftImage(this.input.data, out, c, h, w, dx, dy)
    return out
  }

  step(dx: number, dy: number): ShiftStep {
    const input = this.shifted(dx, dy)
    const tensor = { shape: this.input.shape, data: input }
    const traces: Record<string, Trace> = {}
    const profiles: Record<string, LayerEquivariance[]> = {}
    for (const m of this.models) {
      const moved = inferenceTrace(m.model, tensor)
      traces[m.id] = moved
      profiles[m.id] = compareTraces(m.model, this.base[m.id].stages, moved.stages, dx, dy)
    }
    return { dx, dy, input, traces, profiles }
  }

  /** Each model's class probabilities at every horizontal shift in [-limit, limit], at the given dy. */
  probabilityRow(dy: number, limit: number): Record<string, number[][]> {
    const out: Record<string, number[][]> = {}
    const [c, h, w] = this.input.shape
    for (const m of this.models) out[m.id] = []
    for (let dx = -limit; dx <= limit; dx++) {
      shiftImage(this.input.data, this.scratch, c, h, w, dx, dy)
      for (const m of this.models) out[m.id].push(inferenceTrace(m.model, { shape: this.input.shape, data: this.scratch }).probabilities)
    }
    return out
  }
}

export function median(values: readonly number[]): number {
  return percentileOf(values, 50)
}

export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}
