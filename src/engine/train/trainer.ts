/**
 * The trainer: a synchronous state machine that trains every model of an
 * experiment side by side, one unit of work per `step()`.
 *
 * A unit is one mini-batch of one model (with finite differences, one whole
 * epoch, since every nudge is measured on the full training set). Whoever
 * drives the trainer decides when to call `step()`, which is what makes it
 * pausable, steppable and cancellable between batches without threads or I/O.
 * The models advance in proportion to their epoch counts, so two models with
 * 80 and 400 epochs finish together and their curves grow side by side.
 */
import type { Experiment, ModelSpec } from '../../shared/experiment'
import type { Dataset } from '../datasets/dataset'
import { buildModel, type Sequential } from '../model'
import { Rng, deriveSeed } from '../rng'
import { SGD } from '../optim/sgd'
import { allocate, sizeOf, type Precision, type Tensor } from '../tensor'
import { createLoss, type Loss } from '../loss/index'
import { finiteDifferenceGradients } from './finite-difference'
import { createFastPath, type FastPath } from './fast-path'
import type { ModelSummary, NamedWeights, TrainingSink } from '../../shared/training-events'
import { confusionCells, confusionCounts } from './confusion'
import { epochShifts, gatherBatch } from './augment'
import {
  EVAL_CHUNK, copyIn, copyOut, flatLength, scale, splitPoint, worthSplitting, type DataParallel, type ReplicaChannel,
} from './data-parallel'

export interface TrainingData {
  train: Dataset
  val: Dataset
}

export interface Trainer {
  /** Does one unit of work; returns false once every model has finished (or the run stopped). */
  step(): boolean
  /** Ends the run between units; emits `done` with status `stopped`. */
  stop(): void
  readonly finished: boolean
  summaries(): ModelSummary[]
  /** A copy of a model's current weights, by PyTorch name. */
  finalWeights(modelId: string): NamedWeights
  /** The live model, for probes (read-only use). */
  model(modelId: string): Sequential
}

interface ModelRun {
  spec: ModelSpec
  model: Sequential
  epochs: number
  learningRate: number
  batchSize: number
  optimizer: SGD
  shuffle: Rng
  order: Int32Array
  epoch: number
  batch: number
  batches: number
  seconds: number
  recentRate: number
  batchX: Tensor
  batchY: Int32Array
  /** This epoch's shift of every training picture, with augmentation (./augment.ts); null without. */
  shifts: Int8Array | null
  /**
   * The tiny-model fast path (./fast-path.ts) when this model is small enough
   * for it: the same steps in one WebAssembly call each. Null: the layers below.
   */
  fast: FastPath | null
  /** The model's replica on the other core, when batches are split (see ./data-parallel.ts). */
  replica: ReplicaChannel | null
  /** Each val sample's predicted class at the last evaluation (for the confusion matrix and its cells). */
  predicted: Int32Array
  /** Batch losses since the last step-loss point, and when that point went out. */
  stepLossSum: number
  stepCount: number
  lastStepPoint: number
  /** Whether this model's confusion cells went out (at its last epoch, or at stop). */
  cellsSent: boolean
}

export interface TrainerOptions {
  /**
   * Splits each batch with a helper thread (the host provides it, e.g.
   * src/host/parallel/). Absent: one core. Models where splitting does not
   * pay (tiny ones, dropout), and finite differences, train on one core anyway.
   */
  parallel?: DataParallel
  /**
   * Step-loss points per model per second, at most (default 20; Infinity: one
   * per step, for tests). A point averages the batches since the previous one.
   */
  stepPointsPerSecond?: number
}

