/**
 * Can this experiment start? The one semantic check behind the editor's
 * "ready to train", the host's start guard and `lab run`, so the three agree
 * word for word: what the editor accepts always starts, and what the host or
 * the terminal refuses is refused with the message the editor shows.
 *
 * It takes an experiment that already passed the schema (src/shared/experiment.ts:
 * types, ranges, field names) and asks what the schema cannot: do the layers
 * chain from the dataset's input shape, does the last layer fit the loss and
 * the class count, do the settings make sense together. Each issue is one
 * sentence naming the layer or field and what to change.
 */
import type { Experiment, LayerSpec } from '../../shared/experiment'
import { datasetInfo } from '../datasets'
import { inferShapes, type ShapeInference } from '../model'
import { usesBatchStatistics } from '../layers'
import { formatShape } from '../tensor'
import { DEFAULT_BUDGET, type ResourceBudget } from '../../shared/budget'
import { budgetIssues } from './budget'

export interface CheckIssue {
  /** Field path in the experiment, e.g. "models.0.layers.6" or "training.loss". */
  path: string
  /** One sentence without the path: what is wrong and what to change. */
  message: string
}

export type CheckResult = { ok: true } | { ok: false; issues: CheckIssue[] }

/** "models.0.layers.6: the last layer …": how the host and the terminal print an issue. */
export function formatIssue(issue: CheckIssue): string {
  return `${issue.path}: ${issue.message}`
}

/** Layers that pass their input's shape through unchanged. */
const KEEPS_SHAPE = new Set<LayerSpec['type']>(['relu', 'sigmoid', 'dropout', 'batchnorm2d', 'residual'])

/** `budget` is the host's (flags, CNN_LAB_MEMORY_BUDGET); without one, DEFAULT_BUDGET. */
export function checkExperiment(experiment: Experiment, budget: ResourceBudget = DEFAULT_BUDGET): CheckResult {
  const { inputShape, classes } = datasetInfo(experiment.dataset)
  const issues: CheckIssue[] = []
  issues.push(...checkLoss(experiment, classes.length))
  issues.push(...checkAugment(experiment))
  experiment.models.forEach((model, m) => {
    const inference = inferShapes(model.layers, inputShape)
    const chain = chainIssue(m, model.layers, inference)
    if (chain) issues.push(chain)
    else if (inference.ok) issues.push(...checkOutput(experiment, m, inference.outputShape, classes.length))
    issues.push(...checkModelSettings(experiment, m))
  })
  // Resource budgets: estimated from the specs alone (./budget.ts), so a run that cannot fit is
  // refused before any weight, batch or data set is allocated.
  issues.push(...budgetIssues(experiment, budget))
  return issues.length === 0 ? { ok: true } : { ok: false, issues }
}

/**
 * The issue for a model whose layers stop chaining, or null. Exported so the
 * editor can say the same words while the rest of its draft is still invalid.
 */
export function chainIssue(modelIndex: number, layers: readonly LayerSpec[], inference: ShapeInference): CheckIssue | null {
  if (inference.ok) return null
  const nested = inference.path !== `layers.${inference.index}`
  const spec = nested ? specAt(layers, inference.path) : layers[inference.index]
  // inferShapes says "layers.3 (linear): <reason>"; the path is carried separately.
  const reason = inference.error.replace(/^layers\.\d+(\.layers\.\d+)* \([a-z0-9]+\): /, '')
  // Inside a residual block the arriving shape is not in the summaries: no advice that needs it.
  const arriving = nested || inference.index === 0 ? null : inference.layers[inference.index - 1]?.outputShape
  const advice = chainAdvice(spec, reason, arriving ?? null)
  const sentence = reason.startsWith('expects') ? `${spec.type} ${reason}` : `in this ${spec.type}, ${reason}`
  return { path: `models.${modelIndex}.${inference.path}`, message: `${sentence}${advice}` }
}

/** The spec at a path like "layers.3.layers.1" (through residual bodies). */
function specAt(layers: readonly LayerSpec[], path: string): LayerSpec {
  const indices = path.split('.').filter((_, i) => i % 2 === 1).map(Number)
  let spec = layers[indices[0]]
  for (const i of indices.slice(1)) if (spec.type === 'residual') spec = spec.layers[i]
  return spec
}

function chainAdvice(spec: LayerSpec, reason: string, arriving: number[] | null): string {
  if (/put a flatten/.test(reason)) return ''
  switch (spec.type) {
    case 'conv2d':
      if (/expects images/.test(reason)) return '; move it before the flatten, or remove it'
      if (/input channel/.test(reason) && arriving) return `; set inChannels to ${arriving[0]}`
      return '; use a smaller kernel or more padding'
    case 'batchnorm2d':
      if (/expects images/.test(reason)) return '; move it before the flatten, or remove it'
      return arriving ? `; set numFeatures to ${arriving[0]}` : ''
    case 'residual':
      return /keep the shape/.test(reason) ? '; give the body padding that keeps the size and as many output channels as input ones' : ''
    case 'maxpool2d':
    case 'avgpool2d':
    case 'globalmaxpool2d':
    case 'globalavgpool2d':
      if (/expects images/.test(reason)) return '; move it before the flatten, or remove it'
      return '; use a smaller window'
    case 'linear':
      return arriving && arriving.length === 1 ? `; set inFeatures to ${arriving[0]}` : ''
    default:
      return ''
  }
}

