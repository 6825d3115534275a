/**
 * The run store: ids, the runs list with every status (interrupted included),
 * opening a run with its tensors, deleting, cleaning leftover temp files, path
 * guards, and a runs folder that is missing or cannot be written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RunStore, RunStoreError, slug } from '../../src/host/run-store'
import { RUN_FILES } from '../../src/host/run-folder'
import { RUN_ID_PATTERN, UnsafePathError } from '../../src/host/safe-path'
import { EngineSupervisor, SupervisorError } from '../../src/host/engine-supervisor'
import type { ModelSummary, NamedWeights, TrainingEvent } from '../../src/shared/training-events'
import { tempDir, tinyExperiment } from './helpers/lab'

let dir: ReturnType<typeof tempDir>
let store: RunStore
beforeEach(() => {
  dir = tempDir('cnnlab-store-')
  store = new RunStore(join(dir.path, 'runs'))
})
afterEach(() => dir.remove())

const summary = (id: string): ModelSummary => ({ id, label: id, inputShape: [1, 8, 8], layers: [], parameterCount: 3, epochs: 1 })
const weights = (v: number): NamedWeights => ({ '0.weight': { shape: [1, 3], data: new Float32Array([v, v + 1, v + 2]) } })
const row = (model: string, epoch: number) => ({ model, epoch, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.25 + epoch / 4, seconds: 0.1 })

/** A run that went as far as `until`, then ended (or not) with `status`. */
async function makeRun(status: 'completed' | 'stopped' | 'failed' | 'open', s = store): Promise<string> {
  const { id, writer } = await s.createRun(tinyExperiment(1), { preset: 'patterns-3' })
  const events: TrainingEvent[] = [
    { type: 'started', models: [summary('cnn'), summary('mlp')], trainCount: 180, valCount: 90, classes: ['a', 'b', 'c'] },
    { type: 'epoch', row: row('cnn', 0) },
    { type: 'snapshot', model: 'cnn', epoch: 0, weights: weights(0) },
    { type: 'epoch', row: row('mlp', 0) },
    { type: 'epoch', row: row('cnn', 1) },
    { type: 'epoch', row: row('mlp', 1) },
  ]
  for (const e of events) writer.handle(e)
  if (status === 'open') {
    await writer.idle()
    return id
  }
  await writer.writeFinalWeights('cnn', weights(10))
  await writer.finish(status, status === 'failed' ? 'the engine process was killed (SIGKILL)' : undefined)
  s.release(id)
  return id
}

