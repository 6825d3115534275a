/**
 * Capacity sweeps: the experiments each setting trains (parameter counts
 * checked against lesson 001's formulas), a real two-setting sweep through
 * the supervisor with a forked worker, stopped and not, and the sweeps
 * rebuilt from the runs folder by a fresh lab (an app restart).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { getPreset, suggestedSweep } from '../../src/engine/experiment/presets'
import { SWEEP_DEFAULTS, sweepSettings } from '../../src/engine/experiment/sweep'
import { buildDatasets } from '../../src/engine/datasets'
import { LabService } from '../../src/host/lab-service'
import { SweepRunner, sweepsFromRuns } from '../../src/host/sweep-runner'
import { forkNodeWorker } from '../../src/host/worker-handle'
import type { RunListItem, SweepState } from '../../src/shared/lab-api'
import { RunInfo } from '../../src/shared/run-file'
import { bundleEntry, removeBundles, WORKER_SOURCE } from './helpers/bundle'
import { makeLab, tempDir, tinyExperiment, type Lab } from './helpers/lab'

describe('sweepSettings', () => {
  const base = getPreset('patterns-3')!

  it('MLP hidden width h on 8x8 with 3 classes has 64h + h + 3h + 3 parameters', () => {
    const settings = sweepSettings(base, { kind: 'mlp-hidden', values: SWEEP_DEFAULTS['mlp-hidden'] })
    expect(settings.map((s) => s.models[0].parameterCount)).toEqual(SWEEP_DEFAULTS['mlp-hidden'].map((h) => 64 * h + h + 3 * h + 3))
    expect(settings.find((s) => s.value === 18)?.models[0].parameterCount).toBe(1227) // the lesson's TinyMLP
    for (const s of settings) {
      expect(s.experiment.models.map((m) => m.id)).toEqual(['mlp'])
      expect(s.experiment.name).toContain(`MLP hidden width = ${s.value}`)
    }
  })

  it('CNN with f filters has 10f conv + 27f + 3 linear parameters, and the linear layer follows', () => {
    const settings = sweepSettings(base, { kind: 'cnn-filters', values: SWEEP_DEFAULTS['cnn-filters'] })
    expect(settings.map((s) => s.models[0].parameterCount)).toEqual(SWEEP_DEFAULTS['cnn-filters'].map((f) => 10 * f + 9 * f * 3 + 3))
    expect(settings.find((s) => s.value === 3)?.models[0].parameterCount).toBe(114) // the lesson's TinyCNN
    const five = settings.find((s) => s.value === 5)!.experiment.models[0].layers
    expect(five[0]).toMatchObject({ type: 'conv2d', outChannels: 5 })
    expect(five[4]).toMatchObject({ type: 'linear', inFeatures: 45 })
  })

  it('chains a second conv after the first (the MNIST CNN) and refuses what cannot be swept', () => {
    const mnist = getPreset('mnist')!
    const [s] = sweepSettings(mnist, { kind: 'cnn-filters', values: [8] })
    expect(s.experiment.models[0].layers[3]).toMatchObject({ type: 'conv2d', inChannels: 8, outChannels: 64 })
    const edge = getPreset('edge-detector')!
    expect(() => sweepSettings(edge, { kind: 'mlp-hidden', values: [4] })).toThrow(/no hidden linear layer/)
    expect(() => sweepSettings(base, { kind: 'mlp-hidden', values: [0] })).toThrow(/≥ 1/)
  })
})

describe('data sweeps: sweepSettings', () => {
  const base = getPreset('patterns-3')!

  it('train-count: both models at each setting, the training-set size set, seeds repeat it with new seeds', () => {
    const settings = sweepSettings(base, { kind: 'train-count', values: [30, 2], seeds: 2 })
    expect(settings.map((s) => [s.value, s.seed])).toEqual([[2, 0], [2, 1], [30, 0], [30, 1]])
    for (const s of settings) {
      expect(s.experiment.models.map((m) => m.id)).toEqual(['cnn', 'mlp'])
      expect(s.models.map((m) => m.parameterCount)).toEqual([114, 1227])
      expect(s.experiment.dataset.train.count).toBe(s.value)
      expect(s.experiment.dataset.val).toEqual(base.dataset.val) // every seed measured on the same val set
      expect(s.experiment.name).toMatch(new RegExp(`Training pictures = ${s.value} · seed ${s.seed}`))
    }
    const [s0, s1] = settings
    expect(s0.experiment.training.seed).toBe(base.training.seed) // seed 0 is the recipe as it is
    expect(s1.experiment.training.seed).not.toBe(base.training.seed)
    expect(s1.experiment.dataset.train.seed).not.toBe(base.dataset.train.seed)
    expect(s1.experiment.models[0].init.seed).not.toBe(base.models[0].init.seed)
    expect(() => sweepSettings(base, { kind: 'train-count', values: [0] })).toThrow(/≥ 1/)
    expect(() => sweepSettings(base, { kind: 'train-count', values: [2], seeds: 11 })).toThrow(/seeds/)
  })

  it('val-shift: trained on centred pictures, the same training at every value, only the val set moved', () => {
    const settings = sweepSettings(base, { kind: 'val-shift', values: [0, 2] })
    for (const s of settings) {
      expect(s.experiment.dataset).toMatchObject({ kind: 'patterns', maxShift: 0, valShift: s.value })
      expect(s.experiment.models.map((m) => m.id)).toEqual(['cnn', 'mlp'])
    }
    const [centred, shifted] = settings.map((s) => buildDatasets(s.experiment.dataset))
    expect(shifted.train.x.data).toEqual(centred.train.x.data)
    expect(shifted.train.y).toEqual(centred.train.y)
    expect(shifted.val.y).toEqual(centred.val.y)
    expect(shifted.val.x.data).not.toEqual(centred.val.x.data)
    const { results: _r, name: _n, ...a } = settings[0].experiment
    const { results: _r2, name: _n2, ...b } = settings[1].experiment
    expect({ ...a, dataset: null }).toEqual({ ...b, dataset: null })
    const mnist = sweepSettings(getPreset('mnist')!, { kind: 'val-shift', values: [3] })[0].experiment.dataset
    expect(mnist).toMatchObject({ kind: 'mnist', valShift: 3 })
    expect(() => sweepSettings(getPreset('edge-detector')!, { kind: 'val-shift', values: [1] })).toThrow(/no val shift/)
  })

  it('augment: every model trained with random shifts up to the value (none at 0), data and val set unchanged', () => {
    const shifted = getPreset('patterns-shifted')!
    const settings = sweepSettings(shifted, { kind: 'augment', values: [2, 0] })
    expect(settings.map((s) => s.value)).toEqual([0, 2])
    expect(settings[0].experiment.training.augment).toBeUndefined()
    expect(settings[1].experiment.training.augment).toEqual({ shift: 2 })
    for (const s of settings) {
      expect(s.experiment.dataset).toEqual(shifted.dataset)
      expect(s.experiment.models.map((m) => m.id)).toEqual(shifted.models.map((m) => m.id))
      expect(s.experiment.name).toMatch(new RegExp(`Augment shift = ${s.value}`))
    }
    expect(() => sweepSettings(shifted, { kind: 'augment', values: [9] })).toThrow(/more than 8 px/)
  })
})

describe('patterns valShift', () => {
  const spec = { ...getPreset('patterns-3')!.dataset, maxShift: 0 } as Extract<ReturnType<typeof getPreset> & object, { dataset: unknown }>['dataset']

  it('moves every val pattern by 1 to valShift px and leaves brightness, noise and labels as they were', () => {
    if (spec.kind !== 'patterns') throw new Error('patterns preset expected')
    const centred = buildDatasets(spec).val
    const shifted = buildDatasets({ ...spec, valShift: 2 }).val
    expect(shifted.y).toEqual(centred.y)
    // Each picture's bright mass moved: its centroid is off by at least one pixel on some axis.
    const centroid = (x: Float32Array, i: number) => {
      let sx = 0, sy = 0, m = 0
      for (let p = 0; p < 64; p++) {
        const v = x[i * 64 + p] > 0.5 ? 1 : 0
        sx += v * (p % 8); sy += v * Math.floor(p / 8); m += v
      }
      return [sx / m, sy / m]
    }
    let moved = 0
    const n = centred.y.length
    for (let i = 0; i < n; i++) {
      const [ax, ay] = centroid(centred.x.data as Float32Array, i)
      const [bx, by] = centroid(shifted.x.data as Float32Array, i)
      if (Math.max(Math.abs(ax - bx), Math.abs(ay - by)) >= 0.5) moved++
    }
    expect(moved / n).toBeGreaterThan(0.9)
    expect(buildDatasets({ ...spec, valShift: 2 }).train.x.data).toEqual(buildDatasets(spec).train.x.data)
  })
})

describe('SweepRunner with a real worker', () => {
  let root: ReturnType<typeof tempDir>
  let bundled: string
  const labs: Lab[] = []
  beforeAll(async () => {
    root = tempDir('cnnlab-sweep-')
    bundled = await bundleEntry(WORKER_SOURCE)
  })
  afterEach(async () => {
    for (const lab of labs.splice(0)) await lab.supervisor.dispose()
  })
  afterAll(() => {
    root.remove()
    removeBundles()
  })

  function runner(): { lab: Lab; sweeps: SweepRunner; states: SweepState[]; ended: Promise<SweepState> } {
    const lab = makeLab(root.path, { entry: bundled })
    labs.push(lab)
    const states: SweepState[] = []
    let resolve!: (s: SweepState) => void
    const ended = new Promise<SweepState>((r) => (resolve = r))
    const sweeps = new SweepRunner(lab.supervisor, lab.store, (s) => {
      states.push(s)
      if (s.status !== 'running') resolve(s)
    })
    return { lab, sweeps, states, ended }
  }

  it('runs each setting as a saved run, one after another, with its val accuracy', async () => {
    const { lab, sweeps, states, ended } = runner()
    sweeps.start(tinyExperiment(3), { kind: 'mlp-hidden', values: [2, 8] })
    expect(sweeps.running).toBe(true)
    const done = await ended
    expect(done.status).toBe('completed')
    expect(done.points.map((p) => p.status)).toEqual(['completed', 'completed'])
    expect(done.points.map((p) => p.parameterCount)).toEqual([64 * 2 + 2 + 6 + 3, 64 * 8 + 8 + 24 + 3])
    for (const p of done.points) expect(p.valAccuracy).toBeGreaterThan(0)
    const runs = await lab.store.list()
    for (const p of done.points) {
      const run = runs.find((r) => r.id === p.runId)
      expect(run?.status).toBe('completed')
      expect(run?.name).toMatch(/^Sweep .* · MLP hidden width = \d+ · /)
    }
    // Progress: a state when each run starts and ends.
    expect(states.filter((s) => s.status === 'running').length).toBeGreaterThanOrEqual(4)
    expect(await sweeps.list()).toHaveLength(1)
    // Each run.json says which sweep and setting it is.
    const opened = await lab.store.open(done.points[1].runId)
    expect(opened.run.sweep).toEqual({ id: done.id, kind: 'mlp-hidden', value: 8, seed: 0, seeds: 1, base: done.baseName, model: done.modelLabel, parameterCount: 64 * 8 + 8 + 24 + 3 })
  })

  it('a train-count sweep with 2 seeds: a run per setting and seed, a point per model of each', async () => {
    const { lab, sweeps, ended } = runner()
    const first = sweeps.start(tinyExperiment(2), { kind: 'train-count', values: [3, 6], seeds: 2 })
    expect(first.points.map((p) => `${p.value}/${p.seed}/${p.model}`)).toEqual(['3/0/cnn', '3/0/mlp', '3/1/cnn', '3/1/mlp', '6/0/cnn', '6/0/mlp', '6/1/cnn', '6/1/mlp'])
    const done = await ended
    expect(done.status).toBe('completed')
    expect(done.seeds).toBe(2)
    const runIds = [...new Set(done.points.map((p) => p.runId))]
    expect(runIds).toHaveLength(4)
    for (const p of done.points) expect(p.valAccuracy).toBeGreaterThan(0)
    const opened = await lab.store.open(done.points[2].runId!)
    expect(opened.run.trainCount).toBe(9)
    expect(opened.run.sweep).toMatchObject({ kind: 'train-count', value: 3, seed: 1, seeds: 2, models: [{ id: 'cnn', parameterCount: 114 }, { id: 'mlp', parameterCount: 1227 }] })
    // Rebuilt from the run folders, as after a restart: the same points.
    const [rebuilt] = sweepsFromRuns(await lab.store.list()).filter((s) => s.id === done.id)
    expect(rebuilt.points).toEqual(done.points)
    expect(rebuilt.seeds).toBe(2)
  })

  it('stops within a run, and starts no further setting', async () => {
    const { lab, sweeps, ended } = runner()
    sweeps.start(tinyExperiment(400), { kind: 'cnn-filters', values: [1, 2, 3] }, { pace: 20 })
    await new Promise<void>((resolve) => {
      const off = lab.supervisor.onEvent((e) => {
        if (e.type === 'training' && e.event.type === 'epoch' && e.event.row.epoch >= 1) {
          off()
          resolve()
        }
      })
    })
    await sweeps.stop()
    const done = await ended
    expect(done.status).toBe('stopped')
    expect(done.points.map((p) => p.status)).toEqual(['stopped', 'pending', 'pending'])
    expect(sweeps.running).toBe(false)
    expect(lab.supervisor.current).toBeUndefined()
  })

  it('refuses to start while a run is training', async () => {
    const { lab, sweeps } = runner()
    await lab.supervisor.start(tinyExperiment(400), { pace: 5 })
    expect(() => sweeps.start(tinyExperiment(2), { kind: 'mlp-hidden', values: [2] })).toThrow(/stop it before/)
    await lab.supervisor.stop()
  })
})

describe('sweeps rebuilt from the runs folder', () => {
  let data: ReturnType<typeof tempDir>
  let bundled: string
  const services: LabService[] = []
  beforeAll(async () => {
    data = tempDir('cnnlab-sweep-restart-')
    bundled = await bundleEntry(WORKER_SOURCE)
  })
  afterAll(async () => {
    for (const service of services) await service.dispose()
    data.remove()
    removeBundles()
  })

  async function lab(): Promise<LabService> {
    const service = new LabService({ door: 'browser', version: '0', dataDir: data.path, forkWorker: () => forkNodeWorker({ entry: bundled }) })
    services.push(service)
    await service.init()
    return service
  }

  it('a new lab on the same data folder lists the same sweep, and a deleted run takes its point along', async () => {
    const first = await lab()
    const ended = new Promise<SweepState>((resolve) =>
      first.onEvent((e) => {
        if (e.type === 'sweep' && e.sweep.status !== 'running') resolve(e.sweep)
      }),
    )
    // Given out of order: the settings run smallest first, and the rebuilt sweep keeps that order.
    await first.startSweep(tinyExperiment(2), { kind: 'cnn-filters', values: [3, 1] }, null)
    const done = await ended
    expect(done.status).toBe('completed')
    expect(done.points.map((p) => p.value)).toEqual([1, 3])
    expect(await first.listSweeps()).toEqual([{ ...done, startedAt: expect.any(String) }])

    await first.dispose()
    services.splice(services.indexOf(first), 1)
    const second = await lab() // the app restarted: nothing in memory
    const [rebuilt] = await second.listSweeps()
    expect(rebuilt).toMatchObject({ id: done.id, kind: 'cnn-filters', baseName: done.baseName, modelLabel: done.modelLabel, status: 'completed' })
    expect(rebuilt.points).toEqual(done.points)
    expect(rebuilt.points.map((p) => p.parameterCount)).toEqual([10 * 1 + 27 * 1 + 3, 10 * 3 + 27 * 3 + 3])

    await second.deleteRun(done.points[1].runId!)
    expect((await second.listSweeps())[0].points.map((p) => p.value)).toEqual([1])
    await second.deleteRun(done.points[0].runId!)
    expect(await second.listSweeps()).toEqual([])
  })
})

describe('sweepsFromRuns', () => {
  const row = (id: string, value: number, status: RunListItem['status'], extra: Partial<RunListItem> = {}): RunListItem => ({
    id,
    status,
    name: id,
    startedAt: `2026-01-01T00:00:0${id}Z`,
    final: status === 'completed' ? { mlp: { model: 'mlp', epoch: 2, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.5, seconds: 1 } } : {},
    sweep: { id: 's1', kind: 'mlp-hidden', value, seed: 0, seeds: 1, base: 'Base', model: 'TinyMLP', parameterCount: value * 10 },
    ...extra,
  })

  it('ignores runs of no sweep, and calls a sweep with an interrupted run stopped, one with a failed run failed', () => {
    const plain: RunListItem = { id: '9', status: 'completed', name: 'plain', final: {} }
    const [stopped] = sweepsFromRuns([plain, row('1', 2, 'completed'), row('2', 4, 'interrupted')])
    expect(stopped).toMatchObject({ status: 'stopped', current: 1, startedAt: '2026-01-01T00:00:01Z' })
    expect(stopped.points[1]).toMatchObject({ status: 'stopped', valAccuracy: null, error: expect.stringMatching(/closed/) })
    const [failed] = sweepsFromRuns([row('1', 2, 'completed'), row('2', 4, 'failed', { error: 'out of memory' })])
    expect(failed).toMatchObject({ status: 'failed', error: '4: out of memory' })
  })

  it('leaves out a sweep record it cannot read, and old run.json files without one still load', () => {
    const base = { format: 'cnn-lab.run', version: 1, status: 'completed', startedAt: 't', engineVersion: '0', name: 'n', models: [], final: {} }
    expect(RunInfo.parse(base).sweep).toBeUndefined()
    const future = RunInfo.parse({ ...base, sweep: { id: 's', kind: 'transformer-heads', value: 2 } })
    expect(future.sweep).toBeUndefined()
    expect(future.name).toBe('n')
  })
})

describe('suggested sweeps', () => {
  it('every suggestion builds on its own preset, and a preset without one has none', () => {
    for (const id of ['patterns-few', 'mnist-few', 'patterns-shifted']) {
      const spec = suggestedSweep(id)!
      expect(spec, id).toBeDefined()
      expect(sweepSettings(getPreset(id)!, spec).length).toBe(spec.values.length * (spec.seeds ?? 1))
    }
    expect(suggestedSweep('patterns-3')).toBeUndefined()
    expect(suggestedSweep(null)).toBeUndefined()
  })
})
