/**
 * Lesson 004's layers against PyTorch 1.13 in float64 and float32: forward,
 * backward, and batch norm's running statistics after a few train-mode steps,
 * from test/fixtures/torch/lesson004.json (scripts/fixtures/make_lesson004_fixtures.py).
 * Each layer is model layer 0, so the names are torch's nn.Sequential ones.
 */
import { describe, expect, it } from 'vitest'
import { LayerSpec } from '../../src/shared/experiment'
import { buildModel } from '../../src/engine/model'
import type { Precision } from '../../src/engine/tensor'
import fixture from '../fixtures/torch/lesson004.json'

interface JsonTensor { shape: number[]; data: number[] }
interface Case {
  name: string
  spec: unknown
  training: boolean
  warmup: JsonTensor[]
  start: Record<string, JsonTensor>
  input: JsonTensor
  output: JsonTensor
  dy: JsonTensor
  inputGrad: JsonTensor
  grads: Record<string, JsonTensor>
  end: Record<string, JsonTensor>
}

function expectClose(actual: ArrayLike<number>, expected: JsonTensor, tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.data.length)
  let worst = 0
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected.data[i]) / (1 + Math.abs(expected.data[i])))
  expect(worst, what).toBeLessThan(tolerance)
}

function runCase(c: Case, precision: Precision): void {
  const Type = precision === 'float64' ? Float64Array : Float32Array
  const tolerance = precision === 'float64' ? 1e-11 : 2e-5
  const model = buildModel({ layers: [LayerSpec.parse(c.spec)] }, c.input.shape.slice(1), precision, { initialise: false, inputGradient: true })
  // The lab saves exactly torch's state_dict names, buffers included.
  expect(model.namedStateList.map((t) => t.name).sort()).toEqual(Object.keys(c.start).sort())
  for (const { name, value } of model.namedStateList) expect(value.shape, name).toEqual(c.start[name].shape)
  model.loadWeights(c.start)
  for (const w of c.warmup) model.forward({ shape: w.shape, data: Type.from(w.data) }, true)
  const y = model.forward({ shape: c.input.shape, data: Type.from(c.input.data) }, c.training)
  expect(y.shape).toEqual(c.output.shape)
  expectClose(y.data, c.output, tolerance, 'output')
  const dx = model.backward({ shape: c.dy.shape, data: Type.from(c.dy.data) })!
  expectClose(dx.data, c.inputGrad, tolerance, 'input grad')
  for (const { name, param } of model.namedParams()) expectClose(param.grad.data, c.grads[name], tolerance, `${name} grad`)
  for (const { name, value } of model.namedStateList) expectClose(value.data, c.end[name], tolerance, `${name} after`)
}

describe('lesson 004 layers match PyTorch', () => {
  for (const c of (fixture as unknown as { cases: Case[] }).cases) {
    for (const precision of ['float64', 'float32'] as const) {
      it(`${c.name} (${precision})`, () => runCase(c, precision))
    }
  }
})
