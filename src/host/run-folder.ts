/**
 * The run folder: everything one training run leaves on disk (docs/run-folder.md
 * describes every file and field).
 *
 *   experiment.cnnlab.json          the recipe exactly as run (defaults filled in, no results)
 *   run.json                        status, times, engine version, models, final metrics
 *   metrics.jsonl                   one MetricRow per model per epoch, fsynced per line
 *   steps.jsonl                     per-step training loss points (StepLossPoint), appended in groups
 *   confusion/<model>.json          the val indices behind each confusion cell (ConfusionCells)
 *   snapshots/<model>/epoch-NNNN.safetensors
 *   weights/<model>.safetensors     final weights, PyTorch names and layouts
 *   data/{train,val}.safetensors    with saveData: x F32 [N,C,H,W], y I64 [N]
 *
 * Weights keep the run's precision: F32 for float32 runs, F64 for float64 runs
 * (lesson 000), so a reloaded float64 run reproduces its numbers bit for bit;
 * `load_state_dict` converts on copy if the torch model is float32.
 *
 * The writer's `handle` is a synchronous TrainingSink: it encodes what it needs
 * at once (the trainer may reuse its buffers) and queues the file writes, which
 * run one after another in order. `finish` drains the queue and writes the
 * final run.json.
 *
 * A full disk must still end in an honest run.json: the writer keeps a small
 * reserve file (RESERVE_FILE) from the start, and when the final run.json does
 * not fit it deletes the reserve and writes it again. After the first write
 * that fails, later data writes are skipped (the run is failed; a half-written
 * log line would only add a torn line) and the run ends `failed` with the
 * reason.
 */
