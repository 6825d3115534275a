/**
 * Gradients by central finite differences, the way lesson 000 trains before it
 * has backprop: nudge one parameter up by epsilon, measure the mean loss on the
 * whole training set, nudge it down, measure again, and take the slope. Every
 * gradient is measured before any parameter moves; the optimizer then updates
 * them all at once. Slow (two full passes per parameter) and exact enough to
 * learn with, which is the lesson.
 *
 * This is the readable reference (the layer routes run it). For the lesson's
 * tiny models the tiny-wasm route runs the very same procedure inside
 * WebAssembly (../routes/tiny-wasm.ts, `finiteDifferenceStep`): every nudge still a full forward pass over the
 * whole training set, bit-identical in float64, only without the overhead.
 */
import type { Dataset } from '../datasets/dataset'
import type { Sequential } from '../model'
import type { Loss } from '../loss/index'

export function finiteDifferenceGradients(model: Sequential, train: Dataset, loss: Loss, epsilon: number): void {
  const meanLoss = () => loss.compute(model.forward(train.x, false), train.y, false).loss
  for (const param of model.params()) {
    const values = param.value.data
    const grads = param.grad.data
    for (let i = 0; i < values.length; i++) {
      const original = values[i]
      values[i] = original + epsilon
      const up = meanLoss()
      values[i] = original - epsilon
      const down = meanLoss()
      values[i] = original
      grads[i] = (up - down) / (2 * epsilon)
    }
  }
}
