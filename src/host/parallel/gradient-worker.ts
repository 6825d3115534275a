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
  ATTACH, CLOSE, COMMAND, COMPUTE, COUNT, DONE, FAILED, REQUEST, RUN, TOTAL, UPDATE, type AttachMessage,
} from './protocol'

interface Attached {
  replica: Replica
  x: FloatArray
  y: Int32Array
  grads: FloatArray
}

const { control: controlBuffer, port } = workerData as { control: SharedArrayBuffer; port: MessagePort }
const control = new Int32Array(controlBuffer)
const runs = new Map<number, Attached>()

function view(buffer: SharedArrayBuffer, precision: string): FloatArray {
  return precision === 'float64' ? new Float64Array(buffer) : new Float32Array(buffer)
}

function attach(message: AttachMessage): void {
  runs.set(message.run, {
    replica: new Replica(message.spec, message.weights),
    x: view(message.x, message.spec.precision),
    y: new Int32Array(message.y),
    grads: view(message.grads, message.spec.precision),
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
      else if (command === UPDATE) run.replica.update(run.grads)
    }
  } catch (error) {
    port.postMessage(error instanceof Error ? error.message : String(error))
    Atomics.store(control, FAILED, 1)
  }
  Atomics.store(control, DONE, seen)
  Atomics.notify(control, DONE)
}
port.close()