import { mkdir, open, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import packageJson from '../../package.json'
import { MetricRow, parseExperiment, type Experiment } from '../shared/experiment'
import { ConfusionCells, RUN_FORMAT, RUN_VERSION, RunInfo, StepLossPoint, type RunModel, type RunStatus, type RunSweep } from '../shared/run-file'
import {
  decodeSafetensors,
  encodeSafetensors,
  type DecodedSafetensors,
  type SafetensorsTensors,
} from '../shared/safetensors'
import type { Dataset } from '../engine/datasets/dataset'
import type { ModelSummary, NamedWeights, TrainingEvent } from '../shared/training-events'
import { isCountTensor } from '../shared/tensor-names'
import { appendLineDurable, writeFileAtomic } from './atomic-file'
import { fileErrorReason } from './error-words'
import { lstatKind, readFileNoFollow, RefusedFileError } from './safe-path'

export const RUN_FILES = {
  experiment: 'experiment.cnnlab.json',
  run: 'run.json',
  metrics: 'metrics.jsonl',
  steps: 'steps.jsonl',
  confusion: 'confusion',
  snapshots: 'snapshots',
  weights: 'weights',
  data: 'data',
} as const

export type FinalStatus = Exclude<RunStatus, 'running'>

/**
 * Space held back in every live run folder for its final run.json (a few KB
 * even for MNIST's models): deleted when the run ends, or when the disk is
 * full and run.json would not fit otherwise. Readers ignore it; the store's
 * temp clean-up removes one a killed run left.
 */
export const RESERVE_FILE = '.run-json-reserve'
const RESERVE_BYTES = 64 * 1024

/**
 * Step-loss lines wait in memory and go to disk in groups (at each epoch row,
 * at the end, or when this many wait): one fsync per group, not per point.
 */
const STEP_LINES_PER_WRITE = 200

export interface RunFolderOptions {
  /** The exact data the run trains on, to be saved as data/train and data/val; omit to save none. */
  saveData?: { train: Dataset; val: Dataset }
  /** The preset the experiment came from, recorded in run.json. */
  preset?: string
  /** The capacity sweep the run is a setting of, recorded in run.json. */
  sweep?: RunSweep
  /** Defaults to the app's package version. */
  engineVersion?: string
  /** For tests. */
  now?: () => Date
}

/** A problem with a run folder; the message names the path. */
export class RunFolderError extends Error {
  override name = 'RunFolderError'
}

export function snapshotFileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}.safetensors`
}

/**
 * Named weights as safetensors tensors, keeping each tensor's precision; batch
 * norm's batch count is written as I64, the dtype torch keeps it in.
 */
export function tensorsFromWeights(weights: NamedWeights): SafetensorsTensors {
  const tensors: SafetensorsTensors = {}
  for (const [name, t] of Object.entries(weights)) {
    if (isCountTensor(name)) {
      tensors[name] = { dtype: 'I64', shape: [...t.shape], data: BigInt64Array.from(t.data, (v) => BigInt(Math.round(v))) }
    } else {
      tensors[name] = { dtype: t.data instanceof Float64Array ? 'F64' : 'F32', shape: [...t.shape], data: t.data }
    }
  }
  return tensors
}

/** The reverse of `tensorsFromWeights`; only float tensors are weights, and I64 only as a batch count. */
export function weightsFromTensors(tensors: SafetensorsTensors): NamedWeights {
  const weights: NamedWeights = {}
  for (const [name, t] of Object.entries(tensors)) {
    if (t.data instanceof BigInt64Array && isCountTensor(name)) {
      weights[name] = { shape: t.shape, data: Float64Array.from(t.data, (v) => Number(v)) }
      continue
    }
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new RunFolderError(`tensor "${name}" is ${t.dtype}, not a float weight`)
    }
    weights[name] = { shape: t.shape, data: t.data }
  }
  return weights
}

/** A dataset as the `x` F32 [N,C,H,W] / `y` I64 [N] pair torch expects for images and class labels. */
function tensorsFromDataset(dataset: Dataset): SafetensorsTensors {
  const x = dataset.x.data instanceof Float32Array ? dataset.x.data : Float32Array.from(dataset.x.data)
  const y = new BigInt64Array(dataset.y.length)
  for (let i = 0; i < y.length; i++) y[i] = BigInt(dataset.y[i])
  return {
    x: { dtype: 'F32', shape: [...dataset.x.shape], data: x },
    y: { dtype: 'I64', shape: [dataset.y.length], data: y },
  }
}

function runModel(summary: ModelSummary): RunModel {
  return {
    id: summary.id,
    label: summary.label,
    parameterCount: summary.parameterCount,
    inputShape: [...summary.inputShape],
    epochs: summary.epochs,
    layers: summary.layers.map((l) => ({
      index: l.index,
      type: l.type,
      outputShape: [...l.outputShape],
      parameterCount: l.parameterCount,
    })),
    // Which code trained it: "which code trained this run" is answered in run.json.
    ...(summary.route ? { route: { ...summary.route } } : {}),
  }
}

/**
 * Makes `dir` as a new, empty run folder: its parent must exist; an existing
 * folder must be empty. Says whether it made the folder.
 */
async function createEmptyFolder(dir: string): Promise<boolean> {
  try {
    await mkdir(dir)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new RunFolderError(`cannot create run folder ${dir}: its parent folder ${dirname(dir)} does not exist`)
    }
    if (code !== 'EEXIST') throw new RunFolderError(`cannot create run folder ${dir}: ${fileErrorReason(error)}`)
  }
  const info = await stat(dir)
  if (!info.isDirectory()) throw new RunFolderError(`cannot use ${dir} as a run folder: it is a file, not a folder`)
  const entries = await readdir(dir)
  if (entries.length > 0) {
    throw new RunFolderError(
      `cannot use ${dir} as a run folder: it already exists and is not empty (${entries.length} entries); choose a new or empty folder`,
    )
  }
  return false
}

export class RunFolderWriter {
  private queue: Promise<void> = Promise.resolve()
  private firstFailure: RunFolderError | undefined
  private info: RunInfo
  private seenStatus: FinalStatus | undefined
  private seenError: string | undefined
  private finished = false
  private reserved = false
  /** What the final run.json says (or would, had the disk allowed it) about a failed run. */
  private endError: string | undefined
  private endWritten = false
  private readonly snapshotDirs = new Set<string>()
  private stepLines: string[] = []

  private constructor(
    readonly dir: string,
    private readonly now: () => Date,
    info: RunInfo,
  ) {
    this.info = info
  }

  /** Creates the folder and writes the recipe, the first run.json and (if asked) the data. */
  static async create(dir: string, experiment: Experiment, options: RunFolderOptions = {}): Promise<RunFolderWriter> {
    const folder = resolve(dir)
    const made = await createEmptyFolder(folder)
    const now = options.now ?? (() => new Date())
    const info: RunInfo = {
      format: RUN_FORMAT,
      version: RUN_VERSION,
      status: 'running',
      startedAt: now().toISOString(),
      engineVersion: options.engineVersion ?? packageJson.version,
      ...(options.preset ? { preset: options.preset } : {}),
      name: experiment.name,
      models: [],
      final: {},
      savedData: Boolean(options.saveData),
      ...(options.sweep ? { sweep: options.sweep } : {}),
    }
    const writer = new RunFolderWriter(folder, now, info)
    try {
      await writer.reserve()
      // The recipe only: results belong in the run folder's own files.
      const recipe: Experiment = { ...experiment, results: undefined }
      await writer.write(RUN_FILES.experiment, `${JSON.stringify(recipe, null, 2)}\n`)
      await writer.writeRunJson()
      if (options.saveData) {
        await writer.mkdirOnce(RUN_FILES.data)
        await writer.write(join(RUN_FILES.data, 'train.safetensors'), encodeSafetensors(tensorsFromDataset(options.saveData.train)))
        await writer.write(join(RUN_FILES.data, 'val.safetensors'), encodeSafetensors(tensorsFromDataset(options.saveData.val)))
      }
    } catch (error) {
      // A run that could not start leaves nothing (it was empty before): no folder that lists as interrupted.
      await (made ? rm(folder, { recursive: true, force: true }) : clearFolder(folder)).catch(() => undefined)
      throw error
    }
    return writer
  }

  get status(): RunStatus {
    return this.info.status
  }

  /** The first write that failed, if any (training may want to stop early). */
  get failure(): Error | undefined {
    return this.firstFailure
  }

  /** The reason the final run.json gives for a failed run (set by `finish`, even if that write failed). */
  get recordedError(): string | undefined {
    return this.endError
  }

  /** Whether the final run.json landed on disk. */
  get endRecorded(): boolean {
    return this.endWritten
  }

  /** A TrainingSink: bound, so it can be passed to the trainer as is. */
  readonly handle = (event: TrainingEvent): void => {
    if (this.finished) return
    switch (event.type) {
      case 'started':
        this.info = {
          ...this.info,
          models: event.models.map(runModel),
          trainCount: event.trainCount,
          valCount: event.valCount,
          classes: [...event.classes],
        }
        this.enqueue(() => this.writeRunJson())
        break
      case 'step-loss': {
        const point: StepLossPoint = { model: event.model, epoch: event.epoch, loss: event.loss, steps: event.steps }
        this.stepLines.push(JSON.stringify(point))
        if (this.stepLines.length >= STEP_LINES_PER_WRITE) this.flushSteps()
        break
      }
      case 'epoch': {
        const row = event.row
        this.info.final[row.model] = { ...row }
        const line = JSON.stringify(row)
        this.flushSteps()
        this.enqueue(() => this.append(RUN_FILES.metrics, line))
        break
      }
      case 'confusion-cells': {
        const cells: ConfusionCells = { model: event.model, epoch: event.epoch, cells: event.cells }
        const text = `${JSON.stringify(cells)}\n`
        this.enqueue(async () => {
          await this.mkdirOnce(RUN_FILES.confusion)
          await this.write(join(RUN_FILES.confusion, `${event.model}.json`), text)
        })
        break
      }
      case 'snapshot': {
        const bytes = encodeSafetensors(tensorsFromWeights(event.weights), {
          format: 'pt',
          model: event.model,
          epoch: String(event.epoch),
        })
        const folder = join(RUN_FILES.snapshots, event.model)
        this.enqueue(async () => {
          await this.mkdirOnce(folder)
          await this.write(join(folder, snapshotFileName(event.epoch)), bytes)
        })
        break
      }
      case 'done':
        this.seenStatus = event.status
        break
      case 'error':
        this.seenError = event.message
        break
      case 'batch':
      case 'phase':
        break
    }
  }

  /** Queues the waiting step-loss lines as one append. */
  private flushSteps(): void {
    if (this.stepLines.length === 0) return
    const lines = this.stepLines.join('\n')
    this.stepLines = []
    this.enqueue(() => this.appendGroup(RUN_FILES.steps, lines))
  }

  /** Appends whole lines (and a newline) in one write, then fsyncs: a kill tears at most the last line. */
  private async appendGroup(relative: string, lines: string): Promise<void> {
    const path = join(this.dir, relative)
    try {
      const handle = await open(path, 'a')
      try {
        await handle.write(`${lines}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
    } catch (error) {
      throw new RunFolderError(`cannot append to ${path}: ${fileErrorReason(error)}`)
    }
  }

  /** Queues `weights/<model>.safetensors`; call before `finish`. */
  writeFinalWeights(model: string, weights: NamedWeights): Promise<void> {
    const bytes = encodeSafetensors(tensorsFromWeights(weights), { format: 'pt', model })
    return this.enqueue(async () => {
      await this.mkdirOnce(RUN_FILES.weights)
      await this.write(join(RUN_FILES.weights, `${model}.safetensors`), bytes)
    })
  }

  /**
   * Waits for every queued write, then records the end in run.json. Without a
   * status it uses what the trainer said: `failed` after an error event, else
   * the `done` status, else `completed`. A write that failed makes the run
   * `failed` whatever the status (its folder is missing files), with the
   * failure as the reason unless a failed status came with its own. Rejects
   * with the first write failure; run.json has the end whenever the disk
   * allowed its reserve to be spent on it.
   */
  async finish(status?: FinalStatus, error?: string): Promise<void> {
    if (this.finished) return
    this.flushSteps()
    this.finished = true
    const asked: FinalStatus = status ?? (this.seenError !== undefined ? 'failed' : (this.seenStatus ?? 'completed'))
    const message = error ?? this.seenError
    let recordFailure: unknown
    // Queued (to follow every write before it), but run even after a failure: this is the record.
    this.queue = this.queue.then(async () => {
      const failure = this.firstFailure
      const final: FinalStatus = failure ? 'failed' : asked
      if (final === 'failed') {
        this.endError = asked === 'failed' && message !== undefined ? message : failure ? `writing the run folder failed: ${failure.message}` : message
      }
      this.info = {
        ...this.info,
        status: final,
        endedAt: this.now().toISOString(),
        ...(this.endError !== undefined ? { error: this.endError } : {}),
      }
      try {
        await this.writeFinalRunJson()
        this.endWritten = true
      } catch (writeError) {
        recordFailure = writeError
      }
    })
    await this.queue
    this.throwIfFailed()
    if (recordFailure) throw recordFailure
  }

  /** The final run.json; on a full disk, once more after giving back the reserve. */
  private async writeFinalRunJson(): Promise<void> {
    try {
      await this.writeRunJson()
    } catch (error) {
      if (!(await this.releaseReserve())) throw error
      await this.writeRunJson()
    } finally {
      await this.releaseReserve()
    }
  }

  /** Writes RESERVE_FILE (real bytes: a sparse file would reserve nothing). */
  private async reserve(): Promise<void> {
    const path = join(this.dir, RESERVE_FILE)
    try {
      await writeFile(path, new Uint8Array(RESERVE_BYTES))
    } catch (error) {
      throw new RunFolderError(`cannot write ${path}: ${fileErrorReason(error)}`)
    }
    this.reserved = true
  }

  /** Deletes the reserve; says whether there was one to give back. */
  private async releaseReserve(): Promise<boolean> {
    if (!this.reserved) return false
    this.reserved = false
    await unlink(join(this.dir, RESERVE_FILE)).catch(() => undefined)
    return true
  }

  /** Resolves once every write queued so far has run. */
  async idle(): Promise<void> {
    await this.queue
  }

  private throwIfFailed(): void {
    if (this.firstFailure) throw this.firstFailure
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(async () => {
      // After a failed write the run is failed: nothing more is written but its final run.json.
      if (this.firstFailure) return
      try {
        await task()
      } catch (error) {
        this.firstFailure ??= error instanceof RunFolderError ? error : new RunFolderError(String(error))
      }
    })
    return this.queue
  }

  private async writeRunJson(): Promise<void> {
    await this.write(RUN_FILES.run, `${JSON.stringify(this.info, null, 2)}\n`)
  }

  private async write(relative: string, data: string | Uint8Array): Promise<void> {
    const path = join(this.dir, relative)
    try {
      await writeFileAtomic(path, data)
    } catch (error) {
      throw new RunFolderError(`cannot write ${path}: ${fileErrorReason(error)}`)
    }
  }

  private async append(relative: string, line: string): Promise<void> {
    const path = join(this.dir, relative)
    try {
      await appendLineDurable(path, line)
    } catch (error) {
      throw new RunFolderError(`cannot append to ${path}: ${fileErrorReason(error)}`)
    }
  }

  private async mkdirOnce(relative: string): Promise<void> {
    if (this.snapshotDirs.has(relative)) return
    const path = join(this.dir, relative)
    try {
      await mkdir(path, { recursive: true })
    } catch (error) {
      throw new RunFolderError(`cannot create folder ${path}: ${fileErrorReason(error)}`)
    }
    this.snapshotDirs.add(relative)
  }
}

