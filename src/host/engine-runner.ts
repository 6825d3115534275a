/**
 * The engine worker's brain, without its transport: it takes host messages
 * (as `unknown`), drives one trainer, and hands protocol messages to `send`.
 * `engine-worker.ts` wires it to `process.parentPort` or `process.send`.
 *
 * The trainer is synchronous, one batch per `step()`. The loop runs batches
 * for at most SLICE_MS, then yields to the event loop (setImmediate), so a
 * pause, stop, step or pace message is handled within one slice plus one
 * batch. A paced run waits on a timer instead, which a message cancels.
 */
import { parseHostToWorker, type HostToWorkerParsed, type ProbeRequest, type RobustnessResult, type WorkerToHost } from '../shared/engine-protocol'
import type { DatasetSpec, Experiment } from '../shared/experiment'
import { buildDatasets, datasetInfo, shiftDataset, type Dataset, type DatasetSources } from '../engine/datasets'
import { buildModel, type Sequential } from '../engine/model'
import { backendKernels } from '../engine/backend'
import { useFusedStages } from '../engine/routes/fused-simd'
import { createTrainer, type Trainer } from '../engine/train/trainer'
import { mayTrainOnTwoCores, type DataParallel } from '../engine/train/data-parallel'
import type { TrainingEvent } from '../shared/training-events'
import { createLoss, type Loss } from '../engine/loss/index'
import { shiftRobustness } from '../engine/probes/robustness'
import { PaceClock } from './pace-clock'
import { errorMessage } from './error-words'
import { needsHostPictures } from './dataset-sources'

/** Longest stretch of training between two turns of the event loop. */
const SLICE_MS = 10
/** Progress ('batch') events are thinned to this many a second; the host coalesces further. */
const BATCH_EVENTS_PER_SECOND = 60

export interface RunnerDeps {
  /** The host's pictures for a dataset (MNIST's, Fashion-MNIST's; src/host/dataset-sources.ts). */
  loadSources: (spec: DatasetSpec) => Promise<DatasetSources>
  now?: () => number
  /**
   * A helper thread for two-core training (./parallel/gradient-helper.ts),
   * asked for once per run (startNow: the run may split its batches, so the
   * thread starts at once) and closed when it ends; absent or null: one core.
   */
  parallel?: (startNow: boolean) => DataParallel | null
}

type Cancel = () => void

export class EngineRunner {
  private trainer: Trainer | undefined
  private experiment: Experiment | undefined
  private started = false
  private stopped = false
  private paused = false
  private cancelTurn: Cancel | undefined
  private lastBatchSent = -Infinity
  private readonly pace: PaceClock
  private readonly now: () => number
  private parallel: DataParallel | null = null

  constructor(
    private readonly send: (message: WorkerToHost) => void,
    private readonly deps: RunnerDeps,
  ) {
    this.now = deps.now ?? (() => performance.now())
    this.pace = new PaceClock(this.now)
  }

  /** The run is over: its helper thread goes (the next run asks for a fresh one). */
  private closeParallel(): void {
    this.parallel?.close()
    this.parallel = null
  }

  /** One message from the host, unvalidated. Never throws. */
  handle(raw: unknown): void {
    const parsed = parseHostToWorker(raw)
    if (!parsed.ok) {
      this.send({ type: 'error', message: parsed.error })
      return
    }
    try {
      this.dispatch(parsed.value)
    } catch (error) {
      this.send({ type: 'error', message: errorMessage(error) })
    }
  }

  private dispatch(message: HostToWorkerParsed): void {
    switch (message.type) {
      case 'start':
        if (this.started) throw new Error('this engine process already ran an experiment; start a new one')
        this.started = true
        this.paused = message.paused
        this.pace.setRate(message.pace)
        void this.start(message.experiment)
        return
      case 'pause':
        if (this.paused) return
        this.paused = true
        this.cancel()
        this.send({ type: 'paused' })
        return
      case 'resume':
        if (!this.paused) return
        this.paused = false
        this.pace.reset()
        this.send({ type: 'resumed' })
        this.schedule(0)
        return
      case 'step':
        if (!this.paused) throw new Error('step works while paused; pause the run first')
        if (this.trainer && !this.trainer.finished) this.trainer.step()
        return
      case 'stop':
        this.stopped = true
        this.cancel()
        // Between two batches by construction: messages are only handled between turns.
        if (this.trainer && !this.trainer.finished) this.trainer.stop()
        else if (!this.trainer) this.send({ type: 'event', event: { type: 'done', status: 'stopped' } })
        return
      case 'pace':
        this.pace.setRate(message.epochsPerSecond)
        if (!this.paused) {
          // A shorter wait may be due now: restart the turn.
          this.cancel()
          this.schedule(0)
        }
        return
      case 'probe':
        void this.probe(message.id, message.request)
        return
    }
  }

  private async start(experiment: Experiment): Promise<void> {
    this.experiment = experiment
    try {
      // MNIST's and Fashion-MNIST's images take a few seconds to load and shape: say so, so the run does not look stuck.
      if (needsHostPictures(experiment.dataset.kind)) this.send({ type: 'event', event: { type: 'phase', phase: 'loading-data' } })
      // The helper thread, where the run may split, starts while the pictures load.
      this.parallel = this.deps.parallel?.(mayTrainOnTwoCores(experiment)) ?? null
      const sources = await this.deps.loadSources(experiment.dataset)
      // A stop that came while the images loaded has already answered `done`.
      if (this.stopped) return this.closeParallel()
      const data = buildDatasets(experiment.dataset, sources)
      this.trainer = createTrainer(experiment, data, (event) => this.onEvent(event), { parallel: this.parallel ?? undefined })
      this.pace.setModels(this.trainer.summaries())
      this.pace.reset()
    } catch (error) {
      this.closeParallel()
      this.send({ type: 'event', event: { type: 'error', message: `cannot start the run: ${errorMessage(error)}` } })
      return
    }
    if (!this.paused) this.schedule(0)
  }

