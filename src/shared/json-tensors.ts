/**
 * Weights as JSON (shape + plain numbers): how tensors travel to the renderer
 * and into experiment files. Typed arrays stay on the Node side.
 */
import type { JsonTensor, NamedTensors } from './experiment'

type AnyTensor = { readonly shape: readonly number[]; readonly data: ArrayLike<number> }

export function toJsonTensors(weights: Record<string, AnyTensor>): NamedTensors {
  const out: NamedTensors = {}
  for (const [name, t] of Object.entries(weights)) {
    const tensor: JsonTensor = { shape: [...t.shape], data: Array.from(t.data) }
    out[name] = tensor
  }
  return out
}
