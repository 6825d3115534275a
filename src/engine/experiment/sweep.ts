/**
 * Sweeps: one ordinary experiment per setting (and seed), so each trains and
 * saves like any run.
 *
 * - Capacity (lesson 001: the MLP's hidden width; its exercise: the CNN's
 *   filter count): the run holds only the model being varied, with that one
 *   size changed and every later layer's input size chained to it.
 * - Data (`train-count`, `val-shift`, `augment`): every model of the
 *   experiment in each run, side by side on the same pictures, as the lab
 *   always trains them. `augment` sets `training.augment.shift` (0 = none):
 *   on a recipe validated on moved pictures it shows how much shifting the
 *   MLP must be shown to buy what convolution gives for free.
 *
 * `seeds: N` repeats each setting N times: seed 0 is the recipe as it is,
 * seed k > 0 derives new init, shuffle and training-data seeds from it, so
 * the chart can draw the spread a class would otherwise mistake for a result.
 */
import type { DatasetSpec, Experiment, LayerSpec, ModelSpec } from '../../shared/experiment'
import type { SweepKindName } from '../../shared/run-file'
import { datasetInfo } from '../datasets'
import { inferShapes } from '../model'
import { deriveSeed } from '../rng'

export type SweepKind = SweepKindName

export interface SweepSpec {
  kind: SweepKind
  values: number[]
  /** Runs per setting, each with its own seeds; 1 when left out. */
  seeds?: number
}

export const SWEEP_DEFAULTS: Record<SweepKind, number[]> = {
  'mlp-hidden': [2, 4, 8, 18, 32, 64],
  'cnn-filters': [1, 2, 3, 4, 5, 6, 7, 8],
  'train-count': [2, 5, 10, 30, 100],
  'val-shift': [0, 1, 2, 3],
  augment: [0, 1, 2, 3],
}

export const SWEEP_LABELS: Record<SweepKind, { title: string; unit: string }> = {
  'mlp-hidden': { title: 'MLP hidden width', unit: 'hidden units' },
  'cnn-filters': { title: 'CNN filter count', unit: 'filters' },
  'train-count': { title: 'Training pictures', unit: 'training pictures' },
  'val-shift': { title: 'Val shift', unit: 'px largest val shift' },
  augment: { title: 'Augment shift', unit: 'px largest training shift' },
}

/** Capacity sweeps vary one model's size; the others vary the data under every model. */
export function isCapacitySweep(kind: SweepKind): kind is 'mlp-hidden' | 'cnn-filters' {
  return kind === 'mlp-hidden' || kind === 'cnn-filters'
}

/** The setting's unit for this dataset: patterns and colour count training pictures per class. */
export function sweepUnit(kind: SweepKind, dataset: DatasetSpec['kind']): string {
  if (kind === 'train-count' && (dataset === 'patterns' || dataset === 'colour')) return 'training pictures per class'
  return SWEEP_LABELS[kind].unit
}

/** The smallest setting a kind takes: a val shift of 0 is the centred baseline. */
export const SWEEP_MIN_VALUE: Record<SweepKind, number> = { 'mlp-hidden': 1, 'cnn-filters': 1, 'train-count': 1, 'val-shift': 0, augment: 0 }

/** The largest val shift the dataset field takes, and the largest augmentation shift. */
const MAX_VAL_SHIFT = 8
const MAX_AUGMENT_SHIFT = 8
/** Seeds per setting: enough for a band, few enough for a lesson. */
export const MAX_SWEEP_SEEDS = 10

export interface SweepSetting {
  value: number
  /** 0 = the recipe's own seeds. */
  seed: number
  experiment: Experiment
  /** The models the run trains, with their parameter counts before training. */
  models: { id: string; label: string; parameterCount: number }[]
}

