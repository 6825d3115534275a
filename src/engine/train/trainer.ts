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
import { allocate, type Precision } from '../tensor'
import type { ModelSummary, NamedWeights, TrainingSink } from '../../shared/training-events'
import { confusionCells, confusionCounts } from './confusion'
import { epochShifts } from './augment'
import type { DataParallel } from './data-parallel'
import { backendKernels, defaultBackend, type Backend } from '../backend'
import { chooseRoute } from '../routes/choose'
import type { TrainingRoute } from '../routes/route'

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
  /** Which code trains this model (../routes/choose.ts). */
  route: TrainingRoute
  epochs: number
  learningRate: number
  batchSize: number
  shuffle: Rng
  order: Int32Array
  epoch: number
  batch: number
  batches: number
  seconds: number
  recentRate: number
  /** This epoch's shift of every training picture, with augmentation (./augment.ts); null without. */
  shifts: Int8Array | null
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
  /** The numeric backend (default: the process's, CNN_LAB_KERNELS; ../backend.ts). Tests pass one. */
  backend?: Backend
}

export function createTrainer(experiment: Experiment, data: TrainingData, sink: TrainingSink, options: TrainerOptions = {}): Trainer {
  const settings = experiment.training
  const precision: Precision = settings.precision
  const inputShape = data.train.x.shape.slice(1)
  const backend = options.backend ?? defaultBackend()
  const kernels = backendKernels(backend)
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
    const model = buildModel(spec, inputShape, precision, { rng: new Rng(deriveSeed(settings.seed, `dropout:${spec.id}`)), backend })
    const batchSizeSetting = spec.training?.batchSize ?? settings.batchSize
    const batchSize = batchSizeSetting === 'full' ? trainCount : Math.min(batchSizeSetting, trainCount)
    const learningRate = spec.training?.learningRate ?? settings.learningRate
    const order = new Int32Array(trainCount)
    for (let i = 0; i < trainCount; i++) order[i] = i
    const route = chooseRoute(model, kernels, {
      spec, loss: settings.loss, gradient: settings.gradient, train, val, batchSize, learningRate, momentum: settings.momentum, parallel: options.parallel,
    })
    return {
      spec,
      route,
      epochs: spec.training?.epochs ?? settings.epochs,
      learningRate,
      batchSize,
      shuffle: new Rng(deriveSeed(settings.seed, `shuffle:${spec.id}`)),
      order,
      epoch: 0,
      batch: 0,
      batches: settings.gradient === 'finite-difference' ? 1 : Math.ceil(trainCount / batchSize),
      seconds: 0,
      recentRate: 0,
      shifts: null,
      predicted: new Int32Array(val.y.length),
      stepLossSum: 0,
      stepCount: 0,
      lastStepPoint: -Infinity,
      cellsSent: false,
    }
  })

  let started = false
  let finished = false

  function summaries(): ModelSummary[] {
    return runs.map((run) => ({
      id: run.spec.id,
      label: run.spec.label,
      inputShape: [...inputShape],
      layers: run.route.model.summary(),
      parameterCount: run.route.model.parameterCount,
      epochs: run.epochs,
      route: { ...run.route.summary },
    }))
  }

  function record(run: ModelRun): void {
    const t = run.route.evaluate('train')
    const v = run.route.evaluate('val', run.predicted)
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
      run.route.syncWeights()
      sink({ type: 'snapshot', model: run.spec.id, epoch: run.epoch, weights: run.route.model.stateDict() })
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
    const { learningRate } = run
    const { momentum } = settings
    if (settings.gradient === 'finite-difference') {
      run.route.finiteDifferenceStep(settings.epsilon, learningRate, momentum)
      samples = trainCount
    } else {
      const start = run.batch * run.batchSize
      const count = Math.min(run.batchSize, trainCount - start)
      batchLoss = run.route.trainBatch(run.order, start, count, run.shifts, learningRate, momentum)
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

  /** The model, with the route's live weights copied into it first (the tiny route keeps them in WebAssembly). */
  function liveModel(modelId: string): Sequential {
    const run = findRun(modelId)
    run.route.syncWeights()
    return run.route.model
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
    finalWeights: (modelId) => liveModel(modelId).stateDict(),
    model: liveModel,
  }
}

/** Runs a trainer to the end synchronously (tests, benchmarks, headless sweeps). */
export function trainToEnd(trainer: Trainer): void {
  while (trainer.step()) {
    /* every unit of work emits its own events */
  }
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
