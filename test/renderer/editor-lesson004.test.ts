/** The experiment editor's rows for lesson 004's layers: per-axis size fields, new layers, residual bodies as JSON. */
import { describe, expect, it } from 'vitest'
import { LayerSpec as LayerSchema, type LayerSpec } from '../../src/shared/experiment'
import { inferShapes } from '../../src/engine/model'
import {
  INSERTABLE_LAYERS, bodyText, chainLayers, newLayer, pairAxis, parseBodyText, setPairAxis,
} from '../../src/renderer/lib/editor'

describe('editor rows for lesson 004 layers', () => {
  it('keeps a size field one number while h and w agree, and [h, w] once they differ', () => {
    const conv = newLayer('conv2d')
    setPairAxis(conv, 'kernelSize', 1, 2)
    expect((conv as { kernelSize: unknown }).kernelSize).toEqual([3, 2])
    setPairAxis(conv, 'kernelSize', 0, 1)
    expect((conv as { kernelSize: unknown }).kernelSize).toEqual([1, 2])
    setPairAxis(conv, 'kernelSize', 1, 1)
    expect((conv as { kernelSize: unknown }).kernelSize).toBe(1)
    expect(LayerSchema.safeParse(conv).success).toBe(true)
  })

  it('reads an absent pooling stride as the window, per axis', () => {
    const pool = { type: 'avgpool2d', kernelSize: [2, 3] } as LayerSpec
    expect([pairAxis(pool, 'stride', 0), pairAxis(pool, 'stride', 1)]).toEqual([2, 3])
    setPairAxis(pool, 'stride', 0, 1)
    expect((pool as { stride: unknown }).stride).toEqual([1, 3])
  })

  it('offers every new layer, each valid and fitting after chainLayers', () => {
    for (const type of ['avgpool2d', 'batchnorm2d', 'globalavgpool2d', 'residual'] as const) {
      expect(INSERTABLE_LAYERS).toContain(type)
      const layers = chainLayers([{ type: 'conv2d', inChannels: 1, outChannels: 6, kernelSize: 3, stride: 1, padding: 1, bias: true }, newLayer(type)], [1, 8, 8])
      expect(LayerSchema.safeParse(layers[1]).success, type).toBe(true)
      const shapes = inferShapes(layers, [1, 8, 8])
      expect(shapes.ok, `${type}: ${shapes.ok ? '' : shapes.error}`).toBe(true)
    }
  })

  it('fits batch norm\'s channels and a residual body\'s inputs to the layer before', () => {
    const residual = newLayer('residual')
    const [, norm, block] = chainLayers([
      { type: 'conv2d', inChannels: 1, outChannels: 5, kernelSize: 3, stride: 1, padding: 1, bias: true },
      newLayer('batchnorm2d'),
      residual,
    ], [1, 8, 8])
    expect(norm).toMatchObject({ numFeatures: 5 })
    expect(block.type === 'residual' && block.layers[0]).toMatchObject({ inChannels: 5 })
  })

  it('edits a residual body as JSON and says what is wrong with bad text', () => {
    const block = newLayer('residual') as Extract<LayerSpec, { type: 'residual' }>
    const parsed = parseBodyText(bodyText(block))
    expect(parsed).toEqual({ ok: true, layers: block.layers })
    const broken = parseBodyText('[{"type": "relu"')
    expect(broken.ok).toBe(false)
    if (!broken.ok) expect(broken.error).toMatch(/^the body is not valid JSON/)
    expect(parseBodyText('[]')).toMatchObject({ ok: false, error: expect.stringMatching(/non-empty list/) })
  })
})
