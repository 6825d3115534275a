/**
 * The dashboards' training data and every change the lab's events make to it,
 * as pure functions: each takes a state and returns the next one, replacing
 * only the fields that changed (so a chart watching `metrics` is not redrawn by
 * a progress tick). The Pinia store (stores/training.ts) holds one of these,
 * runs the effects the reducer asks for (fetching a run's folder) and keeps
 * the clock; everything else about following a run is here, and unit-tested.
 */
import type { Experiment, MetricRow, NamedTensors, Snapshot } from '../../shared/experiment'
import type { LabEvent, LabTrainingEvent, RunDetails, RunListStatus, RunState } from '../../shared/lab-api'
import type { ModelSummary } from '../../shared/training-events'
import { datasetInfo } from '../../engine/datasets'
import { inferShapes } from '../../engine/model'
import type { ModelProgress } from './progress'
import { appendStep, emptySeries, type StepSeries } from './step-loss'

/** Where the dashboards' numbers come from. */
export type DashboardSource =
  | { kind: 'recipe' }
  | { kind: 'live'; runId: string }
  | { kind: 'run'; runId: string }
  | { kind: 'file'; name: string }

/** The val indices behind each confusion cell of one model, at `epoch`. */
export interface CellSamples {
  epoch: number
  cells: number[][]
}

/**
 * 'finishing': the engine is done and the final weights are being fetched from the run
 * folder; only then is the run 'completed' or 'stopped' (so what Save keeps is all there).
 */
export type TrainingStatus =
  | 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'finishing' | 'completed' | 'stopped' | 'failed' | 'interrupted'

export interface Progress extends ModelProgress {
  samplesPerSecond: number
}

export interface TrainingState {
  source: DashboardSource
  experiment: Experiment | null
  models: ModelSummary[]
  classes: string[]
  metrics: MetricRow[]
  snapshots: Snapshot[]
  finalWeights: Record<string, NamedTensors>
  /** Per-step loss, per model, bounded (lib/step-loss.ts). */
  steps: Record<string, StepSeries>
  confusionCells: Record<string, CellSamples>
  /** What a live run does before its first epoch row: loading MNIST, then measuring the untrained models. */
  phase: 'loading-data' | 'evaluating' | null
  progress: Record<string, Progress>
  status: TrainingStatus
  error: string | null
  /** ISO 8601. */
  startedAt: string | null
}

/** Work the store does for the reducer: both need the run folder, which only the host can read. */
export type TrainingEffect =
  /** A run started in another window: its recipe comes from its folder. */
  | { kind: 'fetch-experiment'; runId: string }
  /** The run we follow ended: its final weights (and any rows the stream missed) come from its folder. */
  | { kind: 'finish'; runId: string; ended: 'completed' | 'stopped' | 'failed'; error?: string }

const LIVE_STATUSES: readonly TrainingStatus[] = ['starting', 'running', 'paused', 'stopping']

/** A live run under way (not yet finishing): the controls act on it and nothing replaces it. */
export function isLive(state: TrainingState): boolean {
  return state.source.kind === 'live' && LIVE_STATUSES.includes(state.status)
}

/** Model summaries without training, from the recipe (what the editor and a results file show). */
export function modelsFromRecipe(experiment: Experiment): ModelSummary[] {
  let inputShape: number[]
  try {
    inputShape = [...datasetInfo(experiment.dataset).inputShape]
  } catch {
    return []
  }
  return experiment.models.map((model) => {
    const inferred = inferShapes(model.layers, inputShape)
    return {
      id: model.id,
      label: model.label,
      inputShape,
      layers: inferred.layers,
      parameterCount: inferred.ok ? inferred.parameterCount : inferred.layers.reduce((s, l) => s + l.parameterCount, 0),
      epochs: model.training?.epochs ?? experiment.training.epochs,
    }
  })
}

function safeClasses(exp: Experiment): string[] {
  try {
    return [...datasetInfo(exp.dataset).classes]
  } catch {
    return []
  }
}

function freshProgress(models: readonly ModelSummary[]): Record<string, Progress> {
  return Object.fromEntries(models.map((m) => [m.id, { done: 0, epochs: m.epochs, batch: 0, batches: 0, samplesPerSecond: 0 }]))
}

