/**
 * The lab API: the one contract between the renderer and the host, whichever
 * door carries it (Electron IPC or HTTP + server-sent events).
 *
 * `LAB_METHODS` is a method table: each entry names a method, the zod tuple
 * that validates its arguments on the host side, and (as a phantom type) what
 * it resolves to. Adding a method is one line here plus its implementation in
 * `src/host/lab-service.ts`; the preload, the IPC handlers, the HTTP routes
 * and both renderer clients are all built from this table.
 *
 * Everything that crosses a process boundary is treated as `unknown` and
 * validated: arguments with the tuple, results travel as a `LabResult`
 * envelope, and an error crosses as `{ ok: false, error }` and is thrown again
 * on the other side as a plain `Error` with that message.
 */
import { z } from 'zod'
import type { ResourceBudget } from './budget'
import { NamedTensors, type Experiment, type MetricRow } from './experiment'
import { SweepKindName, type ConfusionCells, type RunInfo, type RunSweep, type StepLossPoint } from './run-file'
import type { PresetSummary } from './preset-summary'
import type { TrainingEvent } from './training-events'

export type { PresetSummary } from './preset-summary'

export type LabDoor = 'electron' | 'browser'

export interface AppInfo {
  name: string
  version: string
  door: LabDoor
  /** The host's resource budget, so the editor checks a draft against the numbers a start is checked against. */
  budget: ResourceBudget
}

/** Phantom marker for a method's result type (no runtime value). */
function returns<T>(): T {
  return undefined as T
}

interface MethodDef<A extends z.ZodType<unknown[]>, R> {
  args: A
  result: R
}
function method<A extends z.ZodType<unknown[]>, R>(args: A, result: R): MethodDef<A, R> {
  return { args, result }
}

// ── what the methods exchange ───────────────────────────────────────────────

/** Where the live run is (the supervisor's state, sent to the renderer as `run-state`). */
const RUN_STATES = ['starting', 'running', 'paused', 'stopping', 'ended'] as const
export type RunState = (typeof RUN_STATES)[number]
export type RunListStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'interrupted'

/** One row of the runs list. */
export interface RunListItem {
  id: string
  status: RunListStatus
  name: string
  startedAt?: string
  endedAt?: string
  preset?: string
  /** Each model's last metrics row, by model id. */
  final: Record<string, MetricRow>
  error?: string
  /** The capacity sweep the run belongs to, if any. */
  sweep?: RunSweep
  /** "pytorch" for a run imported from an exported project's train.py; absent for the lab's own. */
  source?: string
}

/** A file the host made for the user to save (the renderer offers the download or the save dialog). */
export interface ExportedFile {
  fileName: string
  bytes: Uint8Array
}

/** A past (or live) run, read back from its run folder; tensors as JSON. */
export interface RunDetails {
  id: string
  status: RunListStatus
  experiment: Experiment
  run: RunInfo
  metrics: MetricRow[]
  skippedMetricLines: number
  /** Per-step training loss points (steps.jsonl; absent or empty for older runs). */
  steps?: StepLossPoint[]
  /** The val indices behind each confusion cell, by model id (confusion/<model>.json). */
  confusionCells?: Record<string, ConfusionCells>
  snapshots: { model: string; epoch: number; weights: NamedTensors }[]
  /** Final weights by model id (none for a run that did not finish). */
  weights: Record<string, NamedTensors>
}

/** The run the host is training now, for a page that (re)connects mid-run. */
export interface TrainingStatus {
  runId: string
  state: RunState
  pace: number | null
}

export interface OpenedExperimentFile {
  path: string
  experiment: Experiment
}

/** Validation images for the explorer and the trace (MNIST's come only from the host). */
export interface ValidationSamples {
  /** One sample's shape, [C, H, W]. */
  shape: number[]
  classes: string[]
  /** The val set's size, so the picker knows how far it can go. */
  total: number
  start: number
  /** Each image row-major, values as the models see them. */
  images: number[][]
  labels: number[]
}

