/**
 * The budget at the host: a start over budget is refused before a folder or a
 * process exists; a worker capped to a tiny V8 heap dies of it, and the run is
 * recorded failed as having run out of memory, not "killed (SIGABRT)".
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { EngineSupervisor, SupervisorError } from '../../src/host/engine-supervisor'
import { RunStore } from '../../src/host/run-store'
import { readRunFolder } from '../../src/host/run-folder'
import { forkNodeWorker, memoryFailure, type WorkerHandle } from '../../src/host/worker-handle'
import { GB, workerHeapMb } from '../../src/shared/budget'
import type { Experiment } from '../../src/shared/experiment'
import { tempDir, tinyExperiment } from './helpers/lab'

const greedy = fileURLToPath(new URL('./fixtures/greedy-worker.mjs', import.meta.url))
const root = tempDir('cnnlab-budget-')
afterAll(() => root.remove())

/** patterns-3 with two hidden layers of `width` in its MLP. */
function wideMlp(width: number): Experiment {
  const experiment = tinyExperiment(2)
  experiment.models[1].layers = [
    { type: 'flatten' },
    { type: 'linear', inFeatures: 64, outFeatures: width, bias: true },
    { type: 'relu' },
    { type: 'linear', inFeatures: width, outFeatures: width, bias: true },
    { type: 'relu' },
    { type: 'linear', inFeatures: width, outFeatures: 3, bias: true },
  ]
  return experiment
}

describe('the host enforces the budget', () => {
  it('refuses a start over budget before a folder or a worker exists, naming the field and the limit', async () => {
    const store = new RunStore(`${root.path}/refused`)
    let forks = 0
    const supervisor = new EngineSupervisor({
      store,
      budget: { memoryBytes: 0.5 * GB, snapshotBytes: 1 * GB },
      forkWorker: () => {
        forks++
        return forkNodeWorker()
      },
    })
    // 64 → 20,000 → 20,000 → 3: 400 million parameters, 1.6 GB of weights; the 20,000 × 20,000 layer is the one to shrink.
    const error = await supervisor.start(wideMlp(20_000)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SupervisorError)
    expect((error as Error).message).toMatch(
      /^models\.1\.layers\.3\.outFeatures: this model has 400 million parameters \(1\.61 GB of weights.*the memory budget for a run is 500 MB \(raise it with --memory-budget GB or CNN_LAB_MEMORY_BUDGET\); training\.snapshotEpochs: .* the snapshot budget for a run is 1 GB/,
    )
    expect(forks).toBe(0)
    expect(existsSync(`${root.path}/refused`) ? readdirSync(`${root.path}/refused`) : []).toEqual([])
    await supervisor.dispose()
  })

  it('records a worker that outgrows its heap cap as out of memory, with the budget', async () => {
    const store = new RunStore(`${root.path}/oom`)
    await store.ensure()
    const workers: WorkerHandle[] = []
    const report = `${root.path}/heap-limit.txt`
    const supervisor = new EngineSupervisor({
      store,
      budget: { memoryBytes: 0.2 * GB, snapshotBytes: 1 * GB },
      // A tiny cap so the greedy fixture reaches it in well under a second.
      forkWorker: () => {
        const worker = forkNodeWorker({ entry: greedy, heapMb: 24, env: { HEAP_REPORT: report } })
        workers.push(worker)
        return worker
      },
    })
    const t0 = performance.now()
    const run = await supervisor.start(tinyExperiment(2))
    const end = await run.ended
    const seconds = (performance.now() - t0) / 1000
    const limit = Number(readFileSync(report, 'utf8'))
    console.log(`  heap cap 24 MB: V8 heap limit ${(limit / 1e6).toFixed(0)} MB, died after ${seconds.toFixed(2)} s: "${end.error}"`)
    expect(limit).toBeGreaterThan(0)
    expect(limit).toBeLessThan(100e6) // the cap reached the worker (the default is gigabytes)
    expect(workers[0].stderrTail?.()).toMatch(/heap out of memory|Allocation failed/)
    expect(end.status).toBe('failed')
    expect(end.error).toBe('the engine ran out of memory (budget 200 MB): make the model or the batch smaller')
    const folder = await readRunFolder(run.dir)
    expect(folder.run.status).toBe('failed')
    expect(folder.run.error).toBe(end.error)
    await supervisor.dispose()
  })

  it('reads memory deaths from the signal, the exit code or the last words', () => {
    const words = 'the engine ran out of memory (budget 2 GB): make the model or the batch smaller'
    expect(memoryFailure(null, 'SIGABRT', '', 2e9)).toBe(words)
    expect(memoryFailure(134, null, '', 2e9)).toBe(words) // a utility process reports only the code
    expect(memoryFailure(1, null, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n 1: 0xb0 node::Abort()', 2e9)).toBe(words)
    expect(memoryFailure(null, 'SIGKILL', '', 2e9)).toMatch(/^the engine ran out of memory \(budget 2 GB\).*killed \(SIGKILL\)/)
    expect(memoryFailure(3, null, 'Error: out of cheese', 2e9)).toBeNull()
    expect(memoryFailure(null, 'SIGTERM', '', 2e9)).toBeNull()
  })

  it('caps the worker heap to the budget, never below what a worker needs to start', () => {
    expect(workerHeapMb({ memoryBytes: 2 * GB, snapshotBytes: GB })).toBe(2000)
    expect(workerHeapMb({ memoryBytes: 0.05 * GB, snapshotBytes: GB })).toBe(256)
  })
})
