/**
 * Two-core training for the Node doors (terminal, browser server's engine
 * worker, Electron's utility process, bench): a helper thread with a replica
 * of each model takes half of every batch. This file is the trainer's side of
 * the handshake in ./protocol.ts; the engine only sees `DataParallel`
 * (src/engine/train/data-parallel.ts, which explains the maths).
 */
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MessageChannel, type Worker } from 'node:worker_threads'
import { startWorkerThread } from '../worker-thread'
import type { DataParallel, ReplicaChannel, ReplicaData, ReplicaSpec } from '../../engine/train/data-parallel'
import type { Dataset } from '../../engine/datasets/dataset'
import type { FloatArray } from '../../engine/tensor'
import {
  ATTACH, CLOSE, COMMAND, COMPUTE, CONTROL_LENGTH, COUNT, DONE, EVALUATE, FAILED, REQUEST, RUN, SET, START, TOTAL,
  TRAIN_SET, UPDATE, VAL_SET, type AttachMessage, type SharedSet,
} from './protocol'
import { receiveMessageOnPort } from 'node:worker_threads'

export interface GradientHelperOptions {
  /** Cores to use, this thread included; 1 (or a one-core machine) gives null: train alone. Default: all, at most 2. */
  cores?: number
  /** The helper's entry file (tests, unusual layouts); default: gradient-worker next to this module. */
  entry?: URL
  /**
   * Start the thread now rather than at the first model that splits: a host
   * that knows a run may split (mayTrainOnTwoCores) overlaps the thread's
   * start (about half a second under tsx) with loading the pictures.
   */
  startNow?: boolean
}

/** How long the trainer waits for one command before it gives up on the helper. */
const COMMAND_TIMEOUT_MS = 10 * 60 * 1000

function helperEntry(): URL {
  // Built (electron-vite): gradient-worker.js sits next to the bundle; under tsx: the .ts beside this file.
  const ext = extname(fileURLToPath(import.meta.url)) || '.js'
  return new URL('./gradient-worker' + (ext === '.ts' ? '.ts' : '.js'), import.meta.url)
}


/**
 * A helper thread for data-parallel training, or null where there is only one
 * core to use. `close()` it when the run ends (it is unref'd, so a forgotten
 * one does not keep the process alive).
 */
export function createGradientHelper(options: GradientHelperOptions = {}): DataParallel | null {
  const cores = Math.min(options.cores ?? 2, availableParallelism())
  if (cores < 2) return null
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_LENGTH * 4))
  const channel = new MessageChannel()
  channel.port1.unref()
  // The thread starts with the first model that splits its batches (or now,
  // when asked): runs of tiny models (the lessons) never pay for one.
  let worker: Worker | null = null
  const ensureWorker = () => {
    if (worker) return
    worker = startWorkerThread(options.entry ?? helperEntry(), { workerData: { control: control.buffer, port: channel.port2 }, transferList: [channel.port2] })
    worker.unref()
  }
  if (options.startNow) ensureWorker()
  let issued = 0
  let closed = false
  let runs = 0

  /** Blocks until the helper has finished every command issued so far. */
  function settle(): void {
    const deadline = Date.now() + COMMAND_TIMEOUT_MS
    while (Atomics.load(control, DONE) !== issued) {
      const seen = Atomics.load(control, DONE)
      if (Atomics.wait(control, DONE, seen, 1000) === 'timed-out' && Date.now() > deadline) {
        throw new Error('the gradient helper thread stopped responding')
      }
    }
    if (Atomics.load(control, FAILED)) {
      Atomics.store(control, FAILED, 0)
      const message = receiveMessageOnPort(channel.port1)?.message
      throw new Error(`gradient helper: ${String(message ?? 'failed')}`)
    }
  }

  // Each set goes into shared memory once, however many models evaluate on it
  // (the trainer hands every model the same arrays).
  const sharedSets = new WeakMap<Dataset, SharedSet>()
  function share(set: Dataset): SharedSet {
    let shared = sharedSets.get(set)
    if (!shared) {
      const x = new SharedArrayBuffer(set.x.data.byteLength)
      if (set.x.data instanceof Float64Array) new Float64Array(x).set(set.x.data)
      else new Float32Array(x).set(set.x.data)
      const y = new SharedArrayBuffer(set.y.byteLength)
      new Int32Array(y).set(set.y)
      shared = { x, y }
      sharedSets.set(set, shared)
    }
    return shared
  }

  function issue(command: number, run = 0, count = 0, total = 0, set = 0, start = 0): void {
    if (closed) throw new Error('the gradient helper is closed')
    settle()
    control[COMMAND] = command
    control[RUN] = run
    control[COUNT] = count
    control[TOTAL] = total
    control[SET] = set
    control[START] = start
    issued++
    Atomics.store(control, REQUEST, issued)
    Atomics.notify(control, REQUEST)
  }

  return {
    cores,
    attach(spec: ReplicaSpec, weights: readonly FloatArray[], data: ReplicaData): ReplicaChannel | null {
      ensureWorker()
      const bytes = spec.precision === 'float64' ? 8 : 4
      const sample = spec.inputShape.reduce((a, b) => a * b, 1)
      const flat = weights.reduce((n, w) => n + w.length, 0)
      const message: AttachMessage = {
        run: runs++,
        spec,
        weights: weights.map((w) => w.slice()),
        x: new SharedArrayBuffer(spec.batchSize * sample * bytes),
        y: new SharedArrayBuffer(spec.batchSize * 4),
        grads: new SharedArrayBuffer(flat * bytes),
        mine: new SharedArrayBuffer(flat * bytes),
        stepped: new SharedArrayBuffer(flat * bytes),
        result: new SharedArrayBuffer(2 * 8),
        predicted: new SharedArrayBuffer(data.val.y.length * 4),
        train: share(data.train),
        val: share(data.val),
      }
      const view = (buffer: SharedArrayBuffer) => (bytes === 8 ? new Float64Array(buffer) : new Float32Array(buffer))
      const x = view(message.x)
      const y = new Int32Array(message.y)
      const grads = view(message.grads)
      const result = new Float64Array(message.result)
      const stepped = view(message.stepped)
      channel.port1.postMessage(message)
      issue(ATTACH, message.run)
      settle()
      return {
        x,
        y,
        mine: view(message.mine),
        stepped,
        predicted: new Int32Array(message.predicted),
        compute: (count, total) => issue(COMPUTE, message.run, count, total),
        wait: () => {
          settle()
          return grads
        },
        update: () => issue(UPDATE, message.run),
        updated: () => {
          settle()
          return stepped
        },
        evaluate: (set, start, count) => issue(EVALUATE, message.run, count, 0, set === 'train' ? TRAIN_SET : VAL_SET, start),
        evaluated: () => {
          settle()
          return { lossSum: result[0], correct: result[1] }
        },
      }
    },
    close() {
      if (closed) return
      if (worker) {
        try {
          issue(CLOSE)
        } catch {
          /* a failed helper: terminate below */
        }
        void worker.terminate()
      }
      closed = true
      channel.port1.close()
    },
  }
}
