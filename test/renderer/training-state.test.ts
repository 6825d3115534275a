import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import type { MetricRow } from '../../src/shared/experiment'
import type { LabEvent, LabTrainingEvent, RunDetails } from '../../src/shared/lab-api'
import type { ModelSummary } from '../../src/shared/training-events'
import {
  emptyState,
  finishFromRun,
  isLive,
  reduceLabEvent,
  stateFromRun,
  trainedOnLine,
  type TrainingState,
} from '../../src/renderer/lib/training-state'

const T0 = '2026-01-01T00:00:00.000Z'
const T1 = '2026-01-01T00:05:00.000Z'

function model(id: string, route?: ModelSummary['route']): ModelSummary {
  return { id, label: id.toUpperCase(), inputShape: [1, 8, 8], layers: [{ index: 0, type: 'linear', outputShape: [3], parameterCount: 195 }], parameterCount: 195, epochs: 2, route }
}

function row(m: string, epoch: number, valAccuracy: number): MetricRow {
  return { model: m, epoch, trainLoss: 1 / (epoch + 1), trainAccuracy: valAccuracy, valLoss: 1 / (epoch + 1), valAccuracy, seconds: epoch * 0.5 }
}

const started = (models: ModelSummary[]): LabTrainingEvent => ({ type: 'started', models, trainCount: 120, valCount: 60, classes: ['a', 'b', 'c'] })
const training = (runId: string, ...events: LabTrainingEvent[]): LabEvent => ({ type: 'training', runId, events })

/** Feeds events in order, collecting every effect the reducer asked for. */
function play(state: TrainingState, events: LabEvent[], now = T0) {
  const effects = []
  for (const event of events) {
    const out = reduceLabEvent(state, event, now)
    state = out.state
    effects.push(...out.effects)
  }
  return { state, effects }
}

const fused = { id: 'fused-simd', cores: 2, backend: 'simd', label: 'fused SIMD, two cores' } as const

