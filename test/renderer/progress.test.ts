import { describe, expect, it } from 'vitest'
import { PACE_STOPS, estimateRemaining, formatDuration, formatRate, overallFraction, paceIndex } from '../../src/renderer/lib/progress'

describe('progress and ETA', () => {
  it('weighs each model by its own epochs and counts the epoch under way', () => {
    expect(overallFraction([])).toBe(0)
    expect(overallFraction([{ done: 40, epochs: 80, batch: 0, batches: 10 }])).toBe(0.5)
    expect(overallFraction([{ done: 40, epochs: 80, batch: 5, batches: 10 }])).toBeCloseTo(40.5 / 80)
    // lesson 000: 400 and 80 epochs advance in proportion
    expect(overallFraction([
      { done: 200, epochs: 400, batch: 0, batches: 1 },
      { done: 40, epochs: 80, batch: 0, batches: 1 },
    ])).toBe(0.5)
    expect(overallFraction([{ done: 80, epochs: 80, batch: 3, batches: 10 }])).toBe(1)
  })

  it('extrapolates the remaining time from the active time so far', () => {
    expect(estimateRemaining(0, 10)).toBeNull()
    expect(estimateRemaining(0.5, 0)).toBeNull()
    expect(estimateRemaining(0.25, 10)).toBeCloseTo(30)
    expect(estimateRemaining(1, 10)).toBe(0)
  })

  it('formats durations and speeds', () => {
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(4.4)).toBe('4 s')
    expect(formatDuration(65)).toBe('1 min 05 s')
    expect(formatDuration(3725)).toBe('1 h 02 min')
    expect(formatRate(0)).toBe('—')
    expect(formatRate(1234.4)).toBe('1,234 samples/s')
    expect(formatRate(25_000)).toBe('25k samples/s')
  })

  it('maps a pace to the nearest slider stop', () => {
    expect(paceIndex(null)).toBe(PACE_STOPS.length - 1)
    expect(PACE_STOPS[paceIndex(20)]).toBe(20)
    expect(PACE_STOPS[paceIndex(18)]).toBe(20)
    expect(PACE_STOPS[paceIndex(0.1)]).toBe(0.5)
  })
})
