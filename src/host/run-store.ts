/**
 * The run store: the runs folder as a list of run folders (docs/run-folder.md, the
 * files of one run), written live through RunFolderWriter — the same files the
 * terminal door writes — and read back for the Runs view.
 *
 * Run ids are made here and nowhere else; an id that comes back from a client
 * is checked against RUN_ID_PATTERN and resolved with `resolveInside`, so no
 * request can reach a file outside the runs folder.
 *
 * A run whose run.json still says `running` but that no live supervisor owns
 * is listed as `interrupted`: its process vanished (power cut, crash of the
 * whole app) before it could write a final status.
 */
import { randomBytes } from 'node:crypto'
import { access, constants, lstat, mkdir, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Experiment, MetricRow } from '../shared/experiment'
import { RunInfo, type ConfusionCells, type RunStatus, type StepLossPoint } from '../shared/run-file'
import type { NamedWeights } from '../shared/training-events'
import {
  jsonErrorReason,
  readRunFolder,
  readSafetensorsFile,
  RESERVE_FILE,
  RUN_FILES,
  RunFolderWriter,
  weightsFromTensors,
  type RunFolderOptions,
} from './run-folder'
import { checkRunId, isRunId, lstatKind, readFileNoFollow, RefusedFileError, resolveInside } from './safe-path'
import type { RunListItem, RunListStatus } from '../shared/lab-api'
import { fileErrorReason } from './error-words'

/** A row of the runs list; the renderer gets exactly this (the lab API's RunListItem). */
export type RunSummary = RunListItem

export interface OpenedRun {
  id: string
  dir: string
  status: RunListStatus
  experiment: Experiment
  run: RunInfo
  metrics: MetricRow[]
  /** Torn or invalid lines of metrics.jsonl that were left out. */
  skippedMetricLines: number
  steps: StepLossPoint[]
  confusionCells: Record<string, ConfusionCells>
  snapshots: { model: string; epoch: number; weights: NamedWeights }[]
  /** Final weights by model id (none for a run that did not finish). */
  weights: Record<string, NamedWeights>
}

export interface NewRun {
  id: string
  writer: RunFolderWriter
}

/** A problem with the runs folder or a run in it; the message is meant for the user. */
export class RunStoreError extends Error {
  override name = 'RunStoreError'
}

/** Atomic writes' temp files (atomic-file.ts): the target's name plus `.` and a 32-bit number. */
const TEMP_FILE = /\.(json|jsonl|safetensors)\.\d{1,10}$/

export class RunStore {
  readonly root: string
  /** Runs a live supervisor in this process is writing. */
  private readonly live = new Set<string>()

  constructor(
    root: string,
    private readonly options: { now?: () => Date; random?: () => string } = {},
  ) {
    this.root = resolve(root)
  }

