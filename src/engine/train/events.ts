/**
 * What the trainer tells the world. The engine does no I/O: the worker turns
 * these into protocol messages, the host into run files and UI updates.
 */
import type { MetricRow } from '../../shared/experiment'
import type { Tensor } from '../tensor'

/** Parameters by PyTorch name ("0.weight"). */
export type NamedWeights = Record<string, Tensor>

export interface LayerSummary {
  index: number
  type: string
  /** One sample's output shape, no batch axis. */
  outputShape: number[]
  parameterCount: number
}

export interface ModelSummary {
  id: string
  label: string
  inputShape: number[]
  layers: LayerSummary[]
  parameterCount: number
  epochs: number
}

export type TrainingEvent =
  | { type: 'started'; models: ModelSummary[]; trainCount: number; valCount: number; classes: string[] }
  | {
      type: 'batch'
      model: string
      epoch: number
      batch: number
      batches: number
      /** Samples per second over the model's last few batches. */
      samplesPerSecond: number
    }
  | { type: 'epoch'; row: MetricRow }
  | { type: 'snapshot'; model: string; epoch: number; weights: NamedWeights }
  | { type: 'done'; status: 'completed' | 'stopped' }
  | { type: 'error'; message: string }

export type TrainingSink = (event: TrainingEvent) => void
