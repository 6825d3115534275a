/**
 * A model is a list of layers applied in order, PyTorch's `nn.Sequential`:
 * parameters are named "<index>.weight" / "<index>.bias" with the layer's
 * index in the spec's list, so saved weights load straight into the matching
 * torch model (`relu` and `flatten` take indices too, as they do in torch).
 * Batch norm's buffers follow the same rule ("2.running_mean"), and a
 * residual block's body adds its own ("3.body.0.weight").
 */
import type { InitSpec, LayerSpec } from '../shared/experiment'
import { fixedParams, initialiseParams } from './init'
import {
  NestedLayerError, createLayer, layerOutputShape, layerParameterCount, type Layer, type Param, type RandomSource,
} from './layers'
import { formatShape, sameShape, type Precision, type Tensor } from './tensor'
import type { LayerSummary, NamedWeights } from '../shared/training-events'
import { backendKernels, defaultBackend, type Backend } from './backend'

export interface NamedParam {
  /** "0.weight", "3.bias", … */
  name: string
  param: Param
}

/** A tensor of the model's state (a parameter or a buffer) by its saved name. */
export interface NamedTensor {
  name: string
  value: Tensor
}

/**
 * A faster computation of layers [start, end) that a route puts in their
 * place (../routes/fused-simd.ts): the model's forward and backward then run
 * it instead of those layers, and activations[start .. end-2] are not written.
 */
export interface Stage {
  readonly start: number
  readonly end: number
  forward(x: Tensor, training: boolean): Tensor
  backward(dy: Tensor): Tensor
}

export type ShapeInference =
  | { ok: true; layers: LayerSummary[]; outputShape: number[]; parameterCount: number }
  | {
      ok: false
      /** Starts with the field path: "layers.3 (linear): expects 64 input features but receives 27". */
      error: string
      /** Index of the first layer that does not fit. */
      index: number
      /** Its field path from the model's layers: "layers.3", or "layers.3.layers.1" inside a residual block. */
      path: string
      /** The layers before it, which do fit. */
      layers: LayerSummary[]
    }

function describe(index: number, spec: LayerSpec, reason: string): string {
  return `layers.${index} (${spec.type}): ${reason}`
}

/**
 * Walks the specs from one sample's input shape ([C, H, W]) without allocating
 * any weights: what the experiment editor shows as the user types.
 */
export function inferShapes(layers: readonly LayerSpec[], inputShape: readonly number[]): ShapeInference {
  const summaries: LayerSummary[] = []
  let shape: readonly number[] = inputShape
  let total = 0
  for (let index = 0; index < layers.length; index++) {
    const spec = layers[index]
    try {
      shape = layerOutputShape(spec, shape)
    } catch (error) {
      if (error instanceof NestedLayerError) {
        // A layer inside a block: name it by its full path ("layers.3.layers.1 (conv2d): …").
        const path = `layers.${index}.${error.path}`
        return { ok: false, error: `${path} (${error.layerType}): ${error.reason}`, index, path, layers: summaries }
      }
      return { ok: false, error: describe(index, spec, (error as Error).message), index, path: `layers.${index}`, layers: summaries }
    }
    const parameterCount = layerParameterCount(spec)
    total += parameterCount
    summaries.push({ index, type: spec.type, outputShape: [...shape], parameterCount })
  }
  return { ok: true, layers: summaries, outputShape: [...shape], parameterCount: total }
}

export class Sequential {
  readonly namedParamList: readonly NamedParam[]
  /** Parameters and buffers, layer by layer: what is saved and loaded (a torch state_dict). */
  readonly namedStateList: readonly NamedTensor[]
  readonly parameterCount: number
  readonly outputShape: readonly number[]
  private readonly summaries: LayerSummary[]
  /** Each layer's output from the last forward (probes read feature maps here); overwritten by the next one. */
  readonly activations: Tensor[] = []
  /**
   * Where backward stops: the first layer with parameters, unless the model was
   * built with `inputGradient`. Nothing below it has anything to learn, and
   * the gradient with respect to the data is rarely wanted, so it is skipped.
   */
  private readonly backwardStop: number
  /** stageFrom[i] / stageTo[i]: the stage starting / ending (last layer) at layer i, if any (see useStages). */
  private stageFrom: (Stage | null)[]
  private stageTo: (Stage | null)[]

  constructor(
    readonly specs: readonly LayerSpec[],
    readonly layers: readonly Layer[],
    readonly inputShape: readonly number[],
    readonly precision: Precision,
    /** Whether backward returns dL/dx (see backwardStop). */
    readonly inputGradient = false,
    /** The backend whose GEMM the layers were built with (../backend.ts). */
    readonly backend: Backend = defaultBackend(),
  ) {
    const inferred = inferShapes(specs, inputShape)
    if (!inferred.ok) throw new Error(inferred.error)
    this.summaries = inferred.layers
    this.outputShape = inferred.outputShape
    this.parameterCount = inferred.parameterCount
    const first = layers.findIndex((layer) => layer.params.length > 0)
    this.backwardStop = inputGradient || first < 0 ? 0 : first
    if (!inputGradient && first >= 0 && 'needsInputGrad' in layers[first]) {
      (layers[first] as { needsInputGrad: boolean }).needsInputGrad = false
    }
    this.stageFrom = layers.map(() => null)
    this.stageTo = layers.map(() => null)
    this.namedParamList = layers.flatMap((layer, index) =>
      layer.params.map((param) => ({ name: `${index}.${param.name}`, param })),
    )
    this.namedStateList = layers.flatMap((layer, index) => [
      ...layer.params.map((param) => ({ name: `${index}.${param.name}`, value: param.value })),
      ...(layer.buffers ?? []).map((buffer) => ({ name: `${index}.${buffer.name}`, value: buffer.value })),
    ])
  }

