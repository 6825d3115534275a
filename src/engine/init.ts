/**
 * A model's starting weights from an InitSpec. Every scheme walks the layers in
 * order and each weight in PyTorch memory order ([out, in, kh, kw], [out, in]),
 * so a given seed always gives the same model, and the python-* schemes draw
 * exactly the numbers lesson 000's `random.Random(seed)` loops draw.
 */
import type { InitSpec } from '../shared/experiment'
import type { Layer, Param } from './layers/layer'
import { PythonRandom } from './python-random'
import { Rng } from './rng'

/** Inputs feeding each output unit: in·kh·kw for a conv weight, in for a linear one. */
export function fanIn(weight: Param): number {
  const shape = weight.value.shape
  return shape.length > 1 ? weight.value.data.length / shape[0] : shape[0]
}

/** The layers that own parameters, in order: a residual block stands for its body's layers. */
function leafLayers(layers: readonly Layer[]): Layer[] {
  return layers.flatMap((layer) => (layer.children ? leafLayers(layer.children) : [layer]))
}

/** The drawn schemes; `fixed` copies its tensors in instead (fixedParams). */
type DrawnInit = Exclude<InitSpec, { scheme: 'fixed' }>

/**
 * A hand-set model: every parameter copied from its named tensor, which must
 * have the parameter's PyTorch shape; a missing, misshapen or unknown name is
 * an error naming it (batch norm's buffers keep their fresh 0 and 1).
 */
export function fixedParams(params: readonly { name: string; param: Param }[], tensors: Readonly<Record<string, { shape: readonly number[]; data: readonly number[] }>>): void {
  const known = new Set(params.map((p) => p.name))
  for (const name of Object.keys(tensors)) {
    if (!known.has(name)) throw new Error(`init.tensors.${name}: the model has no parameter of that name (it has ${[...known].join(', ')})`)
  }
  for (const { name, param } of params) {
    const given = tensors[name]
    const shape = param.value.shape
    if (!given) throw new Error(`init.tensors.${name}: missing; a fixed init gives every parameter, shape [${shape.join(', ')}]`)
    if (given.shape.length !== shape.length || given.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`init.tensors.${name}: shape [${given.shape.join(', ')}] does not match the parameter's [${shape.join(', ')}]`)
    }
    param.value.data.set(given.data)
  }
}

export function initialiseParams(model: { layers: readonly Layer[] }, init: DrawnInit): void {
  const draw = makeDraw(init)
  for (const layer of leafLayers(model.layers)) {
    // Batch norm starts at weight 1, bias 0 in every scheme, as in torch (and draws nothing).
    if (layer.ownInit) continue
    const weight = layer.params.find((p) => p.name === 'weight')
    if (!weight) continue
    const fan = fanIn(weight)
    for (const param of layer.params) {
      const data = param.value.data
      const isWeight = param.name === 'weight'
      // Only pytorch-default draws biases; the others start them at zero.
      if (!isWeight && init.scheme !== 'pytorch-default') {
        data.fill(0)
        continue
      }
      for (let i = 0; i < data.length; i++) data[i] = draw(fan)
    }
  }
}

function makeDraw(init: DrawnInit): (fanIn: number) => number {
  switch (init.scheme) {
    case 'he-normal': {
      const rng = new Rng(init.seed)
      return (fan) => rng.normal() * Math.sqrt(2 / fan)
    }
    case 'pytorch-default': {
      // What torch.nn's kaiming_uniform_(a=√5) and its bias rule both reduce to.
      const rng = new Rng(init.seed)
      return (fan) => {
        const bound = 1 / Math.sqrt(fan)
        return rng.uniform(-bound, bound)
      }
    }
    case 'python-gauss': {
      const rng = new PythonRandom(init.seed)
      return () => rng.gauss(init.mean, init.std)
    }
    case 'python-uniform': {
      const rng = new PythonRandom(init.seed)
      return () => rng.uniform(init.low, init.high)
    }
  }
}
