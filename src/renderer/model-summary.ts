/** Small, pure descriptions of an experiment for display. */
import type { DatasetSpec, LayerSpec, ModelSpec } from '../shared/experiment'
import { convAxes, pair, sizeText } from '../shared/layer-geometry'
import { layerParameterCount } from '../engine/layers'

/** Learned parameters of one layer (the engine's count: batch norm's running statistics are not parameters). */
export function layerParameters(layer: LayerSpec): number {
  return layerParameterCount(layer)
}

export function modelParameters(model: ModelSpec): number {
  return model.layers.reduce((sum, layer) => sum + layerParameters(layer), 0)
}

export function describeLayer(layer: LayerSpec): string {
  switch (layer.type) {
    case 'conv2d': {
      const { stride, padding, groups } = convAxes(layer)
      const extras = [
        stride[0] !== 1 || stride[1] !== 1 ? `stride ${stride[0] === stride[1] ? stride[0] : `${stride[0]}×${stride[1]}`}` : '',
        padding[0] || padding[1] ? `pad ${padding[0] === padding[1] ? padding[0] : `${padding[0]}×${padding[1]}`}` : '',
        groups === layer.inChannels && groups > 1 ? 'depthwise' : groups > 1 ? `${groups} groups` : '',
      ].filter(Boolean)
      return `Conv ${layer.inChannels}→${layer.outChannels}, ${sizeText(layer.kernelSize)}${extras.map((e) => `, ${e}`).join('')}`
    }
    case 'linear':
      return `Linear ${layer.inFeatures}→${layer.outFeatures}`
    case 'maxpool2d':
      return `MaxPool ${layer.kernelSize}`
    case 'dropout':
      return `Dropout ${layer.p}`
    case 'relu':
      return 'ReLU'
    case 'sigmoid':
      return 'Sigmoid'
    case 'flatten':
      return 'Flatten'
    case 'globalmaxpool2d':
      return 'Global max-pool'
    case 'avgpool2d':
      return `AvgPool ${pair(layer.kernelSize)[0] === pair(layer.kernelSize)[1] ? pair(layer.kernelSize)[0] : sizeText(layer.kernelSize)}`
    case 'globalavgpool2d':
      return 'Global average-pool'
    case 'batchnorm2d':
      return `BatchNorm ${layer.numFeatures}`
    case 'residual':
      return `Residual [${layer.layers.map(describeLayer).join(', ')}]`
  }
}

export function describeDataset(dataset: DatasetSpec): string {
  switch (dataset.kind) {
    case 'edges':
      return `Edges, ${dataset.size}×${dataset.size}`
    case 'patterns':
      return `Patterns (${dataset.classes.length} classes), ${dataset.size}×${dataset.size}`
    case 'mnist':
      return dataset.valShift > 0 ? `MNIST, validation shifted ≤ ${dataset.valShift}px` : 'MNIST digits, 28×28'
    case 'digits':
      return dataset.valShift > 0 ? `Digits 8×8, validation shifted ≤ ${dataset.valShift}px` : 'Digits, 8×8'
    case 'fashion':
      return dataset.valShift > 0 ? `Fashion-MNIST, validation shifted ≤ ${dataset.valShift}px` : 'Fashion-MNIST, 28×28'
    case 'colour':
      return `Colour bars (RGB), ${dataset.size}×${dataset.size}`
  }
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
