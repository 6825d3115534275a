/**
 * Faults, each repeated 50 times with real worker processes (a bundled build
 * of engine-worker.ts, so the loops pay ~0.2 s per fork, not tsx's ~0.8 s):
 *
 * - kill -9 the worker at a random moment: every run folder readable and
 *   marked failed, every complete metrics line parsed, no torn line parsed,
 *   and the same host serves the next run;
 * - stop in mid-epoch: stopped every time, by the worker itself (its final
 *   weights and its "done" came before the grace period's kill); the stop
 *   latencies are printed, not asserted (this machine is shared and noisy).
 *
 * Five lanes run side by side, each with its own supervisor on one runs
 * folder, to keep the wall time down.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseMetricsLines, RUN_FILES } from '../../src/host/run-folder'
import { RunStore } from '../../src/host/run-store'
import { MetricRow } from '../../src/shared/experiment'
import { bundleEntry, removeBundles, WORKER_SOURCE } from './helpers/bundle'
import { makeLab, percentile, tempDir, tinyExperiment, waitFor, type Lab } from './helpers/lab'

const RUNS = 50
/** Side-by-side lanes: the loops mostly wait (forks, fsyncs, pace timers), so more lanes than cores pay off. */
const LANES = 5

let root: ReturnType<typeof tempDir>
let entry: string
beforeAll(async () => {
  root = tempDir('cnnlab-faults-')
  entry = await bundleEntry(WORKER_SOURCE)
})
afterAll(() => {
  root.remove()
  removeBundles()
})

/** Runs `task(i)` for i = 0..count-1 on `lanes` lanes; lane k gets i ≡ k (mod lanes). */
async function inLanes(count: number, lanes: number, task: (lab: Lab, i: number) => Promise<void>, store: RunStore): Promise<void> {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const lab = makeLab(root.path, { entry, store })
      try {
        for (let i = lane; i < count; i += lanes) await task(lab, i)
      } finally {
        await lab.supervisor.dispose()
      }
    }),
  )
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describe('faults', () => {
  it(`kill -9 the worker at a random moment, ${RUNS} times: folders readable, failed, no torn line parsed, host serving`, async () => {
    const store = new RunStore(root.path)
    await store.ensure()
    let readable = 0
    let markedFailed = 0
    let completeLines = 0
    let parsedLines = 0
    let tornLines = 0
    let killedBeforeReady = 0
    await inLanes(
      RUNS,
      LANES,
      async (lab, i) => {
        // 4 epochs at 8 epochs/s: about 0.5 s of training after ~0.2 s of start-up.
        const run = await lab.supervisor.start(tinyExperiment(4, [0, 2, 4]), { pace: 8 })
        const worker = lab.workers.at(-1)!
        // One kill in five lands anywhere in start-up (forking, loading, building data); the rest mid-training.
        if (i % 5 !== 0) await waitFor(lab, (e) => e.type === 'training' && e.event.type === 'started' && e.runId === run.runId)
        await sleep(Math.random() * (i % 5 === 0 ? 300 : 350))
        if (!lab.events.some((e) => e.type === 'training' && e.event.type === 'started' && e.runId === run.runId)) killedBeforeReady++
        try {
          process.kill(worker.pid!, 'SIGKILL')
        } catch {
          // Already gone: the run finished before the kill (counted below as not failed).
        }
        const end = await run.ended
        const opened = await store.open(run.runId)
        readable++
        if (end.status === 'failed' && opened.run.status === 'failed' && /killed \(SIGKILL\)/.test(opened.run.error ?? '')) markedFailed++
        else throw new Error(`run ${i} ended ${end.status} (${end.error}); the kill came too late`)

        const text = readFileSyncOrEmpty(join(opened.dir, RUN_FILES.metrics))
        const lines = text.split('\n')
        const torn = lines.pop() // after the last newline: empty, or a torn line
        const complete = lines.filter((l) => l.trim() !== '')
        completeLines += complete.length
        for (const line of complete) expect(MetricRow.safeParse(JSON.parse(line)).success).toBe(true)
        if (torn) {
          tornLines++
          expect(parseMetricsLines(text).metrics).toHaveLength(complete.length)
        }
        parsedLines += opened.metrics.length
        expect(opened.metrics).toHaveLength(complete.length)
        expect(opened.skippedMetricLines).toBe(0)
      },
      store,
    )
    // The host is still serving: a new run on a fresh supervisor over the same store completes.
    const lab = makeLab(root.path, { entry, store })
    const run = await lab.supervisor.start(tinyExperiment(2))
    expect((await run.ended).status).toBe('completed')
    await lab.supervisor.dispose()
    const listed = await store.list()
    expect(listed.filter((r) => r.status === 'failed')).toHaveLength(RUNS)

    console.log(
      `[faults] kill -9 x${RUNS}: ${readable}/${RUNS} run folders readable, ${markedFailed}/${RUNS} marked failed ` +
        `(${killedBeforeReady} killed before training started), ${parsedLines}/${completeLines} complete metrics lines parsed, ` +
        `${tornLines} torn lines (none parsed); host served a run after: yes`,
    )
    expect(readable).toBe(RUNS)
    expect(markedFailed).toBe(RUNS)
    expect(parsedLines).toBe(completeLines)
  })

  it(`stop in mid-epoch, ${RUNS} times: stopped every time by the worker itself, latency printed`, async () => {
    const store = new RunStore(root.path)
    const latencies: number[] = []
    let stopped = 0
    let selfStopped = 0
    let midEpoch = 0
    await inLanes(
      RUNS,
      LANES,
      async (lab) => {
        // 30 epochs at 5 epochs/s would take 6 s: every stop lands mid-run.
        const run = await lab.supervisor.start(tinyExperiment(30, [0]), { pace: 5 })
        await waitFor(lab, (e) => e.type === 'training' && e.runId === run.runId && e.event.type === 'batch')
        await sleep(10 + Math.random() * 150)
        const last = [...lab.events].reverse().find((e) => e.type === 'training' && e.runId === run.runId && e.event.type === 'batch')
        if (last?.type === 'training' && last.event.type === 'batch' && last.event.batch < last.event.batches) midEpoch++
        const t0 = performance.now()
        const end = await lab.supervisor.stop()
        latencies.push(performance.now() - t0)
        const opened = await store.open(run.runId)
        if (end?.status === 'stopped' && opened.run.status === 'stopped') stopped++
        // The worker's own "done": it ended the run inside the grace period, before any kill.
        if (lab.events.some((e) => e.type === 'training' && e.runId === run.runId && e.event.type === 'done' && e.event.status === 'stopped')) selfStopped++
        // A stopped run keeps its final weights, like the terminal door's Ctrl-C.
        expect(Object.keys(opened.weights).sort()).toEqual(['cnn', 'mlp'])
        expect(opened.metrics.length).toBeLessThan(2 * 31)
      },
      store,
    )
    const p50 = percentile(latencies, 50)
    const p95 = percentile(latencies, 95)
    const max = Math.max(...latencies)
    console.log(
      `[faults] stop x${RUNS}: ${stopped}/${RUNS} stopped, ${selfStopped}/${RUNS} by the worker itself (${midEpoch} with the last progress tick mid-epoch); ` +
        `stop latency p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    )
    expect(stopped).toBe(RUNS)
    // The only time bound is the grace period (a worker that hangs is killed and sends no "done");
    // how fast inside it is for the printed figures, not an assertion.
    expect(selfStopped).toBe(RUNS)
  })
})

function readFileSyncOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
