/**
 * Capacity sweeps: the experiments each setting trains (parameter counts
 * checked against lesson 001's formulas), and a real two-setting sweep
 * through the supervisor with a forked worker, stopped and not.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { SWEEP_DEFAULTS, sweepSettings } from '../../src/engine/experiment/sweep'
import { SweepRunner } from '../../src/host/sweep-runner'
import type { SweepState } from '../../src/shared/lab-api'
import { bundleEntry, removeBundles, WORKER_SOURCE } from './helpers/bundle'
import { makeLab, tempDir, tinyExperiment, type Lab } from './helpers/lab'

describe('sweepSettings', () => {
  const base = getPreset('patterns-3')!

  it('MLP hidden width h on 8x8 with 3 classes has 64h + h + 3h + 3 parameters', () => {
    const settings = sweepSettings(base, { kind: 'mlp-hidden', values: SWEEP_DEFAULTS['mlp-hidden'] })
    expect(settings.map((s) => s.parameterCount)).toEqual(SWEEP_DEFAULTS['mlp-hidden'].map((h) => 64 * h + h + 3 * h + 3))
    expect(settings.find((s) => s.value === 18)?.parameterCount).toBe(1227) // the lesson's TinyMLP
    for (const s of settings) {
      expect(s.experiment.models.map((m) => m.id)).toEqual(['mlp'])
      expect(s.experiment.name).toContain(`MLP hidden width = ${s.value}`)
    }
  })

  it('CNN with f filters has 10f conv + 27f + 3 linear parameters, and the linear layer follows', () => {
    const settings = sweepSettings(base, { kind: 'cnn-filters', values: SWEEP_DEFAULTS['cnn-filters'] })
    expect(settings.map((s) => s.parameterCount)).toEqual(SWEEP_DEFAULTS['cnn-filters'].map((f) => 10 * f + 9 * f * 3 + 3))
    expect(settings.find((s) => s.value === 3)?.parameterCount).toBe(114) // the lesson's TinyCNN
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
    expect(sweeps.list()).toHaveLength(1)
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
