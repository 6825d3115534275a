import { describe, expect, it } from 'vitest'
import { routeLines, summaryTable, weightGrids } from '../../src/cli/run-summary'

type Weights = Parameters<typeof weightGrids>[1] extends ReadonlyMap<string, infer W> ? W : never
import type { ModelSummary } from '../../src/shared/training-events'

const summary = (id: string, inputShape: number[]): ModelSummary => ({
  id,
  label: id.toUpperCase(),
  inputShape,
  layers: [],
  parameterCount: 0,
  epochs: 1,
})

describe('the summary table and its route lines', () => {
  it('names the route that trained each model that has one, under the table', () => {
    const cnn: ModelSummary = {
      ...summary('cnn', [1, 8, 8]),
      parameterCount: 30,
      route: { id: 'fused-simd', cores: 2, backend: 'relaxed-simd', label: 'fused SIMD, two cores' },
    }
    const mlp = summary('mlp', [1, 8, 8])
    expect(routeLines([cnn, mlp])).toBe('cnn: trained on fused SIMD, two cores (backend relaxed-simd)')
    expect(routeLines([mlp])).toBe('')
    const final = new Map([['cnn', { model: 'cnn', epoch: 1, trainLoss: 0.5, trainAccuracy: 0.9, valLoss: 0.6, valAccuracy: 0.875, seconds: 1.5 }]])
    const table = summaryTable([cnn, mlp], final).split('\n')
    expect(table[0]).toMatch(/^model\s+label\s+params\s+epochs\s+train acc\s+val acc\s+seconds$/)
    expect(table[1]).toMatch(/^cnn\s+CNN\s+30\s+1\s+90\.0%\s+87\.5%\s+1\.50$/)
    expect(table[2]).toMatch(/^mlp\s+MLP\s+0\s+0\s+-\s+-\s+-$/)
  })
})

describe('weightGrids', () => {
  it("prints a conv kernel and a one-unit linear layer's wall in the lesson's +0.00 format", () => {
    const kernel = { shape: [1, 1, 2, 2], data: [1.234, -0.5, 0, -2.006] }
    const wall = { shape: [1, 4], data: [0.1, 0.2, -0.3, 0.4] }
    const text = weightGrids(
      [summary('cnn', [1, 2, 2]), summary('mlp', [1, 2, 2])],
      new Map<string, Weights>([
        ['cnn', { '0.weight': kernel }],
        ['mlp', { '1.weight': wall }],
      ]),
    )
    expect(text).toBe(
      ['cnn (CNN) 0.weight, 2x2:', '+1.23 -0.50', '+0.00 -2.01', '', 'mlp (MLP) 1.weight, 2x2:', '+0.10 +0.20', '-0.30 +0.40'].join('\n'),
    )
  })

  it('prints nothing for a model too big to read in a terminal', () => {
    const big = { shape: [32, 1, 3, 3], data: new Float32Array(288) }
    expect(weightGrids([summary('cnn', [1, 28, 28])], new Map([['cnn', { '0.weight': big }]]))).toBe('')
  })
})