/** Nothing trained yet from `source`: the recipe's models and classes, every list empty. */
export function emptyState(source: DashboardSource, exp: Experiment | null, status: TrainingStatus = 'idle'): TrainingState {
  const models = exp ? modelsFromRecipe(exp) : []
  return {
    source,
    experiment: exp,
    models,
    classes: exp ? safeClasses(exp) : [],
    metrics: [],
    snapshots: [],
    finalWeights: {},
    steps: {},
    confusionCells: {},
    phase: null,
    progress: freshProgress(models),
    status,
    error: null,
    startedAt: null,
  }
}

/** Each model's epochs done, read from the rows (a finished run or a results file). */
function progressFromMetrics(models: readonly ModelSummary[], metrics: readonly MetricRow[]): Record<string, Progress> {
  const next: Record<string, Progress> = {}
  for (const m of models) {
    const done = metrics.reduce((max, r) => (r.model === m.id ? Math.max(max, r.epoch) : max), 0)
    next[m.id] = { done, epochs: m.epochs, batch: 0, batches: 0, samplesPerSecond: 0 }
  }
  return next
}

/** An experiment file's saved results, shown without training. */
export function stateFromResults(exp: Experiment, name: string): TrainingState {
  const base = emptyState({ kind: 'file', name }, exp, 'completed')
  const results = exp.results
  const metrics = [...(results?.metrics ?? [])]
  return {
    ...base,
    metrics,
    snapshots: [...(results?.snapshots ?? [])],
    finalWeights: { ...(results?.finalWeights ?? {}) },
    progress: progressFromMetrics(base.models, metrics),
  }
}

function runStatus(status: RunListStatus): TrainingStatus {
  return status === 'running' ? 'running' : status
}

/** A run folder's step points as bounded series. */
function stepsFrom(points: readonly { model: string; epoch: number; loss: number; steps: number }[]): Record<string, StepSeries> {
  const out: Record<string, StepSeries> = {}
  for (const p of points) appendStep((out[p.model] ??= emptySeries()), p)
  return out
}

function cellsFrom(details: RunDetails): Record<string, CellSamples> {
  return Object.fromEntries(Object.entries(details.confusionCells ?? {}).map(([m, c]) => [m, { epoch: c.epoch, cells: c.cells }]))
}

/**
 * A run read back from its folder, as `source` (a past run opened from the Runs view, or the
 * live run a reconnecting page backfills). The models come from run.json, with the route
 * that trained each one when the run recorded it.
 */
export function stateFromRun(source: DashboardSource, details: RunDetails, status: TrainingStatus = runStatus(details.status)): TrainingState {
  const base = emptyState(source, details.experiment, status)
  const models = details.run.models.length ? details.run.models.map((m) => ({ ...m, layers: m.layers.map((l) => ({ ...l })) })) : base.models
  const metrics = [...details.metrics]
  return {
    ...base,
    models,
    classes: details.run.classes?.length ? [...details.run.classes] : base.classes,
    metrics,
    snapshots: [...details.snapshots],
    finalWeights: { ...details.weights },
    steps: stepsFrom(details.steps ?? []),
    confusionCells: cellsFrom(details),
    startedAt: details.run.startedAt,
    progress: progressFromMetrics(models, metrics),
  }
}

/** What the run folder adds once a followed run ended: final weights, and anything the stream missed. */
export function finishFromRun(state: TrainingState, details: RunDetails, ended: 'completed' | 'stopped' | 'failed'): TrainingState {
  const fromDisk = cellsFrom(details)
  return {
    ...state,
    finalWeights: { ...details.weights },
    snapshots: details.snapshots.length >= state.snapshots.length ? [...details.snapshots] : state.snapshots,
    metrics: details.metrics.length > state.metrics.length ? [...details.metrics] : state.metrics,
    confusionCells: Object.keys(fromDisk).length > Object.keys(state.confusionCells).length ? fromDisk : state.confusionCells,
    experiment: state.experiment ?? details.experiment,
    status: ended,
  }
}

/** The host's word on the run's state (it may ignore a request, so the buttons follow this, not the click). */
export function applyRunState(state: TrainingState, runState: RunState): TrainingState {
  return runState === 'ended' ? state : { ...state, status: runState }
}

