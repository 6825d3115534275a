/**
 * A capacity sweep: one ordinary run per setting, one after another, through
 * the engine supervisor (so each is saved in the runs folder like any run,
 * its name tagged with the sweep). Progress goes out as the whole sweep's
 * state after every change; within a run, the usual training events flow too.
 *
 * Stop works between runs (no further run starts) and within one (the live
 * run is stopped as the Stop button would; it is recorded as `stopped`).
 */
import type { Experiment } from '../shared/experiment'
import type { SweepPoint, SweepState } from '../shared/lab-api'
import { sweepSettings, type SweepSpec } from '../engine/experiment/sweep'
import type { EngineSupervisor } from './engine-supervisor'
import type { RunStore } from './run-store'

export class SweepError extends Error {
  override name = 'SweepError'
}

let sweepCounter = 0

export class SweepRunner {
  private readonly sweeps: SweepState[] = []
  private active: { state: SweepState; stop: boolean } | undefined

  constructor(
    private readonly supervisor: EngineSupervisor,
    private readonly store: RunStore,
    private readonly emit: (state: SweepState) => void,
  ) {}

  /** Every sweep of this session, oldest first (a reloaded page redraws them). */
  list(): SweepState[] {
    return this.sweeps.map(clone)
  }

  get running(): boolean {
    return this.active !== undefined
  }

  /** Checks everything, then runs the settings in the background; resolves with the first state. */
  start(base: Experiment, spec: SweepSpec, options: { pace?: number | null; preset?: string } = {}): SweepState {
    if (this.active) throw new SweepError('a sweep is already running; stop it first')
    if (this.supervisor.current) throw new SweepError('a run is training; stop it before starting a sweep')
    if (spec.values.length === 0) throw new SweepError('a sweep needs at least one value')
    const id = `sweep-${Date.now().toString(36)}-${++sweepCounter}`
    let settings
    try {
      settings = sweepSettings(base, spec, id.slice(-6))
    } catch (error) {
      throw new SweepError((error as Error).message)
    }
    const state: SweepState = {
      id,
      kind: spec.kind,
      baseName: base.name,
      modelLabel: settings[0].experiment.models[0].label.replace(/ \(.*\)$/, ''),
      status: 'running',
      current: 0,
      startedAt: new Date().toISOString(),
      points: settings.map((s): SweepPoint => ({ value: s.value, parameterCount: s.parameterCount, status: 'pending', valAccuracy: null })),
    }
    this.sweeps.push(state)
    const active = { state, stop: false }
    this.active = active
    void this.run(active, settings, options).catch((error: unknown) => {
      state.status = 'failed'
      state.error = (error as Error).message
      this.finish(active)
    })
    return clone(state)
  }

  /** Stops the sweep: the live run is stopped, and no further setting starts. */
  async stop(): Promise<void> {
    const active = this.active
    if (!active) return
    active.stop = true
    await this.supervisor.stop()
  }

  private async run(
    active: { state: SweepState; stop: boolean },
    settings: ReturnType<typeof sweepSettings>,
    options: { pace?: number | null; preset?: string },
  ): Promise<void> {
    const { state } = active
    this.emit(clone(state))
    for (let i = 0; i < settings.length; i++) {
      if (active.stop) break
      const setting = settings[i]
      const point = state.points[i]
      state.current = i
      const handle = await this.supervisor.start(setting.experiment, { pace: options.pace ?? null, ...(options.preset ? { preset: options.preset } : {}) })
      point.runId = handle.runId
      point.status = 'running'
      this.emit(clone(state))
      const end = await handle.ended
      point.status = end.status
      if (end.error) point.error = end.error
      try {
        const opened = await this.store.open(handle.runId)
        point.valAccuracy = opened.run.final[setting.modelId]?.valAccuracy ?? null
      } catch {
        point.valAccuracy = null
      }
      this.emit(clone(state))
      if (end.status === 'failed') {
        state.status = 'failed'
        state.error = `${setting.value}: ${end.error ?? 'the run failed'}`
        this.finish(active)
        return
      }
    }
    state.status = active.stop ? 'stopped' : 'completed'
    this.finish(active)
  }

  private finish(active: { state: SweepState }): void {
    if (this.active === active) this.active = undefined
    this.emit(clone(active.state))
  }
}

function clone(state: SweepState): SweepState {
  return { ...state, points: state.points.map((p) => ({ ...p })) }
}
