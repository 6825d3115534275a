/**
 * `run.json`, the status file at the top of every run folder (format version 1).
 *
 * The host writes it when a run starts, when the models are known, and when the
 * run ends; readers (the Runs view, scripts) validate it with `RunInfo`.
 * Shared so the renderer can type what the host hands it.
 */
import { z } from 'zod'
import { MetricRow } from './experiment'

export const RUN_FORMAT = 'cnn-lab.run'
export const RUN_VERSION = 1

export const RunStatus = z.enum(['running', 'completed', 'stopped', 'failed'])
export type RunStatus = z.output<typeof RunStatus>

const count = z.number().int().min(0)

const RunLayer = z.object({
  index: count,
  type: z.string(),
  /** One sample's output shape, no batch axis. */
  outputShape: z.array(count),
  parameterCount: count,
})

/** Which code trained a model: training-events.ts's RouteSummary, validated. */
const RunRoute = z.object({
  id: z.enum(['reference', 'tiny-wasm', 'fused-simd']),
  cores: z.union([z.literal(1), z.literal(2)]),
  backend: z.enum(['reference', 'simd', 'relaxed-simd']),
  label: z.string(),
})

/** A model as run.json records it: the `started` event's ModelSummary, field for field. */
export const RunModel = z.object({
  id: z.string(),
  label: z.string(),
  parameterCount: count,
  /** One sample's input shape, [C, H, W]. */
  inputShape: z.array(count),
  epochs: count,
  layers: z.array(RunLayer),
  /** Absent in runs from before routes were named. */
  route: RunRoute.optional(),
})
export type RunModel = z.output<typeof RunModel>

/**
 * The sweep kinds: two capacity sweeps (one model per run) and three data
 * sweeps (every model of the experiment in each run): the training-set size,
 * the val pictures' shift, and the training pictures' random-shift augmentation.
 */
export const SWEEP_KINDS = ['mlp-hidden', 'cnn-filters', 'train-count', 'val-shift', 'augment'] as const
export const SweepKindName = z.enum(SWEEP_KINDS)
export type SweepKindName = z.output<typeof SweepKindName>

/**
 * Which sweep a run belongs to, so the Sweeps view can be rebuilt from the
 * runs folder after a restart (the host keeps no other record).
 */
export const RunSweep = z.object({
  /** Shared by every run of one sweep. */
  id: z.string().min(1),
  kind: SweepKindName,
  /** The setting this run trains: hidden width, filter count, training-set size or val shift (0 allowed). */
  value: z.number().int().min(0),
  /** Which repeat of the setting (0 = the base recipe's own seeds); absent in older files. */
  seed: count.default(0),
  /** How many seeds each setting of the sweep has. */
  seeds: z.number().int().min(1).default(1),
  /** The swept experiment's name. */
  base: z.string(),
  /** The swept model's label, e.g. "TinyMLP" (the models' labels joined for a data sweep). */
  model: z.string(),
  /** Known before training, so a run that failed early still has its point on the x axis (the first model's). */
  parameterCount: count,
  /** Every model the run trains, for data sweeps (absent for a capacity sweep's one model). */
  models: z.array(z.object({ id: z.string(), label: z.string(), parameterCount: count })).optional(),
})
export type RunSweep = z.output<typeof RunSweep>

// Plain (non-strict) objects: a newer lab may add fields, an older reader keeps working.
export const RunInfo = z.object({
  format: z.literal(RUN_FORMAT),
  version: z.literal(RUN_VERSION),
  status: RunStatus,
  /** ISO 8601 times. */
  startedAt: z.string(),
  endedAt: z.string().optional(),
  engineVersion: z.string(),
  /** The preset the experiment came from, when it did. */
  preset: z.string().optional(),
  /** The experiment's name, so a list of runs can be shown without opening each recipe. */
  name: z.string(),
  trainCount: count.optional(),
  valCount: count.optional(),
  classes: z.array(z.string()).optional(),
  models: z.array(RunModel),
  /** Each model's last metrics row, by model id. */
  final: z.record(z.string(), MetricRow),
  /** Whether `data/train.safetensors` and `data/val.safetensors` were written. */
  savedData: z.boolean().default(false),
  /** Why the run failed (status `failed`). */
  error: z.string().optional(),
  /** Which trainer made the run: absent for the lab's own, "pytorch" for an exported project's train.py. */
  source: z.string().max(32).optional().catch(undefined),
  /**
   * Set on the runs of a capacity sweep (absent in older files). A record this
   * lab cannot read (a newer sweep kind) is dropped, not the whole run.
   */
  sweep: RunSweep.optional().catch(undefined),
})
export type RunInfo = z.output<typeof RunInfo>

/** One line of steps.jsonl: the mean training loss of `steps` batches, ending at fractional epoch `epoch`. */
export const StepLossPoint = z.strictObject({
  model: z.string(),
  epoch: z.number().min(0),
  loss: z.number(),
  steps: count,
})
export type StepLossPoint = z.output<typeof StepLossPoint>

/**
 * confusion/<model>.json: the val indices behind each confusion cell at `epoch`
 * (the model's last, or where the run stopped); cells[actual * classes + predicted],
 * each at most CELL_SAMPLE_LIMIT (64) indices, ascending. The counts are on metrics rows.
 */
export const ConfusionCells = z.strictObject({
  model: z.string(),
  epoch: count,
  cells: z.array(z.array(count).max(64)).max(10_000),
})
export type ConfusionCells = z.output<typeof ConfusionCells>
