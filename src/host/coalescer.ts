/**
 * The coalescer: however fast training runs, the renderer gets at most about
 * 30 updates a second. Each update is a batch of events in order; nothing is
 * dropped except progress: a collapsible event (a 'batch' progress tick)
 * replaces the earlier one with the same key still waiting in the batch.
 * Step-loss points merge instead (downsampled, not dropped: the merged point
 * is at the latest position and averages the steps of both), so each model
 * sends at most one point per update, about 30 a second.
 * Epoch rows, snapshots, done and error always get through, in order.
 *
 * The run files do not go through here: the supervisor writes every epoch.
 */
import type { TrainingEvent } from '../shared/training-events'

export interface CoalescerOptions<T> {
  /** Receives each batch; never called with an empty one. */
  emit: (events: T[]) => void
  /** Events with the same non-null key collapse to the latest; null never collapses. */
  collapseKey: (event: T) => string | null
  /** How two events with the same key combine; absent: the newer replaces the older. */
  merge?: (older: T, newer: T) => T
  /** Default 30. */
  maxPerSecond?: number
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export interface Coalescer<T> {
  push(event: T): void
  /** Emits what is waiting now (a run ended, a listener wants the last state). */
  flush(): void
  /** Drops the timer; pending events are emitted first. */
  dispose(): void
}

const HOLE = Symbol('collapsed')

export function createCoalescer<T>(options: CoalescerOptions<T>): Coalescer<T> {
  const interval = 1000 / (options.maxPerSecond ?? 30)
  const now = options.now ?? (() => performance.now())
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  const clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>))
  /** Waiting events; a collapsed event leaves a hole, so the latest keeps its place in time. */
  let pending: (T | typeof HOLE)[] = []
  /** Where each collapse key's event sits in `pending`. */
  let slots = new Map<string, number>()
  let lastEmit = -Infinity
  let timer: unknown
  let disposed = false

  function flush(): void {
    if (timer !== undefined) {
      clearTimer(timer)
      timer = undefined
    }
    if (pending.length === 0) return
    const batch = pending.filter((event): event is T => event !== HOLE)
    pending = []
    slots = new Map()
    lastEmit = now()
    options.emit(batch)
  }

  function push(event: T): void {
    if (disposed) return
    const key = options.collapseKey(event)
    const slot = key === null ? undefined : slots.get(key)
    let next = event
    if (slot !== undefined) {
      const older = pending[slot]
      if (options.merge && older !== HOLE) next = options.merge(older, event)
      pending[slot] = HOLE
    }
    if (key !== null) slots.set(key, pending.length)
    pending.push(next)
    const wait = lastEmit + interval - now()
    if (wait <= 0) flush()
    else if (timer === undefined) timer = setTimer(flush, wait)
  }

  return {
    push,
    flush,
    dispose() {
      flush()
      disposed = true
    },
  }
}

/** Training progress collapses per model, step-loss points merge per model; everything else is kept. */
function trainingCollapseKey(event: TrainingEvent): string | null {
  if (event.type === 'batch') return `batch:${event.model}`
  if (event.type === 'step-loss') return `step:${event.model}`
  return null
}

/** Two step-loss points of one model as one: at the later position, the mean over all their steps. */
function mergeTraining(older: TrainingEvent, newer: TrainingEvent): TrainingEvent {
  if (older.type !== 'step-loss' || newer.type !== 'step-loss') return newer
  const steps = older.steps + newer.steps
  return { ...newer, steps, loss: steps > 0 ? (older.loss * older.steps + newer.loss * newer.steps) / steps : newer.loss }
}

/** A coalescer for one run's training events. */
export function createTrainingCoalescer(
  emit: (events: TrainingEvent[]) => void,
  options: Omit<CoalescerOptions<TrainingEvent>, 'emit' | 'collapseKey' | 'merge'> = {},
): Coalescer<TrainingEvent> {
  return createCoalescer({ ...options, emit, collapseKey: trainingCollapseKey, merge: mergeTraining })
}
