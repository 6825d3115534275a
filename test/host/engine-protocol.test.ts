import { deserialize, serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { parseHostToWorker, parseWorkerToHost } from '../../src/shared/engine-protocol'
import { EngineRunner } from '../../src/host/engine-runner'
import { PaceClock } from '../../src/host/pace-clock'
import type { WorkerToHost } from '../../src/shared/engine-protocol'
import { tinyExperiment } from './helpers/lab'

describe('the engine protocol', () => {
  it('accepts every host → worker message and fills defaults', () => {
    const start = parseHostToWorker({ type: 'start', experiment: tinyExperiment(1) })
    expect(start).toMatchObject({ ok: true, value: { type: 'start', pace: null, paused: false } })
    for (const m of [{ type: 'pause' }, { type: 'resume' }, { type: 'step' }, { type: 'stop' }, { type: 'pace', epochsPerSecond: 2 }, { type: 'pace', epochsPerSecond: null }]) {
      expect(parseHostToWorker(m).ok).toBe(true)
    }
    const weights = { cnn: { '0.weight': { shape: [1], data: new Float32Array(1) } } }
    expect(parseHostToWorker({ type: 'probe', id: 'p1', request: { kind: 'robustness-map', experiment: tinyExperiment(1), weights, range: 3 } }).ok).toBe(true)
  })

  it('refuses invalid host → worker messages with the field named', () => {
    expect(parseHostToWorker(null)).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid message/) })
    expect(parseHostToWorker({ type: 'launch' })).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid "launch" message/) })
    expect(parseHostToWorker({ type: 'pace', epochsPerSecond: 0 })).toMatchObject({ ok: false, error: expect.stringMatching(/epochsPerSecond/) })
    expect(parseHostToWorker({ type: 'stop', extra: 1 })).toMatchObject({ ok: false })
    const bad = { ...tinyExperiment(1), training: { ...tinyExperiment(1).training, epochs: -1 } }
    expect(parseHostToWorker({ type: 'start', experiment: bad })).toMatchObject({ ok: false, error: expect.stringMatching(/experiment\.training\.epochs/) })
    const map = { kind: 'robustness-map', experiment: tinyExperiment(1), weights: {} }
    expect(parseHostToWorker({ type: 'probe', id: 'p', request: { ...map, range: 99 } })).toMatchObject({ ok: false, error: expect.stringMatching(/request\.range/) })
    // The live probe of the training worker's own models is gone: probes carry their weights.
    expect(parseHostToWorker({ type: 'probe', id: 'p', request: { kind: 'robustness', range: 1 } })).toMatchObject({ ok: false, error: expect.stringMatching(/request\.kind/) })
  })

  it('carries Float32Array and Float64Array weights through structured clone and validates their size', () => {
    const message = {
      type: 'event',
      event: { type: 'snapshot', model: 'cnn', epoch: 3, weights: { '0.weight': { shape: [2, 2], data: new Float64Array([0.1, 0.2, 0.3, 1 / 3]) }, '0.bias': { shape: [2], data: new Float32Array([1, 2]) } } },
    }
    const cloned = deserialize(serialize(message))
    const parsed = parseWorkerToHost(cloned)
    expect(parsed.ok).toBe(true)
    const weights = parsed.ok && parsed.value.type === 'event' && parsed.value.event.type === 'snapshot' ? parsed.value.event.weights : undefined
    expect(weights?.['0.weight'].data).toBeInstanceOf(Float64Array)
    expect(weights?.['0.weight'].data[3]).toBe(1 / 3)
    expect(weights?.['0.bias'].data).toBeInstanceOf(Float32Array)
    const wrongSize = { ...message, event: { ...message.event, weights: { '0.weight': { shape: [3], data: new Float32Array(2) } } } }
    expect(parseWorkerToHost(wrongSize)).toMatchObject({ ok: false, error: expect.stringMatching(/event\.weights\.0\.weight\.data: the data length/) })
    const asArray = { ...message, event: { ...message.event, weights: { '0.weight': { shape: [2], data: [1, 2] } } } }
    expect(parseWorkerToHost(asArray).ok).toBe(false)
    const badName = { ...message, event: { ...message.event, weights: { 'weight; rm -rf': { shape: [1], data: new Float32Array(1) } } } }
    expect(parseWorkerToHost(badName).ok).toBe(false)
  })

  it('validates worker → host events like the engine emits them', () => {
    const ok = [
      { type: 'ready', pid: 12 },
      { type: 'event', event: { type: 'epoch', row: { model: 'cnn', epoch: 1, trainLoss: 1, trainAccuracy: 1, valLoss: null, valAccuracy: null, seconds: 0 } } },
      { type: 'event', event: { type: 'batch', model: 'cnn', epoch: 1, batch: 2, batches: 10, samplesPerSecond: 1e5 } },
      { type: 'event', event: { type: 'done', status: 'stopped' } },
      { type: 'event', event: { type: 'error', message: 'diverged' } },
      { type: 'paused' },
      { type: 'probe-progress', id: 'p', done: 1, total: 9 },
      { type: 'probe-result', id: 'p', result: { kind: 'robustness-map', models: { cnn: { range: 1, accuracy: [1, 1, 1, 1, 1, 1, 1, 1, 1], mean: 1 } } } },
      { type: 'error', message: 'x' },
    ]
    for (const m of ok) expect(parseWorkerToHost(m)).toMatchObject({ ok: true })
    // A started event's route crosses whole (an unknown field would be dropped by the schema, a wrong one refused).
    const route = { id: 'tiny-wasm', cores: 1, backend: 'simd', label: 'tiny-model WebAssembly, one core' }
    const model = { id: 'cnn', label: 'CNN', inputShape: [1, 8, 8], layers: [{ index: 0, type: 'flatten', outputShape: [64], parameterCount: 0 }], parameterCount: 0, epochs: 1, route }
    const started = { type: 'event', event: { type: 'started', models: [model], trainCount: 1, valCount: 1, classes: ['a'] } }
    const parsed = parseWorkerToHost(started)
    expect(parsed.ok && parsed.value.type === 'event' && parsed.value.event.type === 'started' ? parsed.value.event.models[0].route : undefined).toEqual(route)
    const wrongRoute = { ...started, event: { ...started.event, models: [{ ...model, route: { ...route, cores: 3 } }] } }
    expect(parseWorkerToHost(wrongRoute)).toMatchObject({ ok: false, error: expect.stringMatching(/event\.models\.0\.route\.cores/) })
    expect(parseWorkerToHost({ type: 'event', event: { type: 'done', status: 'exploded' } })).toMatchObject({ ok: false, error: expect.stringMatching(/event\.status/) })
  })
})

