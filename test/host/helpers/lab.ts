/** Small experiments and a supervisor wired to a temp runs folder, for the host tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getPreset } from '../../../src/engine/experiment/presets'
import type { Experiment } from '../../../src/shared/experiment'
import { EngineSupervisor, type SupervisorEvent } from '../../../src/host/engine-supervisor'
import { RunStore } from '../../../src/host/run-store'
import { forkNodeWorker, type WorkerHandle } from '../../../src/host/worker-handle'

/** Lesson 001's patterns-3 preset with fewer epochs: 180 images, 10 batches an epoch per model. */
export function tinyExperiment(epochs = 6, snapshotEpochs = [0, 1, 2]): Experiment {
  const preset = getPreset('patterns-3')!
  return { ...preset, training: { ...preset.training, epochs, snapshotEpochs: snapshotEpochs.filter((e) => e <= epochs) } }
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export interface Lab {
  store: RunStore
  supervisor: EngineSupervisor
  events: SupervisorEvent[]
  /** Every worker this lab forked, newest last. */
  workers: WorkerHandle[]
}

export function makeLab(root: string, options: { entry?: string; stopGraceMs?: number; store?: RunStore } = {}): Lab {
  const store = options.store ?? new RunStore(root)
  const workers: WorkerHandle[] = []
  const supervisor = new EngineSupervisor({
    store,
    stopGraceMs: options.stopGraceMs,
    forkWorker: () => {
      const worker = forkNodeWorker(options.entry ? { entry: options.entry } : {})
      workers.push(worker)
      return worker
    },
  })
  const events: SupervisorEvent[] = []
  supervisor.onEvent((event) => events.push(event))
  return { store, supervisor, events, workers }
}

/** Resolves with the first event that matches (checking those already seen first). */
export function waitFor<T extends SupervisorEvent>(
  lab: Lab,
  match: (event: SupervisorEvent) => event is T,
  timeoutMs?: number,
): Promise<T>
export function waitFor(lab: Lab, match: (event: SupervisorEvent) => boolean, timeoutMs?: number): Promise<SupervisorEvent>
export function waitFor(lab: Lab, match: (event: SupervisorEvent) => boolean, timeoutMs = 20_000): Promise<SupervisorEvent> {
  const seen = lab.events.find(match)
  if (seen) return Promise.resolve(seen)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error('timed out waiting for a supervisor event'))
    }, timeoutMs)
    const off = lab.supervisor.onEvent((event) => {
      if (!match(event)) return
      clearTimeout(timer)
      off()
      resolve(event)
    })
  })
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}
