/**
 * Forward outputs and backward gradients against PyTorch 1.13 (float64), from
 * JSON made once by scripts/fixtures/make_torch_fixtures.py; no Python needed here.
 */
import { describe, expect, it } from 'vitest'
import type { LayerSpec } from '../../src/shared/experiment'
import { createLayer } from '../../src/engine/layers'
import type { Precision } from '../../src/engine/tensor'
import conv2d from '../fixtures/torch/conv2d.json'
import linear from '../fixtures/torch/linear.json'
import maxpool2d from '../fixtures/torch/maxpool2d.json'
import { blockedKernel } from '../../src/engine/kernels/matmul'

interface JsonTensor { shape: number[]; data: number[] }
interface Case {
  spec: Record<string, unknown>
  input: JsonTensor
  output: JsonTensor
  dy: JsonTensor
  inputGrad: JsonTensor
  weight?: JsonTensor
  bias?: JsonTensor
  weightGrad?: JsonTensor
  biasGrad?: JsonTensor
}

function expectClose(actual: ArrayLike<number>, expected: JsonTensor, tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.data.length)
  let worst = 0
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected.data[i]) / (1 + Math.abs(expected.data[i])))
  expect(worst, what).toBeLessThan(tolerance)
}

function runCase(c: Case, precision: Precision): void {
  const spec = { bias: true, ...c.spec } as LayerSpec
  const Type = precision === 'float64' ? Float64Array : Float32Array
  const tolerance = precision === 'float64' ? 1e-12 : 1e-5
  const layer = createLayer(spec, c.input.shape.slice(1), precision, blockedKernel)
  for (const p of layer.params) {
    const source = p.name === 'weight' ? c.weight! : c.bias!
    expect(p.value.shape).toEqual(source.shape)
    p.value.data.set(source.data)
  }
  const y = layer.forward({ shape: c.input.shape, data: Type.from(c.input.data) }, true)
  expect(y.shape).toEqual(c.output.shape)
  expectClose(y.data, c.output, tolerance, 'output')
  const dx = layer.backward({ shape: c.dy.shape, data: Type.from(c.dy.data) })
  expect(dx.shape).toEqual(c.inputGrad.shape)
  expectClose(dx.data, c.inputGrad, tolerance, 'input grad')
  for (const p of layer.params) {
    expectClose(p.grad.data, p.name === 'weight' ? c.weightGrad! : c.biasGrad!, tolerance, `${p.name} grad`)
  }
}

const suites: [string, { cases: Case[] }][] = [
  ['conv2d', conv2d as { cases: Case[] }],
  ['maxpool2d', maxpool2d as { cases: Case[] }],
  ['linear', linear as { cases: Case[] }],
]

for (const [name, fixture] of suites) {
  describe(`${name} matches PyTorch`, () => {
    fixture.cases.forEach((c, index) => {
      for (const precision of ['float64', 'float32'] as const) {
        it(`case ${index} ${JSON.stringify(c.spec)} in ${precision}`, () => runCase(c, precision))
      }
    })
  })
}
