/**
 * The host side of the lab API: a plain Node class (no Electron import) that
 * both the Electron main process and the browser server call.
 *
 * `call(name, rawArgs)` is the single entry point from a door: it validates the
 * raw arguments with the method's zod tuple, runs the method, and returns a
 * `LabResult` envelope; it never throws.
 */
import { join } from 'node:path'
import { Buffer } from 'node:buffer'
import {
  isLabMethod,
  parseLabArgs,
  type AppInfo,
  type LabDoor,
  type LabEvent,
  type LabEventListener,
  type LabMethodsApi,
  type LabResult,
  type LabTrainingEvent,
  type OpenedExperimentFile,
  type PresetSummary,
  type ProbeSource,
  type RobustnessMaps,
  type RunDetails,
  type SweepState,
  type ValidationSamples,
  type ExportedFile,
  type ImportSource,
  type RunListItem,
  type TrainingStatus,
  type Unsubscribe,
} from '../shared/lab-api'
import { parseExperiment, type Experiment, type NamedTensors } from '../shared/experiment'
import { getPreset, presetSummaries } from '../engine/experiment/presets'
import type { NamedWeights, TrainingEvent } from '../shared/training-events'
import { EngineSupervisor, SupervisorError } from './engine-supervisor'
import { RunStore, RunStoreError } from './run-store'
import { RecentFiles, RECENT_FILES_NAME } from './recent-files'
import { ExperimentFileError, parseExperimentText, problemLines, readExperimentFile, writeExperimentFile } from './experiment-files'
import { createTrainingCoalescer, type Coalescer } from './coalescer'
import { writeFileAtomic } from './atomic-file'
import { toJsonTensors } from '../shared/json-tensors'
import { forkNodeWorker, type WorkerHandle } from './worker-handle'
import { budgetFromEnv, DEFAULT_BUDGET, type ResourceBudget } from '../shared/budget'
import { ProbeError, ProbeRunner } from './probe-runner'
import { SweepError, SweepRunner } from './sweep-runner'
import { UnsafePathError } from './safe-path'
import { buildDatasets, datasetInfo } from '../engine/datasets'
import type { SweepSpec } from '../engine/experiment/sweep'
import { exportRunFolder, projectFolderName, PytorchExportError, zipProject } from './pytorch-export/export-run'
import { filesFromZip, importRunFiles, RunImportError } from './pytorch-export/import-run'

/** What only a desktop door can do: ask the user where a file is or should go. */
export interface DoorDialogs {
  openExperiment(): Promise<string | null>
  saveFile(suggestedName: string, kind: 'experiment' | 'png' | 'svg' | 'zip'): Promise<string | null>
}

export interface LabServiceOptions {
  door: LabDoor
  version: string
  name?: string
  /** Where runs/ and the recent-files list live. Without it, training and runs are unavailable. */
  dataDir?: string
  /** Native dialogs (Electron). The browser door uploads and downloads in the page instead. */
  dialogs?: DoorDialogs
  /** How to launch the engine worker (Electron passes its utilityProcess launcher). */
  forkWorker?: () => WorkerHandle
  /** What one run may use (the doors' flags); default CNN_LAB_MEMORY_BUDGET / CNN_LAB_SNAPSHOT_BUDGET, else DEFAULT_BUDGET. */
  budget?: ResourceBudget
}

/** The desktop door has no flags: its budget is the environment's; a malformed value falls back to the default. */
function envBudget(): ResourceBudget {
  try {
    return budgetFromEnv(process.env)
  } catch {
    return DEFAULT_BUDGET
  }
}

/** A method's failure that is the caller's fault; its message crosses the boundary as is. */
class LabError extends Error {}

/**
 * Errors of the user's making (a bad or missing run id, an invalid file), whose messages are
 * written for the user: returned as they are and never logged, so a page that asks for a run
 * that is gone costs the server's log nothing.
 */
const USER_ERRORS = [LabError, SupervisorError, RunStoreError, ExperimentFileError, ProbeError, SweepError, UnsafePathError, PytorchExportError, RunImportError]

function isUserError(err: unknown): err is Error {
  return USER_ERRORS.some((kind) => err instanceof kind)
}

/** An unexpected failure in the log: one line, plus the stack when CNN_LAB_DEBUG=1. */
export function logUnexpected(what: string, err: unknown): void {
  console.error(`${what}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`.split('\n').join(' | '))
  if (process.env.CNN_LAB_DEBUG === '1' && err instanceof Error && err.stack) console.error(err.stack)
}

