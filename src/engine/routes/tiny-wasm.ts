/**
 * The tiny-model route: the lesson models (8×8 pictures, a few hundred
 * weights) trained and evaluated inside one WebAssembly module
 * (kernels/wasm/tiny.as), one call per unit of work.
 *
 * Why: at this size the readable TypeScript layers spend their time on
 * overhead (a call and a tensor per layer per batch, loops that run six
 * times), not on arithmetic. Here the model's weights, gradients and
 * activations and both data sets live in the module's memory for the whole
 * run, laid out [feature][sample] so that every layer works on 4 (float32) or
 * 2 (float64) samples per SIMD instruction, and a training step, an
 * evaluation or a round of finite differences is a single call.
 *
 * What it computes is what the layers compute (test/engine/routes.test.ts
 * holds it to them): float64 bit for bit, float32 within rounding. The
 * TypeScript model is what everyone else reads: its weights are copied in
 * once, and copied back whenever the trainer hands the model out (snapshots,
 * final weights, probes), so those read it as usual.
 *
 * `createTinyRoute` returns null, and chooseRoute (./choose.ts) picks another
 * route, unless the backend has the module (not "reference") and the model is
 * small: only the layer types below, at most TINY_MODEL_LIMIT multiply-adds per
 * sample, data that fits comfortably in memory.
 */
import type { TrainingSpec } from '../../shared/experiment'
import { convAxes } from '../../shared/layer-geometry'
import { needsReferenceRoute } from '../layers'
import { conv2dMacsPerPosition } from '../layers/conv2d'
import type { Dataset } from '../datasets/dataset'
import type { Sequential } from '../model'
import { allocate, sizeOf, type FloatArray } from '../tensor'
import type { TinyExports } from '../kernels/tiny-module'
import type { BackendKernels } from '../backend'
import { createLoss } from '../loss/index'
import { gatherBatch } from '../train/augment'
import { routeLabel, type RouteContext, type TrainingRoute } from './route'

/** Multiply-adds per sample (forward) up to which a model counts as tiny. The lesson 001 models need ~1,100. */
export const TINY_MODEL_LIMIT = 50_000
/** Values of data (both sets) up to which the sets are copied into the module. */
const TINY_DATA_LIMIT = 1 << 22
/** Samples per evaluation chunk, as the trainer's EVAL_CHUNK. */
const CHUNK = 256

// Layer type codes and descriptor fields: keep in step with tiny.as.
const LAYER_CODES: Record<string, number> = {
  conv2d: 0, relu: 1, maxpool2d: 2, flatten: 3, linear: 4, sigmoid: 5, globalmaxpool2d: 6,
}
const H = { LAYERS: 0, PLAN: 1, STOP: 2, LOSS: 3, CLASSES: 4, TOP: 5, PARAMS: 6, NPARAMS: 7, CORRECT: 8, BATCHX: 9, BATCHY: 10, FEATURES: 11, ORDER: 12 }
const R = {
  TYPE: 0, IN: 1, Y: 2, OUT: 3, DX: 4, AUX: 5, W: 6, B: 7, DW: 8, DB: 9,
  C: 10, H: 11, WD: 12, O: 13, K: 14, STRIDE: 15, PAD: 16, OH: 17, OW: 18, INF: 19, OUTF: 20,
}
const RECORD_INTS = 32
const HEADER_INTS = 16
const SET_INTS = 8

/** The route, plus what tests read of the module's state. */
export interface TinyRoute extends TrainingRoute {
  /** Mean loss on the training set in one sum (what finite differences measure); for tests. */
  meanTrainLoss(): number
  /** The model's output for the first chunk of a set, [count, outputs] row-major; for tests. */
  outputs(set: 'train' | 'val'): Float64Array
}

