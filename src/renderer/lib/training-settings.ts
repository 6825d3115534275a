/**
 * Each model's effective training settings: the experiment's, with the
 * model's own overrides (lesson 000 trains its FC detector 80 epochs at lr 3
 * and its conv detector 400 at lr 1), so every place that shows settings
 * shows the ones that actually run.
 */
import type { Experiment } from '../../shared/experiment'

export interface ModelSettings {
  epochs: number
  learningRate: number
  batchSize: number | 'full'
  /** Whether any of them differs from the experiment's shared settings. */
  ownSettings: boolean
}

export function modelSettings(experiment: Experiment, modelId: string): ModelSettings | null {
  const spec = experiment.models.find((m) => m.id === modelId)
  if (!spec) return null
  const shared = experiment.training
  const own = spec.training ?? {}
  return {
    epochs: own.epochs ?? shared.epochs,
    learningRate: own.learningRate ?? shared.learningRate,
    batchSize: own.batchSize ?? shared.batchSize,
    ownSettings: own.epochs !== undefined || own.learningRate !== undefined || own.batchSize !== undefined,
  }
}

/** "80 epochs · lr 3 · batch full" */
export function settingsText(s: ModelSettings): string {
  return `${s.epochs} epochs · lr ${s.learningRate} · batch ${s.batchSize === 'full' ? 'full' : s.batchSize}`
}
