/** The explorer's pure logic: the table's rows and the one shift range for the drag and the robustness map. */
import { describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'
import { buildModel } from '../../src/engine/model'
import { ShiftSession, equivarianceRows, inputFits, modelWithWeights, shiftLimit, type ProbedModel } from '../../src/renderer/lib/explorer'
import { traceFigure } from '../../src/renderer/lib/probe-figures'
import type { Experiment, NamedTensors } from '../../src/shared/experiment'

function probed(exp: Experiment, inputShape: number[]): ProbedModel[] {
  return exp.models.map((spec) => {
    const m = buildModel(spec, inputShape)
    const weights: NamedTensors = Object.fromEntries(m.namedParams().map(({ name, param }) => [name, { shape: [...param.value.shape], data: Array.from(param.value.data) }]))
    return { id: spec.id, label: spec.label, spec, model: modelWithWeights(spec, inputShape, weights), conv: spec.layers.some((l) => l.type === 'conv2d') }
  })
}

function picture(size: number): { shape: number[]; data: Float32Array } {
  return { shape: [1, size, size], data: Float32Array.from({ length: size * size }, (_, i) => ((i % size) * 7 + Math.floor(i / size) * 3) % 5 === 0 ? 1 : 0.1) }
}

describe('the shift range', () => {
  it('is one number for the drag and the robustness map: ±3 on 8x8, ±4 on 28x28 (as far as mnist-shifted moves its digits)', () => {
    expect(shiftLimit(8)).toBe(3)
    expect(shiftLimit(28)).toBe(4)
    expect(getPreset('mnist-shifted')!.dataset).toMatchObject({ valShift: shiftLimit(28) })
  })

  it('a picture fits only models of its own input shape', () => {
    expect(inputFits(picture(8), [1, 8, 8])).toBe(true)
    expect(inputFits(picture(8), [1, 28, 28])).toBe(false)
    expect(inputFits(picture(28), null)).toBe(false)
  })
})

describe('the equivariance table', () => {
  const patterns = probed(getPreset('patterns-3')!, [1, 8, 8])
  const session = new ShiftSession(patterns, picture(8))

  it('at an even shift every CNN map compares; the MLP row is a code change with nothing inside', () => {
    const { rows, notes } = equivarianceRows(patterns, session.step(2, 0))
    expect(rows.map((r) => `${r.model} ${r.layer} ${r.kind}`)).toEqual(['cnn conv 1 + ReLU equivariance', 'cnn pool 1 equivariance', 'mlp linear 1 + ReLU change'])
    expect(rows[0].interior!).toBeLessThan(1e-5)
    expect(rows[1].interior!).toBeLessThan(1e-5)
    const mlp = rows[2]
    expect(mlp.interior).toBeNull()
    expect(mlp.error!).toBeGreaterThan(0)
    expect(notes.find((n) => n.key === mlp.note)!.text).toMatch(/no positions to shift back.*how far their values moved/)
  })

  it('at an odd shift the pool row stays, marked not comparable, with the reason in one note', () => {
    const { rows, notes } = equivarianceRows(patterns, session.step(1, 0))
    const pool = rows.find((r) => r.layer === 'pool 1')!
    expect(pool).toMatchObject({ kind: 'misaligned', error: null, interior: null })
    const note = notes.find((n) => n.key === pool.note)!
    expect(note.text).toBe(
      'TinyCNN pool 1: dx +1 is not a multiple of 2, the stride of pool 1: a pixel of the map spans 2 input pixels, ' +
        'so the shifted map falls between pixels and cannot be compared. Multiples of 2 compare.',
    )
    // The conv before the pool still compares at any shift.
    expect(rows.find((r) => r.layer === 'conv 1 + ReLU')!.kind).toBe('equivariance')
    expect(equivarianceRows(patterns, session.step(0, -3)).notes.some((n) => n.text.includes('dy −3 is not a multiple of 2'))).toBe(true)
  })

  it('MNIST CNN: after each pool the stride doubles, and the rows say which pool is to blame', () => {
    const mnist = probed(getPreset('mnist')!, [1, 28, 28])
    const s = new ShiftSession(mnist, picture(28))
    const kinds = (dx: number) => equivarianceRows(mnist, s.step(dx, 0)).rows.filter((r) => r.model === 'cnn').map((r) => `${r.layer}: ${r.kind}`)
    expect(kinds(1)).toEqual(['conv 1 + ReLU: equivariance', 'pool 1: misaligned', 'conv 2 + ReLU: misaligned', 'pool 2: misaligned'])
    expect(kinds(2)).toEqual(['conv 1 + ReLU: equivariance', 'pool 1: equivariance', 'conv 2 + ReLU: equivariance', 'pool 2: misaligned'])
    expect(kinds(4).every((k) => k.endsWith('equivariance'))).toBe(true)
    const notes = equivarianceRows(mnist, s.step(2, 0)).notes.map((n) => n.text)
    expect(notes.some((t) => t.startsWith('CNN pool 2: dx +2 is not a multiple of 4, the stride of pool 2'))).toBe(true)
    const one = equivarianceRows(mnist, s.step(1, 0)).notes.map((n) => n.text)
    expect(one.some((t) => t.startsWith('CNN pool 1, CNN conv 2 + ReLU: dx +1 is not a multiple of 2, the stride of pool 1'))).toBe(true)
  })
})

describe('the trace figure', () => {
  it('wraps whole stages onto further rows within maxWidth, keeping every panel and dropping the arrow that would start a row', () => {
    const exp = getPreset('patterns-3')!
    const [cnn] = probed(exp, [1, 8, 8])
    const trace = new ShiftSession([cnn], picture(8)).base.cnn
    const wide = traceFigure(trace, ['v', 'h', 'd'], 'light')
    const narrow = traceFigure(trace, ['v', 'h', 'd'], 'light', { maxWidth: 600 })
    expect(wide.width).toBeGreaterThan(600)
    expect(narrow.width).toBeLessThanOrEqual(600)
    expect(narrow.height).toBeGreaterThan(wide.height)
    expect(narrow.panels).toHaveLength(wide.panels.length)
    for (const p of narrow.panels) expect(p.x + p.cols * p.cell).toBeLessThanOrEqual(600)
    const arrows = (f: typeof wide) => f.texts.filter((t) => t.text === '→').length
    expect(arrows(narrow)).toBeLessThan(arrows(wide))
    expect(narrow.texts.filter((t) => t.text !== '→').map((t) => t.text)).toEqual(wide.texts.filter((t) => t.text !== '→').map((t) => t.text))
    expect(traceFigure(trace, ['v', 'h', 'd'], 'light', { maxWidth: 5000 })).toEqual(wide)
  })
})