/** `implements LabMethodsApi` makes the compiler insist on one method per LAB_METHODS entry. */
export class LabService implements LabMethodsApi {
  private readonly listeners = new Set<LabEventListener>()
  private readonly store?: RunStore
  private readonly supervisor?: EngineSupervisor
  private readonly recent?: RecentFiles
  private coalescer?: Coalescer<TrainingEvent>
  private readonly probes: ProbeRunner
  private readonly sweeps?: SweepRunner

  private readonly budget: ResourceBudget

  constructor(private readonly options: LabServiceOptions) {
    this.budget = options.budget ?? envBudget()
    // Probes get a short-lived worker of their own (the same entry as training's), so they never disturb a run.
    this.probes = new ProbeRunner(options.forkWorker ?? (() => forkNodeWorker()), (p) => this.emit({ type: 'probe-progress', ...p }))
    if (options.dataDir) {
      this.store = new RunStore(join(options.dataDir, 'runs'))
      this.recent = new RecentFiles(join(options.dataDir, RECENT_FILES_NAME))
      this.supervisor = new EngineSupervisor({ store: this.store, forkWorker: options.forkWorker, budget: this.budget })
      this.supervisor.onEvent((event) => {
        switch (event.type) {
          case 'run-started':
            this.coalescer?.dispose()
            this.coalescer = createTrainingCoalescer((events) =>
              this.emit({ type: 'training', runId: event.runId, events: events.map(toLabTrainingEvent) }),
            )
            this.emit({ type: 'runs-changed' })
            break
          case 'training':
            this.coalescer?.push(event.event)
            break
          case 'state':
            this.emit({ type: 'run-state', runId: event.runId, state: event.state })
            break
          case 'run-ended':
            this.coalescer?.flush()
            this.emit({ type: 'run-ended', runId: event.runId, status: event.status, error: event.error })
            this.emit({ type: 'runs-changed' })
            break
          default:
            break
        }
      })
      this.sweeps = new SweepRunner(this.supervisor, this.store, (sweep) => this.emit({ type: 'sweep', sweep }))
    }
  }

  /** Creates the runs folder and sweeps temp files a crash left behind. Throws a message for the user. */
  async init(): Promise<void> {
    if (!this.store) return
    await this.store.ensure()
    await this.store.cleanTemp()
  }

  /** Stops a live run and ends the worker (window closed, server shutting down). */
  async dispose(): Promise<void> {
    this.probes.dispose()
    await this.sweeps?.stop()
    await this.supervisor?.dispose()
    this.coalescer?.dispose()
  }

  // ── the methods (one per entry of LAB_METHODS) ────────────────────────────

  async appInfo(): Promise<AppInfo> {
    return { name: this.options.name ?? 'CNN Lab', version: this.options.version, door: this.options.door, budget: this.budget }
  }

  async listPresets(): Promise<PresetSummary[]> {
    return presetSummaries().map(({ id, name, lesson, description }) => ({ id, name, lesson, description }))
  }

  async getPreset(id: string): Promise<Experiment> {
    const experiment = getPreset(id)
    if (!experiment) throw new LabError(`unknown preset "${id}"`)
    return experiment
  }

  // training

  async startRun(
    experiment: unknown,
    options?: { preset?: string; pace?: number | null; paused?: boolean } | null,
  ): Promise<{ runId: string }> {
    const parsed = parseExperiment(experiment)
    if (!parsed.ok) throw new LabError(`the experiment is invalid: ${parsed.error.split('\n').join('; ')}`)
    // A file's old results are not part of the recipe a new run records.
    const { results: _results, ...recipe } = parsed.value
    const handle = await this.requireSupervisor().start(recipe, options ?? {})
    return { runId: handle.runId }
  }

  async pauseRun(): Promise<void> {
    this.requireSupervisor().pause()
  }

  async resumeRun(): Promise<void> {
    this.requireSupervisor().resume()
  }

  async stepRun(): Promise<void> {
    this.requireSupervisor().step()
  }

  async stopRun(): Promise<void> {
    await this.requireSupervisor().stop()
  }

  async setPace(epochsPerSecond: number | null): Promise<void> {
    this.requireSupervisor().setPace(epochsPerSecond)
  }

  async trainingStatus(): Promise<TrainingStatus | null> {
    const current = this.supervisor?.current
    return current ? { runId: current.runId, state: current.state, pace: current.pace } : null
  }

  // the runs folder

  async listRuns(): Promise<RunListItem[]> {
    return this.requireStore().list()
  }