/** One training event's change. `now` (ISO 8601) stamps a start. */
export function reduceTraining(state: TrainingState, e: LabTrainingEvent, now: string): TrainingState {
  switch (e.type) {
    case 'phase':
      return { ...state, phase: e.phase }
    case 'step-loss': {
      // A fresh series object, so the charts see the change; the bounded arrays are copied with it.
      const before = state.steps[e.model]
      const series = before ? { ...before, epochs: [...before.epochs], losses: [...before.losses], steps: [...before.steps] } : emptySeries()
      appendStep(series, e)
      return { ...state, steps: { ...state.steps, [e.model]: series } }
    }
    case 'confusion-cells':
      return { ...state, confusionCells: { ...state.confusionCells, [e.model]: { epoch: e.epoch, cells: e.cells } } }
    case 'started':
      return {
        ...state,
        metrics: [],
        steps: {},
        phase: 'evaluating',
        models: e.models,
        classes: [...e.classes],
        startedAt: now,
        progress: freshProgress(e.models),
      }
    case 'batch': {
      const p = state.progress[e.model]
      if (!p) return state
      return { ...state, progress: { ...state.progress, [e.model]: { ...p, batch: e.batch, batches: e.batches, samplesPerSecond: e.samplesPerSecond } } }
    }
    case 'epoch': {
      // Replace a row for the same model and epoch (a backfill may overlap the live stream).
      const at = state.metrics.findIndex((r) => r.model === e.row.model && r.epoch === e.row.epoch)
      const metrics = at >= 0 ? state.metrics.map((r, i) => (i === at ? e.row : r)) : [...state.metrics, e.row]
      const p = state.progress[e.row.model]
      const progress = p ? { ...state.progress, [e.row.model]: { ...p, done: Math.max(p.done, e.row.epoch), batch: 0 } } : state.progress
      return { ...state, metrics, progress, phase: null }
    }
    case 'snapshot':
      return { ...state, snapshots: [...state.snapshots, { model: e.model, epoch: e.epoch, weights: e.weights }] }
    case 'done':
      // The final status comes with the final weights (the 'finish' effect).
      return { ...state, status: 'finishing', phase: null }
    case 'error':
      return { ...state, status: 'failed', phase: null, error: e.message }
  }
}

export interface Reduced {
  state: TrainingState
  effects: TrainingEffect[]
}

/** Whether a run's events are ours: the run we follow, or the one we started and whose id is not back yet. */
function follows(state: TrainingState, runId: string): boolean {
  return state.source.kind === 'live' && (state.source.runId === runId || state.source.runId === '')
}

/**
 * One event from the host. Training batches of the run we follow apply in order; a new run
 * started elsewhere (another window, the terminal) is adopted when nothing live is shown.
 */
export function reduceLabEvent(state: TrainingState, event: LabEvent, now: string): Reduced {
  switch (event.type) {
    case 'training': {
      let next: TrainingState
      const effects: TrainingEffect[] = []
      if (follows(state, event.runId)) {
        next = state.source.kind === 'live' && state.source.runId === event.runId ? state : { ...state, source: { kind: 'live', runId: event.runId } }
      } else if (event.events.some((e) => e.type === 'started') && !isLive(state)) {
        next = emptyState({ kind: 'live', runId: event.runId }, null, 'running')
        effects.push({ kind: 'fetch-experiment', runId: event.runId })
      } else {
        return { state, effects }
      }
      for (const e of event.events) next = reduceTraining(next, e, now)
      return { state: next, effects }
    }
    case 'run-state':
      return { state: follows(state, event.runId) ? applyRunState(state, event.state) : state, effects: [] }
    case 'run-ended': {
      if (state.source.kind !== 'live' || state.source.runId !== event.runId) return { state, effects: [] }
      // Failed is final at once; completed and stopped wait for the final weights.
      const next: TrainingState = { ...state, status: event.status === 'failed' ? 'failed' : 'finishing', error: event.error ?? state.error }
      return { state: next, effects: [{ kind: 'finish', runId: event.runId, ended: event.status, error: event.error }] }
    }
    default:
      return { state, effects: [] }
  }
}

/** The line a model's column shows about the code that trained it; null when the run did not say. */
export function trainedOnLine(model: Pick<ModelSummary, 'route'>): string | null {
  const label = model.route?.label?.trim()
  return label ? `trained on: ${label}` : null
}