describe('RunStore', () => {
  it('makes ids like 2026-11-21T20-15-03-patterns-3-ab12', () => {
    const fixed = new RunStore(dir.path, { now: () => new Date('2026-11-21T20:15:03.456Z'), random: () => 'ab12' })
    expect(fixed.newRunId('patterns-3')).toBe('2026-11-21T20-15-03-patterns-3-ab12')
    expect(fixed.newRunId('Edge detector: 65 weights vs 10!')).toBe('2026-11-21T20-15-03-edge-detector-65-weights-vs-10-ab12')
    expect(store.newRunId('x')).toMatch(RUN_ID_PATTERN)
    expect(slug('../../etc/passwd')).toBe('etc-passwd')
    expect(slug('日本語')).toBe('run')
    expect(slug('a'.repeat(100))).toHaveLength(32)
  })

  it('lists runs newest first with their status, final metrics and errors', async () => {
    // Ids carry the second they were made: a clock that ticks a second per run.
    let tick = 0
    const clocked = new RunStore(store.root, { now: () => new Date(Date.UTC(2026, 10, 21, 20, 15, tick++)) })
    const ids = []
    for (const status of ['completed', 'stopped', 'failed'] as const) ids.push(await makeRun(status, clocked))
    const live = await makeRun('open', clocked)
    const list = await clocked.list()
    expect(list.map((r) => r.id)).toEqual([live, ...ids.reverse()])
    expect(list.map((r) => r.status)).toEqual(['running', 'failed', 'stopped', 'completed'])
    expect(list[1].error).toBe('the engine process was killed (SIGKILL)')
    expect(list[3]).toMatchObject({ name: tinyExperiment(1).name, preset: 'patterns-3', final: { cnn: row('cnn', 1), mlp: row('mlp', 1) } })
    expect(list[3].startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  })

  it('lists a run whose process vanished as interrupted, and broken folders with the reason', async () => {
    const orphan = await makeRun('open')
    // The app restarts: a new store, no live supervisor owns the run.
    const restarted = new RunStore(store.root)
    const noRunJson = `2026-01-01T00-00-00-broken-0001`
    mkdirSync(join(store.root, noRunJson))
    const badRunJson = `2026-01-01T00-00-00-broken-0002`
    mkdirSync(join(store.root, badRunJson))
    writeFileSync(join(store.root, badRunJson, 'run.json'), '{"format": "cnn-lab.run", "status": "runn')
    mkdirSync(join(store.root, 'not-a-run'))
    writeFileSync(join(store.root, 'stray.txt'), 'x')
    const list = await restarted.list()
    expect(list.find((r) => r.id === orphan)?.status).toBe('interrupted')
    expect(list.find((r) => r.id === noRunJson)).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/no run\.json/) })
    expect(list.find((r) => r.id === badRunJson)).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/unreadable/) })
    expect(list.some((r) => r.id === 'not-a-run')).toBe(false)
    expect((await restarted.open(orphan)).status).toBe('interrupted')
  })

  it('opens a run with metrics, decoded snapshots and weights, skipping a torn last line', async () => {
    const id = await makeRun('completed')
    const metricsPath = join(store.root, id, RUN_FILES.metrics)
    writeFileSync(metricsPath, readFileSync(metricsPath, 'utf8') + '{"model":"cnn","epo')
    const run = await store.open(id)
    expect(run.status).toBe('completed')
    expect(run.metrics).toEqual([row('cnn', 0), row('mlp', 0), row('cnn', 1), row('mlp', 1)])
    expect(run.skippedMetricLines).toBe(1)
    expect(run.snapshots).toEqual([{ model: 'cnn', epoch: 0, weights: { '0.weight': { shape: [1, 3], data: new Float32Array([0, 1, 2]) } } }])
    expect(run.weights.cnn['0.weight'].data).toEqual(new Float32Array([10, 11, 12]))
    expect(run.experiment.name).toBe(tinyExperiment(1).name)
    await expect(store.open('2026-01-01T00-00-00-gone-0000')).rejects.toThrow(/there is no run/)
  })

  it('deletes a run, but not a live one, and nothing outside the runs folder', async () => {
    const done = await makeRun('completed')
    const live = await makeRun('open')
    await store.delete(done)
    expect(existsSync(join(store.root, done))).toBe(false)
    await expect(store.delete(live)).rejects.toThrow(/still running; stop it first/)
    await expect(store.delete(done)).rejects.toThrow(/there is no run/)
    // Hostile ids: traversal, absolute paths, NUL, non-strings. The sentinel outside must survive.
    const sentinel = join(dir.path, 'sentinel')
    mkdirSync(sentinel)
    for (const bad of ['..', '../sentinel', `../${'sentinel'}`, '/', dir.path, sentinel, 'x\0y', `${live}/..`, `${live}/../..`, 42, null, { id: live }]) {
      await expect(store.delete(bad)).rejects.toThrow(UnsafePathError)
      await expect(store.open(bad)).rejects.toThrow(UnsafePathError)
    }
    expect(existsSync(sentinel)).toBe(true)
    expect(existsSync(join(store.root, live))).toBe(true)
  })

  it('removes leftover temp files at start, but not those of a live run nor anything else', async () => {
    const done = await makeRun('completed')
    const live = await makeRun('open')
    const leftovers = [
      join(store.root, done, 'run.json.3735928559'),
      join(store.root, done, 'metrics.jsonl.12'),
      join(store.root, done, 'snapshots', 'cnn', 'epoch-0001.safetensors.4294967295'),
    ]
    for (const f of leftovers) writeFileSync(f, 'half')
    const keep = [join(store.root, live, 'run.json.99'), join(store.root, done, 'notes.txt.123'), join(store.root, done, 'weights.json.backup')]
    for (const f of keep) writeFileSync(f, 'keep')
    expect(await store.cleanTemp()).toBe(3)
    for (const f of leftovers) expect(existsSync(f)).toBe(false)
    for (const f of keep) expect(existsSync(f)).toBe(true)
    expect((await store.open(done)).metrics).toHaveLength(4)
  })

  it('a missing runs folder is created; an impossible one gives a clear message and nothing crashes', async () => {
    await store.ensure()
    expect(existsSync(store.root)).toBe(true)
    const file = join(dir.path, 'a-file')
    writeFileSync(file, 'x')
    const underFile = new RunStore(join(file, 'runs'))
    await expect(underFile.ensure()).rejects.toThrow(RunStoreError)
    await expect(underFile.ensure()).rejects.toThrow(/cannot create the runs folder .*a-file\/runs: a part of the path is a file, not a folder/)
    await expect(underFile.list()).rejects.toThrow(/cannot list the runs folder .*a part of the path is a file/)
    const isFile = new RunStore(file)
    await expect(isFile.ensure()).rejects.toThrow(/cannot (create|use) .*a-file/)
    await expect(isFile.list()).rejects.toThrow(/cannot list the runs folder/)
    // The supervisor refuses the start with that message, forks nothing, and still works afterwards.
    let forks = 0
    const supervisor = new EngineSupervisor({ store: underFile, forkWorker: () => (forks++, null as never) })
    await expect(supervisor.start(tinyExperiment(1))).rejects.toThrow(/cannot create the runs folder/)
    expect(forks).toBe(0)
    expect(supervisor.current).toBeUndefined()
    await expect(supervisor.start(tinyExperiment(1))).rejects.toThrow(/cannot create the runs folder/)
    await expect(supervisor.stop()).resolves.toBeUndefined()
    expect(() => supervisor.pause()).toThrow(SupervisorError)
  })

  it('a read-only runs folder is refused with a message (skipped when running as root, who can write anyway)', async (context) => {
    if (process.getuid?.() === 0) {
      console.log('[store] read-only folder check skipped: running as root, permissions do not apply')
      context.skip()
    }
    const { chmodSync } = await import('node:fs')
    mkdirSync(store.root, { recursive: true })
    chmodSync(store.root, 0o500)
    try {
      await expect(store.ensure()).rejects.toThrow(/cannot write to the runs folder .*: permission denied/)
    } finally {
      chmodSync(store.root, 0o700)
    }
  })

  it('never writes outside the runs folder whatever name the experiment has', async () => {
    const experiment = { ...tinyExperiment(1), name: '../../../../tmp/evil/\0name' }
    const { id, writer } = await store.createRun(experiment)
    await writer.finish('stopped')
    expect(id).toMatch(RUN_ID_PATTERN)
    expect(readdirSync(store.root)).toEqual([id])
    expect(readdirSync(dir.path)).toEqual(['runs'])
  })
})