  async openRun(id: string): Promise<RunDetails> {
    const opened = await this.requireStore().open(id)
    return {
      id: opened.id,
      status: opened.status,
      experiment: opened.experiment,
      run: opened.run,
      metrics: opened.metrics,
      skippedMetricLines: opened.skippedMetricLines,
      steps: opened.steps,
      confusionCells: opened.confusionCells,
      snapshots: opened.snapshots.map((s) => ({ model: s.model, epoch: s.epoch, weights: toJsonTensors(s.weights) })),
      weights: Object.fromEntries(Object.entries(opened.weights).map(([model, w]) => [model, toJsonTensors(w)])),
    }
  }

  async deleteRun(id: string): Promise<void> {
    if (this.supervisor?.current?.runId === id) throw new LabError('this run is still training; stop it before deleting it')
    await this.requireStore().delete(id)
    this.emit({ type: 'runs-changed' })
  }

  async exportPytorch(id: string): Promise<ExportedFile> {
    const store = this.requireStore()
    if (this.supervisor?.current?.runId === id) throw new LabError('this run is still training; export it when it has ended')
    const dir = store.dirOf(id)
    const { name, files } = await exportRunFolder(dir).catch((error: unknown) => {
      // The folder's path is the host's business: name the run instead.
      throw new LabError(error instanceof Error ? error.message.split(dir).join(`run "${id}"`) : String(error))
    })
    const folder = projectFolderName(name)
    return { fileName: `${folder}.zip`, bytes: zipProject(files, folder) }
  }

  async importRun(source: ImportSource): Promise<{ runId: string; name: string }> {
    const files = source.zip ? filesFromZip(source.zip) : (source.files ?? {})
    const imported = await importRunFiles(this.requireStore(), files)
    this.emit({ type: 'runs-changed' })
    return imported
  }

  // experiment files

  async parseExperimentText(text: string): Promise<Experiment> {
    const parsed = parseExperimentText(text)
    // The same words as opening through the host (readExperimentFile); the browser door adds the file's name.
    if (!parsed.ok) throw new LabError(problemLines(parsed.error).join('; '))
    return parsed.value
  }

  async openExperimentDialog(): Promise<OpenedExperimentFile | null> {
    const path = await this.requireDialogs().openExperiment()
    return path ? this.openExperimentAt(path) : null
  }

  async openRecentExperiment(path: string): Promise<OpenedExperimentFile> {
    const recent = await this.requireRecent().list()
    // Only files the user chose before: a renderer cannot name arbitrary paths.
    if (!recent.includes(path)) throw new LabError('that file is not in the recent files list')
    return this.openExperimentAt(path)
  }

  async saveExperimentDialog(experiment: unknown, suggestedName: string): Promise<{ path: string } | null> {
    const path = await this.requireDialogs().saveFile(suggestedName, 'experiment')
    if (!path) return null
    await writeExperimentFile(path, experiment)
    await this.recent?.add(path)
    return { path }
  }

  async recentFiles(): Promise<string[]> {
    return this.recent ? this.recent.list() : []
  }

  // figures

  async exportFigure(fileName: string, format: 'png' | 'svg' | 'zip', base64: string): Promise<{ path: string } | null> {
    const path = await this.requireDialogs().saveFile(fileName, format)
    if (!path) return null
    await writeFileAtomic(path, Buffer.from(base64, 'base64'))
    return { path }
  }

  // probes

  async validationSamples(experiment: unknown, start: number, count: number): Promise<ValidationSamples> {
    const exp = this.parseRecipe(experiment)
    const info = datasetInfo(exp.dataset)
    // MNIST's and Fashion-MNIST's pictures live on the host; the others are rebuilt the same way everywhere.
    const { val } = buildDatasets(exp.dataset, await (await import('./dataset-sources')).loadDatasetSources(exp.dataset))
    const total = val.y.length
    const size = info.inputShape.reduce((a, b) => a * b, 1)
    const end = Math.min(total, start + count)
    const images: number[][] = []
    const labels: number[] = []
    for (let i = start; i < end; i++) {
      images.push(Array.from(val.x.data.subarray(i * size, (i + 1) * size), (v) => Math.round(v * 1e6) / 1e6))
      labels.push(val.y[i])
    }
    return { shape: [...info.inputShape], classes: [...info.classes], total, start, images, labels }
  }

