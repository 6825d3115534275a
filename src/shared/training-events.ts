/**
 * What the trainer tells the world (shared: the engine emits these, the host
 * and the renderer read them). The engine does no I/O: the worker turns
 * these into protocol messages, the host into run files and UI updates.
 */
import type { MetricRow } from './experiment'

/** One parameter tensor as the engine holds it (structurally the engine's Tensor). */
export interface WeightTensor {
  readonly shape: readonly number[]
  readonly data: Float32Array | Float64Array
}

/** Parameters by PyTorch name ("0.weight"). */
export type NamedWeights = Record<string, WeightTensor>

/** The numeric backend the engine runs on (CNN_LAB_KERNELS, read once: src/engine/backend.ts). */
export type Backend = 'reference' | 'simd' | 'relaxed-simd'

/**
 * Which code trained a model (src/engine/routes/): the reference layers, the
 * tiny-model WebAssembly module, or the fused SIMD kernels, on one core or two.
 */
export interface RouteSummary {
  id: 'reference' | 'tiny-wasm' | 'fused-simd'
  cores: 1 | 2
  backend: Backend
  /** For people: "fused SIMD, two cores". */
  label: string
}

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
  /** The training route chosen for this model (absent in runs from before routes were named). */
  route?: RouteSummary
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
