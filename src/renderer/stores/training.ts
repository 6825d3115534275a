import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Experiment, NamedTensors, Results } from '../../shared/experiment'
import type { LabEvent, RunDetails } from '../../shared/lab-api'
import { getLabClient } from '../lab-client'
import { estimateRemaining, overallFraction } from '../lib/progress'
import {
  applyRunState,
  emptyState,
  finishFromRun,
  isLive,
  reduceLabEvent,
  stateFromResults,
  stateFromRun,
  type TrainingEffect,
  type TrainingState,
} from '../lib/training-state'

/** The lab's default pace: slow enough to watch 8x8 lessons learn. */
export const DEFAULT_PACE = 20

/** Which run the active-time clock measures: a new one starts it from zero. */
function clockKey(s: TrainingState): string {
  return `${s.source.kind}:${'runId' in s.source ? s.source.runId : ''}:${s.startedAt ?? ''}`
}

/**
 * The dashboards' data: a live run followed through the lab's events, a past
 * run read back from its folder, or the results saved in an experiment file.
 * What each event changes is lib/training-state.ts's (pure, unit-tested); this
 * store holds the state, talks to the host, and keeps the clock for the ETA.
 */
export const useTrainingStore = defineStore('training', () => {
  const state = shallowRef<TrainingState>(emptyState({ kind: 'recipe' }, null))
  const pace = ref<number | null>(DEFAULT_PACE)
  // Active (unpaused) time, for the ETA.
  const activeMs = ref(0)
  const runningSince = ref<number | null>(null)
  const now = ref(performance.now())
  let ticker: ReturnType<typeof setInterval> | null = null

  // Each field its own computed: a chart of `metrics` is not woken by a progress tick.
  const source = computed(() => state.value.source)
  const experiment = computed(() => state.value.experiment)
  const models = computed(() => state.value.models)
  const classes = computed(() => state.value.classes)
  const metrics = computed(() => state.value.metrics)
  const snapshots = computed(() => state.value.snapshots)
  const finalWeights = computed(() => state.value.finalWeights)
  const steps = computed(() => state.value.steps)
  const confusionCells = computed(() => state.value.confusionCells)
  const phase = computed(() => state.value.phase)
  const progress = computed(() => state.value.progress)
  const status = computed(() => state.value.status)
  const error = computed(() => state.value.error)
  const startedAt = computed(() => state.value.startedAt)

  const runId = computed(() => (source.value.kind === 'live' || source.value.kind === 'run' ? source.value.runId : null))
  const live = computed(() => isLive(state.value))
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

  /** The one place the state changes: the clock runs exactly while the status is 'running'. */
  function commit(next: TrainingState): void {
    if (clockKey(next) !== clockKey(state.value)) {
      activeMs.value = 0
      runningSince.value = null
    }
    state.value = next
    setRunning(next.status === 'running')
  }

  /** Nothing trained: the dashboards show the recipe's shapes and parameter counts. */
  function showRecipe(exp: Experiment | null): void {
    if (live.value) return
    commit(emptyState({ kind: 'recipe' }, exp))
  }

  /** An experiment file with results: its dashboards, without training. */
  function showResults(exp: Experiment, name: string): void {
    commit(stateFromResults(exp, name))
  }

  function showRun(details: RunDetails): void {
    commit(stateFromRun({ kind: 'run', runId: details.id }, details))
  }

  // ── controls ──────────────────────────────────────────────────────────────

  async function start(exp: Experiment, options: { preset?: string; paused?: boolean } = {}): Promise<void> {
    if (live.value) return
    commit(emptyState({ kind: 'live', runId: '' }, exp, 'starting'))
    try {
      const { runId: id } = await getLabClient().startRun(exp, { preset: options.preset, pace: pace.value, paused: options.paused ?? false })
      // Events may have arrived first and adopted the run already. The state itself
      // comes from the host's run-state events: until then the run is 'starting'.
      const s = state.value
      if (s.source.kind === 'live' && s.source.runId !== id) commit({ ...s, source: { kind: 'live', runId: id } })
    } catch (err) {
      commit({ ...state.value, status: 'failed', error: (err as Error).message })
    }
  }

  function reportError(err: unknown): void {
    commit({ ...state.value, error: (err as Error).message })
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
      reportError(err)
    }
  }

  async function setPace(next: number | null): Promise<void> {
    pace.value = next
    if (!live.value) return
    try {
      await getLabClient().setPace(next)
    } catch (err) {
      reportError(err)
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
        handleEvent({ type: 'run-ended', runId: followed, status: ended === 'completed' || ended === 'stopped' ? ended : 'failed' })
      }
      if (!current || current.state === 'ended') return
      const details = await lab.openRun(current.runId)
      pace.value = current.pace
      commit(applyRunState(stateFromRun({ kind: 'live', runId: current.runId }, details), current.state))
    } catch {
      // No run, or a host without training yet: the recipe view stays.
    }
  }

  // ── events ────────────────────────────────────────────────────────────────

  function handleEvent(event: LabEvent): void {
    const { state: next, effects } = reduceLabEvent(state.value, event, new Date().toISOString())
    if (next !== state.value) commit(next)
    for (const effect of effects) void run(effect)
  }

  async function run(effect: TrainingEffect): Promise<void> {
    const id = effect.runId
    try {
      const details = await getLabClient().openRun(id)
      if (runId.value !== id) return
      if (effect.kind === 'fetch-experiment') {
        if (!state.value.experiment) commit({ ...state.value, experiment: details.experiment })
      } else {
        commit(finishFromRun(state.value, details, effect.ended))
      }
    } catch (err) {
      // Without the folder a fetched recipe stays missing; an ended run still ends.
      if (effect.kind === 'finish' && runId.value === id) commit({ ...state.value, status: effect.ended, error: state.value.error ?? (err as Error).message })
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
