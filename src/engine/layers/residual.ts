/**
 * A residual block: y = x + body(x), the body a list of layers whose output
 * shape equals its input's. The identity path hands the gradient straight
 * back (dx = dy + body's dx), which is why deep stacks of these still learn.
 *
 * Parameters are named "body.M.weight" (M the index in the body), so a torch
 * module with `self.body = nn.Sequential(...)` and `forward = x + self.body(x)`
 * loads them as they are.
 */
import type { LayerSpec } from '../../shared/experiment'
import { formatShape, precisionOf, reuseTensor, type Tensor } from '../tensor'
import type { Buffer, Layer, Param } from './layer'

export type ResidualSpec = Extract<LayerSpec, { type: 'residual' }>

/**
 * A layer inside a block that does not fit: `path` is relative to the block
 * ("layers.1", "layers.0.layers.2"), so the model can name the full field path.
 */
export class NestedLayerError extends Error {
  constructor(readonly path: string, readonly layerType: string, readonly reason: string) {
    super(`${path} (${layerType}): ${reason}`)
  }
}

export function residualOutputShape(
  spec: ResidualSpec, input: readonly number[],
  shapeOf: (spec: LayerSpec, input: readonly number[]) => number[],
): number[] {
  let shape: readonly number[] = input
  spec.layers.forEach((inner, index) => {
    try {
      shape = shapeOf(inner, shape)
    } catch (error) {
      if (error instanceof NestedLayerError) throw new NestedLayerError(`layers.${index}.${error.path}`, error.layerType, error.reason)
      throw new NestedLayerError(`layers.${index}`, inner.type, (error as Error).message)
    }
  })
  if (shape.length !== input.length || shape.some((d, i) => d !== input[i])) {
    throw new Error(`its body turns ${formatShape(input)} into ${formatShape(shape)}, but x + body(x) needs the body to keep the shape`)
  }
  return [...input]
}

export class Residual implements Layer {
  readonly type = 'residual'
  readonly params: readonly Param[]
  readonly buffers: readonly Buffer[]
  private output: Tensor | null = null
  private dx: Tensor | null = null

  constructor(readonly spec: ResidualSpec, readonly children: readonly Layer[], private readonly shape: readonly number[]) {
    const prefixed = <T extends { name: string }>(items: (layer: Layer) => readonly T[]) =>
      children.flatMap((layer, m) => items(layer).map((item) => ({ ...item, name: `body.${m}.${item.name}` })))
    // The prefixed entries share the layers' tensors, so optimiser steps and loads reach the body.
    this.params = prefixed((layer) => layer.params)
    this.buffers = prefixed((layer) => layer.buffers ?? [])
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length !== this.shape.length || inputShape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`residual: built for ${formatShape(this.shape)} but asked about ${formatShape(inputShape)}`)
    }
    return [...inputShape]
  }

  forward(x: Tensor, training: boolean): Tensor {
    let h = x
    for (const layer of this.children) h = layer.forward(h, training)
    const y = (this.output = reuseTensor(this.output, x.shape, precisionOf(x.data)))
    for (let i = 0; i < y.data.length; i++) y.data[i] = x.data[i] + h.data[i]
    return y
  }

  backward(dy: Tensor): Tensor {
    if (!this.output) throw new Error('residual: backward called before forward')
    let g = dy
    for (let i = this.children.length - 1; i >= 0; i--) g = this.children[i].backward(g)
    const dx = (this.dx = reuseTensor(this.dx, dy.shape, precisionOf(dy.data)))
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = dy.data[i] + g.data[i]
    return dx
  }
}