/** The loss must fit the data: binary cross-entropy learns one yes/no answer. */
function checkLoss(experiment: Experiment, classCount: number): CheckIssue[] {
  if (experiment.training.loss !== 'binary-cross-entropy' || classCount === 2) return []
  return [
    {
      path: 'training.loss',
      message: `binary-cross-entropy answers a yes/no question but the dataset has ${classCount} classes; use softmax-cross-entropy`,
    },
  ]
}

/** Augmentation moves the pictures of each batch; finite differences have no batches, only the whole set. */
function checkAugment(experiment: Experiment): CheckIssue[] {
  const { augment, gradient } = experiment.training
  if (!augment || augment.shift === 0 || gradient !== 'finite-difference') return []
  return [{ path: 'training.augment', message: 'augmentation shifts training batches, which finite-difference training does not use; remove augment or train with backprop' }]
}

/** The last layer must give what the loss compares with the labels. */
function checkOutput(experiment: Experiment, m: number, outputShape: number[], classCount: number): CheckIssue[] {
  const layers = experiment.models[m].layers
  const binary = experiment.training.loss === 'binary-cross-entropy'
  const wanted = binary ? 1 : classCount
  const last = layers.length - 1
  const lastPath = `models.${m}.layers.${last}`
  const outputs = `${wanted} output${wanted === 1 ? '' : 's'}`
  if (outputShape.length !== 1) {
    return [{ path: lastPath, message: `the model ends with images ${formatShape(outputShape)}; end it with flatten and a linear layer of ${outputs}` }]
  }
  const issues: CheckIssue[] = []
  if (outputShape[0] !== wanted) {
    // The layer that decides the output count: the last one that is not a pass-through.
    let k = last
    while (k > 0 && KEEPS_SHAPE.has(layers[k].type)) k--
    const decider = layers[k]
    const needs = binary ? 'binary-cross-entropy needs one output' : `the dataset has ${classCount} classes`
    const gives = `gives ${outputShape[0]} output${outputShape[0] === 1 ? '' : 's'}`
    let message: string
    if (decider.type === 'linear') {
      message = `the last layer (linear) ${gives} but ${needs}; set outFeatures to ${wanted}`
    } else {
      const conv = decider.type === 'globalmaxpool2d' || decider.type === 'globalavgpool2d' ? lastIndexOf(layers, 'conv2d', k) : -1
      message =
        conv >= 0
          ? `the model ${gives} (one per filter of layer ${conv}) but ${needs}; set that conv's filters to ${wanted}`
          : `the model ${gives} but ${needs}; end it with a linear layer of ${outputs}`
    }
    issues.push({ path: `models.${m}.layers.${k}`, message })
  }
  // Binary cross-entropy takes a probability, which only a sigmoid guarantees.
  if (binary && layers[last].type !== 'sigmoid') {
    issues.push({ path: lastPath, message: `binary-cross-entropy takes a probability: end the model with a sigmoid layer` })
  }
  return issues
}

function lastIndexOf(layers: readonly LayerSpec[], type: LayerSpec['type'], before: number): number {
  for (let i = before - 1; i >= 0; i--) if (layers[i].type === type) return i
  return -1
}

/** A model's own settings must make sense with the shared ones. */
function checkModelSettings(experiment: Experiment, m: number): CheckIssue[] {
  const issues: CheckIssue[] = []
  const layers = experiment.models[m].layers
  if (experiment.training.gradient === 'finite-difference') {
    // Every nudge is measured in evaluation mode, so dropout would silently never act.
    const dropout = layers.findIndex((l) => l.type === 'dropout')
    if (dropout >= 0) {
      issues.push({
        path: `models.${m}.layers.${dropout}`,
        message: 'dropout does nothing under finite-difference training; remove it or train with backprop',
      })
    }
    // Likewise batch norm would only ever use its starting running statistics (mean 0, variance 1).
    const norm = layers.findIndex(usesBatchStatistics)
    if (norm >= 0) {
      issues.push({
        path: `models.${m}.layers.${norm}`,
        message: `${layers[norm].type === 'residual' ? 'the batch norm in this residual block' : 'batchnorm2d'} never sees a batch under finite-difference training (every nudge is measured in eval mode); remove it or train with backprop`,
      })
    }
  }
  return issues
}
