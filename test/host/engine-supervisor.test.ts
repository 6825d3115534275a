/**
 * The engine supervisor with real forked workers: a whole run, the start
 * guard, pause, step, resume, pace, stop, crashes, a hung worker, invalid
 * messages, and the worker ending with its run. The first run and the kill go through tsx, as the browser
 * and terminal doors launch the worker; the rest use a bundle of the same
 * entry, which starts four times faster.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EngineSupervisor, SupervisorError, type SupervisorEvent } from '../../src/host/engine-supervisor'
import { RunStore } from '../../src/host/run-store'
import { readRunFolder } from '../../src/host/run-folder'
import { forkNodeWorker, type WorkerHandle } from '../../src/host/worker-handle'
import type { TrainingEvent } from '../../src/shared/training-events'
import { bundleEntry, removeBundles, WORKER_SOURCE } from './helpers/bundle'
import { makeLab, tempDir, tinyExperiment, waitFor, type Lab } from './helpers/lab'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

let root: ReturnType<typeof tempDir>
let bundled: string
const labs: Lab[] = []
beforeAll(async () => {
  root = tempDir('cnnlab-supervisor-')
  bundled = await bundleEntry(WORKER_SOURCE)
})
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.supervisor.dispose()
})
afterAll(() => {
  root.remove()
  removeBundles()
})

/** A supervisor on the bundled worker, unless told otherwise (`tsx: true`, or a fixture entry). */
function lab(options: Parameters<typeof makeLab>[1] & { tsx?: boolean } = {}): Lab {
  const { tsx, ...rest } = options
  const made = makeLab(root.path, { ...rest, entry: rest.entry ?? (tsx ? undefined : bundled) })
  labs.push(made)
  return made
}

const training = (events: SupervisorEvent[], type: TrainingEvent['type']) =>
  events.filter((e): e is Extract<SupervisorEvent, { type: 'training' }> => e.type === 'training' && e.event.type === type)