/** Val accuracy at every shift (dx, dy) in [-range, range]², per model id. */
export interface RobustnessMaps {
  range: number
  models: Record<string, { accuracy: number[]; mean: number }>
}

export { SweepKindName, SWEEP_KINDS } from './run-file'

/** One model's result at one setting and seed (a data sweep's run gives one per model). */
export interface SweepPoint {
  value: number
  /** Which repeat of the setting, 0 = the base recipe's seeds. */
  seed: number
  /** The model's id in the run, and its label. */
  model: string
  modelLabel: string
  parameterCount: number
  status: 'pending' | 'running' | 'completed' | 'stopped' | 'failed'
  runId?: string
  /** Final val accuracy (null until the run ends, or when it recorded none). */
  valAccuracy: number | null
  error?: string
}

export interface SweepState {
  id: string
  kind: SweepKindName
  baseName: string
  /** The swept model's label, e.g. "TinyMLP" (the models' labels joined for a data sweep). */
  modelLabel: string
  /** Seeds per setting. */
  seeds: number
  status: 'running' | 'completed' | 'stopped' | 'failed'
  /** Index of the run (one setting and seed) running, or last run. */
  current: number
  startedAt: string
  /** Ordered by setting, then seed, then model; the points of one run are adjacent. */
  points: SweepPoint[]
  error?: string
}

/** Epochs per second, or null for as fast as the machine goes. */
export const PaceArg = z.union([z.number().positive().max(1000), z.null()])
const presetId = z.string().min(1).max(64)
const runId = z.string().min(1).max(128)
const StartOptions = z
  .strictObject({ preset: presetId.optional(), pace: PaceArg.optional(), paused: z.boolean().optional() })
  .nullish() // JSON turns a left-out argument into null
/** Experiment files are validated by the host with field-naming messages, so they cross as unknown. */
const experimentArg = z.unknown()
const fileName = z.string().min(1).max(200)
const probeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a short id')
/** A probe names a run (the host reads its weights) or carries the experiment and weights (a file's results). */
const ProbeSource = z.union([
  z.strictObject({ runId }),
  z.strictObject({ experiment: experimentArg, weights: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), NamedTensors) }),
])
export type ProbeSource = z.input<typeof ProbeSource>
const SweepSpecArg = z.strictObject({
  kind: SweepKindName,
  // 0 is a val shift's centred setting; the engine refuses 0 for the other kinds with a message.
  values: z.array(z.number().int().min(0).max(100_000)).min(1).max(32),
  seeds: z.number().int().min(1).max(10).optional(),
})
const SweepOptions = z.strictObject({ pace: PaceArg.optional(), preset: presetId.optional() }).nullish()
/** A figure's bytes, base64; 40 MB of base64 is far beyond any chart. */
/** Bytes: a Uint8Array (IPC carries it as is; HTTP as {"$bytes": base64}, see wire-bytes.ts). */
const bytes = z.instanceof(Uint8Array, { message: 'must be bytes (a Uint8Array)' })
/** A run folder to import: a zip of it, or its files by relative path (a folder upload). */
const ImportSource = z
  .strictObject({ zip: bytes.optional(), files: z.record(z.string().min(1).max(300), bytes).optional() })
  .refine((s) => (s.zip === undefined) !== (s.files === undefined), { message: 'give either zip (a zip of the run folder) or files (its files by path)' })
export type ImportSource = z.input<typeof ImportSource>
const base64 = z.string().max(40 * 1024 * 1024).regex(/^[A-Za-z0-9+/=]*$/, 'must be base64')

