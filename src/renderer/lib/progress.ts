/**
 * Progress, ETA and speed for the progress bar. Pure: the training store
 * feeds it what the events said and how long the run has been active.
 */

export interface ModelProgress {
  /** Epochs finished (the last 'epoch' row). */
  done: number
  epochs: number
  /** Batches finished within the epoch under way (0 when between epochs). */
  batch: number
  batches: number
}

/** Fraction of all the work (every model's epochs) that is done, in [0, 1]. */
export function overallFraction(models: readonly ModelProgress[]): number {
  let total = 0
  let done = 0
  for (const m of models) {
    if (m.epochs <= 0) continue
    total += m.epochs
    const partial = m.done < m.epochs && m.batches > 0 ? Math.min(1, m.batch / m.batches) : 0
    done += Math.min(m.epochs, m.done + partial)
  }
  return total === 0 ? 0 : done / total
}

/**
 * Seconds left, extrapolating the rate so far (active time only: pauses do not
 * count). Null until there is something to extrapolate from.
 */
export function estimateRemaining(fraction: number, activeSeconds: number): number | null {
  if (!(fraction > 0) || !(activeSeconds > 0)) return null
  if (fraction >= 1) return 0
  return (activeSeconds * (1 - fraction)) / fraction
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const minutes = Math.floor(s / 60)
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
}

export function formatRate(samplesPerSecond: number | null): string {
  if (samplesPerSecond === null || !Number.isFinite(samplesPerSecond) || samplesPerSecond <= 0) return '—'
  if (samplesPerSecond >= 10_000) return `${Math.round(samplesPerSecond / 1000).toLocaleString('en-US')}k samples/s`
  return `${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s`
}

/** The pace slider's stops, epochs per second; null is "as fast as it goes". */
export const PACE_STOPS: readonly (number | null)[] = [0.5, 1, 2, 5, 10, 20, 50, 100, null]

export function paceLabel(pace: number | null): string {
  return pace === null ? 'full speed' : `${pace} epoch${pace === 1 ? '' : 's'}/s`
}

export function paceIndex(pace: number | null): number {
  const i = PACE_STOPS.indexOf(pace)
  if (i >= 0) return i
  if (pace === null) return PACE_STOPS.length - 1
  // The nearest stop, for a pace set elsewhere (another window, the terminal).
  let best = 0
  PACE_STOPS.forEach((stop, index) => {
    if (stop !== null && Math.abs(stop - pace) < Math.abs((PACE_STOPS[best] ?? Infinity) - pace)) best = index
  })
  return best
}
