/**
 * The gradient helper thread (see ./protocol.ts and
 * src/engine/train/data-parallel.ts): holds one replica per attached model,
 * computes gradients of its part of each batch, applies the same SGD step as
 * the trainer. It spends its life blocked in Atomics.wait between commands.
 */
import '../wasm-features'
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { Replica } from '../../engine/train/data-parallel'
import type { FloatArray } from '../../engine/tensor'
import {
  ATTACH, CLOSE, COMMAND, COMPUTE, COUNT, DONE, EVALUATE, FAILED, REQUEST, RUN, SET, START, TOTAL, TRAIN_SET, UPDATE,
  type AttachMessage, type SharedSet,
} from './protocol'

interface Attached {
  replica: Replica
  x: FloatArray
  y: Int32Array
  grads: FloatArray
  mine: FloatArray
  stepped: FloatArray
  result: Float64Array
  predicted: Int32Array
  train: { x: FloatArray; y: Int32Array }
  val: { x: FloatArray; y: Int32Array }
}

const { control: controlBuffer, port } = workerData as { control: SharedArrayBuffer; port: MessagePort }
const control = new Int32Array(controlBuffer)
const runs = new Map<number, Attached>()

function view(buffer: SharedArrayBuffer, precision: string): FloatArray {
  return precision === 'float64' ? new Float64Array(buffer) : new Float32Array(buffer)
}

function attach(message: AttachMessage): void {
  const precision = message.spec.precision
  const set = (shared: SharedSet) => ({ x: view(shared.x, precision), y: new Int32Array(shared.y) })
  runs.set(message.run, {
    replica: new Replica(message.spec, message.weights),
    x: view(message.x, precision),
    y: new Int32Array(message.y),
    grads: view(message.grads, precision),
    mine: view(message.mine, precision),
    stepped: view(message.stepped, precision),
    result: new Float64Array(message.result),
    predicted: new Int32Array(message.predicted),
    train: set(message.train),
    val: set(message.val),
  })
}

let seen = 0
for (;;) {
  Atomics.wait(control, REQUEST, seen)
  seen = Atomics.load(control, REQUEST)
  const command = control[COMMAND]
  if (command === CLOSE) break
  try {
    if (command === ATTACH) {
      const received = receiveMessageOnPort(port)
      if (!received) throw new Error('attach without its message')
      attach(received.message as AttachMessage)
    } else {
      const run = runs.get(control[RUN])
      if (!run) throw new Error(`no replica for model ${control[RUN]}`)
      if (command === COMPUTE) run.replica.compute(run.x, run.y, control[COUNT], control[TOTAL], run.grads)
      else if (command === UPDATE) run.replica.update(run.mine, run.stepped)
      else if (command === EVALUATE) {
        const isTrain = control[SET] === TRAIN_SET
        const set = isTrain ? run.train : run.val
        // Val answers go to shared memory too: the trainer's confusion matrix covers both halves.
        const { lossSum, correct } = run.replica.evaluate(set.x, set.y, control[START], control[COUNT], isTrain ? undefined : run.predicted)
        run.result[0] = lossSum
        run.result[1] = correct
      }
    }
  } catch (error) {
    port.postMessage(error instanceof Error ? error.message : String(error))
    Atomics.store(control, FAILED, 1)
  }
  Atomics.store(control, DONE, seen)
  Atomics.notify(control, DONE)
}
port.close()
