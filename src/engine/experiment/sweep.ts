/**
 * Capacity sweeps (lesson 001: the MLP's hidden width; its exercise: the
 * CNN's filter count). One setting is an ordinary experiment holding only the
 * model being varied, with that one size changed and every later layer's
 * input size chained to it, so it trains and saves like any run.
 */
import type { Experiment, LayerSpec, ModelSpec } from '../../shared/experiment'
import { datasetInfo } from '../datasets'
import { inferShapes } from '../model'

export type SweepKind = 'mlp-hidden' | 'cnn-filters'

export interface SweepSpec {
  kind: SweepKind
  values: number[]
}

export const SWEEP_DEFAULTS: Record<SweepKind, number[]> = {
  'mlp-hidden': [2, 4, 8, 18, 32, 64],
  'cnn-filters': [1, 2, 3, 4, 5, 6, 7, 8],
}

export const SWEEP_LABELS: Record<SweepKind, { title: string; unit: string }> = {
  'mlp-hidden': { title: 'MLP hidden width', unit: 'hidden units' },
  'cnn-filters': { title: 'CNN filter count', unit: 'filters' },
}

export interface SweepSetting {
  value: number
  experiment: Experiment
  modelId: string
  parameterCount: number
}

/** The model a sweep varies: `mlp`/`cnn` by id, else the first model without / with a conv layer. */
export function sweepModel(experiment: Experiment, kind: SweepKind): ModelSpec | undefined {
  const wantConv = kind === 'cnn-filters'
  const byId = experiment.models.find((m) => m.id === (wantConv ? 'cnn' : 'mlp'))
  if (byId && byId.layers.some((l) => l.type === (wantConv ? 'conv2d' : 'linear'))) return byId
  return experiment.models.find((m) => m.layers.some((l) => l.type === 'conv2d') === wantConv && m.layers.some((l) => l.type === 'linear'))
}

/**
 * Sets the first conv's filters (or the first hidden linear's width) and
 * chains the layers after it: a conv's inChannels and a linear's inFeatures
 * follow from the shape the layer before produces.
 */
export function resizeLayers(layers: readonly LayerSpec[], inputShape: readonly number[], kind: SweepKind, value: number): LayerSpec[] {
  const out = layers.map((l) => ({ ...l })) as LayerSpec[]
  const target = out.findIndex((l, i) =>
    kind === 'cnn-filters' ? l.type === 'conv2d' : l.type === 'linear' && out.slice(i + 1).some((later) => later.type === 'linear'),
  )
  if (target < 0) throw new Error(kind === 'cnn-filters' ? 'the model has no conv2d layer to resize' : 'the model has no hidden linear layer to resize')
  const layer = out[target]
  if (layer.type === 'conv2d') layer.outChannels = value
  else if (layer.type === 'linear') layer.outFeatures = value
  for (let i = target + 1; i < out.length; i++) {
    const before = inferShapes(out.slice(0, i), inputShape)
    if (!before.ok) break
    const shape = before.outputShape
    const next = out[i]
    if (next.type === 'conv2d') {
      next.inChannels = shape[0]
      break // this conv's own output does not depend on the swept size
    }
    if (next.type === 'linear') {
      next.inFeatures = shape.reduce((a, b) => a * b, 1)
      break
    }
  }
  return out
}

/**
 * One experiment per value, named with the sweep so the runs list tells them
 * apart; smallest first, so the preview, the runs and a sweep rebuilt from the
 * runs folder all list the settings in one order.
 */
export function sweepSettings(base: Experiment, spec: SweepSpec, tag = ''): SweepSetting[] {
  const model = sweepModel(base, spec.kind)
  if (!model) throw new Error(spec.kind === 'cnn-filters' ? 'this experiment has no CNN to sweep' : 'this experiment has no MLP to sweep')
  const { inputShape } = datasetInfo(base.dataset)
  const { results: _results, ...recipe } = base
  return [...spec.values].sort((a, b) => a - b).map((value) => {
    if (!Number.isInteger(value) || value < 1) throw new Error(`sweep values must be whole numbers ≥ 1, got ${value}`)
    const layers = resizeLayers(model.layers, inputShape, spec.kind, value)
    const inferred = inferShapes(layers, inputShape)
    if (!inferred.ok) throw new Error(`${SWEEP_LABELS[spec.kind].title} ${value}: ${inferred.error}`)
    const label = `${model.label} (${value} ${SWEEP_LABELS[spec.kind].unit})`
    const experiment: Experiment = {
      ...recipe,
      name: `Sweep${tag ? ` ${tag}` : ''} · ${SWEEP_LABELS[spec.kind].title} = ${value} · ${base.name}`.slice(0, 200),
      models: [{ ...model, label, layers }],
      training: { ...recipe.training, snapshotEpochs: [] },
    }
    return { value, experiment, modelId: model.id, parameterCount: inferred.parameterCount }
  })
}
