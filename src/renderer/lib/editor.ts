/**
 * The experiment editor's rules: keep each model's layers chained (a conv's
 * input channels and a linear layer's input features follow from the layer
 * before, so the user edits filters and widths and never does that arithmetic
 * by hand), and validate a draft into messages keyed by field path, so each
 * invalid value is flagged where it was typed.
 */
import { datasetInfo } from '../../engine/datasets'
import { inferShapes, type ShapeInference } from '../../engine/model'
import { Experiment, type DatasetSpec, type LayerSpec } from '../../shared/experiment'

/**
 * Sets conv2d.inChannels and linear.inFeatures from the shape arriving at each
 * layer. Stops adjusting at the first layer that does not fit (its error is
 * then reported by inferShapes) and leaves malformed numbers alone.
 */
export function chainLayers(layers: readonly LayerSpec[], inputShape: readonly number[]): LayerSpec[] {
  const out: LayerSpec[] = layers.map((layer) => ({ ...layer }))
  let shape: number[] = [...inputShape]
  for (let i = 0; i < out.length; i++) {
    const layer = out[i]
    if (layer.type === 'conv2d' && shape.length === 3) layer.inChannels = shape[0]
    if (layer.type === 'linear' && shape.length === 1) layer.inFeatures = shape[0]
    const step = inferShapes([layer], shape)
    if (!step.ok) break
    shape = step.outputShape
  }
  return out
}

export interface DraftValidation {
  ok: boolean
  /** First message per field path, e.g. "models.0.layers.2.kernelSize". */
  errors: Record<string, string>
  /** Shape inference per model (by index), or null when the dataset itself is invalid. */
  shapes: (ShapeInference | null)[]
  inputShape: number[] | null
}

/** Zod says "Invalid input: expected number, received NaN"; an editor should say what to type. */
export function friendlyMessage(message: string): string {
  if (/received NaN|expected number, received (undefined|string|null)/.test(message)) return 'enter a number'
  if (/expected int/.test(message)) return 'must be a whole number'
  const small = /Too small: expected \w+ to (?:have |be )?([><]=?)(\d+(?:\.\d+)?)/.exec(message)
  if (small) return small[1] === '>' ? `must be more than ${small[2]}` : `must be at least ${small[2]}`
  const big = /Too big: expected \w+ to (?:have |be )?([><]=?)(\d+(?:\.\d+)?)/.exec(message)
  if (big) return big[1] === '<' ? `must be less than ${big[2]}` : `must be at most ${big[2]}`
  return message.replace(/^Invalid input: /, '')
}

function safeInputShape(dataset: DatasetSpec): number[] | null {
  try {
    const shape = datasetInfo(dataset).inputShape
    return shape.every((d) => Number.isInteger(d) && d > 0) ? [...shape] : null
  } catch {
    return null
  }
}

export function validateDraft(draft: unknown): DraftValidation {
  const errors: Record<string, string> = {}
  const parsed = Experiment.safeParse(draft)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.')
      errors[path] ??= friendlyMessage(issue.message)
    }
  }
  const candidate = draft as { dataset?: DatasetSpec; models?: { layers?: LayerSpec[] }[] }
  const inputShape = candidate.dataset ? safeInputShape(candidate.dataset) : null
  const shapes = (candidate.models ?? []).map((model, index) => {
    if (!inputShape || !Array.isArray(model.layers)) return null
    // Only infer over layers whose own fields are valid numbers; a NaN is already flagged.
    const inference = inferShapes(model.layers, inputShape)
    if (!inference.ok) {
      const at = `models.${index}.layers.${inference.index}`
      errors[at] ??= inference.error.replace(/^layers\.\d+ \([a-z0-9]+\): /, '')
    }
    return inference
  })
  return { ok: Object.keys(errors).length === 0, errors, shapes, inputShape }
}

/** The errors under one prefix ("models.0.layers.2"), for a row that shows them together. */
export function errorsUnder(errors: Record<string, string>, prefix: string): string[] {
  return Object.entries(errors)
    .filter(([path]) => path === prefix || path.startsWith(`${prefix}.`))
    .map(([, message]) => message)
}

/** New layers the editor can append, already shaped to chain after `shape`. */
export function newLayer(type: 'conv2d' | 'maxpool2d' | 'relu' | 'flatten' | 'linear' | 'dropout'): LayerSpec {
  switch (type) {
    case 'conv2d':
      return { type, inChannels: 1, outChannels: 8, kernelSize: 3, stride: 1, padding: 1, bias: true }
    case 'maxpool2d':
      return { type, kernelSize: 2 }
    case 'linear':
      return { type, inFeatures: 1, outFeatures: 16, bias: true }
    case 'dropout':
      return { type, p: 0.2 }
    case 'relu':
    case 'flatten':
      return { type }
  }
}
