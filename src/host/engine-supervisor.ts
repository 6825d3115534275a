/**
 * The engine supervisor: runs one experiment at a time in an engine worker
 * process and writes its run folder as the events arrive.
 *
 * Handling follows VS Code's utility processes:
 * - one start guard: a second start while a run is live is refused;
 * - crash detection: a worker that exits before its run said `done` marks the
 *   run failed with the reason ("the engine process was killed (SIGKILL)",
 *   "… exited with code 1: <its last stderr line>"); every file written so far
 *   stays; nothing restarts on its own — the user starts again;
 * - stop sends `stop`, waits a grace period, then kills;
 * - `dispose()` (a closed window, a closing server) stops the run and kills
 *   the worker.
 *
 * A worker lives exactly as long as its run: once the run has ended
 * (completed, stopped or failed) and run.json says so, the worker is ended
 * too. Probes never ask the training worker; they run in a worker of their
 * own that rebuilds the models from saved weights (probe-runner.ts).
 */
import { parseExperiment, type Experiment } from '../shared/experiment'
import { parseWorkerToHost, type HostToWorker, type WorkerToHost } from '../shared/engine-protocol'
import type { RunState } from '../shared/lab-api'
import type { TrainingEvent } from '../shared/training-events'
import { checkExperiment, formatIssue } from '../engine/experiment/check'
import type { RunSweep } from '../shared/run-file'
import type { FinalStatus, RunFolderWriter } from './run-folder'
import type { RunStore } from './run-store'
import { forkNodeWorker, memoryFailure, type WorkerHandle } from './worker-handle'
import { DEFAULT_BUDGET, workerHeapMb, type ResourceBudget } from '../shared/budget'
import { errorMessage } from './error-words'

export interface RunEnd {
  runId: string
  status: FinalStatus
  /** Why, for a failed run. */
  error?: string
}

export type SupervisorEvent =
  | { type: 'run-started'; runId: string; dir: string }
  /** Every training event, uncoalesced (the lab layer runs them through a coalescer for the renderer). */
  | { type: 'training'; runId: string; event: TrainingEvent }
  | { type: 'state'; runId: string; state: RunState }
  | { type: 'run-ended'; runId: string; status: FinalStatus; error?: string }
  /** Something went wrong that did not end the run (an invalid message, a refused command). */
  | { type: 'warning'; runId?: string; message: string }

export type SupervisorListener = (event: SupervisorEvent) => void

export interface StartOptions {
  /** The preset the experiment came from, recorded in run.json. */
  preset?: string
  /** The capacity sweep this run is a setting of, recorded in run.json. */
  sweep?: RunSweep
  /** Epochs per second, or null (the default) for full speed. */
  pace?: number | null
  /** Start paused (then `step` or `resume`). */
  paused?: boolean
}

export interface RunHandle {
  runId: string
  dir: string
  /** Resolves when the run has ended and run.json says how. Never rejects. */
  ended: Promise<RunEnd>
}

export interface SupervisorOptions {
  store: RunStore
  /** How to launch a worker; the Electron door passes its utilityProcess launcher. */
  forkWorker?: () => WorkerHandle
  /** How long `stop` waits for the worker to stop by itself before killing it. */
  stopGraceMs?: number
  /** How long a new worker may take to say `ready`. */
  readyTimeoutMs?: number
  /** What a run may use (checked before it starts; the worker's heap cap follows it). Default DEFAULT_BUDGET. */
  budget?: ResourceBudget
}

/** A request the supervisor refuses; the message is meant for the user. */
export class SupervisorError extends Error {
  override name = 'SupervisorError'
}

interface ActiveRun {
  id: string
  dir: string
  writer: RunFolderWriter
  worker: WorkerHandle
  state: RunState
  ready: boolean
  pace: number | null
  stopRequested: boolean
  /** Set when the host itself must end the run as failed (a write that failed). */
  failReason?: string
  graceTimer?: ReturnType<typeof setTimeout>
  readyTimer?: ReturnType<typeof setTimeout>
  ending: boolean
  ended: Promise<RunEnd>
  resolveEnded: (end: RunEnd) => void
}

export class EngineSupervisor {
  private readonly listeners = new Set<SupervisorListener>()
  private readonly forkWorker: () => WorkerHandle
  private readonly stopGraceMs: number
  private readonly readyTimeoutMs: number
  private readonly budget: ResourceBudget
  private active: ActiveRun | undefined
  /** Guards the await between the start check and `active` being set. */
  private starting = false
  private disposed = false

  constructor(private readonly options: SupervisorOptions) {
    this.budget = options.budget ?? DEFAULT_BUDGET
    this.forkWorker = options.forkWorker ?? (() => forkNodeWorker({ heapMb: workerHeapMb(this.budget) }))
    this.stopGraceMs = options.stopGraceMs ?? 2000
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000
  }

