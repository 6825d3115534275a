/**
 * The validation confusion matrix from per-sample predictions: the trainer
 * fills them in its own val pass each epoch; the renderer uses the same code
 * for results files that carry weights but no counts.
 */
import { CELL_SAMPLE_LIMIT } from '../../shared/training-events'

/** counts[actual][predicted] over a set. */
export function confusionCounts(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]
    const p = predicted[i]
    if (a >= 0 && a < classes && p >= 0 && p < classes) counts[a][p]++
  }
  return counts
}

/** cells[actual * classes + predicted]: the first `limit` val indices of each cell, ascending. */
export function confusionCells(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: number, limit = CELL_SAMPLE_LIMIT): number[][] {
  const cells = Array.from({ length: classes * classes }, () => [] as number[])
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]
    const p = predicted[i]
    if (a < 0 || a >= classes || p < 0 || p >= classes) continue
    const cell = cells[a * classes + p]
    if (cell.length < limit) cell.push(i)
  }
  return cells
}