/** Multiply-adds per sample of a model's forward pass, or Infinity if a layer is not one the module runs. */
export function tinyModelCost(model: Sequential): number {
  let cost = 0
  let shape: readonly number[] = model.inputShape
  const summaries = model.summary()
  for (let i = 0; i < model.specs.length; i++) {
    const spec = model.specs[i]
    const out = summaries[i].outputShape
    // The module knows square, ungrouped convs only; the rest stays on the reference route.
    if (!(spec.type in LAYER_CODES) || needsReferenceRoute(spec)) return Infinity
    if (spec.type === 'conv2d') cost += conv2dMacsPerPosition(spec) * sizeOf(out)
    else if (spec.type === 'linear') cost += spec.inFeatures * spec.outFeatures
    else cost += sizeOf(shape)
    shape = out
  }
  return cost
}

/** Bump allocation of byte ranges in the module's memory, 16-byte aligned (v128). */
class Layout {
  constructor(public end: number) {}
  take(bytes: number): number {
    const at = this.end
    this.end = Math.ceil((at + Math.max(bytes, 16)) / 64) * 64
    return at
  }
}

/** Why a model cannot take this route, or null if it can (chooseRoute's first question). */
export function tinyIneligible(model: Sequential, kernels: BackendKernels, context: RouteContext): string | null {
  if (!kernels.tiny) return 'the reference backend has no WebAssembly'
  if (model.parameterCount === 0) return 'nothing to train'
  if (tinyModelCost(model) > TINY_MODEL_LIMIT) return `more than ${TINY_MODEL_LIMIT} multiply-adds per sample, or a layer the module lacks`
  return tinyDataIneligible(model, context.loss, context.train, context.val)
}

function tinyDataIneligible(model: Sequential, lossKind: TrainingSpec['loss'], train: Dataset, val: Dataset): string | null {
  const features = sizeOf(model.inputShape)
  if ((train.y.length + val.y.length) * features > TINY_DATA_LIMIT || train.y.length === 0) return 'data too large for the module'
  const outShape = model.outputShape
  if (outShape.length !== 1) return 'output is not a vector'
  const classes = outShape[0]
  // Labels the loss would reject: the TypeScript loss reports them, so leave those runs to it.
  const labelOk = lossKind === 'binary-cross-entropy' ? (t: number) => t === 0 || t === 1 : (t: number) => t >= 0 && t < classes
  if (lossKind === 'binary-cross-entropy' && classes !== 1) return 'binary loss on more than one output'
  if (!train.y.every(labelOk) || !val.y.every(labelOk)) return 'labels the loss rejects'
  const double = model.precision === 'float64'
  if ((train.x.data instanceof Float64Array) !== double || (val.x.data instanceof Float64Array) !== double) return 'data not in the model precision'
  return null
}