/** Removes everything in `dir` (a folder that was empty before this writer used it). */
async function clearFolder(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true })
}

// ── reading ─────────────────────────────────────────────────────────────────

interface SnapshotFile {
  model: string
  epoch: number
  path: string
}

export interface RunFolderContents {
  dir: string
  experiment: Experiment
  run: RunInfo
  /** Every valid metrics line, in file order. */
  metrics: MetricRow[]
  /** Lines of metrics.jsonl that were torn (a killed run) or invalid, and so left out. */
  skippedMetricLines: number
  /** Every valid line of steps.jsonl (none for runs before it existed); torn lines are left out. */
  steps: StepLossPoint[]
  /** The val indices behind each confusion cell, by model id. */
  confusionCells: Record<string, ConfusionCells>
  /** Sorted by model, then epoch. */
  snapshots: SnapshotFile[]
  /** Final weights by model id. */
  weights: Record<string, string>
  data: { train?: string; val?: string }
}

/*
 * Every reader below opens files without following links (readFileNoFollow)
 * and lstat-checks every folder it lists, so a link planted in a run folder is
 * refused, never read. Their errors name the file and the reason, never any of
 * its contents: JSON.parse's own message quotes the text it choked on.
 */

/** Why a read failed, in words; a refused link or FIFO says so. */
function readReason(error: unknown): string {
  return error instanceof RefusedFileError ? error.reason : fileErrorReason(error)
}

