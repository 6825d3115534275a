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

export function initialiseParams(model: { layers: readonly Layer[] }, init: InitSpec): void {
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

function makeDraw(init: InitSpec): (fanIn: number) => number {
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
