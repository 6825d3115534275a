/**
 * The training half of `lab run`, on a worker thread. A trainer step can take
 * seconds (a whole evaluation pass over MNIST), and the main thread must stay
 * free to answer Ctrl-C at once: tsx, which runs the terminal door, kills a
 * child that does not acknowledge a signal within a few dozen milliseconds.
 *
 * Protocol: workerData = { experiment, startHelper }; the main thread posts
 * { kind: 'data', train, val } once it has read the pictures (this thread and
 * its gradient helper start meanwhile), and may post 'stop' at any time; this
 * thread posts WorkerMessage values and exits after 'end'.
 */
// First: relaxed SIMD (fused multiply-add) on Node 20 before the engine compiles its kernels.
import '../host/wasm-features'
import { parentPort, workerData } from 'node:worker_threads'
import { createGradientHelper } from '../host/parallel/gradient-helper'
import type { Experiment } from '../shared/experiment'
import type { Dataset } from '../engine/datasets/dataset'
import type { NamedWeights, TrainingEvent } from '../shared/training-events'
import { createTrainer } from '../engine/train/trainer'

export interface WorkerInput {
  experiment: Experiment
  /** Start the gradient helper before the data comes (mayTrainOnTwoCores said the run may split). */
  startHelper: boolean
}

/** From the main thread: the sets to train on, or 'stop'. */
export type WorkerCommand = { kind: 'data'; train: Dataset; val: Dataset } | 'stop'

export type WorkerMessage =
  | { kind: 'event'; event: TrainingEvent }
  | { kind: 'weights'; model: string; weights: NamedWeights }
  | { kind: 'fatal'; message: string }
  | { kind: 'end' }

/** How often the loop lets a 'stop' message in. */
const YIELD_MS = 50

async function main(port: NonNullable<typeof parentPort>, input: WorkerInput): Promise<void> {
  const post = (message: WorkerMessage) => port.postMessage(message)
  let failed = false
  // Two cores by default (a helper thread takes half of each batch where that pays); CNN_LAB_CORES=1 forces one.
  const parallel = createGradientHelper({ cores: Number(process.env.CNN_LAB_CORES) || 2, startNow: input.startHelper })
  // The helper starts while the main thread reads the pictures.
  let trainer: ReturnType<typeof createTrainer> | undefined
  // null: stopped before the data came.
  const data = await new Promise<Extract<WorkerCommand, { kind: 'data' }> | null>((resolve) => {
    port.on('message', (message: WorkerCommand) => {
      if (message !== 'stop') return resolve(message)
      trainer?.stop()
      resolve(null)
    })
  })
  if (!data) {
    parallel?.close()
    post({ kind: 'end' })
    port.close()
    return
  }
  trainer = createTrainer(input.experiment, { train: data.train, val: data.val }, (event) => {
    if (event.type === 'error') failed = true
    post({ kind: 'event', event })
  }, { parallel: parallel ?? undefined })
  let last = Date.now()
  while (trainer.step()) {
    if (Date.now() - last >= YIELD_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      last = Date.now()
    }
  }
  // The weights at the end, also for a stopped run: what training had reached.
  if (!failed) {
    for (const model of input.experiment.models) post({ kind: 'weights', model: model.id, weights: trainer.finalWeights(model.id) })
  }
  parallel?.close()
  post({ kind: 'end' })
  port.close()
}

if (parentPort) {
  const port = parentPort
  main(port, workerData as WorkerInput).catch((error: unknown) => {
    port.postMessage({ kind: 'fatal', message: error instanceof Error ? error.message : String(error) } satisfies WorkerMessage)
    port.close()
  })
}
