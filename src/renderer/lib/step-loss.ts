/**
 * The per-step training loss curve: points as they arrive (each the mean of a
 * few batches, see the engine's `step-loss` event), kept bounded by merging
 * neighbours, and smoothed as TensorBoard smooths its scalars.
 */

/** One model's points, oldest first: position in epochs (fractional), mean loss, steps behind it. */
export interface StepSeries {
  epochs: number[]
  losses: number[]
  steps: number[]
}

/** At most this many points per model; past it the series is halved by merging neighbours. */
export const MAX_STEP_POINTS = 2000

/** TensorBoard's default smoothing weight for the loss chart (its slider's 0.6). */
export const DEFAULT_SMOOTHING = 0.6

export function emptySeries(): StepSeries {
  return { epochs: [], losses: [], steps: [] }
}

/**
 * Adds a point (in place). When the series outgrows `max`, neighbours merge
 * pairwise: the later position, the step-weighted mean loss. The curve keeps
 * its whole span and its latest point; memory stays bounded however long the run.
 */
export function appendStep(series: StepSeries, point: { epoch: number; loss: number; steps: number }, max = MAX_STEP_POINTS): void {
  const n = series.epochs.length
  // A point at or before the last one (a backfill overlapping the live stream) is already in.
  if (n > 0 && point.epoch <= series.epochs[n - 1]) return
  series.epochs.push(point.epoch)
  series.losses.push(point.loss)
  series.steps.push(Math.max(1, point.steps))
  if (series.epochs.length > max) halve(series)
}

function halve(series: StepSeries): void {
  const { epochs, losses, steps } = series
  const n = epochs.length
  let out = 0
  for (let i = 0; i < n; i += 2) {
    if (i + 1 < n) {
      const w = steps[i] + steps[i + 1]
      epochs[out] = epochs[i + 1]
      losses[out] = (losses[i] * steps[i] + losses[i + 1] * steps[i + 1]) / w
      steps[out] = w
    } else {
      epochs[out] = epochs[i]
      losses[out] = losses[i]
      steps[out] = steps[i]
    }
    out++
  }
  epochs.length = out
  losses.length = out
  steps.length = out
}

/**
 * TensorBoard's smoothing: an exponential moving average with debiasing, so
 * the first points are not pulled towards zero. `weight` 0 returns the values;
 * non-finite values are passed through without entering the average.
 */
export function emaSmooth(values: readonly number[], weight = DEFAULT_SMOOTHING): number[] {
  let last = 0
  let count = 0
  return values.map((v) => {
    if (!Number.isFinite(v)) return v
    last = last * weight + (1 - weight) * v
    count++
    const debias = weight === 1 ? 1 : 1 - weight ** count
    return last / debias
  })
}
