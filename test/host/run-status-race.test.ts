/**
 * Defect 11: a run that trained to the end was once listed `interrupted`.
 *
 * The runs list decides `interrupted` from two facts: run.json says `running`
 * and no supervisor in this process owns the run. A list that read run.json
 * just before the final write landed (still `running`) and asked about
 * ownership just after the supervisor let go saw both, and mislabelled a
 * completed run. These tests list runs in a tight loop while runs finish and
 * assert no run is ever listed `interrupted`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunStore, type RunSummary } from '../../src/host/run-store'
import type { ModelSummary, TrainingEvent } from '../../src/shared/training-events'
import { bundleEntry, removeBundles, WORKER_SOURCE } from './helpers/bundle'
import { makeLab, tempDir, tinyExperiment } from './helpers/lab'

let root: ReturnType<typeof tempDir>
beforeAll(() => {
  root = tempDir('cnnlab-race-')
})
afterAll(() => {
  root.remove()
  removeBundles()
})

const summary = (id: string): ModelSummary => ({ id, label: id, inputShape: [1, 8, 8], layers: [], parameterCount: 3, epochs: 1 })
const row = (model: string, epoch: number) => ({ model, epoch, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.5, seconds: 0.1 })

/** Lists `store` again and again until `done` resolves; returns every (id, status) it saw that was wrong. */
async function listUntil(store: RunStore, done: Promise<unknown>, wrong: (item: RunSummary) => boolean): Promise<{ lists: number; bad: string[] }> {
  let finished = false
  void done.finally(() => (finished = true))
  let lists = 0
  const bad: string[] = []
  while (!finished) {
    for (const item of await store.list()) if (wrong(item)) bad.push(`${item.id}: ${item.status}`)
    lists++
  }
  return { lists, bad }
}

describe('runs list while runs finish', () => {
  it('never lists a run that a writer is finishing as interrupted (40 short runs, two listers)', async () => {
    const store = new RunStore(`${root.path}/writer`)
    const RUNS = 40
    const runs = (async () => {
      for (let i = 0; i < RUNS; i++) {
        const { id, writer } = await store.createRun(tinyExperiment(1))
        writer.handle({ type: 'started', models: [summary('cnn')], trainCount: 9, valCount: 3, classes: ['a', 'b', 'c'] })
        writer.handle({ type: 'epoch', row: row('cnn', 0) } satisfies TrainingEvent)
        writer.handle({ type: 'done', status: 'completed' } as TrainingEvent)
        // The supervisor's order: the final run.json lands, then ownership is released.
        await writer.finish('completed')
        store.release(id)
      }
    })()
    const listers = await Promise.all([0, 1].map(() => listUntil(store, runs, (item) => item.status === 'interrupted')))
    await runs
    const lists = listers.reduce((n, l) => n + l.lists, 0)
    console.log(`run-status race (writer): ${RUNS} runs finished during ${lists} lists; listed interrupted: ${listers.flatMap((l) => l.bad).length}`)
    expect(listers.flatMap((l) => l.bad)).toEqual([])
    expect((await store.list()).filter((r) => r.status === 'completed')).toHaveLength(RUNS)
  })

  it('never lists a supervised run as interrupted while it finishes (8 real runs through the engine worker)', async () => {
    const entry = await bundleEntry(WORKER_SOURCE)
    const { supervisor, store } = makeLab(`${root.path}/supervised`, { entry })
    const RUNS = 8
    const ends: string[] = []
    const runs = (async () => {
      for (let i = 0; i < RUNS; i++) {
        const run = await supervisor.start(tinyExperiment(1, [0, 1]))
        ends.push((await run.ended).status)
      }
    })()
    const { lists, bad } = await listUntil(store, runs, (item) => item.status === 'interrupted')
    await runs
    await supervisor.dispose()
    console.log(`run-status race (supervisor): ${RUNS} runs finished during ${lists} lists; listed interrupted: ${bad.length}`)
    expect(ends).toEqual(Array(RUNS).fill('completed'))
    expect(bad).toEqual([])
  })
})
