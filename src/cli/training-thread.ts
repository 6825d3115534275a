/**
 * The main thread's side of a training thread (run-worker.ts), shared by
 * `lab run` and `lab sweep`: start it, hand it its sets, hear its messages,
 * stop it.
 *
 * The thread starts before the pictures are read: it (and the gradient helper
 * it starts) takes about half a second to load under tsx, and reading MNIST
 * takes about as long, so the caller does that meanwhile and calls begin().
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import type { Dataset } from '../engine/datasets'
import { errorMessage } from '../host/error-words'
import { memoryFailure } from '../host/worker-handle'
import { startWorkerThread } from '../host/worker-thread'
import type { WorkerCommand, WorkerInput, WorkerMessage } from './run-worker'

/** How long a stopped thread may take to finish its current step and hand over its weights. */
export const STOP_GRACE_MS = 1500

export interface TrainingThread {
  /** Resolves when the thread has exited. */
  done: Promise<void>
  /** Hands the thread its sets: training starts. */
  begin(data: { train: Dataset; val: Dataset }): void
  /** Where the thread's messages go from now on (any that came earlier first). */
  listen(onMessage: (message: WorkerMessage) => void): void
  /** Asks the thread to stop after its current step; ends it if that takes longer than STOP_GRACE_MS. */
  stop(): void
}

export interface TrainingThreadOptions {
  /**
   * Caps the thread's V8 heap: a model that outgrows it ends the thread
   * (ERR_WORKER_OUT_OF_MEMORY, reported in words), not this process.
   */
  heap?: { megabytes: number; budgetBytes: number }
}

function startWorker(input: WorkerInput, options: TrainingThreadOptions): Worker {
  const entry = new URL('./run-worker' + extname(fileURLToPath(import.meta.url)), import.meta.url)
  const resourceLimits = options.heap ? { maxOldGenerationSizeMb: options.heap.megabytes } : undefined
  return startWorkerThread(entry, { workerData: input, resourceLimits })
}

export function startTrainingThread(input: WorkerInput, options: TrainingThreadOptions = {}): TrainingThread {
  const worker = startWorker(input, options)
  let timer: NodeJS.Timeout | undefined
  const early: WorkerMessage[] = []
  let deliver: (message: WorkerMessage) => void = (message) => early.push(message)
  worker.on('message', (message: WorkerMessage) => deliver(message))
  worker.on('error', (error) => {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    const outOfMemory = options.heap && memoryFailure(null, null, `${code} ${errorMessage(error)}`, options.heap.budgetBytes)
    deliver({ kind: 'fatal', message: outOfMemory || errorMessage(error) })
  })
  const done = new Promise<void>((resolveDone) => {
    worker.on('exit', () => {
      if (timer) clearTimeout(timer)
      resolveDone()
    })
  })
  return {
    done,
    begin: (data) => worker.postMessage({ kind: 'data', ...data } satisfies WorkerCommand),
    listen(onMessage) {
      deliver = onMessage
      for (const message of early.splice(0)) onMessage(message)
    },
    stop() {
      if (timer) return
      worker.postMessage('stop' satisfies WorkerCommand)
      timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS)
    },
  }
}