/** The model a sweep varies: `mlp`/`cnn` by id, else the first model without / with a conv layer. */
export function sweepModel(experiment: Experiment, kind: 'mlp-hidden' | 'cnn-filters'): ModelSpec | undefined {
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
export function resizeLayers(layers: readonly LayerSpec[], inputShape: readonly number[], kind: 'mlp-hidden' | 'cnn-filters', value: number): LayerSpec[] {
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
 * The recipe with seed k: k = 0 leaves it as it is; otherwise every model's
 * init seed, the shuffle seed and the training pictures' seed are derived
 * from theirs. The val pictures keep their seed, so every seed is measured on
 * the same val set (MNIST's one seed also picks the split, so its val set moves).
 */
export function withSeed(experiment: Experiment, seed: number): Experiment {
  if (seed === 0) return experiment
  const derive = (s: number) => deriveSeed(s, `sweep-seed-${seed}`)
  const dataset = { ...experiment.dataset, train: { ...experiment.dataset.train, seed: derive(experiment.dataset.train.seed) } } as DatasetSpec
  return {
    ...experiment,
    dataset,
    models: experiment.models.map((m) => ({ ...m, init: { ...m.init, seed: derive(m.init.seed) } })),
    training: { ...experiment.training, seed: derive(experiment.training.seed) },
  }
}

/** The data a data sweep's setting trains and validates on. */
function sweptDataset(dataset: DatasetSpec, kind: 'train-count' | 'val-shift', value: number): DatasetSpec {
  if (kind === 'train-count') {
    if (value > 100_000) throw new Error(`training-set size ${value} is more than 100,000`)
    return { ...dataset, train: { ...dataset.train, count: value } }
  }
  if (dataset.kind === 'edges') throw new Error('the edges dataset has no val shift to sweep; use patterns or MNIST')
  if (value > MAX_VAL_SHIFT) throw new Error(`val shift ${value} is more than ${MAX_VAL_SHIFT} px`)
  // Trained on centred pictures: the patterns' own jitter is turned off, so
  // every model sees each shape in one place and only the val set moves.
  return dataset.kind === 'patterns' || dataset.kind === 'colour' ? { ...dataset, maxShift: 0, valShift: value } : { ...dataset, valShift: value }
}

/** The training of an augment sweep's setting: random shifts up to `value` px, none at 0. */
function augmentedTraining(training: Experiment['training'], value: number): Experiment['training'] {
  if (value > MAX_AUGMENT_SHIFT) throw new Error(`augmentation shift ${value} is more than ${MAX_AUGMENT_SHIFT} px`)
  const { augment: _augment, ...rest } = training
  return value === 0 ? rest : { ...rest, augment: { shift: value } }
}

/**
 * One experiment per value and seed, named with the sweep so the runs list
 * tells them apart; smallest value first, then by seed, so the preview, the
 * runs and a sweep rebuilt from the runs folder all list them in one order.
 *
 * A val-shift sweep trains the same recipe at every value: valShift moves only
 * the val pictures (drawn from a stream of their own), so each seed's runs
 * train the very same weights on centred pictures and differ only in what
 * they are validated on.
 */
export function sweepSettings(base: Experiment, spec: SweepSpec, tag = ''): SweepSetting[] {
  const seeds = spec.seeds ?? 1
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > MAX_SWEEP_SEEDS) throw new Error(`seeds must be a whole number from 1 to ${MAX_SWEEP_SEEDS}, got ${seeds}`)
  const { kind } = spec
  const min = SWEEP_MIN_VALUE[kind]
  const { results: _results, ...recipe } = base
  const { inputShape } = datasetInfo(base.dataset)
  const capacityModel = isCapacitySweep(kind) ? sweepModel(base, kind) : undefined
  if (isCapacitySweep(kind) && !capacityModel) throw new Error(kind === 'cnn-filters' ? 'this experiment has no CNN to sweep' : 'this experiment has no MLP to sweep')
  const values = [...new Set(spec.values)].sort((a, b) => a - b)
  const settings: SweepSetting[] = []
  for (const value of values) {
    if (!Number.isInteger(value) || value < min) throw new Error(`sweep values must be whole numbers ≥ ${min}, got ${value}`)
    let models: ModelSpec[]
    let dataset = recipe.dataset
    let training = recipe.training
    if (capacityModel && isCapacitySweep(kind)) {
      const layers = resizeLayers(capacityModel.layers, inputShape, kind, value)
      models = [{ ...capacityModel, label: `${capacityModel.label} (${value} ${SWEEP_LABELS[kind].unit})`, layers }]
    } else {
      models = recipe.models
      if (kind === 'augment') training = augmentedTraining(recipe.training, value)
      else dataset = sweptDataset(recipe.dataset, kind as 'train-count' | 'val-shift', value)
    }
    const counted = models.map((m) => {
      const inferred = inferShapes(m.layers, inputShape)
      if (!inferred.ok) throw new Error(`${SWEEP_LABELS[kind].title} ${value}: ${m.label}: ${inferred.error}`)
      // The model's own label: the setting is the point's value, not part of its name.
      return { id: m.id, label: capacityModel?.label ?? m.label, parameterCount: inferred.parameterCount }
    })
    for (let seed = 0; seed < seeds; seed++) {
      const name = `Sweep${tag ? ` ${tag}` : ''} · ${SWEEP_LABELS[kind].title} = ${value}${seeds > 1 ? ` · seed ${seed}` : ''} · ${base.name}`
      const experiment = withSeed({ ...recipe, name: name.slice(0, 200), dataset, models, training: { ...training, snapshotEpochs: [] } }, seed)
      settings.push({ value, seed, experiment, models: counted })
    }
  }
  return settings
}

/** The label a sweep goes by: the swept model's, or every model's for a data sweep. */
export function sweptModelLabel(base: Experiment, kind: SweepKind): string {
  if (isCapacitySweep(kind)) return sweepModel(base, kind)?.label ?? ''
  return base.models.map((m) => m.label).join(' vs ')
}