export function createTrainer(experiment: Experiment, data: TrainingData, sink: TrainingSink, options: TrainerOptions = {}): Trainer {
  const settings = experiment.training
  const precision: Precision = settings.precision
  const loss: Loss = createLoss(settings.loss)
  const inputShape = data.train.x.shape.slice(1)
  const sampleSize = sizeOf(inputShape)
  const train = toPrecision(data.train, precision)
  const val = toPrecision(data.val, precision)
  const snapshotEpochs = new Set(settings.snapshotEpochs)
  const lastSnapshotEpoch = Math.max(-1, ...settings.snapshotEpochs)
  const trainCount = train.y.length
  const classCount = data.train.classes.length
  const stepInterval = 1000 / (options.stepPointsPerSecond ?? 20)
  // Finite differences measure the whole unshifted set (the start check refuses augment with them).
  const augmentShift = settings.gradient === 'backprop' ? (settings.augment?.shift ?? 0) : 0

  const runs: ModelRun[] = experiment.models.map((spec) => {
    const model = buildModel(spec, inputShape, precision, { rng: new Rng(deriveSeed(settings.seed, `dropout:${spec.id}`)) })
    const batchSizeSetting = spec.training?.batchSize ?? settings.batchSize
    const batchSize = batchSizeSetting === 'full' ? trainCount : Math.min(batchSizeSetting, trainCount)
    const learningRate = spec.training?.learningRate ?? settings.learningRate
    const order = new Int32Array(trainCount)
    for (let i = 0; i < trainCount; i++) order[i] = i
    const fast = createFastPath(model, settings.loss, train, val, batchSize)
    return {
      spec,
      model,
      epochs: spec.training?.epochs ?? settings.epochs,
      learningRate,
      batchSize,
      optimizer: new SGD(model.params(), { learningRate, momentum: settings.momentum }),
      shuffle: new Rng(deriveSeed(settings.seed, `shuffle:${spec.id}`)),
      order,
      epoch: 0,
      batch: 0,
      batches: settings.gradient === 'finite-difference' ? 1 : Math.ceil(trainCount / batchSize),
      seconds: 0,
      recentRate: 0,
      batchX: { shape: [batchSize, ...inputShape], data: allocate(precision, batchSize * sampleSize) },
      batchY: new Int32Array(batchSize),
      shifts: null,
      fast,
      replica: null,
      predicted: new Int32Array(val.y.length),
      stepLossSum: 0,
      stepCount: 0,
      lastStepPoint: -Infinity,
      cellsSent: false,
    }
  })
  const parallel = settings.gradient === 'finite-difference' ? undefined : options.parallel
  if (parallel) {
    for (const run of runs) {
      if (run.fast) continue
      const spec = {
        model: run.spec, inputShape: [...inputShape], precision, loss: settings.loss,
        learningRate: run.learningRate, momentum: settings.momentum, batchSize: run.batchSize,
      }
      if (worthSplitting(spec)) run.replica = parallel.attach(spec, run.model.params().map((p) => p.value.data), { train, val })
    }
  }

  let started = false
  let finished = false

  function summaries(): ModelSummary[] {
    return runs.map((run) => ({
      id: run.spec.id,
      label: run.spec.label,
      inputShape: [...inputShape],
      layers: run.model.summary(),
      parameterCount: run.model.parameterCount,
      epochs: run.epochs,
    }))
  }

  /**
   * Mean loss and accuracy on a set; with `predicted`, each sample's predicted
   * class is written there too (the val set, for the confusion matrix).
   */
  function evaluate(run: ModelRun, set: Dataset, predicted?: Int32Array): { loss: number; accuracy: number } {
    if (run.fast) {
      const result = run.fast.evaluate(set === train ? 'train' : 'val')
      // The module keeps no per-sample answers: one more forward pass of the tiny
      // model in TypeScript (a few hundred 8x8 pictures) gives them.
      if (predicted) predictAll(run, set, predicted)
      return result
    }
    const n = set.y.length
    // With a replica, the helper evaluates the second half (whole chunks, so
    // every chunk is the one a single core would run) while this thread does the first;
    // its val predictions come back through shared memory (replica.predicted).
    const own = run.replica && n > EVAL_CHUNK ? Math.ceil(n / EVAL_CHUNK / 2) * EVAL_CHUNK : n
    if (own < n) run.replica!.evaluate(set === train ? 'train' : 'val', own, n - own)
    let lossSum = 0
    let correct = 0
    for (let start = 0; start < own; start += EVAL_CHUNK) {
      const count = Math.min(EVAL_CHUNK, own - start)
      const x: Tensor = {
        shape: [count, ...inputShape],
        data: set.x.data.subarray(start * sampleSize, (start + count) * sampleSize),
      }
      const y = set.y.subarray(start, start + count)
      const out = run.model.forward(x, false)
      lossSum += loss.compute(out, y, false).loss * count
      correct += loss.countCorrect(out, y)
      if (predicted) loss.predict(out, predicted.subarray(start, start + count))
    }
    if (own < n) {
      const theirs = run.replica!.evaluated()
      lossSum += theirs.lossSum
      correct += theirs.correct
      if (predicted) predicted.set(run.replica!.predicted.subarray(own, n), own)
    }
    return { loss: lossSum / n, accuracy: correct / n }
  }

  function predictAll(run: ModelRun, set: Dataset, predicted: Int32Array): void {
    run.fast?.syncModel()
    const n = set.y.length
    for (let start = 0; start < n; start += EVAL_CHUNK) {
      const count = Math.min(EVAL_CHUNK, n - start)
      const x: Tensor = { shape: [count, ...inputShape], data: set.x.data.subarray(start * sampleSize, (start + count) * sampleSize) }
      loss.predict(run.model.forward(x, false), predicted.subarray(start, start + count))
    }
  }

  function record(run: ModelRun): void {
    const t = evaluate(run, train)
    const v = evaluate(run, val, run.predicted)
    if (!Number.isFinite(t.loss)) {
      throw new Error(
        `model "${run.spec.id}" diverged at epoch ${run.epoch} (training loss is ${t.loss}); try a smaller learning rate`,
      )
    }
    sink({
      type: 'epoch',
      row: {
        model: run.spec.id,
        epoch: run.epoch,
        trainLoss: t.loss,
        trainAccuracy: t.accuracy,
        valLoss: v.loss,
        valAccuracy: v.accuracy,
        seconds: run.seconds,
        confusion: confusionCounts(val.y, run.predicted, classCount),
      },
    })
    if (run.epoch === run.epochs) sendCells(run)
    // A model with fewer epochs than the shared snapshot list still gets its final state kept.
    const finalOfShortRun = run.epoch === run.epochs && lastSnapshotEpoch > run.epochs
    if (snapshotEpochs.has(run.epoch) || finalOfShortRun) {
      run.fast?.syncModel()
      sink({ type: 'snapshot', model: run.spec.id, epoch: run.epoch, weights: copyWeights(run.model) })
    }
  }

  /** The val indices behind each confusion cell, from the last evaluation. */
  function sendCells(run: ModelRun): void {
    run.cellsSent = true
    sink({ type: 'confusion-cells', model: run.spec.id, epoch: run.epoch, cells: confusionCells(val.y, run.predicted, classCount) })
  }

  /** A point of the per-step loss curve: the mean of the batches since the last one, at most stepInterval apart (and at each epoch's end). */
  function stepPoint(run: ModelRun, batchLoss: number | null, t: number): void {
    // A non-finite loss is left to the epoch's check, which names the divergence.
    if (batchLoss === null || !Number.isFinite(batchLoss)) return
    run.stepLossSum += batchLoss
    run.stepCount++
    const epochEnd = run.batch === run.batches
    if (!epochEnd && t - run.lastStepPoint < stepInterval) return
    sink({ type: 'step-loss', model: run.spec.id, epoch: run.epoch + run.batch / run.batches, loss: run.stepLossSum / run.stepCount, steps: run.stepCount })
    run.lastStepPoint = t
    run.stepLossSum = 0
    run.stepCount = 0
  }

  function beginEpoch(run: ModelRun): void {
    if (run.batches > 1) run.shuffle.shuffle(run.order)
    if (augmentShift > 0) run.shifts = epochShifts(settings.seed, run.epoch + 1, trainCount, augmentShift)
  }

  function trainOneBatch(run: ModelRun): void {
    const t0 = now()
    let samples: number
    // The batch's mean loss, computed anyway for the gradient (null for finite
    // differences, which measure nudged losses only; each of its steps is an epoch).
    let batchLoss: number | null = null
    const { learningRate, momentum } = run.optimizer
    if (settings.gradient === 'finite-difference') {
      if (run.fast) run.fast.finiteDifferenceStep(settings.epsilon, learningRate, momentum)
      else {
        finiteDifferenceGradients(run.model, train, loss, settings.epsilon)
        run.optimizer.step()
      }
      samples = trainCount
    } else if (run.fast) {
      const start = run.batch * run.batchSize
      const count = Math.min(run.batchSize, trainCount - start)
      if (run.shifts) {
        // The module gathers its batch from its own copy of the set: the moved pictures go there first.
        gatherBatch(train, run.order, start, count, run.batchX.data, run.batchY, run.shifts)
        run.fast.setTrainSamples(run.order, start, count, run.batchX.data)
      }
      batchLoss = run.fast.trainBatch(run.order, start, count, learningRate, momentum)
      samples = count
    } else {
      const start = run.batch * run.batchSize
      const count = Math.min(run.batchSize, trainCount - start)
      // The replica's half is copied from this batch (splitBatch), so it trains on the same moved pictures.
      gatherBatch(train, run.order, start, count, run.batchX.data, run.batchY, run.shifts)
      const x: Tensor =
        count === run.batchSize
          ? run.batchX
          : { shape: [count, ...inputShape], data: run.batchX.data.subarray(0, count * sampleSize) }
      const y = count === run.batchSize ? run.batchY : run.batchY.subarray(0, count)
      if (run.replica && count >= 2) {
        batchLoss = splitBatch(run, run.replica, x, y, count)
      } else {
        const out = run.model.forward(x, true)
        const result = loss.compute(out, y)
        batchLoss = result.loss
        const grad = result.grad!
        run.model.backward(grad)
        run.optimizer.step()
      }
      samples = count
    }
    const t1 = now()
    const seconds = (t1 - t0) / 1000
    run.seconds += seconds
    const rate = samples / Math.max(seconds, 1e-6)
    run.recentRate = run.recentRate === 0 ? rate : 0.8 * run.recentRate + 0.2 * rate
    run.batch++
    stepPoint(run, batchLoss, t1)
    sink({
      type: 'batch',
      model: run.spec.id,
      epoch: run.epoch + 1,
      batch: run.batch,
      batches: run.batches,
      samplesPerSecond: run.recentRate,
    })
    if (run.batch === run.batches) {
      run.batch = 0
      run.epoch++
      record(run)
    }
  }

  /**
   * One batch on two cores: the helper's replica takes the second half while
   * this thread does the first; gradients are weighted by each half's share
   * of the batch (the loss is a mean over all of it). Each side then steps
   * on its part of the weights with the sum of both, at the same time, and
   * they swap the new values (see ./data-parallel.ts). Returns this thread's
   * half's mean loss (the helper reports none): the step-loss curve's sample.
   */
  function splitBatch(run: ModelRun, replica: ReplicaChannel, x: Tensor, y: Int32Array, count: number): number {
    const own = Math.ceil(count / 2)
    const other = count - own
    replica.x.set(x.data.subarray(own * sampleSize, count * sampleSize))
    replica.y.set(y.subarray(own, count))
    replica.compute(other, count)
    const input: Tensor = { shape: [own, ...inputShape], data: x.data.subarray(0, own * sampleSize) }
    const result = loss.compute(run.model.forward(input, true), y.subarray(0, own))
    const grad = result.grad!
    const ownLoss = result.loss
    scale(grad.data, own / count)
    run.model.backward(grad)
    // Hand over the gradients the helper's part of the step needs while it
    // finishes its half of the batch (it has its own to copy out).
    const params = run.model.params()
    const length = flatLength(run.model)
    const split = splitPoint(length)
    let at = 0
    for (const p of params) {
      const g = p.grad.data
      const begin = Math.max(0, split - at)
      if (begin < g.length) replica.mine.set(begin === 0 ? g : g.subarray(begin), at + begin)
      at += g.length
    }
    const theirs = replica.wait()
    replica.update()
    run.optimizer.stepRange(theirs, 0, split)
    copyOut(params, replica.stepped, 0, split)
    copyIn(params, replica.updated(), split, length)
    return ownLoss
  }

  /** The unfinished model furthest behind, measured as a fraction of its own epochs. */
  function nextRun(): ModelRun | undefined {
    let best: ModelRun | undefined
    let bestProgress = Infinity
    for (const run of runs) {
      if (run.epoch >= run.epochs) continue
      const progress = (run.epoch + run.batch / run.batches) / run.epochs
      if (progress < bestProgress) {
        best = run
        bestProgress = progress
      }
    }
    return best
  }

  function finish(status: 'completed' | 'stopped'): void {
    if (finished) return
    finished = true
    // A stopped run's cells are those of each model's last evaluated epoch.
    if (started) for (const run of runs) if (!run.cellsSent) sendCells(run)
    sink({ type: 'done', status })
  }

  function step(): boolean {
    if (finished) return false
    try {
      if (!started) {
        started = true
        sink({
          type: 'started',
          models: summaries(),
          trainCount,
          valCount: val.y.length,
          classes: [...data.train.classes],
        })
        for (const run of runs) record(run)
        return true
      }
      const run = nextRun()
      if (!run) {
        finish('completed')
        return false
      }
      if (run.batch === 0) beginEpoch(run)
      trainOneBatch(run)
      if (!nextRun()) finish('completed')
      return !finished
    } catch (error) {
      finished = true
      sink({ type: 'error', message: error instanceof Error ? error.message : String(error) })
      return false
    }
  }

  /** The model, with the fast path's weights copied into it first (they live in WebAssembly while it trains). */
  function liveModel(modelId: string): Sequential {
    const run = findRun(modelId)
    run.fast?.syncModel()
    return run.model
  }

  function findRun(modelId: string): ModelRun {
    const run = runs.find((r) => r.spec.id === modelId)
    if (!run) throw new Error(`no model "${modelId}" in this experiment`)
    return run
  }

  return {
    step,
    stop: () => finish('stopped'),
    get finished() {
      return finished
    },
    summaries,
    finalWeights: (modelId) => copyWeights(liveModel(modelId)),
    model: liveModel,
  }
}

/** Runs a trainer to the end synchronously (tests, benchmarks, headless sweeps). */
export function trainToEnd(trainer: Trainer): void {
  while (trainer.step()) {
    /* every unit of work emits its own events */
  }
}

function copyWeights(model: Sequential): NamedWeights {
  const weights: NamedWeights = {}
  // Parameters and buffers (batch norm's running statistics): a snapshot must reload as it ran.
  for (const { name, value } of model.namedState()) {
    weights[name] = { shape: [...value.shape], data: value.data.slice() }
  }
  return weights
}

function toPrecision(set: Dataset, precision: Precision): Dataset {
  const isDouble = set.x.data instanceof Float64Array
  if ((precision === 'float64') === isDouble) return set
  const data = allocate(precision, set.x.data.length)
  data.set(set.x.data)
  return { x: { shape: set.x.shape, data }, y: set.y, classes: set.classes }
}

function now(): number {
  return globalThis.performance.now()
}