// ── the method table: one line per method ───────────────────────────────────
export const LAB_METHODS = {
  appInfo: method(z.tuple([]), returns<AppInfo>()),
  listPresets: method(z.tuple([]), returns<PresetSummary[]>()),
  getPreset: method(z.tuple([presetId]), returns<Experiment>()),

  // training: one run at a time, in the engine's own process
  startRun: method(z.tuple([experimentArg, StartOptions]), returns<{ runId: string }>()),
  pauseRun: method(z.tuple([]), returns<void>()),
  resumeRun: method(z.tuple([]), returns<void>()),
  stepRun: method(z.tuple([]), returns<void>()),
  stopRun: method(z.tuple([]), returns<void>()),
  setPace: method(z.tuple([PaceArg]), returns<void>()),
  trainingStatus: method(z.tuple([]), returns<TrainingStatus | null>()),

  // the runs folder
  listRuns: method(z.tuple([]), returns<RunListItem[]>()),
  openRun: method(z.tuple([runId]), returns<RunDetails>()),
  deleteRun: method(z.tuple([runId]), returns<void>()),
  /** The run as a PyTorch project (train.py, data, initial weights), zipped. */
  exportPytorch: method(z.tuple([runId]), returns<ExportedFile>()),
  /** A finished run folder from elsewhere (train.py's output) into the runs folder, under a new id. */
  importRun: method(z.tuple([ImportSource]), returns<{ runId: string; name: string }>()),

  // experiment files: text validation (browser upload) and native dialogs (Electron)
  parseExperimentText: method(z.tuple([z.string().max(64 * 1024 * 1024)]), returns<Experiment>()),
  openExperimentDialog: method(z.tuple([]), returns<OpenedExperimentFile | null>()),
  openRecentExperiment: method(z.tuple([z.string().min(1).max(4096)]), returns<OpenedExperimentFile>()),
  saveExperimentDialog: method(z.tuple([experimentArg, fileName]), returns<{ path: string } | null>()),
  recentFiles: method(z.tuple([]), returns<string[]>()),

  // figures: the renderer hands over the bytes, the host writes them where the user chose
  // ('zip': a view's figures and metrics bundled, or a PyTorch project the host made)
  exportFigure: method(z.tuple([fileName, z.enum(['png', 'svg', 'zip']), base64]), returns<{ path: string } | null>()),

  // probes: val images for the explorer, and the shift-robustness map in a worker of its own
  validationSamples: method(z.tuple([experimentArg, z.number().int().min(0).max(100_000), z.number().int().min(1).max(256)]), returns<ValidationSamples>()),
  robustnessMap: method(z.tuple([probeId, ProbeSource, z.number().int().min(0).max(8)]), returns<RobustnessMaps>()),
  cancelProbe: method(z.tuple([probeId]), returns<void>()),

  // capacity sweeps: one saved run per setting
  startSweep: method(z.tuple([experimentArg, SweepSpecArg, SweepOptions]), returns<SweepState>()),
  stopSweep: method(z.tuple([]), returns<void>()),
  listSweeps: method(z.tuple([]), returns<SweepState[]>()),
}

export type LabMethods = typeof LAB_METHODS
export type LabMethodName = keyof LabMethods
export const LAB_METHOD_NAMES = Object.keys(LAB_METHODS) as LabMethodName[]

export type LabArgs<K extends LabMethodName> = z.input<LabMethods[K]['args']>
export type LabReturn<K extends LabMethodName> = LabMethods[K]['result']

export function isLabMethod(name: unknown): name is LabMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(LAB_METHODS, name)
}

// ── events: host → renderer ─────────────────────────────────────────────────

/**
 * A training event as the renderer gets it: the engine's TrainingEvent
 * (src/shared/training-events.ts) with a snapshot's weights as JSON tensors.
 * The host sends them in coalesced batches (≤ 30 a second; a model's
 * step-loss points merged to the same rate).
 */
export type LabTrainingEvent =
  | Exclude<TrainingEvent, { type: 'snapshot' }>
  | { type: 'snapshot'; model: string; epoch: number; weights: NamedTensors }

