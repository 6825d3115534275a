/** Small, pure descriptions of an experiment for display. */
import type { DatasetSpec, LayerSpec, ModelSpec } from '../shared/experiment'

export function layerParameters(layer: LayerSpec): number {
  switch (layer.type) {
    case 'conv2d':
      return layer.outChannels * layer.inChannels * layer.kernelSize * layer.kernelSize + (layer.bias ? layer.outChannels : 0)
    case 'linear':
      return layer.outFeatures * layer.inFeatures + (layer.bias ? layer.outFeatures : 0)
    default:
      return 0
  }
}

export function modelParameters(model: ModelSpec): number {
  return model.layers.reduce((sum, layer) => sum + layerParameters(layer), 0)
}

export function describeLayer(layer: LayerSpec): string {
  switch (layer.type) {
    case 'conv2d':
      return `Conv ${layer.inChannels}→${layer.outChannels}, ${layer.kernelSize}×${layer.kernelSize}${layer.padding ? `, pad ${layer.padding}` : ''}`
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