describe('EngineSupervisor with a real worker', () => {
  it('runs an experiment to the end and writes the run folder the terminal door writes (worker through tsx)', async () => {
    const { supervisor, events, store } = lab({ tsx: true })
    const run = await supervisor.start(tinyExperiment(4), { preset: 'patterns-3' })
    expect(run.runId).toMatch(/-patterns-3-[0-9a-f]{4}$/)
    const end = await run.ended
    expect(end).toEqual({ runId: run.runId, status: 'completed' })

    const folder = await readRunFolder(run.dir)
    expect(folder.run.status).toBe('completed')
    expect(folder.run.preset).toBe('patterns-3')
    expect(folder.run.models.map((m) => m.id)).toEqual(['cnn', 'mlp'])
    expect(folder.metrics).toHaveLength(2 * 5) // epochs 0..4, two models
    expect(folder.skippedMetricLines).toBe(0)
    expect(folder.snapshots.map((s) => `${s.model}@${s.epoch}`)).toEqual(['cnn@0', 'cnn@1', 'cnn@2', 'mlp@0', 'mlp@1', 'mlp@2'])
    expect(Object.keys(folder.weights).sort()).toEqual(['cnn', 'mlp'])

    expect(training(events, 'started')).toHaveLength(1)
    expect(training(events, 'epoch')).toHaveLength(10)
    expect(training(events, 'done')).toHaveLength(1)
    expect(events.at(-1)).toEqual({ type: 'run-ended', runId: run.runId, status: 'completed' })
    expect((await store.list()).find((r) => r.id === run.runId)?.status).toBe('completed')
    expect(supervisor.current).toBeUndefined()
  })

  it('refuses a second start while a run is live, and starts again once it ended', async () => {
    const { supervisor } = lab()
    const first = await supervisor.start(tinyExperiment(20), { pace: 10 })
    await expect(supervisor.start(tinyExperiment(2))).rejects.toThrow(/already in progress.*stop it/)
    // Even two starts in the same tick: one wins.
    await supervisor.stop()
    expect((await first.ended).status).toBe('stopped')
    const both = await Promise.allSettled([supervisor.start(tinyExperiment(1)), supervisor.start(tinyExperiment(1))])
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const second = (both.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ ended: Promise<unknown> }>).value
    await second.ended
  })

  it('rejects an invalid experiment or one whose layers do not chain, naming the field, before making a folder', async () => {
    const { supervisor, store } = lab()
    const before = readdirSync(root.path).length
    const bad = tinyExperiment(2)
    await expect(supervisor.start({ ...bad, training: { ...bad.training, learningRate: -1 } })).rejects.toThrow(/training\.learningRate/)
    const wrongShape = structuredClone(bad)
    wrongShape.models[0].layers[4] = { type: 'linear', inFeatures: 27, outFeatures: 5, bias: true }
    await expect(supervisor.start(wrongShape)).rejects.toThrow(/models\.0\.layers/)
    expect(readdirSync(root.path).length).toBe(before)
    expect(supervisor.current).toBeUndefined()
    void store
  })

  it('pauses, steps one batch at a time, resumes, and changes pace', async () => {
    const { supervisor, events } = lab()
    const run = await supervisor.start(tinyExperiment(8), { pace: 4, paused: true })
    await waitFor(lab0(), (e) => e.type === 'state' && e.state === 'paused')
    await sleep(300)
    // Paused from the start: nothing trained.
    expect(training(events, 'batch')).toHaveLength(0)
    expect(() => supervisor.resume()).not.toThrow()
    await waitFor(lab0(), (e) => e.type === 'state' && e.state === 'running')
    await waitFor(lab0(), (e) => e.type === 'training' && e.event.type === 'batch')
    supervisor.pause()
    await waitFor(lab0(), (e) => e.type === 'state' && e.state === 'paused' && events.some((x) => x.type === 'state' && x.state === 'running'))
    await sleep(50)
    const batchesAtPause = training(events, 'batch').length
    await sleep(250)
    expect(training(events, 'batch').length).toBe(batchesAtPause)
    expect(() => supervisor.step()).not.toThrow()
    await until(() => training(events, 'batch').length === batchesAtPause + 1)
    await sleep(100)
    expect(training(events, 'batch').length).toBe(batchesAtPause + 1)
    supervisor.resume()
    await until(() => supervisor.current?.state === 'running')
    expect(() => supervisor.step()).toThrow(SupervisorError)
    // 8 epochs at 4 epochs/s would take 2 s; full speed finishes in a blink.
    supervisor.setPace(null)
    const end = await run.ended
    expect(end.status).toBe('completed')

    function lab0(): Lab {
      return labs.find((l) => l.supervisor === supervisor)!
    }
  })

  it('paces a run to a watchable speed', async () => {
    const { supervisor, events } = lab()
    const run = await supervisor.start(tinyExperiment(3), { pace: 6 })
    await waitFor(labs.at(-1)!, (e) => e.type === 'training' && e.event.type === 'started')
    const t0 = performance.now()
    await run.ended
    const seconds = (performance.now() - t0) / 1000
    console.log(`  3 epochs at 6 epochs/s: ${seconds.toFixed(2)} s`)
    // 3 epochs at 6 epochs/s: half a second (the first unit evaluates epoch 0 unpaced). A floor only:
    // load can make the run slower, never faster, so this cannot flake; a ceiling would be timing the machine.
    expect(seconds).toBeGreaterThan(0.4)
    expect(training(events, 'epoch')).toHaveLength(8)
  })

  it('marks a killed worker failed with the reason, keeps the files, and does not restart (worker through tsx)', async () => {
    const l = lab({ tsx: true })
    const run = await l.supervisor.start(tinyExperiment(30), { pace: 10 })
    await waitFor(l, (e) => e.type === 'training' && e.event.type === 'epoch' && e.event.row.epoch === 1)
    const forks = l.workers.length
    process.kill(l.workers.at(-1)!.pid!, 'SIGKILL')
    const end = await run.ended
    expect(end.status).toBe('failed')
    // An unasked SIGKILL is how the system's out-of-memory killer ends a process: said so, with the budget.
    const reason = 'the engine ran out of memory (budget 2 GB): make the model or the batch smaller; the process was killed (SIGKILL), which is how the system ends a process that runs out of memory'
    expect(end.error).toBe(reason)
    const folder = await readRunFolder(run.dir)
    expect(folder.run.status).toBe('failed')
    expect(folder.run.error).toBe(reason)
    // Epoch 0 of both models and epoch 1 of the first were on disk before the kill.
    expect(folder.metrics.length).toBeGreaterThanOrEqual(3)
    await sleep(300)
    expect(l.workers.length).toBe(forks) // no silent restart
    expect(l.supervisor.current).toBeUndefined()
  })

  it('reports a worker that exits with a code, with its last words', async () => {
    const l = lab({ entry: fixture('crashing-worker.mjs') })
    const run = await l.supervisor.start(tinyExperiment(2))
    const end = await run.ended
    expect(end).toMatchObject({ status: 'failed', error: 'the engine process exited with code 3: Error: out of cheese' })
    expect(JSON.parse(readFileSync(`${run.dir}/run.json`, 'utf8')).status).toBe('failed')
  })

  it('kills a worker that ignores stop once the grace period is over', async () => {
    // A grace longer than the 2 s default, so a floor alone shows the configured one was used
    // (load only lengthens the wait, so a floor cannot flake); stop() resolving at all shows the kill.
    const l = lab({ entry: fixture('deaf-worker.mjs'), stopGraceMs: 2500 })
    const run = await l.supervisor.start(tinyExperiment(2))
    await waitFor(l, (e) => e.type === 'state' && e.state === 'running')
    const t0 = performance.now()
    const end = await l.supervisor.stop()
    const waited = performance.now() - t0
    console.log(`  deaf worker, grace 2500 ms: stopped after ${waited.toFixed(0)} ms`)
    expect(end?.status).toBe('stopped')
    expect(waited).toBeGreaterThanOrEqual(2490)
    expect(JSON.parse(readFileSync(`${run.dir}/run.json`, 'utf8')).status).toBe('stopped')
  })

  it('reports invalid messages in both directions as warnings and keeps running', async () => {
    const store = new RunStore(root.path)
    const workers: WorkerHandle[] = []
    const supervisor = new EngineSupervisor({
      store,
      forkWorker: () => {
        const real = forkNodeWorker({ entry: bundled })
        workers.push(real)
        return {
          ...real,
          get pid() {
            return real.pid
          },
          postMessage: (m) => real.postMessage(m),
          kill: (s) => real.kill(s),
          onExit: (l) => real.onExit(l),
          lastError: () => real.lastError?.(),
          onMessage(listener) {
            real.onMessage(listener)
            // A confused worker: garbage, a bad event, a tensor whose data does not fit its shape.
            setTimeout(() => {
              listener({ type: 'nonsense' })
              listener('not even an object')
              listener({ type: 'event', event: { type: 'epoch', row: { model: 'cnn' } } })
              listener({ type: 'weights', model: 'cnn', weights: { '0.weight': { shape: [2, 2], data: new Float32Array(3) } } })
            }, 50)
          },
        }
      },
    })
    const events: SupervisorEvent[] = []
    supervisor.onEvent((e) => events.push(e))
    labs.push({ store, supervisor, events, workers })
    const run = await supervisor.start(tinyExperiment(3), { pace: 20 })
    await until(() => workers.length === 1 && events.some((e) => e.type === 'state' && e.state === 'running'))
    // And the host sends the worker garbage: it answers with an error, not a crash.
    workers[0].postMessage({ type: 'bogus' } as never)
    workers[0].postMessage({ type: 'pace', epochsPerSecond: -5 } as never)
    expect((await run.ended).status).toBe('completed')
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)
    expect(warnings.some((w) => /invalid "nonsense" message/.test(w))).toBe(true)
    expect(warnings.some((w) => /invalid message/.test(w))).toBe(true)
    expect(warnings.some((w) => /invalid "event" message: event/.test(w))).toBe(true)
    expect(warnings.some((w) => /invalid "weights" message: weights\.0\.weight\.data/.test(w))).toBe(true)
    expect(warnings.some((w) => /engine process: invalid "bogus" message/.test(w))).toBe(true)
    expect(warnings.some((w) => /engine process: invalid "pace" message: epochsPerSecond/.test(w))).toBe(true)
    expect((await readRunFolder(run.dir)).metrics).toHaveLength(8)
  })

  it('ends the worker when its run ends, completed or stopped', async () => {
    const l = lab()
    const completed = await l.supervisor.start(tinyExperiment(2))
    const completedExit = exitOf(l.workers.at(-1)!)
    expect((await completed.ended).status).toBe('completed')
    // Asked to go once run.json is final; no idle worker stays behind for the next run.
    expect(await completedExit).toEqual({ code: null, signal: 'SIGTERM' })

    const stopped = await l.supervisor.start(tinyExperiment(50), { pace: 5 })
    const stoppedExit = exitOf(l.workers.at(-1)!)
    await waitFor(l, (e) => e.type === 'state' && e.runId === stopped.runId && e.state === 'running')
    await l.supervisor.stop()
    expect((await stopped.ended).status).toBe('stopped')
    expect((await stoppedExit).signal).toBe('SIGTERM')
    expect(l.workers).toHaveLength(2)
  })

  it('kills the worker of a run that failed while the worker lives on', async () => {
    const store = new RunStore(root.path)
    const workers: WorkerHandle[] = []
    const supervisor = new EngineSupervisor({
      store,
      forkWorker: () => {
        const real = forkNodeWorker({ entry: bundled })
        workers.push(real)
        return {
          ...real,
          get pid() {
            return real.pid
          },
          onMessage(listener) {
            real.onMessage((message) => {
              listener(message)
              // The trainer reports an error (a diverged loss, say) after its first epoch; the process itself is fine.
              const m = message as { type?: string; event?: { type?: string } }
              if (m.type === 'event' && m.event?.type === 'epoch') listener({ type: 'event', event: { type: 'error', message: 'the loss diverged' } })
            })
          },
        }
      },
    })
    labs.push({ store, supervisor, events: [], workers })
    const run = await supervisor.start(tinyExperiment(20), { pace: 10 })
    const exit = exitOf(workers[0])
    expect(await run.ended).toMatchObject({ status: 'failed', error: 'the loss diverged' })
    expect((await exit).signal).toBe('SIGKILL')
  })

  it('stops its run when disposed (a closed window), and refuses to start after', async () => {
    const l = lab()
    const run = await l.supervisor.start(tinyExperiment(50), { pace: 5 })
    await waitFor(l, (e) => e.type === 'state' && e.state === 'running')
    await l.supervisor.dispose()
    expect((await run.ended).status).toBe('stopped')
    await expect(l.supervisor.start(tinyExperiment(1))).rejects.toThrow(/shut down/)
    await sleep(200)
    for (const w of l.workers) expect(() => process.kill(w.pid!, 0)).toThrow()
    expect(existsSync(run.dir)).toBe(true)
  })
})

/** Resolves when the worker process is gone (register before its run can end). */
function exitOf(worker: WorkerHandle): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => worker.onExit((code, signal) => resolve({ code, signal })))
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}
