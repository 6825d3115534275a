/**
 * The experiment editor's rules: keep each model's layers chained (a conv's
 * input channels and a linear layer's input features follow from the layer
 * before, so the user edits filters and widths and never does that arithmetic
 * by hand), validate a draft into messages keyed by field path, so each
 * invalid value is flagged where it was typed, and edit layer lists (insert,
 * remove, move) without touching the draft in place.
 *
 * A draft is "ready" only when the schema accepts it and the engine's
 * checkExperiment does too: the very check the host and `lab run` apply before
 * a run starts, so the editor never accepts what they would refuse. The
 * budget it checks against is the host's (AppInfo.budget), and the draft's
 * estimate (parameters, memory, snapshot bytes, time) is shown under the models.
 */
import { datasetInfo } from '../../engine/datasets'
import { chainIssue, checkExperiment } from '../../engine/experiment/check'
import { estimateRun, type RunEstimate } from '../../engine/experiment/budget'
import { DEFAULT_BUDGET, formatBytes, type ResourceBudget } from '../../shared/budget'
import { inferShapes, type ShapeInference } from '../../engine/model'
import { Experiment, type DatasetSpec, type LayerSpec } from '../../shared/experiment'
import { pair, type SizeSetting } from '../../shared/layer-geometry'

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
    if (layer.type === 'batchnorm2d' && shape.length === 3) layer.numFeatures = shape[0]
    if (layer.type === 'residual' && shape.length === 3) layer.layers = chainResidualBody(layer.layers, shape)
    const step = inferShapes([layer], shape)
    if (!step.ok) break
    shape = step.outputShape
  }
  return out
}

/**
 * A residual body starts from the block's input and must end with its shape:
 * its last conv gives the block's channel count (x + body(x) needs nothing
 * else), and the layers after it are then chained again to fit.
 */
function chainResidualBody(body: readonly LayerSpec[], shape: readonly number[]): LayerSpec[] {
  const out = body.map((layer) => ({ ...layer }))
  let last = -1
  out.forEach((layer, i) => {
    if (layer.type === 'conv2d') last = i
  })
  const conv = out[last]
  if (conv && conv.type === 'conv2d') conv.outChannels = shape[0]
  return chainLayers(out, shape)
}

export interface DraftValidation {
  ok: boolean
  /** First message per field path, e.g. "models.0.layers.2.kernelSize". */
  errors: Record<string, string>
  /** Shape inference per model (by index), or null when the dataset itself is invalid. */
  shapes: (ShapeInference | null)[]
  inputShape: number[] | null
  /** What the run would cost, once the schema accepts the draft (null before). */
  estimate: RunEstimate | null
  /** The budget the draft was checked against. */
  budget: ResourceBudget
}

/** Zod says "Invalid input: expected number, received NaN"; an editor should say what to type, and the limit. */
export function friendlyMessage(message: string): string {
  if (/received NaN|expected number, received (undefined|string|null)/.test(message)) return 'enter a number'
  if (/expected int/.test(message)) return 'must be a whole number'
  const text = /Too (small|big): expected string to have ([><]=?)(\d+) characters/.exec(message)
  if (text) {
    const n = Number(text[3])
    if (text[1] === 'small') return n === 1 ? 'must not be empty' : `must have at least ${n} characters`
    return `must have at most ${n} characters`
  }
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

/** `budget`: the host's (AppInfo.budget), so the editor refuses exactly what a start would. */
export function validateDraft(draft: unknown, budget: ResourceBudget = DEFAULT_BUDGET): DraftValidation {
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
    // Shown while other fields are still invalid, in the words checkExperiment uses.
    const inference = inferShapes(model.layers, inputShape)
    const chain = chainIssue(index, model.layers, inference)
    if (chain) errors[chain.path] ??= chain.message
    return inference
  })
  let estimate: RunEstimate | null = null
  if (parsed.success) {
    // What the host and `lab run` check before a run starts: the output fits the classes, the budget, and so on.
    const check = checkExperiment(parsed.data, budget)
    if (!check.ok) for (const issue of check.issues) errors[issue.path] ??= issue.message
    estimate = estimateRun(parsed.data)
  }
  return { ok: Object.keys(errors).length === 0, errors, shapes, inputShape, estimate, budget }
}

export interface EstimateLine {
  label: string
  value: string
  /** Over the budget: shown as a problem. */
  over: boolean
}

