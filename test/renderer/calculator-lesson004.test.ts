import { describe, expect, it } from 'vitest'
import { blockComparison, outputSize2d, parseStack, receptiveFields } from '../../src/renderer/lib/calculator'

describe('calculator, lesson 004', () => {
  it('sizes each axis on its own: the 1x2 kernel on a 4x4 picture gives 4x3', () => {
    expect(outputSize2d([4, 4], [1, 2], [0, 0], [1, 1])).toEqual([4, 3])
    // MNIST with a 3x5 kernel, padding [1, 2], stride [1, 2]: 28 and ⌊(28 − 5 + 4) / 2⌋ + 1 = 14.
    expect(outputSize2d([28, 28], [3, 5], [1, 2], [1, 2])).toEqual([28, 14])
    expect(outputSize2d([4, 4], [5, 1], [0, 0], [1, 1])).toEqual([null, 4])
  })

  it('counts 64 channels: two 3x3 cost 73,728 weights, one 5x5 102,400', () => {
    const b = blockComparison(64, 14)
    expect(b.twoThrees.weights).toBe(73_728)
    expect(b.oneFive.weights).toBe(102_400)
    // Depthwise 64·9 = 576 plus pointwise 64·64 = 4,096 against 64·64·9 = 36,864.
    expect(b.standard.weights).toBe(36_864)
    expect(b.separable.weights).toBe(4_672)
    expect(b.standard.multiplyAdds).toBe(36_864 * 196)
    expect(b.separable.multiplyAdds).toBe(4_672 * 196)
  })

  it('at 16 channels: a standard 3x3 costs 2,304 weights, the separable pair 400', () => {
    const b = blockComparison(16, 14)
    expect(b.standard.weights).toBe(2_304)
    expect(b.separable.weights).toBe(16 * 9 + 256)
  })

  it('refuses bad block inputs with the field named', () => {
    expect(() => blockComparison(0, 14)).toThrow(/channels/)
    expect(() => blockComparison(8, 2.5)).toThrow(/side/)
  })

  it('parses a typed stack and grows its receptive field per axis', () => {
    const parsed = parseStack('conv 3, conv 3')
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(receptiveFields(parsed.layers).map((r) => r.field)).toEqual([3, 5])

    const mixed = parseStack('conv 1x2; pool 2\nconv 3 s2')
    if (!mixed.ok) throw new Error(mixed.error)
    const rows = receptiveFields(mixed.layers)
    expect(rows.map((r) => [r.field, r.fieldWidth])).toEqual([[1, 2], [2, 3], [6, 7]])
    expect(rows.map((r) => [r.jump, r.jumpWidth])).toEqual([[1, 1], [2, 2], [4, 4]])

    const nonSquarePool = parseStack('avgpool 2x1 s1x1')
    if (!nonSquarePool.ok) throw new Error(nonSquarePool.error)
    expect(receptiveFields(nonSquarePool.layers)[0]).toMatchObject({ field: 2, fieldWidth: 1 })
  })

  it('names the item that does not parse', () => {
    expect(parseStack('')).toEqual({ ok: false, error: expect.stringContaining('at least one layer') })
    expect(parseStack('conv 3, dense 3')).toEqual({ ok: false, error: expect.stringContaining('layer 2 ("dense 3")') })
    expect(parseStack('conv x')).toEqual({ ok: false, error: expect.stringContaining('size') })
    expect(parseStack('conv 3 2')).toEqual({ ok: false, error: expect.stringContaining('stride') })
  })
})