  /** x is [N, ...inputShape]. The result is a buffer the model reuses: copy it to keep it. */
  forward(x: Tensor, training: boolean): Tensor {
    if (x.shape.length !== this.inputShape.length + 1 || this.inputShape.some((d, i) => d !== x.shape[i + 1])) {
      throw new Error(`model expects samples of shape ${formatShape(this.inputShape)} but receives a batch ${formatShape(x.shape)}`)
    }
    let h = x
    for (let i = 0; i < this.layers.length; i++) {
      const stage = this.stageFrom[i]
      if (stage) {
        h = stage.forward(h, training)
        i = stage.end - 1
      } else {
        h = this.layers[i].forward(h, training)
      }
      this.activations[i] = h
    }
    return h
  }

  /**
   * Puts stages in place of the layers they cover (a route's faster code; an
   * empty list restores the layers). Stages must not overlap, and one must
   * not start below the first layer with parameters (backward stops there).
   */
  useStages(stages: readonly Stage[]): void {
    const from: (Stage | null)[] = this.layers.map(() => null)
    const to: (Stage | null)[] = this.layers.map(() => null)
    let covered = 0
    for (const stage of [...stages].sort((a, b) => a.start - b.start)) {
      if (stage.start < covered || stage.end > this.layers.length || stage.end <= stage.start || stage.start < this.backwardStop) {
        throw new Error(`model: a stage over layers ${stage.start}..${stage.end - 1} does not fit this model`)
      }
      from[stage.start] = stage
      to[stage.end - 1] = stage
      covered = stage.end
    }
    this.stageFrom = from
    this.stageTo = to
  }

  /**
   * A copy of every saved tensor, by PyTorch name ("0.weight", "1.running_mean"):
   * the parameters, then batch norm's running statistics, as torch's state_dict.
   */
  stateDict(): NamedWeights {
    const weights: NamedWeights = {}
    for (const { name, value } of this.namedStateList) weights[name] = { shape: [...value.shape], data: value.data.slice() }
    return weights
  }

  /**
   * Copies saved tensors in by PyTorch name (a snapshot, a run file's tensors,
   * a stateDict). Every one must be there with its shape, and nothing else:
   * the error names the first that does not fit.
   */
  loadWeights(weights: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>>): void {
    for (const { name, value } of this.namedStateList) {
      const given = weights[name]
      if (!given) throw new Error(`the weights do not match the model: "${name}" is missing`)
      if (!sameShape(given.shape, value.shape) || given.data.length !== value.data.length) {
        throw new Error(`the weights do not match the model: "${name}" has shape ${formatShape(given.shape)} where the model's is ${formatShape(value.shape)}`)
      }
    }
    const known = new Set(this.namedStateList.map((p) => p.name))
    const extra = Object.keys(weights).find((name) => !known.has(name))
    if (extra !== undefined) throw new Error(`the weights do not match the model: "${extra}" is not one of its parameters`)
    for (const { name, value } of this.namedStateList) value.data.set(weights[name].data)
  }

  /**
   * dy = dL/d(output of the last forward); fills every param's grad. Returns
   * dL/dx when the model was built with `inputGradient: true`, otherwise null.
   */
  backward(dy: Tensor): Tensor | null {
    let g = dy
    for (let i = this.layers.length - 1; i >= this.backwardStop; i--) {
      // A stage ending at layer i takes the gradient for all its layers.
      const stage = this.stageTo[i]
      if (stage) {
        g = stage.backward(g)
        i = stage.start
      } else {
        g = this.layers[i].backward(g)
      }
    }
    return this.inputGradient ? g : null
  }

  namedParams(): NamedParam[] {
    return [...this.namedParamList]
  }

  params(): Param[] {
    return this.namedParamList.map((p) => p.param)
  }

  summary(): LayerSummary[] {
    return this.summaries.map((s) => ({ ...s, outputShape: [...s.outputShape] }))
  }
}

export interface BuildOptions {
  /** Draws dropout masks; needed only if the model has dropout and trains. */
  rng?: RandomSource
  /** Set false to leave every parameter at zero instead of applying `spec.init`. */
  initialise?: boolean
  /** Make backward return dL/dx (saliency, tests); off by default because training never needs it. */
  inputGradient?: boolean
  /** Whose GEMM the layers use (default: the process's, ../backend.ts). */
  backend?: Backend
}

/**
 * Builds a model for samples of `inputShape` ([C, H, W]) and initialises it
 * from `spec.init` when present. A layer that does not fit its input throws an
 * Error whose message starts with its field path ("layers.3 (linear): …").
 */
export function buildModel(
  spec: { layers: readonly LayerSpec[]; init?: InitSpec },
  inputShape: readonly number[],
  precision: Precision = 'float32',
  options: BuildOptions = {},
): Sequential {
  const inferred = inferShapes(spec.layers, inputShape)
  if (!inferred.ok) throw new Error(inferred.error)
  const backend = options.backend ?? defaultBackend()
  const { gemm } = backendKernels(backend)
  const layers: Layer[] = []
  let shape: readonly number[] = inputShape
  spec.layers.forEach((layerSpec, index) => {
    layers.push(createLayer(layerSpec, shape, precision, gemm, options.rng))
    shape = inferred.layers[index].outputShape
  })
  const model = new Sequential(spec.layers, layers, inputShape, precision, options.inputGradient ?? false, backend)
  if (spec.init && options.initialise !== false) {
    if (spec.init.scheme === 'fixed') fixedParams(model.namedParams(), spec.init.tensors)
    else initialiseParams(model, spec.init)
  }
  return model
}