/** "about 3 min", "12 s", "under a second": the rough time, said as rough. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return 'under a second'
  if (seconds < 90) return `about ${Math.round(seconds)} s`
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`
  if (seconds < 48 * 3600) return `about ${Number((seconds / 3600).toFixed(1))} h`
  return `about ${Math.round(seconds / 86400)} days`
}

/** The estimate under the models, as label/value lines against the budget. */
export function estimateLines(estimate: RunEstimate, budget: ResourceBudget): EstimateLine[] {
  const parameters = estimate.models.reduce((s, m) => s + m.parameters, 0)
  return [
    { label: 'parameters', value: parameters.toLocaleString('en-US'), over: false },
    { label: 'memory', value: `${formatBytes(estimate.memoryBytes)} of ${formatBytes(budget.memoryBytes)}`, over: estimate.memoryBytes > budget.memoryBytes },
    { label: 'snapshots', value: `${formatBytes(estimate.snapshotBytes)} of ${formatBytes(budget.snapshotBytes)}`, over: estimate.snapshotBytes > budget.snapshotBytes },
    { label: 'time', value: formatDuration(estimate.seconds), over: false },
  ]
}

/** The errors under one prefix ("models.0.layers.2"), for a row that shows them together. */
export function errorsUnder(errors: Record<string, string>, prefix: string): string[] {
  return Object.entries(errors)
    .filter(([path]) => path === prefix || path.startsWith(`${prefix}.`))
    .map(([, message]) => message)
}

/** The layer types the editor offers to insert. */
export const INSERTABLE_LAYERS = [
  'conv2d', 'relu', 'maxpool2d', 'avgpool2d', 'batchnorm2d', 'flatten', 'linear', 'dropout', 'sigmoid',
  'globalmaxpool2d', 'globalavgpool2d', 'residual',
] as const
export type InsertableLayer = (typeof INSERTABLE_LAYERS)[number]

/** New layers the editor can insert; chainLayers then fits their input sizes. */
export function newLayer(type: InsertableLayer): LayerSpec {
  switch (type) {
    case 'conv2d':
      return { type, inChannels: 1, outChannels: 8, kernelSize: 3, stride: 1, padding: 1, bias: true }
    case 'maxpool2d':
      return { type, kernelSize: 2 }
    case 'avgpool2d':
      return { type, kernelSize: 2 }
    case 'batchnorm2d':
      return { type, numFeatures: 1, eps: 1e-5, momentum: 0.1 }
    case 'linear':
      return { type, inFeatures: 1, outFeatures: 16, bias: true }
    case 'dropout':
      return { type, p: 0.2 }
    case 'residual':
      // A body that keeps the shape whatever the channels (chainLayers fits both convs' inChannels).
      return {
        type,
        layers: [
          { type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: 3, stride: 1, padding: 1, bias: true },
          { type: 'relu' },
        ],
      }
    case 'relu':
    case 'flatten':
    case 'sigmoid':
    case 'globalmaxpool2d':
    case 'globalavgpool2d':
      return { type }
  }
}

/** The size fields of a conv or pooling layer that may be a number or [h, w]. */
export type PairField = 'kernelSize' | 'stride' | 'padding'

/** One axis (0 height, 1 width) of a size field; an absent stride reads as the layer's default. */
export function pairAxis(layer: LayerSpec, field: PairField, axis: 0 | 1): number {
  const raw = (layer as Partial<Record<PairField, SizeSetting>>)[field]
  const fallback = field === 'padding' ? 0 : field === 'stride' && layer.type !== 'conv2d' ? pairAxis(layer, 'kernelSize', axis) : 1
  return raw === undefined ? fallback : pair(raw)[axis]
}

/**
 * Sets one axis of a size field: stored as one number while both axes agree
 * (so square layers keep the plain form files have always had), as [h, w] once
 * they differ.
 */
export function setPairAxis(layer: LayerSpec, field: PairField, axis: 0 | 1, value: number): void {
  const both: [number, number] = [pairAxis(layer, field, 0), pairAxis(layer, field, 1)]
  both[axis] = value
  ;(layer as Record<string, unknown>)[field] = both[0] === both[1] ? both[0] : both
}

/** A residual body as the editor's JSON field shows it. */
export function bodyText(layer: Extract<LayerSpec, { type: 'residual' }>): string {
  return JSON.stringify(layer.layers)
}

/**
 * Reads the JSON field of a residual body: the layer list, or a sentence
 * saying what is wrong (the schema then names any bad field by its path).
 */
export function parseBodyText(text: string): { ok: true; layers: LayerSpec[] } | { ok: false; error: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, error: `the body is not valid JSON (${(error as Error).message})` }
  }
  if (!Array.isArray(value) || value.length === 0) return { ok: false, error: 'the body must be a non-empty list of layers, e.g. [{"type":"relu"}]' }
  return { ok: true, layers: value as LayerSpec[] }
}