/** "not valid JSON", with the position where V8 gives one and none of the text. */
export function jsonErrorReason(error: unknown): string {
  const at = /at position (\d+)/.exec(error instanceof Error ? error.message : '')
  return at ? `it is not valid JSON (at byte ${at[1]})` : 'it is not valid JSON'
}

async function readText(path: string): Promise<string> {
  try {
    return (await readFileNoFollow(path)).toString('utf8')
  } catch (error) {
    throw new RunFolderError(`cannot read ${path}: ${readReason(error)}`)
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readText(path)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new RunFolderError(`cannot read ${path}: ${jsonErrorReason(error)}`)
  }
}

/** Throws a RunFolderError naming `path` if it is a symbolic link. */
async function refuseLink(path: string): Promise<void> {
  try {
    await lstatKind(path)
  } catch (error) {
    throw new RunFolderError(`cannot read ${path}: ${readReason(error)}`)
  }
}

/** Files in `dir` (none if it does not exist); `dir` itself must not be a link. */
async function list(dir: string): Promise<string[]> {
  try {
    const kind = await lstatKind(dir)
    if (kind === 'missing') return []
    return (await readdir(dir)).sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new RunFolderError(`cannot list ${dir}: ${readReason(error)}`)
  }
}

export function parseMetricsLines(text: string): { metrics: MetricRow[]; skipped: number } {
  const metrics: MetricRow[] = []
  let skipped = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      skipped++
      continue
    }
    const row = MetricRow.safeParse(value)
    if (row.success) metrics.push(row.data)
    else skipped++
  }
  return { metrics, skipped }
}

