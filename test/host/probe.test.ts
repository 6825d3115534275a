/**
 * The shift-robustness probe in a short-lived worker of its own, with a real
 * forked worker: models rebuilt from weights a run wrote, progress for every
 * shift, the worker ended afterwards, and a live run left undisturbed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ProbeRunner, type ProbeProgress } from '../../src/host/probe-runner'
import { forkNodeWorker, type WorkerHandle } from '../../src/host/worker-handle'
import { bundleEntry, removeBundles, WORKER_SOURCE } from './helpers/bundle'
import { makeLab, tempDir, tinyExperiment, type Lab } from './helpers/lab'

let root: ReturnType<typeof tempDir>
let bundled: string
const labs: Lab[] = []
beforeAll(async () => {
  root = tempDir('cnnlab-probe-')
  bundled = await bundleEntry(WORKER_SOURCE)
})
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.supervisor.dispose()
})
afterAll(() => {
  root.remove()
  removeBundles()
})

function probes(): { runner: ProbeRunner; progress: ProbeProgress[]; workers: WorkerHandle[]; exits: Promise<void>[] } {
  const progress: ProbeProgress[] = []
  const workers: WorkerHandle[] = []
  const exits: Promise<void>[] = []
  const runner = new ProbeRunner(
    () => {
      const worker = forkNodeWorker({ entry: bundled })
      exits.push(new Promise((resolve) => worker.onExit(() => resolve())))
      workers.push(worker)
      return worker
    },
    (p) => progress.push(p),
  )
  return { runner, progress, workers, exits }
}

describe('ProbeRunner', () => {
  it("maps a finished run's val accuracy at every shift, with progress, and ends its worker", async () => {
    const lab = makeLab(root.path, { entry: bundled })
    labs.push(lab)
    const run = await lab.supervisor.start(tinyExperiment(30))
    expect((await run.ended).status).toBe('completed')
    const opened = await lab.store.open(run.runId)

    const { runner, progress, exits } = probes()
    const maps = await runner.robustnessMap({ probeId: 'p1', experiment: opened.experiment, weights: opened.weights, range: 2 })
    expect(Object.keys(maps).sort()).toEqual(['cnn', 'mlp'])
    for (const m of Object.values(maps)) {
      expect(m.accuracy).toHaveLength(25)
      expect(m.mean).toBeCloseTo(m.accuracy.reduce((a, b) => a + b, 0) / 25, 12)
    }
    // The centre (no shift) is the run's own final val accuracy.
    expect(maps.cnn.accuracy[12]).toBeCloseTo(opened.run.final.cnn.valAccuracy!, 6)
    expect(maps.mlp.accuracy[12]).toBeCloseTo(opened.run.final.mlp.valAccuracy!, 6)
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    expect(progress.every((p) => p.total === 50 && p.probeId === 'p1')).toBe(true)
    await Promise.all(exits) // the probe's worker is gone
  })

  it('runs beside a live run without disturbing it, and reports bad weights as a failure', async () => {
    const lab = makeLab(root.path, { entry: bundled })
    labs.push(lab)
    const done = await lab.supervisor.start(tinyExperiment(10))
    const first = await done.ended
    const opened = await lab.store.open(first.runId)
    const live = await lab.supervisor.start(tinyExperiment(200), { pace: 50 })
    const { runner } = probes()
    const maps = await runner.robustnessMap({ probeId: 'p2', experiment: opened.experiment, weights: { cnn: opened.weights.cnn }, range: 1 })
    expect(Object.keys(maps)).toEqual(['cnn'])
    expect(lab.supervisor.current?.runId).toBe(live.runId)
    expect(lab.supervisor.current?.state).toBe('running')

    const wrong = { cnn: { ...opened.weights.cnn, '0.weight': { shape: [1], data: new Float32Array(1) } } }
    await expect(runner.robustnessMap({ probeId: 'p3', experiment: opened.experiment, weights: wrong, range: 1 })).rejects.toThrow(/do not match/)
    await lab.supervisor.stop()
  })

  it('cancels a probe by killing its worker', async () => {
    const lab = makeLab(root.path, { entry: bundled })
    labs.push(lab)
    const run = await lab.supervisor.start(tinyExperiment(2))
    await run.ended
    const opened = await lab.store.open(run.runId)
    const { runner, progress } = probes()
    const pending = runner.robustnessMap({ probeId: 'p4', experiment: opened.experiment, weights: opened.weights, range: 8 })
    await new Promise<void>((resolve) => {
      const t = setInterval(() => progress.length > 0 && (clearInterval(t), resolve()), 5)
    })
    runner.cancel('p4')
    await expect(pending).rejects.toThrow(/cancelled/)
  })
})