/** How many outputs the last layer must give: one per class, or one for binary cross-entropy. */
export function outputCount(experiment: { dataset: DatasetSpec; training: { loss?: string } }): number | null {
  if (experiment.training.loss === 'binary-cross-entropy') return 1
  try {
    return datasetInfo(experiment.dataset).classes.length
  } catch {
    return null
  }
}

/**
 * A copy of `layers` with a new layer of `type` at index `at` (0 = first,
 * layers.length = last). A linear layer with no linear layer after it is the
 * new output layer, so it starts with one output per class (`outputs`).
 */
export function insertLayer(layers: readonly LayerSpec[], at: number, type: InsertableLayer, outputs: number | null): LayerSpec[] {
  const index = Math.max(0, Math.min(at, layers.length))
  const layer = newLayer(type)
  if (layer.type === 'linear' && outputs !== null && !layers.slice(index).some((l) => l.type === 'linear')) layer.outFeatures = outputs
  return [...layers.slice(0, index), layer, ...layers.slice(index)]
}

/** A copy of `layers` without the one at `at` (a model keeps at least one layer). */
export function removeLayer(layers: readonly LayerSpec[], at: number): LayerSpec[] {
  if (layers.length <= 1 || at < 0 || at >= layers.length) return [...layers]
  return layers.filter((_, i) => i !== at)
}

/** A copy of `layers` with the layer at `from` moved to `to` (clamped to the list). */
export function moveLayer(layers: readonly LayerSpec[], from: number, to: number): LayerSpec[] {
  const out = [...layers]
  if (from < 0 || from >= out.length) return out
  const [layer] = out.splice(from, 1)
  out.splice(Math.max(0, Math.min(to, out.length)), 0, layer)
  return out
}

/** JSON with sorted keys, so two recipes compare equal whatever order their fields were set in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  )
}

/** Whether two recipes are the same experiment; `ignoreName` compares only what trains. */
export function sameRecipe(a: unknown, b: unknown, ignoreName = false): boolean {
  const strip = (r: unknown) => (ignoreName && r && typeof r === 'object' ? { ...(r as object), name: undefined } : r)
  return stableJson(strip(a)) === stableJson(strip(b))
}

const EDITED = ' (edited)'
const NAME_MAX = 200

/** The name an edited recipe goes by, so its runs are told apart from the preset's in Runs. */
export function editedName(name: string): string {
  if (name.endsWith(EDITED)) return name
  return `${name.slice(0, NAME_MAX - EDITED.length)}${EDITED}`
}

/**
 * What is wrong with a typed list of whole numbers ("2, 4, 8"), naming the
 * value and the limit, or null when every value is fine.
 */
export function numberListProblem(text: string, limits: { min: number; max: number; maxCount: number }): string | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean)
  if (parts.length === 0) return `Enter whole numbers from ${limits.min} to ${limits.max}, separated by commas.`
  if (parts.length > limits.maxCount) return `At most ${limits.maxCount} values (there are ${parts.length}).`
  for (const part of parts) {
    const v = Number(part)
    if (!Number.isFinite(v)) return `"${part}" is not a number: enter whole numbers from ${limits.min} to ${limits.max}.`
    if (!Number.isInteger(v)) return `${part} is not a whole number: enter whole numbers from ${limits.min} to ${limits.max}.`
    if (v < limits.min) return `${part} is too small: values must be at least ${limits.min}.`
    if (v > limits.max) return `${part} is too big: values must be at most ${limits.max}.`
  }
  return null
}

const SECTION_WORDS: Record<string, string> = { dataset: 'Data', training: 'Training', name: 'Name', models: 'Models' }

/** Where a field path is, in the editor's words: "TinyCNN, layer 4 (linear)", "Training, loss". */
export function describePath(path: string, recipe: { models?: { label?: string; layers?: { type?: string }[] }[] }): string {
  const parts = path.split('.')
  if (parts[0] === 'models' && parts.length >= 2) {
    const model = recipe.models?.[Number(parts[1])]
    const label = model?.label || `model ${parts[1]}`
    if (parts[2] !== 'layers' || parts.length < 4) return [label, ...parts.slice(2)].join(', ')
    const type = model?.layers?.[Number(parts[3])]?.type
    const layer = `layer ${parts[3]}${type ? ` (${type})` : ''}`
    return [label, layer, ...parts.slice(4)].join(', ')
  }
  const head = SECTION_WORDS[parts[0]] ?? parts[0]
  return parts.length > 1 ? `${head}, ${parts.slice(1).join(' ')}` : head
}