describe('the engine runner (the worker without its transport)', () => {
  it('answers garbage with an error message and keeps working', async () => {
    const sent: WorkerToHost[] = []
    const runner = new EngineRunner((m) => sent.push(m), { loadSources: async () => ({}) })
    runner.handle(undefined)
    runner.handle({ type: 'step' })
    runner.handle({ type: 'probe', id: 'p', request: { kind: 'robustness-map', experiment: tinyExperiment(1), weights: {}, range: 1 } })
    expect(sent.map((m) => m.type)).toEqual(['error', 'error', 'probe-failed'])
    expect(sent.at(-1)).toMatchObject({ message: 'no weights to probe' })
    runner.handle({ type: 'start', experiment: tinyExperiment(1, [0]) })
    runner.handle({ type: 'start', experiment: tinyExperiment(1, [0]) })
    expect(sent.at(-1)).toEqual({ type: 'error', message: 'this engine process already ran an experiment; start a new one' })
    await new Promise<void>((resolve) => {
      const check = () => (sent.some((m) => m.type === 'event' && m.event.type === 'done') ? resolve() : setTimeout(check, 5))
      check()
    })
    const types = sent.filter((m) => m.type === 'event').map((m) => (m.type === 'event' ? m.event.type : ''))
    expect(types[0]).toBe('started')
    expect(types.at(-1)).toBe('done')
    // Final weights come just before done.
    const doneAt = sent.findIndex((m) => m.type === 'event' && m.event.type === 'done')
    expect(sent.slice(doneAt - 2, doneAt).map((m) => (m.type === 'weights' ? m.model : m.type))).toEqual(['cnn', 'mlp'])
  })

  it('reports an experiment it cannot build as a training error (MNIST images missing)', async () => {
    const sent: WorkerToHost[] = []
    const runner = new EngineRunner((m) => sent.push(m), {
      loadSources: async () => {
        throw new Error('the mnist package is not installed')
      },
    })
    const mnist = { ...tinyExperiment(1), dataset: { kind: 'mnist' as const, train: { count: 10, seed: 1 }, val: { count: 10, seed: 2 }, valShift: 0 } }
    runner.handle({ type: 'start', experiment: mnist })
    await new Promise((r) => setTimeout(r, 20))
    expect(sent).toEqual([
      // The status says what the first seconds are for (MNIST's images loading)…
      { type: 'event', event: { type: 'phase', phase: 'loading-data' } },
      { type: 'event', event: { type: 'error', message: 'cannot start the run: the mnist package is not installed' } },
    ])
  })
})

describe('PaceClock', () => {
  it('spreads a run of maxEpochs over maxEpochs / rate seconds, whatever the models’ epochs and batches', () => {
    let now = 0
    const clock = new PaceClock(() => now)
    clock.setModels([
      { id: 'cnn', epochs: 400 },
      { id: 'mlp', epochs: 80 },
    ])
    clock.setRate(100) // 400 run-epochs at 100/s: 4 s
    let waited = 0
    // The whole run: 400 epochs x 1 batch of cnn, 80 epochs x 5 batches of mlp, computed instantly.
    for (let i = 0; i < 400; i++) {
      clock.account('cnn', 1)
      if (i % 5 === 0) for (let b = 0; b < 5; b++) clock.account('mlp', 5)
      const d = clock.delayMs()
      waited += d
      now += d
    }
    expect(waited).toBeCloseTo(4000, 6)
  })

  it('never makes a slow run catch up in a burst, and is free when unpaced', () => {
    let now = 0
    const clock = new PaceClock(() => now)
    clock.setModels([{ id: 'm', epochs: 10 }])
    expect(clock.delayMs()).toBe(0)
    clock.account('m', 1)
    expect(clock.delayMs()).toBe(0) // unpaced
    clock.setRate(10) // 100 ms an epoch
    now += 1000 // a slow batch: behind the pace, so no wait, and no credit either
    clock.account('m', 1)
    expect(clock.delayMs()).toBe(0)
    clock.account('m', 1) // the next one is paced from now
    expect(clock.delayMs()).toBe(100)
    now += 100
    clock.account('m', 1)
    expect(clock.delayMs()).toBe(100)
  })
})