  onEvent(listener: SupervisorListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The live run, if any (for a page that reconnects mid-run). */
  get current(): { runId: string; dir: string; state: RunState; pace: number | null } | undefined {
    const run = this.active
    return run ? { runId: run.id, dir: run.dir, state: run.state, pace: run.pace } : undefined
  }

  // ── control ───────────────────────────────────────────────────────────────

  async start(experiment: Experiment, options: StartOptions = {}): Promise<RunHandle> {
    if (this.disposed) throw new SupervisorError('the engine has shut down')
    if (this.starting || this.active) {
      const id = this.active ? ` (${this.active.id})` : ''
      throw new SupervisorError(`a run is already in progress${id}; stop it before starting another`)
    }
    // Everything that can be wrong with the input is refused before a folder or process exists.
    const parsed = parseExperiment(experiment)
    if (!parsed.ok) throw new SupervisorError(`the experiment is invalid: ${parsed.error.split('\n').join('; ')}`)
    const check = checkExperiment(parsed.value, this.budget)
    if (!check.ok) throw new SupervisorError(check.issues.map(formatIssue).join('; '))
    const pace = options.pace ?? null
    if (pace !== null && !(pace > 0 && pace <= 10_000)) throw new SupervisorError('pace must be a positive number of epochs per second, or null')

    this.starting = true
    try {
      const { id, writer } = await this.options.store.createRun(parsed.value, {
        ...(options.preset ? { preset: options.preset } : {}),
        ...(options.sweep ? { sweep: options.sweep } : {}),
      })
      let resolveEnded!: (end: RunEnd) => void
      const ended = new Promise<RunEnd>((resolve) => (resolveEnded = resolve))
      let worker: WorkerHandle
      try {
        worker = this.forkWorker()
      } catch (error) {
        const message = `cannot start the engine process: ${errorMessage(error)}`
        await writer.finish('failed', message).catch(() => undefined)
        this.options.store.release(id)
        throw new SupervisorError(message)
      }
      const run: ActiveRun = {
        id,
        dir: writer.dir,
        writer,
        worker,
        state: 'starting',
        ready: false,
        pace,
        stopRequested: false,
        ending: false,
        ended,
        resolveEnded,
      }
      this.active = run
      worker.onMessage((message) => this.onWorkerMessage(run, message, parsed.value, options.paused ?? false))
      worker.onExit((code, signal) => this.onWorkerExit(run, worker, code, signal))
      run.readyTimer = setTimeout(() => {
        if (run.ready || run.ending) return
        run.failReason = `the engine process did not start within ${Math.round(this.readyTimeoutMs / 1000)} s`
        worker.kill('SIGKILL')
      }, this.readyTimeoutMs)
      this.emit({ type: 'run-started', runId: id, dir: run.dir })
      this.emit({ type: 'state', runId: id, state: 'starting' })
      return { runId: id, dir: run.dir, ended }
    } finally {
      this.starting = false
    }
  }

  pause(): void {
    const run = this.requireRun('pause')
    if (run.state !== 'running') return
    this.send(run, { type: 'pause' })
  }

  resume(): void {
    const run = this.requireRun('resume')
    if (run.state !== 'paused') return
    this.send(run, { type: 'resume' })
  }

  /** One batch of one model; only while paused. */
  step(): void {
    const run = this.requireRun('step')
    if (run.state !== 'paused') throw new SupervisorError('step works while the run is paused; pause it first')
    this.send(run, { type: 'step' })
  }

  /** Epochs per second, or null for as fast as the machine goes. */
  setPace(epochsPerSecond: number | null): void {
    if (epochsPerSecond !== null && !(epochsPerSecond > 0 && epochsPerSecond <= 10_000)) {
      throw new SupervisorError('pace must be a positive number of epochs per second, or null')
    }
    const run = this.requireRun('pace')
    run.pace = epochsPerSecond
    if (run.ready) this.send(run, { type: 'pace', epochsPerSecond })
  }

  /**
   * Asks the worker to stop between two batches; kills it if it has not ended
   * the run within the grace period. Resolves once run.json says `stopped`
   * (or how the run ended, if it ended first). Without a run, resolves at once.
   */
  async stop(): Promise<RunEnd | undefined> {
    const run = this.active
    if (!run) return undefined
    if (!run.stopRequested && !run.ending) {
      run.stopRequested = true
      this.setState(run, 'stopping')
      if (run.ready) this.send(run, { type: 'stop' })
      else run.worker.kill('SIGKILL') // nothing trained yet: no need to wait
      run.graceTimer = setTimeout(() => {
        if (!run.ending) run.worker.kill('SIGKILL')
      }, this.stopGraceMs)
    }
    return run.ended
  }

  /** A closed window or a closing server: stop the run, end the worker, refuse new starts. */
  async dispose(): Promise<void> {
    this.disposed = true
    await this.stop()
  }

  // ── the worker's side ─────────────────────────────────────────────────────

  private onWorkerMessage(run: ActiveRun, raw: unknown, experiment: Experiment, paused: boolean): void {
    const parsed = parseWorkerToHost(raw)
    if (!parsed.ok) {
      // Reported, not thrown: a confused worker must not take the host down with it.
      this.emit({ type: 'warning', runId: run.id, message: `engine process sent an ${parsed.error}` })
      return
    }
    const message: WorkerToHost = parsed.value
    switch (message.type) {
      case 'ready':
        if (run.ready) return
        run.ready = true
        clearTimeout(run.readyTimer)
        if (run.stopRequested) return
        this.send(run, { type: 'start', experiment, pace: run.pace, paused })
        this.setState(run, paused ? 'paused' : 'running')
        return
      case 'event':
        this.onTrainingEvent(run, message.event)
        return
      case 'weights':
        if (!run.ending) void run.writer.writeFinalWeights(message.model, message.weights)
        return
      case 'paused':
        if (run.state === 'running') this.setState(run, 'paused')
        return
      case 'resumed':
        if (run.state === 'paused') this.setState(run, 'running')
        return
      case 'probe-progress':
      case 'probe-result':
      case 'probe-failed':
        // The supervisor never sends a training worker a probe, so an answer is a confused worker.
        this.emit({ type: 'warning', runId: run.id, message: `engine process sent a "${message.type}" message for a probe nobody asked for` })
        return
      case 'error':
        this.emit({ type: 'warning', runId: run.id, message: `engine process: ${message.message}` })
        return
    }
  }

  private onTrainingEvent(run: ActiveRun, event: TrainingEvent): void {
    if (run.ending) return
    try {
      run.writer.handle(event)
    } catch (error) {
      // An event the writer cannot encode is reported; the rows already on disk stay.
      this.emit({ type: 'warning', runId: run.id, message: `cannot record a "${event.type}" event: ${errorMessage(error)}` })
    }
    this.emit({ type: 'training', runId: run.id, event })
    if (event.type === 'done') {
      void this.finish(run, run.failReason ? 'failed' : event.status, run.failReason)
    } else if (event.type === 'error') {
      void this.finish(run, 'failed', event.message)
    } else if (run.writer.failure && !run.failReason) {
      // The disk refused a write: stop rather than train into the void.
      run.failReason = `writing the run folder failed: ${run.writer.failure.message}`
      if (!run.stopRequested) {
        run.stopRequested = true
        this.send(run, { type: 'stop' })
        run.graceTimer = setTimeout(() => run.worker.kill('SIGKILL'), this.stopGraceMs)
      }
    }
  }

  private onWorkerExit(run: ActiveRun, worker: WorkerHandle, code: number | null, signal: string | null): void {
    if (run.ending) return
    if (run.stopRequested && !run.failReason) {
      void this.finish(run, 'stopped')
      return
    }
    const last = worker.lastError?.()
    const memory = memoryFailure(code, signal, worker.stderrTail?.(), this.budget.memoryBytes)
    const how =
      memory ??
      (signal
        ? `the engine process was killed (${signal})`
        : `the engine process exited with code ${code ?? 'unknown'}${code === 0 ? ' before the run finished' : ''}`)
    void this.finish(run, 'failed', run.failReason ?? (last && !memory ? `${how}: ${last}` : how))
  }

  /** Ends a run exactly once: drains the writer, writes the final run.json, tells the listeners. */
  private async finish(run: ActiveRun, status: FinalStatus, error?: string): Promise<void> {
    if (run.ending) return
    run.ending = true
    clearTimeout(run.graceTimer)
    clearTimeout(run.readyTimer)
    let finalStatus = status
    let finalError = error
    try {
      await run.writer.finish(status, error)
    } catch (writeError) {
      // The writer recorded the run as failed with this reason (in run.json where the disk allowed).
      finalStatus = 'failed'
      finalError = run.writer.recordedError ?? `the run folder could not be written: ${errorMessage(writeError)}`
    }
    this.options.store.release(run.id)
    run.state = 'ended'
    if (this.active === run) this.active = undefined
    // The worker's life is its run's: it has sent everything (run.json is final), so it goes now.
    // A failed run's worker may be stuck in a batch, so it gets no chance to linger.
    run.worker.kill(finalStatus === 'failed' ? 'SIGKILL' : 'SIGTERM')
    const end: RunEnd = { runId: run.id, status: finalStatus, ...(finalError !== undefined ? { error: finalError } : {}) }
    this.emit({ type: 'state', runId: run.id, state: 'ended' })
    this.emit({ type: 'run-ended', ...end })
    run.resolveEnded(end)
  }

  // ── helpers ───────────────────────────────────────────────────────────────

  private requireRun(what: string): ActiveRun {
    const run = this.active
    if (!run) throw new SupervisorError(`nothing to ${what}: no run is in progress`)
    return run
  }

  private send(run: ActiveRun, message: HostToWorker): void {
    try {
      run.worker.postMessage(message)
    } catch (error) {
      this.emit({ type: 'warning', runId: run.id, message: `cannot reach the engine process: ${errorMessage(error)}` })
    }
  }

  private setState(run: ActiveRun, state: RunState): void {
    if (run.state === state || run.state === 'ended') return
    run.state = state
    this.emit({ type: 'state', runId: run.id, state })
  }

  private emit(event: SupervisorEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        console.error('engine supervisor listener failed:', error)
      }
    }
  }
}