  async robustnessMap(probeId: string, source: ProbeSource, range: number): Promise<RobustnessMaps> {
    let experiment: Experiment
    let weights: Record<string, NamedWeights>
    if ('runId' in source) {
      const opened = await this.requireStore().open(source.runId)
      if (Object.keys(opened.weights).length === 0) throw new LabError('this run has no final weights (it did not finish); probe a finished run')
      experiment = opened.experiment
      weights = opened.weights
    } else {
      experiment = this.parseRecipe(source.experiment)
      const float64 = experiment.training.precision === 'float64'
      weights = Object.fromEntries(
        Object.entries(source.weights).map(([model, tensors]) => [
          model,
          Object.fromEntries(
            Object.entries(tensors).map(([name, t]) => [name, { shape: t.shape, data: float64 ? Float64Array.from(t.data) : Float32Array.from(t.data) }]),
          ),
        ]),
      )
    }
    const models = await this.probes.robustnessMap({ probeId, experiment, weights, range })
    return { range, models: Object.fromEntries(Object.entries(models).map(([id, m]) => [id, { accuracy: m.accuracy, mean: m.mean }])) }
  }

  async cancelProbe(probeId: string): Promise<void> {
    this.probes.cancel(probeId)
  }

  // sweeps

  async startSweep(base: unknown, spec: SweepSpec, options?: { pace?: number | null; preset?: string } | null): Promise<SweepState> {
    const sweeps = this.requireSweeps()
    return sweeps.start(this.parseRecipe(base), spec, options ?? {})
  }

  async stopSweep(): Promise<void> {
    await this.requireSweeps().stop()
  }

  /** Rebuilt from the runs folder each time (plus the running sweep), so a restart loses none. */
  async listSweeps(): Promise<SweepState[]> {
    return (await this.sweeps?.list()) ?? []
  }

  // ── helpers ───────────────────────────────────────────────────────────────

  private parseRecipe(experiment: unknown): Experiment {
    const parsed = parseExperiment(experiment)
    if (!parsed.ok) throw new LabError(`the experiment is invalid: ${parsed.error.split('\n').join('; ')}`)
    return parsed.value
  }

  private requireSweeps(): SweepRunner {
    if (!this.sweeps) throw new LabError('sweeps are not available in this door (no data folder)')
    return this.sweeps
  }

  private async openExperimentAt(path: string): Promise<OpenedExperimentFile> {
    const experiment = await readExperimentFile(path)
    await this.recent?.add(path)
    return { path, experiment }
  }

  private requireSupervisor(): EngineSupervisor {
    if (!this.supervisor) throw new LabError('training is not available in this door (no data folder)')
    return this.supervisor
  }

  private requireStore(): RunStore {
    if (!this.store) throw new LabError('the runs folder is not available in this door (no data folder)')
    return this.store
  }

  private requireRecent(): RecentFiles {
    if (!this.recent) throw new LabError('recent files are not available in this door')
    return this.recent
  }

  private requireDialogs(): DoorDialogs {
    if (!this.options.dialogs) {
      throw new LabError('file dialogs exist only in the desktop app; the browser door uploads and downloads in the page')
    }
    return this.options.dialogs
  }

  // ── the door's entry point ────────────────────────────────────────────────

  /** Validate and run one call; the reply is always an envelope, never a throw. */
  async call(name: unknown, rawArgs: unknown): Promise<LabResult> {
    if (!isLabMethod(name)) return { ok: false, error: `unknown lab method "${String(name).slice(0, 64)}"` }
    const parsed = parseLabArgs(name, rawArgs)
    if (!parsed.ok) return parsed
    try {
      const fn = this[name] as (...args: unknown[]) => Promise<unknown>
      const value = await fn.apply(this, parsed.args as unknown[])
      return { ok: true, value }
    } catch (err) {
      if (isUserError(err)) return { ok: false, error: err.message }
      // An unexpected failure: log it here (one line), send only its message.
      logUnexpected(`lab method ${name} failed`, err)
      return { ok: false, error: `${name} failed: ${err instanceof Error ? err.message : String(err)}` }
    }
  }

  // ── events ────────────────────────────────────────────────────────────────

  onEvent(listener: LabEventListener): Unsubscribe {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(event: LabEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (err) {
        logUnexpected('lab event listener failed', err)
      }
    }
  }

  helloEvent(): LabEvent {
    return { type: 'hello', door: this.options.door, at: Date.now() }
  }
}



function toLabTrainingEvent(event: TrainingEvent): LabTrainingEvent {
  return event.type === 'snapshot' ? { ...event, weights: toJsonTensors(event.weights) } : event
}
