/**
 * The explorer's engine side, in the renderer: models rebuilt from a run's
 * weights with the engine's pure buildModel, one input traced once unshifted
 * and once per shift (a few microseconds for an 8x8 picture), and the
 * per-layer equivariance profile compared from the two traces.
 */
import type { ModelSpec, NamedTensors } from '../../shared/experiment'
import { convAxes, poolAxes } from '../../shared/layer-geometry'
import { shiftImage } from '../../engine/datasets/shift'
import { buildModel, type Sequential } from '../../engine/model'
import { compareTraces, type LayerEquivariance } from '../../engine/probes/equivariance'
import { inferenceTrace, type Trace, type TraceMode } from '../../engine/probes/trace'
import type { Tensor } from '../../engine/tensor'
import { stageNames } from './probe-figures'

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
  model.loadWeights(weights)
  return model
}

/**
 * How far the input may be dragged, and the robustness map's range: one
 * number for both, so the map covers exactly the shifts the drag can reach.
 * ±3 on 8x8 pictures; ±4 on 28x28 digits, as far as the mnist-shifted lesson
 * moves its validation digits (and 81 shifts keep the map about as quick to
 * compute on the whole val set as a lesson allows).
 */
export function shiftLimit(size: number): number {
  return Math.max(1, Math.min(8, size <= 12 ? Math.round(size * 0.375) : Math.round(size / 7)))
}

/** Whether a picture fits a model's input shape ([C, H, W]); a picture of another experiment does not. */
export function inputFits(input: Tensor, inputShape: readonly number[] | null): boolean {
  return !!inputShape && input.shape.length === inputShape.length && input.shape.every((d, i) => d === inputShape[i])
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
    /** How batch norm runs in every trace of the session: eval (running averages) unless asked. */
    readonly mode: TraceMode = 'eval',
  ) {
    for (const m of models) this.base[m.id] = inferenceTrace(m.model, input, mode)
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
      const moved = inferenceTrace(m.model, tensor, this.mode)
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
      for (const m of this.models) out[m.id].push(inferenceTrace(m.model, { shape: this.input.shape, data: this.scratch }, this.mode).probabilities)
    }
    return out
  }
}

/**
 * One row of the explorer's table. The columns mean one thing each:
 * "whole" is ‖f(shift x) − shift f(x)‖ / ‖f(x)‖ over the whole map, "inside"
 * the same inside the outline where it must be 0. Two kinds of rows cannot
 * fill them and say why instead of vanishing:
 * - `misaligned`: a map after a stride (a 2x2 pool) whose pixels span several
 *   input pixels; a shift that is not a multiple of that stride lands between
 *   its pixels, so there is no shifted map to compare with;
 * - `change`: an MLP's units (hidden, or lesson 000's one output) have no positions to shift back, so
 *   "whole" is how much the code changed, ‖f(shift x) − f(x)‖ / ‖f(x)‖, and
 *   nothing is "inside".
 */
export interface EqRow {
  model: string
  modelLabel: string
  /** The stage's name, as the figures name it ("conv 1 + ReLU", "pool 1"). */
  layer: string
  kind: 'equivariance' | 'misaligned' | 'change'
  /** Whole-map error (equivariance), how much the code changed (change); null when not comparable. */
  error: number | null
  /** Error inside the outline (equivariance only; null when the border band covers the map). */
  interior: number | null
  /** The key of the note that explains the row (misaligned and change rows). */
  note: string | null
}

export interface EqNote {
  key: string
  text: string
}

/** The shift as a reader writes it: "dx +1", "dx +1 and dy −3". */
function shiftText(dx: number, dy: number, stride: number): string {
  const signed = (v: number) => (v > 0 ? `+${v}` : v < 0 ? `−${-v}` : '0')
  const parts = [dx % stride !== 0 ? `dx ${signed(dx)}` : '', dy % stride !== 0 ? `dy ${signed(dy)}` : ''].filter(Boolean)
  return parts.join(' and ')
}

/**
 * How far one pixel of a layer's output is from the next, in the layer's input
 * pixels (the larger axis, when they differ: a shift is whole only if it is on both).
 */
function strideOf(spec: ProbedModel['spec']['layers'][number]): number {
  if (spec.type === 'conv2d') return Math.max(...convAxes(spec).stride)
  if (spec.type === 'maxpool2d' || spec.type === 'avgpool2d') return Math.max(...poolAxes(spec).stride)
  return 1
}

/**
 * The table's rows for one step: each CNN stage with a map (a conv after its
 * ReLU, each pool), each hidden layer of an MLP (after its ReLU); the notes
 * that explain rows without a number, once each.
 */
export function equivarianceRows(models: readonly ProbedModel[], step: ShiftStep): { rows: EqRow[]; notes: EqNote[] } {
  const rows: EqRow[] = []
  const notes = new Map<string, EqNote & { layers: string[] }>()
  for (const m of models) {
    const trace = step.traces[m.id]
    const profile = step.profiles[m.id]
    if (!trace || !profile) continue
    const names = stageNames(trace.stages)
    let stride = 1
    let cause = ''
    for (const l of profile) {
      const spec = m.spec.layers[l.index]
      const name = names[l.index + 1]
      const own = spec ? strideOf(spec) : 1
      if (own > 1) {
        stride *= own
        cause = name
      }
      if (l.type === 'flatten' || l.type === 'sigmoid' || l.type === 'dropout') continue
      // An MLP's last linear layer is its logits: the classes, not a hidden code.
      if (!m.conv && l.index === m.spec.layers.length - 1) continue
      // A conv or linear layer followed by its ReLU is shown once, after the ReLU.
      if ((l.type === 'conv2d' || l.type === 'linear') && trace.stages[l.index + 2]?.type === 'relu') continue
      const spatial = l.shape.length === 3
      // A CNN's dense head is not what the table is about: its maps are.
      if (m.conv && !spatial) continue
      const base = { model: m.id, modelLabel: m.label, layer: name }
      if (l.kind === 'equivariance') {
        rows.push({ ...base, kind: 'equivariance', error: l.error, interior: l.interiorError, note: null })
      } else if (spatial) {
        const shift = shiftText(step.dx, step.dy, stride)
        const key = `${m.id}:${stride}:${cause}`
        const entry = notes.get(key) ?? {
          key,
          layers: [],
          text:
            `${shift} is not a multiple of ${stride}, the stride of ${cause}: a pixel of the map spans ${stride} input pixels, ` +
            `so the shifted map falls between pixels and cannot be compared. Multiples of ${stride} compare.`,
        }
        entry.layers.push(`${m.label} ${name}`)
        notes.set(key, entry)
        rows.push({ ...base, kind: 'misaligned', error: null, interior: null, note: key })
      } else {
        const key = `${m.id}:code`
        notes.set(key, {
          key,
          layers: [],
          text: `${m.label}: its units have no positions to shift back, so “whole” is how far their values moved, ‖f(shift x) − f(x)‖ / ‖f(x)‖, and nothing is “inside” (—).`,
        })
        rows.push({ ...base, kind: 'change', error: l.error, interior: null, note: key })
      }
    }
  }
  return {
    rows,
    notes: [...notes.values()].map((n) => ({ key: n.key, text: n.layers.length ? `${n.layers.join(', ')}: ${n.text}` : n.text })),
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
