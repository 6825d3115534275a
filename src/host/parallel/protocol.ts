/**
 * The shared-memory handshake between the trainer's thread and its gradient
 * helper (./gradient-helper.ts, ./gradient-worker.ts). Both sides block in
 * Atomics.wait instead of passing messages: the trainer's `step()` is
 * synchronous, and a message round trip through the event loop would cost
 * more than a small batch.
 *
 * One Int32Array `control` on a SharedArrayBuffer:
 *   REQUEST  the trainer bumps it to issue a command (fields below first)
 *   DONE     the helper sets it to REQUEST's value when the command is done
 *   COMMAND, RUN, COUNT, TOTAL, SET, START   the command and its arguments
 *   FAILED   1 when the helper threw; its message follows on the port
 * A command's bulk data (samples, gradients, evaluation results) lives in
 * per-model shared buffers handed over once, with ATTACH, through a
 * MessagePort that the helper reads synchronously (receiveMessageOnPort);
 * so do the training and validation sets, which EVALUATE reads ranges of.
 */
import type { ReplicaSpec } from '../../engine/train/data-parallel'
import type { FloatArray } from '../../engine/tensor'

export const REQUEST = 0
export const DONE = 1
export const COMMAND = 2
export const RUN = 3
export const COUNT = 4
export const TOTAL = 5
export const FAILED = 6
export const SET = 7
export const START = 8
export const CONTROL_LENGTH = 10

export const ATTACH = 1
export const COMPUTE = 2
export const UPDATE = 3
export const CLOSE = 4
export const EVALUATE = 5

/** EVALUATE's SET argument. */
export const TRAIN_SET = 0
export const VAL_SET = 1

/** A data set in shared memory: samples of the spec's precision and Int32 labels. */
export interface SharedSet {
  x: SharedArrayBuffer
  y: SharedArrayBuffer
}

/** The ATTACH message: one model's replica and its shared buffers. */
export interface AttachMessage {
  run: number
  spec: ReplicaSpec
  weights: FloatArray[]
  /** Samples [batchSize × sample] of the spec's precision. */
  x: SharedArrayBuffer
  /** Labels [batchSize] as Int32. */
  y: SharedArrayBuffer
  /** The helper's flat gradients, of the spec's precision: the trainer's part [0, splitPoint) only. */
  grads: SharedArrayBuffer
  /** The trainer's flat gradients, which the helper adds to its own in UPDATE. */
  mine: SharedArrayBuffer
  /** The weights after each step: the trainer writes its part, the helper the rest (data-parallel.ts, step 4). */
  stepped: SharedArrayBuffer
  /** EVALUATE's answer: Float64 [sum of losses, number right]. */
  result: SharedArrayBuffer
  /** Int32 [val count]: the predicted class of each val sample the helper evaluated, at its index. */
  predicted: SharedArrayBuffer
  train: SharedSet
  val: SharedSet
}