  /** Creates the runs folder if needed and checks it can be written; a clear error otherwise. */
  async ensure(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true })
    } catch (error) {
      throw new RunStoreError(`cannot create the runs folder ${this.root}: ${fileErrorReason(error)}`)
    }
    const info = await stat(this.root).catch(() => undefined)
    if (!info?.isDirectory()) throw new RunStoreError(`cannot use ${this.root} as the runs folder: it is not a folder`)
    // access() says yes to root on a read-only mount; a real write is the only honest check.
    const probe = join(this.root, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`)
    try {
      await access(this.root, constants.W_OK)
      await writeFile(probe, '')
      await unlink(probe)
    } catch (error) {
      throw new RunStoreError(`cannot write to the runs folder ${this.root}: ${fileErrorReason(error)}`)
    }
  }

  /**
   * Removes temp files left by atomic writes that a kill interrupted, and the
   * run.json reserve a killed run kept (at start,
   * before any run of this process is live). Returns how many were removed.
   */
  async cleanTemp(): Promise<number> {
    let removed = 0
    const walk = async (dir: string, depth: number): Promise<void> => {
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const entry of entries) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) {
          // Folders of live runs are being written right now: their temp files are not leftovers.
          if (depth === 0 && (!isRunId(entry.name) || this.live.has(entry.name))) continue
          if (depth < 3) await walk(path, depth + 1)
        } else if (entry.isFile() && (TEMP_FILE.test(entry.name) || (depth === 1 && entry.name === RESERVE_FILE))) {
          await unlink(path).then(
            () => removed++,
            () => undefined,
          )
        }
      }
    }
    await walk(this.root, 0)
    return removed
  }

  /** A fresh run id such as `2026-11-21T20-15-03-patterns-3-ab12`. */
  newRunId(name: string): string {
    const time = (this.options.now?.() ?? new Date()).toISOString().slice(0, 19).replace(/:/g, '-')
    const random = this.options.random?.() ?? randomBytes(2).toString('hex')
    return `${time}-${slug(name)}-${random}`
  }

  /** Makes a new run folder and its writer; the run counts as live until `release`. */
  async createRun(experiment: Experiment, options: RunFolderOptions = {}): Promise<NewRun> {
    await this.ensure()
    for (let attempt = 0; ; attempt++) {
      const id = this.newRunId(options.preset ?? experiment.name)
      const dir = resolveInside(this.root, id)
      if (await exists(dir)) {
        if (attempt < 20) continue
        throw new RunStoreError(`cannot find a free run id in ${this.root}`)
      }
      this.live.add(id)
      try {
        const writer = await RunFolderWriter.create(dir, experiment, options)
        return { id, writer }
      } catch (error) {
        this.live.delete(id)
        throw new RunStoreError(error instanceof Error ? error.message : String(error))
      }
    }
  }

  /** The run is no longer being written (it ended, or its supervisor went away). */
  release(id: string): void {
    this.live.delete(id)
  }

  isLive(id: string): boolean {
    return this.live.has(id)
  }

  dirOf(id: unknown): string {
    return resolveInside(this.root, checkRunId(id))
  }

  /** Every run folder, newest first. Unreadable folders are listed with the reason, never thrown. */
  async list(): Promise<RunSummary[]> {
    let names: string[]
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory() && isRunId(e.name)).map((e) => e.name)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new RunStoreError(`cannot list the runs folder ${this.root}: ${fileErrorReason(error)}`)
    }
    const summaries = await Promise.all(names.map((id) => this.summary(id)))
    return summaries.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
  }

  private async summary(id: string): Promise<RunSummary> {
    const path = join(this.root, id, RUN_FILES.run)
    // Ownership first, run.json second: a supervisor releases a run only after its final
    // run.json has landed, so "owned before the read" or "final status in the read" always
    // holds for a run that is ending. Asked the other way round, a read that caught the last
    // `running` followed by a release made a completed run look interrupted (defect 11).
    const owned = this.live.has(id)
    let value: unknown
    try {
      const text = (await readFileNoFollow(path)).toString('utf8')
      try {
        value = JSON.parse(text)
      } catch (error) {
        throw new RunStoreError(jsonErrorReason(error)) // never the text itself
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const reason = error instanceof RefusedFileError ? error.reason : error instanceof RunStoreError ? error.message : fileErrorReason(error)
      const what = code === 'ENOENT' ? 'it has no run.json' : `its run.json is unreadable (${reason})`
      return { id, status: owned ? 'running' : 'interrupted', name: id, final: {}, error: `the run never finished starting: ${what}` }
    }
    const parsed = RunInfo.safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return { id, status: 'interrupted', name: id, final: {}, error: `run.json: ${issue?.path.join('.') || '(file)'}: ${issue?.message}` }
    }
    const run = parsed.data
    return {
      id,
      status: effectiveStatus(owned, run.status),
      name: run.name,
      startedAt: run.startedAt,
      ...(run.endedAt ? { endedAt: run.endedAt } : {}),
      ...(run.preset ? { preset: run.preset } : {}),
      final: run.final,
      ...(run.error ? { error: run.error } : {}),
      ...(run.sweep ? { sweep: run.sweep } : {}),
      ...(run.source ? { source: run.source } : {}),
    }
  }

  /** A past (or live) run with its metrics, snapshots and final weights decoded. */
  async open(id: unknown): Promise<OpenedRun> {
    const dir = this.dirOf(id)
    const runId = id as string
    // The id is checked lexically; the folder it names must also really be in the runs folder.
    let kind
    try {
      kind = await lstatKind(dir)
    } catch (error) {
      throw new RunStoreError(`cannot open run "${runId}": ${error instanceof RefusedFileError ? error.reason : fileErrorReason(error)}`)
    }
    if (kind === 'missing') throw new RunStoreError(`there is no run "${runId}" in ${this.root}`)
    if (kind !== 'folder') throw new RunStoreError(`cannot open run "${runId}": it is not a folder`)
    const owned = this.live.has(runId) // before the read, as in `summary`
    let contents
    try {
      contents = await readRunFolder(dir)
    } catch (error) {
      throw new RunStoreError(error instanceof Error ? error.message : String(error))
    }
    const snapshots: OpenedRun['snapshots'] = []
    for (const s of contents.snapshots) {
      snapshots.push({ model: s.model, epoch: s.epoch, weights: await this.readWeights(s.path) })
    }
    const weights: Record<string, NamedWeights> = {}
    for (const [model, path] of Object.entries(contents.weights)) weights[model] = await this.readWeights(path)
    return {
      id: runId,
      dir,
      status: effectiveStatus(owned, contents.run.status),
      experiment: contents.experiment,
      run: contents.run,
      metrics: contents.metrics,
      skippedMetricLines: contents.skippedMetricLines,
      steps: contents.steps,
      confusionCells: contents.confusionCells,
      snapshots,
      weights,
    }
  }

  private async readWeights(path: string): Promise<NamedWeights> {
    try {
      return weightsFromTensors((await readSafetensorsFile(path)).tensors)
    } catch (error) {
      throw new RunStoreError(error instanceof Error ? error.message : String(error))
    }
  }

  /** Deletes a run folder; a run that is still being written cannot be deleted. */
  async delete(id: unknown): Promise<void> {
    const dir = this.dirOf(id)
    if (this.live.has(id as string)) throw new RunStoreError(`run "${id as string}" is still running; stop it first`)
    if (!(await exists(dir))) throw new RunStoreError(`there is no run "${id as string}" in ${this.root}`)
    try {
      await rm(dir, { recursive: true, force: true })
    } catch (error) {
      throw new RunStoreError(`cannot delete ${dir}: ${fileErrorReason(error)}`)
    }
  }
}

/**
 * `interrupted` is a run.json that says `running` with no owner. `owned` must be
 * read before run.json (see `summary`), or a run that just ended is mislabelled.
 */
function effectiveStatus(owned: boolean, status: RunStatus): RunListStatus {
  return status === 'running' && !owned ? 'interrupted' : status
}

/** A file-name-safe, lower-case slug of an experiment's name (or preset id). */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '')
  return s || 'run'
}

/** Whether anything (a link included, never followed) is at `path`. */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}