/** The route, or null where the model or the backend does not fit it (see tinyIneligible). */
export function createTinyRoute(model: Sequential, kernels: BackendKernels, context: RouteContext): TinyRoute | null {
  if (tinyIneligible(model, kernels, context)) return null
  const { train, val, batchSize } = context
  const lossKind = context.loss
  const loss = createLoss(lossKind)
  const features = sizeOf(model.inputShape)
  const classes = model.outputShape[0]
  const double = model.precision === 'float64'
  const wasm: TinyExports = kernels.tiny!()
  const size = double ? 8 : 4
  const lanes = 16 / size
  const pad = (n: number) => Math.ceil(n / lanes) * lanes
  const widest = Math.max(pad(batchSize), pad(Math.min(CHUNK, Math.max(train.y.length, val.y.length))))

  // ── where everything goes ──
  const layout = new Layout(wasm.heapBase())
  const header = layout.take(HEADER_INTS * 4)
  const plan = layout.take(model.layers.length * RECORD_INTS * 4)
  const params = model.params()
  const paramTable = layout.take(params.length * 16)
  const paramAt = params.map((p) => {
    const bytes = p.value.data.length * size
    return { value: layout.take(bytes), grad: layout.take(bytes), velocity: layout.take(bytes) }
  })
  const summaries = model.summary()
  const layerAt = model.specs.map((spec, i) => {
    const inF = sizeOf(i === 0 ? model.inputShape : summaries[i - 1].outputShape)
    const outF = sizeOf(summaries[i].outputShape)
    const pool = spec.type === 'maxpool2d' || spec.type === 'globalmaxpool2d'
    return {
      out: spec.type === 'flatten' ? 0 : layout.take(outF * widest * size),
      dx: layout.take(inF * widest * size),
      aux: pool ? layout.take(outF * widest * size) : 0,
      inF,
      outF,
    }
  })
  const top = layout.take(classes * widest * size)
  const batchX = layout.take(features * pad(batchSize) * size)
  const batchY = layout.take(pad(batchSize) * 4)
  const order = layout.take(batchSize * 4)
  const placeSet = (set: Dataset) => {
    const n = set.y.length
    const chunks: { x: number; start: number; count: number; npad: number }[] = []
    for (let start = 0; start < n; start += CHUNK) {
      const count = Math.min(CHUNK, n - start)
      chunks.push({ x: layout.take(features * pad(count) * size), start, count, npad: pad(count) })
    }
    return {
      set,
      descriptor: layout.take(SET_INTS * 4),
      table: layout.take(chunks.length * 16),
      x: layout.take(n * features * size),
      y: layout.take(n * 4),
      chunks,
    }
  }
  const sets = { train: placeSet(train), val: placeSet(val) }

  const missing = layout.end - wasm.memory.buffer.byteLength
  if (missing > 0) wasm.memory.grow(Math.ceil(missing / 65536))
  // Views over the final memory (nothing grows after this).
  const buffer = wasm.memory.buffer
  const i32 = new Int32Array(buffer)
  const floats: FloatArray = double ? new Float64Array(buffer) : new Float32Array(buffer)
  const ints = (address: number, values: readonly number[]) => i32.set(values, address >> 2)

  // ── the plan ──
  const stop = model.layers.findIndex((layer) => layer.params.length > 0)
  ints(header, [
    model.layers.length, plan, stop, lossKind === 'binary-cross-entropy' ? 1 : 0, classes, top,
    paramTable, params.length, 0, batchX, batchY, features, order,
  ])
  let p = 0
  model.specs.forEach((spec, i) => {
    const at = layerAt[i]
    const shape = i === 0 ? model.inputShape : summaries[i - 1].outputShape
    const out = summaries[i].outputShape
    const r = new Array<number>(RECORD_INTS).fill(0)
    r[R.TYPE] = LAYER_CODES[spec.type]
    r[R.OUT] = at.out
    r[R.DX] = at.dx
    r[R.AUX] = at.aux
    r[R.INF] = at.inF
    r[R.OUTF] = at.outF
    if (shape.length === 3) [r[R.C], r[R.H], r[R.WD]] = shape
    if (out.length === 3) [r[R.OH], r[R.OW]] = [out[1], out[2]]
    if (spec.type === 'conv2d') {
      r[R.O] = spec.outChannels
      const axes = convAxes(spec) // square here: tinyModelCost refuses the rest
      r[R.K] = axes.kernel[0]
      r[R.STRIDE] = axes.stride[0]
      r[R.PAD] = axes.padding[0]
    } else if (spec.type === 'maxpool2d') {
      r[R.K] = spec.kernelSize
      r[R.STRIDE] = spec.stride ?? spec.kernelSize
    } else if (spec.type === 'linear') {
      r[R.C] = spec.inFeatures
      r[R.O] = spec.outFeatures
    }
    for (const param of model.layers[i].params) {
      const { value, grad } = paramAt[p++]
      if (param.name === 'weight') [r[R.W], r[R.DW]] = [value, grad]
      else [r[R.B], r[R.DB]] = [value, grad]
    }
    ints(plan + i * RECORD_INTS * 4, r)
  })
  params.forEach((param, e) => {
    const at = paramAt[e]
    ints(paramTable + e * 16, [at.value, at.grad, at.velocity, param.value.data.length])
    floats.set(param.value.data, at.value / size)
    floats.fill(0, at.velocity / size, at.velocity / size + param.value.data.length)
  })

  // ── the data: sample-major for gathering batches, and [feature][sample] chunks for evaluation ──
  for (const placed of Object.values(sets)) {
    const { set, chunks } = placed
    const n = set.y.length
    const source = set.x.data
    floats.set(source, placed.x / size)
    i32.set(set.y, placed.y >> 2)
    ints(placed.descriptor, [chunks.length, placed.table, n, placed.x, placed.y])
    chunks.forEach((chunk, c) => {
      ints(placed.table + c * 16, [chunk.x, placed.y + chunk.start * 4, chunk.count, chunk.npad])
      const base = chunk.x / size
      floats.fill(0, base, base + features * chunk.npad)
      for (let s = 0; s < chunk.count; s++) {
        const from = (chunk.start + s) * features
        for (let f = 0; f < features; f++) floats[base + f * chunk.npad + s] = source[from + f]
      }
    })
  }

  const ex: TinyExports = wasm
  const run = double
    ? { train: ex.train_batch_f64, fd: ex.finite_differences_f64, sgd: ex.sgd_f64, evaluate: ex.evaluate_f64, mean: ex.mean_loss_f64, forward: ex.forward_f64 }
    : { train: ex.train_batch_f32, fd: ex.finite_differences_f32, sgd: ex.sgd_f32, evaluate: ex.evaluate_f32, mean: ex.mean_loss_f32, forward: ex.forward_f32 }

  const copies = params.flatMap((param, e) => {
    const n = param.value.data.length
    const { value, grad } = paramAt[e]
    return [
      { to: param.value.data, from: floats.subarray(value / size, value / size + n) },
      { to: param.grad.data, from: floats.subarray(grad / size, grad / size + n) },
    ]
  })

  /** The module's outputs for one evaluation chunk, as a [count, classes] tensor (for the loss's predict). */
  const chunkOutputs = (chunk: { x: number; count: number; npad: number }) => {
    const y = run.forward(header, chunk.x, chunk.npad) / size
    const out = allocate(model.precision, chunk.count * classes)
    for (let s = 0; s < chunk.count; s++) for (let c = 0; c < classes; c++) out[s * classes + c] = floats[y + c * chunk.npad + s]
    return { shape: [chunk.count, classes], data: out }
  }
  // The batch as the trainer's order and shifts pick it, for augmentation (below).
  const movedX = allocate(model.precision, batchSize * features)
  const movedY = new Int32Array(batchSize)

  return {
    summary: { id: 'tiny-wasm', cores: 1, backend: kernels.backend, label: routeLabel('tiny-wasm', 1) },
    model,
    trainBatch(indices, start, count, shifts, learningRate, momentum) {
      if (shifts) {
        // The module gathers its batch from its own copy of the set: the moved pictures go there first.
        // Only batches read that copy (evaluation has its own), so the rest of the run is unaffected.
        gatherBatch(train, indices, start, count, movedX, movedY, shifts)
        const base = sets.train.x / size
        for (let s = 0; s < count; s++) floats.set(movedX.subarray(s * features, (s + 1) * features), base + indices[start + s] * features)
      }
      for (let s = 0; s < count; s++) i32[(order >> 2) + s] = indices[start + s]
      return run.train(header, sets.train.descriptor, count, learningRate, momentum)
    },
    finiteDifferenceStep(epsilon, learningRate, momentum) {
      run.fd(header, sets.train.descriptor, epsilon)
      run.sgd(header, learningRate, momentum)
    },
    syncWeights() {
      for (const { to, from } of copies) to.set(from)
    },
    evaluate(which, predicted) {
      const placed = sets[which]
      const lossSum = run.evaluate(header, placed.descriptor)
      const n = placed.set.y.length
      const correct = i32[(header >> 2) + H.CORRECT]
      // The module keeps no per-sample answers: one more forward pass per chunk gives them.
      if (predicted) for (const chunk of placed.chunks) loss.predict(chunkOutputs(chunk), predicted.subarray(chunk.start, chunk.start + chunk.count))
      return { loss: lossSum / n, accuracy: correct / n }
    },
    meanTrainLoss() {
      return run.mean(header, sets.train.descriptor)
    },
    outputs(which) {
      const out = chunkOutputs(sets[which].chunks[0])
      return Float64Array.from(out.data)
    },
  }
}
