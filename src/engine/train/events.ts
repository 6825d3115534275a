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
  /**
   * Training loss within an epoch: the mean batch loss over the steps since the
   * last point (at most a few points per model per second, and one at each
   * epoch's end), at `epoch`, the fractional epoch the last of them ended at.
   */
  | { type: 'step-loss'; model: string; epoch: number; loss: number; steps: number }
  | { type: 'epoch'; row: MetricRow }
  /**
   * The validation pictures behind each confusion cell at `epoch` (the model's
   * last, or where the run stopped): cells[actual * classes + predicted] holds
   * up to CELL_SAMPLE_LIMIT val indices, ascending. The counts are on the epoch's row.
   */
  | { type: 'confusion-cells'; model: string; epoch: number; cells: number[][] }
  /** What the run is doing before its first epoch (the worker loads MNIST's images). */
  | { type: 'phase'; phase: 'loading-data' }
  | { type: 'snapshot'; model: string; epoch: number; weights: NamedWeights }
  | { type: 'done'; status: 'completed' | 'stopped' }
  | { type: 'error'; message: string }

/** Val indices kept per confusion cell: enough to show a cell's pictures, bounded for 100,000 samples. */
export const CELL_SAMPLE_LIMIT = 64

export type TrainingSink = (event: TrainingEvent) => void
