/**
 * The engine protocol: the messages between the host (engine supervisor) and
 * the engine worker process. Both directions are unions on `type`, and both
 * sides validate every message they receive with `safeParse`, treating the
 * input as `unknown`; an invalid message is reported, never thrown.
 *
 * Tensors cross as typed arrays (`Float32Array`, or `Float64Array` for float64
 * runs): both transports use structured clone (Electron's `utilityProcess`
 * always, Node's `child_process.fork` with `serialization: 'advanced'`), which
 * keeps the array type, so a float64 run's weights arrive bit for bit and the
 * run folder writer can tell F32 from F64 as it does in the terminal door.
 *
 * The worker never writes files: the host does, so a killed worker cannot
 * leave a half-written file behind.
 */
import { z } from 'zod'
import { Experiment, MetricRow, type ParseResult } from './experiment'
import { RunModel } from './run-file'
import { CELL_SAMPLE_LIMIT, type ModelSummary as ModelSummaryType, type NamedWeights, type TrainingEvent } from './training-events'
import { STATE_TENSOR_NAME } from './tensor-names'

// ── pieces ──────────────────────────────────────────────────────────────────

const count = z.number().int().min(0)
const modelId = z.string().min(1).max(64)
/** Ids the host gives probe requests, echoed in progress and results. */
const requestId = z.string().min(1).max(64)
/** `null` means as fast as the machine goes. */
const Pace = z.union([z.number().positive().max(10_000), z.null()])

const FloatData = z.union([z.instanceof(Float32Array), z.instanceof(Float64Array)])

const WireTensor = z
  .object({ shape: z.array(count).max(8), data: FloatData })
  .refine((t) => t.shape.reduce((a, b) => a * b, 1) === t.data.length, {
    message: 'the data length does not match the shape',
    path: ['data'],
  })
/** Typed as the engine's NamedWeights (readonly shapes), which is what both ends hold. */
const WireWeights = z.record(z.string().regex(STATE_TENSOR_NAME), WireTensor) as unknown as z.ZodType<NamedWeights>

/**
 * A `started` event's model summary: the schema run.json records models with
 * (the same fields, the route included), typed as the engine's ModelSummary
 * so the two cannot drift apart unnoticed.
 */
const ModelSummary: z.ZodType<ModelSummaryType> = RunModel.extend({ id: modelId })

/** The engine's TrainingEvent, validated. */
const WireTrainingEvent: z.ZodType<TrainingEvent> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('started'),
    models: z.array(ModelSummary),
    trainCount: count,
    valCount: count,
    classes: z.array(z.string()),
  }),
  z.object({
    type: z.literal('batch'),
    model: modelId,
    epoch: count,
    batch: count,
    batches: count,
    samplesPerSecond: z.number(),
  }),
  z.object({ type: z.literal('step-loss'), model: modelId, epoch: z.number().min(0), loss: z.number(), steps: count }),
  z.object({ type: z.literal('epoch'), row: MetricRow }),
  z.object({ type: z.literal('confusion-cells'), model: modelId, epoch: count, cells: z.array(z.array(count).max(CELL_SAMPLE_LIMIT)).max(10_000) }),
  z.object({ type: z.literal('phase'), phase: z.literal('loading-data') }),
  z.object({ type: z.literal('snapshot'), model: modelId, epoch: count, weights: WireWeights }),
  z.object({ type: z.literal('done'), status: z.enum(['completed', 'stopped']) }),
  z.object({ type: z.literal('error'), message: z.string() }),
]) as z.ZodType<TrainingEvent>

// ── probes ──────────────────────────────────────────────────────────────────

/**
 * The one probe a worker runs: the shift-robustness map of models rebuilt
 * from the experiment and the weights the request carries, so it answers for
 * any run (live, finished, reopened from disk, or read from a file) in a
 * worker of its own that trains nothing (src/host/probe-runner.ts). Trace and
 * equivariance run in the renderer (one small forward pass per drag step).
 */
export const ProbeRequest = z.strictObject({
  kind: z.literal('robustness-map'),
  experiment: Experiment,
  /** Each probed model's weights, by model id. */
  weights: z.record(modelId, WireWeights),
  /** Shifts from -range to +range pixels on each axis. */
  range: z.number().int().min(0).max(8),
})
export type ProbeRequest = z.output<typeof ProbeRequest>

export const RobustnessResult = z.object({
  range: count,
  /** accuracy[(dy + range) * (2 * range + 1) + (dx + range)] */
  accuracy: z.array(z.number()),
  mean: z.number(),
})
export type RobustnessResult = z.output<typeof RobustnessResult>

/** A probe's answer, tagged with its request's kind. */
const ProbeResult = z.object({ kind: z.literal('robustness-map'), models: z.record(modelId, RobustnessResult) })

// ── host → worker ───────────────────────────────────────────────────────────

export const HostToWorker = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('start'),
    experiment: Experiment,
    pace: Pace.default(null),
    /** Start paused: nothing trains until `resume` or `step`. */
    paused: z.boolean().default(false),
  }),
  z.strictObject({ type: z.literal('pause') }),
  z.strictObject({ type: z.literal('resume') }),
  /** One unit of work (one batch of one model) while paused. */
  z.strictObject({ type: z.literal('step') }),
  z.strictObject({ type: z.literal('stop') }),
  z.strictObject({ type: z.literal('pace'), epochsPerSecond: Pace }),
  z.strictObject({ type: z.literal('probe'), id: requestId, request: ProbeRequest }),
])
export type HostToWorker = z.input<typeof HostToWorker>
export type HostToWorkerParsed = z.output<typeof HostToWorker>

// ── worker → host ───────────────────────────────────────────────────────────

export const WorkerToHost = z.discriminatedUnion('type', [
  /** The worker is listening; the host may send `start`. */
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('event'), event: WireTrainingEvent }),
  /** A model's final weights, sent just before the `done` event. */
  z.object({ type: z.literal('weights'), model: modelId, weights: WireWeights }),
  z.object({ type: z.literal('paused') }),
  z.object({ type: z.literal('resumed') }),
  z.object({ type: z.literal('probe-progress'), id: requestId, done: count, total: count }),
  z.object({ type: z.literal('probe-result'), id: requestId, result: ProbeResult }),
  z.object({ type: z.literal('probe-failed'), id: requestId, message: z.string() }),
  /** Something the worker could not do (an invalid or untimely message); the run goes on. */
  z.object({ type: z.literal('error'), message: z.string() }),
])
export type WorkerToHost = z.output<typeof WorkerToHost>

// ── validation helpers ──────────────────────────────────────────────────────

function describe(error: z.ZodError, raw: unknown): string {
  const type =
    typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string'
      ? String((raw as { type: string }).type).slice(0, 32)
      : undefined
  const issue = error.issues[0]
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
  return `invalid ${type ? `"${type}" ` : ''}message: ${where}${issue?.message ?? 'invalid'}`
}

export function parseHostToWorker(raw: unknown): ParseResult<HostToWorkerParsed> {
  const result = HostToWorker.safeParse(raw)
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describe(result.error, raw) }
}

export function parseWorkerToHost(raw: unknown): ParseResult<WorkerToHost> {
  const result = WorkerToHost.safeParse(raw)
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describe(result.error, raw) }
}