/** Valid step-loss lines, in file order; torn or invalid ones are skipped. */
function parseStepLines(text: string): StepLossPoint[] {
  const points: StepLossPoint[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const point = StepLossPoint.safeParse(JSON.parse(line))
      if (point.success) points.push(point.data)
    } catch {
      /* a torn last line */
    }
  }
  return points
}

/** A file's text, or '' when it does not exist. */
async function readOptionalText(path: string): Promise<string> {
  try {
    return (await readFileNoFollow(path)).toString('utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw new RunFolderError(`cannot read ${path}: ${readReason(error)}`)
  }
}

export async function readRunFolder(dir: string): Promise<RunFolderContents> {
  const folder = resolve(dir)
  const experimentPath = join(folder, RUN_FILES.experiment)
  const experiment = parseExperiment(await readJson(experimentPath))
  if (!experiment.ok) throw new RunFolderError(`${experimentPath}: ${experiment.error.split('\n').join('; ')}`)

  const runPath = join(folder, RUN_FILES.run)
  const run = RunInfo.safeParse(await readJson(runPath))
  if (!run.success) {
    const issue = run.error.issues[0]
    throw new RunFolderError(`${runPath}: ${issue.path.join('.') || '(file)'}: ${issue.message}`)
  }

  // A run stopped before its first epoch has no metrics yet.
  const { metrics, skipped } = parseMetricsLines(await readOptionalText(join(folder, RUN_FILES.metrics)))
  const steps = parseStepLines(await readOptionalText(join(folder, RUN_FILES.steps)))

  const confusionCells: Record<string, ConfusionCells> = {}
  const confusionRoot = join(folder, RUN_FILES.confusion)
  for (const file of await list(confusionRoot)) {
    if (!file.endsWith('.json')) continue
    // A file this lab cannot read costs the cell pictures, not the run; a planted link is refused.
    const path = join(confusionRoot, file)
    await refuseLink(path)
    const parsed = ConfusionCells.safeParse(await readJson(path).catch(() => null))
    if (parsed.success) confusionCells[parsed.data.model] = parsed.data
  }

  const snapshots: SnapshotFile[] = []
  const snapshotRoot = join(folder, RUN_FILES.snapshots)
  for (const model of await list(snapshotRoot)) {
    for (const file of await list(join(snapshotRoot, model))) {
      const match = /^epoch-(\d+)\.safetensors$/.exec(file)
      if (match) snapshots.push({ model, epoch: Number(match[1]), path: join(snapshotRoot, model, file) })
    }
  }
  snapshots.sort((a, b) => (a.model === b.model ? a.epoch - b.epoch : a.model < b.model ? -1 : 1))

  const weights: Record<string, string> = {}
  const weightsRoot = join(folder, RUN_FILES.weights)
  for (const file of await list(weightsRoot)) {
    if (file.endsWith('.safetensors')) weights[basename(file, '.safetensors')] = join(weightsRoot, file)
  }

  const data: RunFolderContents['data'] = {}
  const dataFiles = await list(join(folder, RUN_FILES.data))
  if (dataFiles.includes('train.safetensors')) data.train = join(folder, RUN_FILES.data, 'train.safetensors')
  if (dataFiles.includes('val.safetensors')) data.val = join(folder, RUN_FILES.data, 'val.safetensors')

  return { dir: folder, experiment: experiment.value, run: run.data, metrics, skippedMetricLines: skipped, steps, confusionCells, snapshots, weights, data }
}

export async function readSafetensorsFile(path: string): Promise<DecodedSafetensors> {
  let bytes: Uint8Array
  try {
    bytes = await readFileNoFollow(path)
  } catch (error) {
    throw new RunFolderError(`cannot read ${path}: ${readReason(error)}`)
  }
  try {
    return decodeSafetensors(bytes)
  } catch (error) {
    // The decoder quotes JSON.parse, which quotes the header's text: keep only the reason.
    const message = (error as Error).message
    throw new RunFolderError(`${path}: ${message.startsWith('header is not valid JSON') ? 'header is not valid JSON' : message}`)
  }
}
