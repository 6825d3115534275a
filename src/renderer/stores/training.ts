import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Experiment, MetricRow, NamedTensors, Results, Snapshot } from '../../shared/experiment'
import type { LabEvent, LabTrainingEvent, RunDetails, RunListStatus, RunState } from '../../shared/lab-api'
import { datasetInfo } from '../../engine/datasets'
import { inferShapes } from '../../engine/model'
import { getLabClient } from '../lab-client'
import { estimateRemaining, overallFraction, type ModelProgress } from '../lib/progress'
import { appendStep, emptySeries, type StepSeries } from '../lib/step-loss'

export type ModelInfo = Extract<LabTrainingEvent, { type: 'started' }>['models'][number]

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

interface Progress extends ModelProgress {
  samplesPerSecond: number
}

/** The lab's default pace: slow enough to watch 8x8 lessons learn. */
export const DEFAULT_PACE = 20

/** Model summaries without training, from the recipe (what the editor and a results file show). */
export function modelsFromRecipe(experiment: Experiment): ModelInfo[] {
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

/**
 * The dashboards' data: a live run followed through the lab's events, a past
 * run read back from its folder, or the results saved in an experiment file.
 */
export const useTrainingStore = defineStore('training', () => {
  const source = ref<DashboardSource>({ kind: 'recipe' })
  const experiment = shallowRef<Experiment | null>(null)
  const models = shallowRef<ModelInfo[]>([])
  const classes = ref<string[]>([])
  // Rows arrive in batches up to 30 times a second: a shallow ref, replaced once per batch.
  const metrics = shallowRef<MetricRow[]>([])
  const snapshots = shallowRef<Snapshot[]>([])
  const finalWeights = shallowRef<Record<string, NamedTensors>>({})
  // Per-step loss, per model: bounded (lib/step-loss.ts), replaced once per batch of events.
  const steps = shallowRef<Record<string, StepSeries>>({})
  const confusionCells = shallowRef<Record<string, CellSamples>>({})
  /** What a live run does before its first epoch row: loading MNIST, then measuring the untrained models. */
  const phase = ref<'loading-data' | 'evaluating' | null>(null)
  const progress = ref<Record<string, Progress>>({})
  const status = ref<TrainingStatus>('idle')
  const error = ref<string | null>(null)
  const pace = ref<number | null>(DEFAULT_PACE)
  const startedAt = ref<string | null>(null)
  // Active (unpaused) time, for the ETA.
  const activeMs = ref(0)
  const runningSince = ref<number | null>(null)
  const now = ref(performance.now())
  let ticker: ReturnType<typeof setInterval> | null = null

  const runId = computed(() => (source.value.kind === 'live' || source.value.kind === 'run' ? source.value.runId : null))
  const live = computed(() => source.value.kind === 'live' && ['starting', 'running', 'paused', 'stopping'].includes(status.value))
  const finished = computed(() => ['completed', 'stopped'].includes(status.value) || source.value.kind === 'file')

  const fraction = computed(() =>
    overallFraction(models.value.map((m) => progress.value[m.id] ?? { done: 0, epochs: m.epochs, batch: 0, batches: 0 })),
  )
  const activeSeconds = computed(() => {
    const since = runningSince.value
    return (activeMs.value + (since !== null ? now.value - since : 0)) / 1000
  })
  const remainingSeconds = computed(() => (live.value ? estimateRemaining(fraction.value, activeSeconds.value) : null))
  const samplesPerSecond = computed(() => {
    const values = Object.values(progress.value).map((p) => p.samplesPerSecond).filter((v) => v > 0)
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null
  })

  function setRunning(running: boolean): void {
    const t = performance.now()
    if (running && runningSince.value === null) runningSince.value = t
    if (!running && runningSince.value !== null) {
      activeMs.value += t - runningSince.value
      runningSince.value = null
    }
    if (running && !ticker) ticker = setInterval(() => (now.value = performance.now()), 500)
    if (!running && ticker) {
      clearInterval(ticker)
      ticker = null
    }
    now.value = t
  }

  function reset(next: DashboardSource, exp: Experiment | null): void {
    source.value = next
    experiment.value = exp
    models.value = exp ? modelsFromRecipe(exp) : []
    classes.value = exp ? safeClasses(exp) : []
    metrics.value = []
    snapshots.value = []
    finalWeights.value = {}
    steps.value = {}
    confusionCells.value = {}
    phase.value = null
    progress.value = Object.fromEntries(models.value.map((m) => [m.id, { done: 0, epochs: m.epochs, batch: 0, batches: 0, samplesPerSecond: 0 }]))
    error.value = null
    startedAt.value = null
    activeMs.value = 0
    setRunning(false)
  }

  /** Nothing trained: the dashboards show the recipe's shapes and parameter counts. */
  function showRecipe(exp: Experiment | null): void {
    if (live.value) return
    reset({ kind: 'recipe' }, exp)
    status.value = 'idle'
  }

  /** An experiment file with results: its dashboards, without training. */
  function showResults(exp: Experiment, name: string): void {
    reset({ kind: 'file', name }, exp)
    const results = exp.results
    metrics.value = [...(results?.metrics ?? [])]
    snapshots.value = [...(results?.snapshots ?? [])]
    finalWeights.value = { ...(results?.finalWeights ?? {}) }
    markDoneFromMetrics()
    status.value = 'completed'
  }

  function showRun(details: RunDetails): void {
    reset({ kind: 'run', runId: details.id }, details.experiment)
    fillFromRun(details)
    status.value = runStatus(details.status)
  }

  function fillFromRun(details: RunDetails): void {
    if (details.run.models.length) models.value = details.run.models.map((m) => ({ ...m, layers: m.layers.map((l) => ({ ...l })) }))
    if (details.run.classes?.length) classes.value = [...details.run.classes]
    metrics.value = [...details.metrics]
    snapshots.value = [...details.snapshots]
    finalWeights.value = { ...details.weights }
    steps.value = stepsFrom(details.steps ?? [])
    confusionCells.value = cellsFrom(details)
    startedAt.value = details.run.startedAt
    markDoneFromMetrics()
  }

  function markDoneFromMetrics(): void {
    const next: Record<string, Progress> = {}
    for (const m of models.value) {
      const done = metrics.value.reduce((max, r) => (r.model === m.id ? Math.max(max, r.epoch) : max), 0)
      next[m.id] = { done, epochs: m.epochs, batch: 0, batches: 0, samplesPerSecond: 0 }
    }
    progress.value = next
  }

  // ── controls ──────────────────────────────────────────────────────────────

  async function start(exp: Experiment, options: { preset?: string; paused?: boolean } = {}): Promise<void> {
    if (live.value) return
    reset({ kind: 'live', runId: '' }, exp)
    status.value = 'starting'
    try {
      const { runId: id } = await getLabClient().startRun(exp, { preset: options.preset, pace: pace.value, paused: options.paused ?? false })
      // Events may have arrived first and adopted the run already. The state itself
      // comes from the host's run-state events: until then the run is 'starting'.
      if (source.value.kind === 'live' && source.value.runId !== id) source.value = { kind: 'live', runId: id }
    } catch (err) {
      status.value = 'failed'
      error.value = (err as Error).message
      setRunning(false)
    }
  }

  async function control(action: 'pause' | 'resume' | 'step' | 'stop'): Promise<void> {
    const lab = getLabClient()
    try {
      if (action === 'pause') await lab.pauseRun()
      if (action === 'resume') await lab.resumeRun()
      if (action === 'step') await lab.stepRun()
      if (action === 'stop') await lab.stopRun()
      // No optimistic state: the host may ignore a request (pause while starting),
      // so the buttons follow its run-state events, which arrive within a frame or two.
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function setPace(next: number | null): Promise<void> {
    pace.value = next
    if (!live.value) return
    try {
      await getLabClient().setPace(next)
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  /** A page (re)connecting mid-run: backfill the live run from its folder, then follow the events. */
  async function attach(): Promise<void> {
    const lab = getLabClient()
    try {
      const current = await lab.trainingStatus()
      // Reconnected after the run we follow ended unseen (a dropped event stream): take its end from its folder.
      const followed = source.value.kind === 'live' && live.value ? source.value.runId : ''
      if (followed && (!current || current.runId !== followed || current.state === 'ended')) {
        const ended = (await lab.openRun(followed)).status
        await finish(followed, ended === 'completed' || ended === 'stopped' ? ended : 'failed')
      }
      if (!current || current.state === 'ended') return
      const details = await lab.openRun(current.runId)
      reset({ kind: 'live', runId: current.runId }, details.experiment)
      fillFromRun(details)
      pace.value = current.pace
      applyState(current.state)
    } catch {
      // No run, or a host without training yet: the recipe view stays.
    }
  }

  // ── events ────────────────────────────────────────────────────────────────

  function applyState(state: RunState): void {
    if (state === 'ended') return
    status.value = state
    setRunning(state === 'running')
  }

  function handleEvent(event: LabEvent): void {
    switch (event.type) {
      case 'training':
        if (!followRun(event.runId, event.events.some((e) => e.type === 'started'))) return
        {
          const rows = [...metrics.value]
          const work: Batch = { rows, steps: null }
          for (const e of event.events) applyTraining(e, work)
          metrics.value = rows
          if (work.steps) steps.value = work.steps
        }
        break
      case 'run-state':
        if (source.value.kind === 'live' && (source.value.runId === event.runId || source.value.runId === '')) applyState(event.state)
        break
      case 'run-ended':
        if (source.value.kind === 'live' && source.value.runId === event.runId) void finish(event.runId, event.status, event.error)
        break
    }
  }

  /** Whether to apply a training batch: ours, or a new run started elsewhere (another window). */
  function followRun(id: string, isStart: boolean): boolean {
    if (source.value.kind === 'live' && (source.value.runId === id || source.value.runId === '')) {
      source.value = { kind: 'live', runId: id }
      return true
    }
    if (isStart && !live.value) {
      reset({ kind: 'live', runId: id }, null)
      status.value = 'running'
      setRunning(true)
      void getLabClient()
        .openRun(id)
        .then((details) => {
          if (runId.value === id && !experiment.value) experiment.value = details.experiment
        })
        .catch(() => undefined)
      return true
    }
    return false
  }

  /** What one batch of events changes: the rows, and the step series when a point arrived. */
  interface Batch {
    rows: MetricRow[]
    steps: Record<string, StepSeries> | null
  }

  function applyTraining(e: LabTrainingEvent, work: Batch): void {
    const rows = work.rows
    switch (e.type) {
      case 'phase':
        phase.value = e.phase
        break
      case 'step-loss': {
        work.steps ??= { ...steps.value }
        // A fresh wrapper per batch, so the charts see the change; the arrays grow in place.
        const series = work.steps[e.model] ? { ...work.steps[e.model] } : emptySeries()
        appendStep(series, e)
        work.steps[e.model] = series
        break
      }
      case 'confusion-cells':
        confusionCells.value = { ...confusionCells.value, [e.model]: { epoch: e.epoch, cells: e.cells } }
        break
      case 'started':
        rows.length = 0
        work.steps = {}
        phase.value = 'evaluating'
        models.value = e.models
        classes.value = [...e.classes]
        startedAt.value = new Date().toISOString()
        progress.value = Object.fromEntries(e.models.map((m) => [m.id, { done: 0, epochs: m.epochs, batch: 0, batches: 0, samplesPerSecond: 0 }]))
        break
      case 'batch': {
        const p = progress.value[e.model]
        if (p) Object.assign(p, { batch: e.batch, batches: e.batches, samplesPerSecond: e.samplesPerSecond })
        break
      }
      case 'epoch': {
        // Replace a row for the same model and epoch (a backfill may overlap the live stream).
        const at = rows.findIndex((r) => r.model === e.row.model && r.epoch === e.row.epoch)
        if (at >= 0) rows[at] = e.row
        else rows.push(e.row)
        phase.value = null
        const p = progress.value[e.row.model]
        if (p) Object.assign(p, { done: Math.max(p.done, e.row.epoch), batch: 0 })
        break
      }
      case 'snapshot':
        snapshots.value = [...snapshots.value, { model: e.model, epoch: e.epoch, weights: e.weights }]
        break
      case 'done':
        // The final status comes with the final weights (see finish).
        status.value = 'finishing'
        phase.value = null
        setRunning(false)
        break
      case 'error':
        phase.value = null
        status.value = 'failed'
        error.value = e.message
        setRunning(false)
        break
    }
  }

  /** After a run ends: its final weights come from the run folder (for the confusion matrix and saving). */
  async function finish(id: string, ended: 'completed' | 'stopped' | 'failed', message?: string): Promise<void> {
    status.value = ended === 'failed' ? 'failed' : 'finishing'
    if (message) error.value = message
    setRunning(false)
    try {
      const details = await getLabClient().openRun(id)
      if (runId.value !== id) return
      finalWeights.value = { ...details.weights }
      if (details.snapshots.length >= snapshots.value.length) snapshots.value = [...details.snapshots]
      if (details.metrics.length > metrics.value.length) metrics.value = [...details.metrics]
      const fromDisk = cellsFrom(details)
      if (Object.keys(fromDisk).length > Object.keys(confusionCells.value).length) confusionCells.value = fromDisk
      if (!experiment.value) experiment.value = details.experiment
      status.value = ended
    } catch (err) {
      if (runId.value === id) status.value = ended
      error.value ??= (err as Error).message
    }
  }

  /** Results to save with the experiment: only for finished training. */
  function results(): Results | null {
    if (!finished.value || metrics.value.length === 0) return null
    return { metrics: [...metrics.value], snapshots: [...snapshots.value], finalWeights: { ...finalWeights.value } }
  }

  /** The weights the confusion matrix uses: final, else the latest snapshot. */
  function weightsFor(model: string): NamedTensors | undefined {
    if (finalWeights.value[model]) return finalWeights.value[model]
    const latest = snapshots.value.filter((s) => s.model === model).sort((a, b) => b.epoch - a.epoch)[0]
    return finished.value ? latest?.weights : undefined
  }

  return {
    source, experiment, models, classes, metrics, snapshots, finalWeights, steps, confusionCells, phase, progress, status, error, pace, startedAt,
    runId, live, finished, fraction, activeSeconds, remainingSeconds, samplesPerSecond,
    showRecipe, showResults, showRun, start, control, setPace, attach, handleEvent, results, weightsFor,
  }
})

function safeClasses(exp: Experiment): string[] {
  try {
    return [...datasetInfo(exp.dataset).classes]
  } catch {
    return []
  }
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

function runStatus(status: RunListStatus): TrainingStatus {
  return status === 'running' ? 'running' : status
}