/** Every event the host pushes to the renderer; a union on `type`. */
export type LabEvent =
  | { type: 'hello'; door: LabDoor; at: number }
  | { type: 'ping'; at: number }
  | { type: 'menu'; action: 'open' | 'save' }
  | { type: 'training'; runId: string; events: LabTrainingEvent[] }
  | { type: 'run-state'; runId: string; state: RunState }
  | { type: 'run-ended'; runId: string; status: 'completed' | 'stopped' | 'failed'; error?: string }
  | { type: 'runs-changed' }
  | { type: 'probe-progress'; probeId: string; done: number; total: number }
  | { type: 'sweep'; sweep: SweepState }

export type LabEventListener = (event: LabEvent) => void
export type Unsubscribe = () => void

export const LabEventSchema: z.ZodType<LabEvent> = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), door: z.enum(['electron', 'browser']), at: z.number() }),
  z.strictObject({ type: z.literal('ping'), at: z.number() }),
  z.strictObject({ type: z.literal('menu'), action: z.enum(['open', 'save']) }),
  // Training batches are checked for shape at the top only: they come from our own
  // host, which built them from validated worker messages, up to 30 times a second.
  z.strictObject({
    type: z.literal('training'),
    runId: z.string(),
    events: z.array(z.looseObject({ type: z.enum(['started', 'batch', 'step-loss', 'epoch', 'confusion-cells', 'phase', 'snapshot', 'done', 'error']) })),
  }),
  z.strictObject({
    type: z.literal('run-state'),
    runId: z.string(),
    state: z.enum(RUN_STATES),
  }),
  z.strictObject({
    type: z.literal('run-ended'),
    runId: z.string(),
    status: z.enum(['completed', 'stopped', 'failed']),
    error: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('runs-changed') }),
  z.strictObject({ type: z.literal('probe-progress'), probeId: z.string(), done: z.number(), total: z.number() }),
  // From our own host, which built it; checked at the top like the training batches.
  z.strictObject({ type: z.literal('sweep'), sweep: z.looseObject({ id: z.string(), kind: SweepKindName, points: z.array(z.looseObject({})) }) }),
]) as unknown as z.ZodType<LabEvent>

// ── the interface every door implements ─────────────────────────────────────

export type LabMethodsApi = {
  [K in LabMethodName]: (...args: LabArgs<K>) => Promise<LabReturn<K>>
}

/** `window.lab` in Electron, and what the renderer's lab client implements in both doors. */
export interface LabApi extends LabMethodsApi {
  onEvent(listener: LabEventListener): Unsubscribe
}

// ── the envelope every call crosses the boundary in ─────────────────────────

export type LabResult<T = unknown> = { ok: true; value: T } | { ok: false; error: string }

/** Throw the envelope's error as a plain Error, or return its value. */
export function unwrapResult<T>(result: unknown): T {
  if (typeof result === 'object' && result !== null && 'ok' in result) {
    const r = result as { ok: unknown; value?: unknown; error?: unknown }
    if (r.ok === true) return r.value as T
    if (r.ok === false) throw new Error(typeof r.error === 'string' ? r.error : 'lab call failed')
  }
  throw new Error('lab call returned a malformed reply')
}

/** The IPC channel of a method, and of the event stream. */
export const labChannel = (name: LabMethodName): string => `lab:${name}`
export const LAB_EVENT_CHANNEL = 'lab:event'

/**
 * Validate a call's raw arguments against the method's tuple.
 * Returns a readable message naming the bad argument instead of throwing.
 */
export function parseLabArgs<K extends LabMethodName>(
  name: K,
  raw: unknown,
): { ok: true; args: z.output<LabMethods[K]['args']> } | { ok: false; error: string } {
  const parsed = LAB_METHODS[name].args.safeParse(raw)
  if (parsed.success) return { ok: true, args: parsed.data as z.output<LabMethods[K]['args']> }
  const issue = parsed.error.issues[0]
  const where = issue && issue.path.length > 0 ? `argument ${issue.path.join('.')}: ` : ''
  return { ok: false, error: `${name}: bad arguments: ${where}${issue?.message ?? 'invalid'}` }
}