describe('training reducer', () => {
  it('follows a run from started to done, each event changing only what it names', () => {
    const recipe = getPreset('patterns-3')!
    let s = emptyState({ kind: 'live', runId: '' }, recipe, 'starting')
    expect(isLive(s)).toBe(true)

    // The first batch adopts the run id the start call has not returned yet.
    ;({ state: s } = play(s, [training('r1', started([model('cnn', fused), model('mlp')]))]))
    expect(s.source).toEqual({ kind: 'live', runId: 'r1' })
    expect(s.models.map((m) => m.id)).toEqual(['cnn', 'mlp'])
    expect(s.classes).toEqual(['a', 'b', 'c'])
    expect(s.phase).toBe('evaluating')
    expect(s.startedAt).toBe(T0)
    expect(s.progress.cnn).toEqual({ done: 0, epochs: 2, batch: 0, batches: 0, samplesPerSecond: 0 })

    ;({ state: s } = play(s, [{ type: 'run-state', runId: 'r1', state: 'running' }]))
    expect(s.status).toBe('running')

    const beforeBatch = s
    ;({ state: s } = play(s, [training('r1', { type: 'batch', model: 'cnn', epoch: 1, batch: 3, batches: 6, samplesPerSecond: 900 })]))
    expect(s.progress.cnn).toMatchObject({ batch: 3, batches: 6, samplesPerSecond: 900 })
    // A progress tick leaves the chart data as they were (same objects: no redraw).
    expect(s.metrics).toBe(beforeBatch.metrics)
    expect(s.steps).toBe(beforeBatch.steps)
    // And the state before it is untouched: the reducer copies, it does not mutate.
    expect(beforeBatch.progress.cnn.batch).toBe(0)

    ;({ state: s } = play(s, [
      training(
        'r1',
        { type: 'step-loss', model: 'cnn', epoch: 0.5, loss: 1.1, steps: 3 },
        { type: 'step-loss', model: 'cnn', epoch: 1, loss: 0.9, steps: 3 },
        { type: 'epoch', row: row('cnn', 1, 0.7) },
        { type: 'epoch', row: row('mlp', 1, 0.5) },
        { type: 'snapshot', model: 'cnn', epoch: 1, weights: { '0.weight': { shape: [1], data: [0.25] } } },
      ),
    ]))
    expect(s.steps.cnn.epochs).toEqual([0.5, 1])
    expect(s.steps.cnn.losses).toEqual([1.1, 0.9])
    expect(s.metrics.map((r) => `${r.model}@${r.epoch}`)).toEqual(['cnn@1', 'mlp@1'])
    expect(s.progress.cnn).toMatchObject({ done: 1, batch: 0 })
    expect(s.phase).toBeNull()
    expect(s.snapshots).toHaveLength(1)

    // A backfilled row for the same model and epoch replaces the first, it is not doubled.
    ;({ state: s } = play(s, [training('r1', { type: 'epoch', row: row('cnn', 1, 0.75) })]))
    expect(s.metrics.filter((r) => r.model === 'cnn')).toHaveLength(1)
    expect(s.metrics[0].valAccuracy).toBe(0.75)

    const cells = Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? [i] : []))
    ;({ state: s } = play(s, [training('r1', { type: 'confusion-cells', model: 'cnn', epoch: 2, cells })]))
    expect(s.confusionCells.cnn).toEqual({ epoch: 2, cells })

    const done = play(s, [training('r1', { type: 'epoch', row: row('cnn', 2, 0.9) }, { type: 'done', status: 'completed' }), { type: 'run-ended', runId: 'r1', status: 'completed' }])
    s = done.state
    expect(s.status).toBe('finishing')
    expect(isLive(s)).toBe(false)
    expect(done.effects).toEqual([{ kind: 'finish', runId: 'r1', ended: 'completed', error: undefined }])

    // The folder's final weights end it: completed, with the rows and weights kept.
    const details = runDetails('r1', 'completed', s.metrics)
    s = finishFromRun(s, details, 'completed')
    expect(s.status).toBe('completed')
    expect(s.finalWeights.cnn['0.weight'].data).toEqual([0.5])
    expect(s.metrics).toHaveLength(3)
  })

  it('an error ends the run as failed with its message; events of other runs are ignored', () => {
    let s = emptyState({ kind: 'live', runId: 'r2' }, null, 'running')
    ;({ state: s } = play(s, [training('r2', started([model('cnn')]), { type: 'phase', phase: 'loading-data' })]))
    expect(s.phase).toBe('loading-data')
    const other = play(s, [training('zz', { type: 'epoch', row: row('cnn', 1, 0.1) }), { type: 'run-state', runId: 'zz', state: 'paused' }])
    expect(other.state).toBe(s)
    ;({ state: s } = play(s, [training('r2', { type: 'error', message: 'the worker ran out of memory' })]))
    expect(s).toMatchObject({ status: 'failed', error: 'the worker ran out of memory', phase: null })
    const ended = play(s, [{ type: 'run-ended', runId: 'r2', status: 'failed', error: 'the worker ran out of memory' }])
    expect(ended.state.status).toBe('failed')
    expect(ended.effects[0]).toMatchObject({ kind: 'finish', ended: 'failed' })
  })

  it('a second run in the same window starts from an empty state, keeping nothing of the first', () => {
    let s = emptyState({ kind: 'live', runId: 'r1' }, null, 'running')
    ;({ state: s } = play(s, [
      training('r1', started([model('cnn')]), { type: 'step-loss', model: 'cnn', epoch: 1, loss: 0.5, steps: 2 }, { type: 'epoch', row: row('cnn', 1, 0.8) }, { type: 'done', status: 'completed' }),
      { type: 'run-ended', runId: 'r1', status: 'completed' },
    ]))
    s = finishFromRun(s, runDetails('r1', 'completed', s.metrics), 'completed')
    expect(s.metrics).toHaveLength(1)

    // Started from another window (or the terminal): adopted, since nothing live is shown.
    const second = play(s, [training('r2', started([model('mlp')]), { type: 'batch', model: 'mlp', epoch: 1, batch: 1, batches: 4, samplesPerSecond: 10 })], T1)
    s = second.state
    expect(s.source).toEqual({ kind: 'live', runId: 'r2' })
    expect(s.status).toBe('running')
    expect(s.models.map((m) => m.id)).toEqual(['mlp'])
    expect(s.metrics).toEqual([])
    expect(s.steps).toEqual({})
    expect(s.snapshots).toEqual([])
    expect(s.finalWeights).toEqual({})
    expect(s.startedAt).toBe(T1)
    expect(Object.keys(s.progress)).toEqual(['mlp'])
    expect(second.effects).toEqual([{ kind: 'fetch-experiment', runId: 'r2' }])

    // While r2 is live, a third run's start does not take the window over.
    const third = play(s, [training('r3', started([model('cnn')]))])
    expect(third.state).toBe(s)
    expect(third.effects).toEqual([])
  })

  it('a stopped run: the stop request, then done "stopped", ends as stopped with its partial rows', () => {
    let s = emptyState({ kind: 'live', runId: 'r4' }, null, 'running')
    ;({ state: s } = play(s, [training('r4', started([model('cnn')]), { type: 'epoch', row: row('cnn', 1, 0.6) })]))
    ;({ state: s } = play(s, [{ type: 'run-state', runId: 'r4', state: 'stopping' }]))
    expect(s.status).toBe('stopping')
    expect(isLive(s)).toBe(true)
    const end = play(s, [training('r4', { type: 'done', status: 'stopped' }), { type: 'run-state', runId: 'r4', state: 'ended' }, { type: 'run-ended', runId: 'r4', status: 'stopped' }])
    expect(end.state.status).toBe('finishing')
    expect(end.effects).toEqual([{ kind: 'finish', runId: 'r4', ended: 'stopped', error: undefined }])
    s = finishFromRun(end.state, runDetails('r4', 'stopped', end.state.metrics), 'stopped')
    expect(s.status).toBe('stopped')
    expect(s.progress.cnn.done).toBe(1)
  })

  it('"trained on" reads the route from the started event, and from run.json for an opened run; nothing without one', () => {
    let s = emptyState({ kind: 'live', runId: 'r5' }, null, 'running')
    ;({ state: s } = play(s, [training('r5', started([model('cnn', fused), model('mlp')]))]))
    expect(trainedOnLine(s.models[0])).toBe('trained on: fused SIMD, two cores')
    expect(trainedOnLine(s.models[1])).toBeNull()

    const opened = stateFromRun({ kind: 'run', runId: 'r5' }, runDetails('r5', 'completed', [row('cnn', 2, 0.9)], [model('cnn', { id: 'tiny-wasm', cores: 1, backend: 'simd', label: 'tiny-model WebAssembly, one core' })]))
    expect(opened.status).toBe('completed')
    expect(opened.progress.cnn.done).toBe(2)
    expect(trainedOnLine(opened.models[0])).toBe('trained on: tiny-model WebAssembly, one core')
  })
})

function runDetails(id: string, status: RunDetails['status'], metrics: MetricRow[], models: ModelSummary[] = [model('cnn')]): RunDetails {
  const experiment = getPreset('patterns-3')!
  return {
    id,
    status,
    experiment,
    run: { format: 'cnn-lab.run', version: 1, status, startedAt: T0, engineVersion: 'test', name: 'test', models, final: {}, savedData: false } as RunDetails['run'],
    metrics: [...metrics],
    skippedMetricLines: 0,
    snapshots: [],
    weights: { cnn: { '0.weight': { shape: [1], data: [0.5] } } },
  }
}
