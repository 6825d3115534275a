/**
 * A sweep: one ordinary run per setting and seed, one after another, through
 * the engine supervisor (so each is saved in the runs folder like any run,
 * its name tagged with the sweep). Progress goes out as the whole sweep's
 * state after every change; within a run, the usual training events flow too.
 *
 * Stop works between runs (no further run starts) and within one (the live
 * run is stopped as the Stop button would; it is recorded as `stopped`).
 *
 * The runs folder is the record: each run's run.json names its sweep, setting,
 * seed and parameter counts, and `list` rebuilds the sweeps from it, so they outlive
 * a restart and lose a point when its run is deleted. Only the running sweep
 * is taken from memory, which is ahead of the files (pending settings, the
 * live point's status).
 */
import type { Experiment } from '../shared/experiment'
import type { RunListItem, SweepPoint, SweepState } from '../shared/lab-api'
import { sweepSettings, sweptModelLabel, type SweepSetting, type SweepSpec } from '../engine/experiment/sweep'
import type { RunSweep } from '../shared/run-file'
import type { EngineSupervisor } from './engine-supervisor'
import type { RunStore } from './run-store'

export class SweepError extends Error {
  override name = 'SweepError'
}

let sweepCounter = 0

export class SweepRunner {
  private active: { state: SweepState; stop: boolean } | undefined

  constructor(
    private readonly supervisor: EngineSupervisor,
    private readonly store: RunStore,
    private readonly emit: (state: SweepState) => void,
  ) {}

  /** Every sweep in the runs folder plus the running one, oldest first. */
  async list(): Promise<SweepState[]> {
    const active = this.active?.state
    const sweeps = sweepsFromRuns(await this.store.list()).filter((s) => s.id !== active?.id)
    if (active) sweeps.push(clone(active))
    return sweeps.sort((a, b) => a.startedAt.localeCompare(b.startedAt))
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
      modelLabel: sweptModelLabel(base, spec.kind),
      seeds: spec.seeds ?? 1,
      status: 'running',
      current: 0,
      startedAt: new Date().toISOString(),
      // One point per model of each run, in the settings' order.
      points: settings.flatMap((s) =>
        s.models.map((m): SweepPoint => ({ value: s.value, seed: s.seed, model: m.id, modelLabel: m.label, parameterCount: m.parameterCount, status: 'pending', valAccuracy: null })),
      ),
    }
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

  private async run(active: { state: SweepState; stop: boolean }, settings: SweepSetting[], options: { pace?: number | null; preset?: string }): Promise<void> {
    const { state } = active
    this.emit(clone(state))
    let first = 0
    for (let i = 0; i < settings.length; i++) {
      const setting = settings[i]
      const points = state.points.slice(first, first + setting.models.length)
      first += setting.models.length
      if (active.stop) break
      state.current = i
      const handle = await this.supervisor.start(setting.experiment, {
        pace: options.pace ?? null,
        ...(options.preset ? { preset: options.preset } : {}),
        sweep: sweepRecord(state, setting),
      })
      for (const point of points) {
        point.runId = handle.runId
        point.status = 'running'
      }
      this.emit(clone(state))
      const end = await handle.ended
      let final: Record<string, { valAccuracy: number | null }> = {}
      try {
        final = (await this.store.open(handle.runId)).run.final
      } catch {
        // No readable run.json: the points keep no accuracy.
      }
      for (const point of points) {
        point.status = end.status
        if (end.error) point.error = end.error
        point.valAccuracy = final[point.model]?.valAccuracy ?? null
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

/** What run.json records of the sweep a run belongs to. */
export function sweepRecord(state: Pick<SweepState, 'id' | 'kind' | 'baseName' | 'modelLabel' | 'seeds'>, setting: SweepSetting): RunSweep {
  const [firstModel] = setting.models
  return {
    id: state.id,
    kind: state.kind,
    value: setting.value,
    seed: setting.seed,
    seeds: state.seeds,
    base: state.baseName,
    model: state.modelLabel,
    parameterCount: firstModel.parameterCount,
    // A capacity sweep's run has one model, said by `model` and `parameterCount` as before.
    ...(setting.models.length > 1 ? { models: setting.models } : {}),
  }
}

/**
 * The sweeps recorded in the runs folder: runs grouped by sweep id, points
 * ordered by setting, then seed. The sweep's status follows from its runs' (a
 * failed run ended the sweep; a stopped or interrupted one means it was cut short).
 */
export function sweepsFromRuns(runs: readonly RunListItem[]): SweepState[] {
  const groups = new Map<string, (RunListItem & { sweep: NonNullable<RunListItem['sweep']> })[]>()
  for (const run of runs) {
    if (!run.sweep) continue
    const group = groups.get(run.sweep.id) ?? []
    group.push({ ...run, sweep: run.sweep })
    groups.set(run.sweep.id, group)
  }
  return [...groups.values()].map((group) => {
    group.sort((a, b) => a.sweep.value - b.sweep.value || a.sweep.seed - b.sweep.seed)
    const points = group.flatMap((run): SweepPoint[] => {
      // A capacity sweep's run trains one model, so its one final row is the point's.
      const models = run.sweep.models ?? [{ id: Object.keys(run.final)[0] ?? '', label: run.sweep.model, parameterCount: run.sweep.parameterCount }]
      return models.map((m) => ({
        value: run.sweep.value,
        seed: run.sweep.seed,
        model: m.id,
        modelLabel: m.label,
        parameterCount: m.parameterCount,
        // A run whose process vanished mid-training counts as cut short, like a stopped one.
        status: run.status === 'interrupted' ? 'stopped' : run.status,
        runId: run.id,
        valAccuracy: run.final[m.id]?.valAccuracy ?? null,
        ...(run.error || run.status === 'interrupted' ? { error: run.error ?? 'the lab closed before the run ended' } : {}),
      }))
    })
    const times = group.map((run) => run.startedAt ?? '')
    const sortedTimes = [...times].sort()
    const failed = points.find((p) => p.status === 'failed')
    const status = failed ? 'failed' : points.some((p) => p.status === 'stopped') ? 'stopped' : points.some((p) => p.status === 'running') ? 'running' : 'completed'
    const { id, kind, base, model, seeds } = group[0].sweep
    return {
      id,
      kind,
      baseName: base,
      modelLabel: model,
      seeds,
      status,
      // The run that ran last, as `current` means for a finished live sweep.
      current: times.indexOf(sortedTimes[sortedTimes.length - 1]),
      startedAt: sortedTimes[0],
      points,
      ...(failed ? { error: `${failed.value}: ${failed.error ?? 'the run failed'}` } : {}),
    }
  })
}