  private onEvent(event: TrainingEvent): void {
    switch (event.type) {
      case 'batch': {
        this.pace.account(event.model, event.batches)
        const t = this.now()
        if (t - this.lastBatchSent < 1000 / BATCH_EVENTS_PER_SECOND) return
        this.lastBatchSent = t
        break
      }
      case 'error':
        this.closeParallel()
        break
      case 'done':
        this.closeParallel()
        // Final weights first, so the host has them when it closes the run folder.
        for (const model of this.experiment?.models ?? []) {
          this.send({ type: 'weights', model: model.id, weights: this.trainer!.finalWeights(model.id) })
        }
        break
      default:
        break
    }
    this.send({ type: 'event', event })
  }

  private schedule(delayMs: number): void {
    if (this.cancelTurn) return
    if (delayMs > 0) {
      const timer = setTimeout(() => this.turn(), delayMs)
      this.cancelTurn = () => clearTimeout(timer)
    } else {
      const immediate = setImmediate(() => this.turn())
      this.cancelTurn = () => clearImmediate(immediate)
    }
  }

  private cancel(): void {
    this.cancelTurn?.()
    this.cancelTurn = undefined
  }

  /** One slice of training. */
  private turn(): void {
    this.cancelTurn = undefined
    const trainer = this.trainer
    if (!trainer || this.paused || trainer.finished) return
    const end = this.now() + SLICE_MS
    do {
      if (!trainer.step()) return
      const wait = this.pace.delayMs()
      if (wait > 0) {
        this.schedule(wait)
        return
      }
    } while (this.now() < end)
    this.schedule(0)
  }

  // ── probes ────────────────────────────────────────────────────────────────

  /** Models rebuilt from the request's weights: any run, in a worker that trains nothing (probe-runner.ts forks it). */
  private async probe(id: string, request: ProbeRequest): Promise<void> {
    try {
      const { experiment, weights } = request
      const ids = Object.keys(weights)
      if (ids.length === 0) throw new Error('no weights to probe')
      // MNIST's and Fashion-MNIST's images take a few seconds to load and shape: say so, so the run does not look stuck.
      if (needsHostPictures(experiment.dataset.kind)) this.send({ type: 'event', event: { type: 'phase', phase: 'loading-data' } })
      const sources = await this.deps.loadSources(experiment.dataset)
      // The map shifts the val pictures itself, so the set's own random val shift is left out:
      // the centre cell is then the accuracy on unmoved pictures.
      const d = experiment.dataset
      const dataset = d.kind === 'mnist' || d.kind === 'digits' || d.kind === 'fashion' ? { ...d, valShift: 0 } : d
      const { val } = buildDatasets(dataset, sources)
      const info = datasetInfo(experiment.dataset)
      const models = new Map<string, Sequential>()
      for (const m of ids) {
        const spec = experiment.models.find((s) => s.id === m)
        if (!spec) throw new Error(`no model "${m}" in this experiment`)
        const model = buildModel(spec, info.inputShape, experiment.training.precision, { initialise: false })
        try {
          model.loadWeights(weights[m])
        } catch (error) {
          throw new Error(`model "${m}": ${errorMessage(error)}`)
        }
        // The map runs thousands of forward passes: on the fused-SIMD route's stages where it has them.
        useFusedStages(model, backendKernels(model.backend))
        models.set(m, model)
      }
      this.shiftLoop(id, ids, (m) => models.get(m)!, val, createLoss(experiment.training.loss), request.range)
    } catch (error) {
      this.send({ type: 'probe-failed', id, message: errorMessage(error) })
    }
  }

  /** Val accuracy at every (dx, dy) in [-range, range]², one shift of one model per turn, with progress. */
  private shiftLoop(id: string, ids: string[], modelOf: (id: string) => Sequential, val: Dataset, loss: Loss, range: number): void {
    const shifts: [number, number][] = []
    for (let dy = -range; dy <= range; dy++) for (let dx = -range; dx <= range; dx++) shifts.push([dx, dy])
    const total = shifts.length * ids.length
    const maps: Record<string, number[]> = Object.fromEntries(ids.map((m) => [m, [] as number[]]))
    let done = 0
    const next = (): void => {
      try {
        if (done === total) {
          const models: Record<string, RobustnessResult> = {}
          for (const m of ids) {
            const accuracy = maps[m]
            models[m] = { range, accuracy, mean: accuracy.reduce((a, b) => a + b, 0) / accuracy.length }
          }
          this.send({ type: 'probe-result', id, result: { kind: 'robustness-map', models } })
          return
        }
        const [dx, dy] = shifts[done % shifts.length]
        const model = ids[Math.floor(done / shifts.length)]
        // The engine's probe at range 0 on a pre-shifted set is the accuracy at (dx, dy).
        const map = shiftRobustness(modelOf(model), shiftDataset(val, dx, dy), loss, 0)
        maps[model].push(map.accuracy[0])
        done++
        this.send({ type: 'probe-progress', id, done, total })
        setImmediate(next)
      } catch (error) {
        this.send({ type: 'probe-failed', id, message: errorMessage(error) })
      }
    }
    setImmediate(next)
  }
}

