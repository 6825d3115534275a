import { describe, expect, it } from 'vitest'
import { createCoalescer, createTrainingCoalescer } from '../../src/host/coalescer'
import type { TrainingEvent } from '../../src/shared/training-events'

/** A hand-cranked clock and timer queue. */
function fakeTime() {
  let now = 0
  let timers: { at: number; fn: () => void; id: number }[] = []
  let next = 0
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = ++next
      timers.push({ at: now + ms, fn, id })
      return id
    },
    clearTimer: (id: unknown) => {
      timers = timers.filter((t) => t.id !== id)
    },
    advance(to: number) {
      for (;;) {
        const due = timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0]
        if (!due) break
        timers = timers.filter((t) => t !== due)
        now = due.at
        due.fn()
      }
      now = to
    },
  }
}

const batch = (model: string, epoch: number, b: number): TrainingEvent => ({ type: 'batch', model, epoch, batch: b, batches: 10, samplesPerSecond: 1 })
const epoch = (model: string, e: number): TrainingEvent => ({
  type: 'epoch',
  row: { model, epoch: e, trainLoss: 1, trainAccuracy: 0, valLoss: 1, valAccuracy: 0, seconds: 0 },
})

describe('the training coalescer', () => {
  it('sends at most 30 updates a second however fast events come, dropping only superseded progress', () => {
    const time = fakeTime()
    const updates: { at: number; events: TrainingEvent[] }[] = []
    const c = createTrainingCoalescer((events) => updates.push({ at: time.now(), events }), time)
    // 11 s of a fast run: an event every millisecond (11,000 events), two models, an epoch every 10 batches.
    const sent: TrainingEvent[] = []
    let t = 0
    for (let e = 1; e <= 500; e++) {
      for (const model of ['cnn', 'mlp']) {
        for (let b = 1; b <= 10; b++) {
          const ev = batch(model, e, b)
          sent.push(ev)
          time.advance((t += 1))
          c.push(ev)
        }
        const row = epoch(model, e)
        sent.push(row)
        time.advance((t += 1))
        c.push(row)
        if (e % 100 === 0) {
          const snap: TrainingEvent = { type: 'snapshot', model, epoch: e, weights: {} }
          sent.push(snap)
          c.push(snap)
        }
      }
    }
    const done: TrainingEvent = { type: 'done', status: 'completed' }
    sent.push(done)
    c.push(done)
    time.advance(t + 1000)

    // The rate: no 1-second window holds more than 30 updates (+1 for the window's edge).
    const times = updates.map((u) => u.at)
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((x) => x >= times[i] && x < times[i] + 1000).length
      expect(inWindow).toBeLessThanOrEqual(31)
    }
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000 / 30 - 1e-9)

    // Nothing but progress is dropped, and the order of what is kept is the order sent.
    const received = updates.flatMap((u) => u.events)
    const kept = (list: TrainingEvent[]) => list.filter((e) => e.type !== 'batch')
    expect(kept(received)).toEqual(kept(sent))
    expect(received.at(-1)).toEqual(done)
    // Each update carries at most one progress tick per model, the latest one.
    for (const u of updates) {
      const ticks = u.events.filter((e) => e.type === 'batch') as Extract<TrainingEvent, { type: 'batch' }>[]
      expect(new Set(ticks.map((e) => e.model)).size).toBe(ticks.length)
    }
    console.log(`[coalescer] ${sent.length} events over ${(t / 1000).toFixed(0)} s → ${updates.length} updates (${((updates.length - 1) / ((times.at(-1)! - times[0]) / 1000)).toFixed(1)}/s, never two within 33.3 ms), every epoch row, snapshot and done delivered`)
  })

  it('sends the first event at once and a lone event within one interval', () => {
    const time = fakeTime()
    const updates: TrainingEvent[][] = []
    const c = createTrainingCoalescer((events) => updates.push(events), time)
    c.push(epoch('cnn', 0))
    expect(updates).toHaveLength(1)
    time.advance(5)
    c.push(batch('cnn', 1, 1))
    c.push(batch('cnn', 1, 2))
    expect(updates).toHaveLength(1)
    time.advance(34)
    expect(updates).toEqual([[epoch('cnn', 0)], [batch('cnn', 1, 2)]])
  })

  it('keeps a collapsed tick in its place in time, flushes on demand, and stops after dispose', () => {
    const time = fakeTime()
    const updates: string[][] = []
    const c = createCoalescer<string>({ emit: (e) => updates.push(e), collapseKey: (e) => (e.startsWith('tick') ? 'tick' : null), ...time })
    c.push('first')
    c.push('tick1')
    c.push('row')
    c.push('tick2')
    c.flush()
    expect(updates).toEqual([['first'], ['row', 'tick2']])
    c.push('last')
    c.dispose()
    c.push('ignored')
    time.advance(1000)
    expect(updates.at(-1)).toEqual(['last'])
    expect(updates.flat()).not.toContain('ignored')
  })

  it('merges step-loss points per model: at most one per update, at the latest position, the mean of every step', () => {
    const time = fakeTime()
    const updates: { at: number; events: TrainingEvent[] }[] = []
    const c = createTrainingCoalescer((events) => updates.push({ at: time.now(), events }), time)
    // 2 s of an unthrottled run: one step per model every 0.5 ms (8,000 points), losses 1, 2, 3, …
    const sent: Extract<TrainingEvent, { type: 'step-loss' }>[] = []
    let t = 0
    for (let s = 1; s <= 4000; s++) {
      for (const model of ['cnn', 'mlp']) {
        const point: TrainingEvent = { type: 'step-loss', model, epoch: s / 100, loss: s, steps: 1 }
        sent.push(point)
        time.advance((t += 0.25))
        c.push(point)
      }
    }
    time.advance(t + 1000)
    const received = updates.flatMap((u) => u.events) as typeof sent
    for (const model of ['cnn', 'mlp']) {
      const mine = received.filter((e) => e.model === model)
      // Bounded: about 30 points a second per model, however many steps ran.
      expect(mine.length).toBeLessThanOrEqual(2 * 30 + 2)
      expect(mine.length).toBeGreaterThan(30)
      // Downsampled, not dropped: every step is counted once, the last position arrives,
      // and each point's loss is the mean of the steps it stands for.
      expect(mine.reduce((a, e) => a + e.steps, 0)).toBe(4000)
      expect(mine.at(-1)!.epoch).toBe(40)
      let first = 1
      for (const e of mine) {
        const last = first + e.steps - 1
        expect(e.loss).toBeCloseTo((first + last) / 2, 9)
        expect(e.epoch).toBe(last / 100)
        first = last + 1
      }
    }
    for (const u of updates) {
      const points = u.events.filter((e) => e.type === 'step-loss') as typeof sent
      expect(new Set(points.map((e) => e.model)).size).toBe(points.length)
    }
  })
})
