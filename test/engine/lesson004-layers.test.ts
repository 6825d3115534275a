/**
 * Lesson 004's layers (per-axis and grouped conv2d, avgpool2d,
 * globalavgpool2d, batchnorm2d, residual): backward against central finite
 * differences in float64 (gradient-check.ts), and the rules around them
 * (shapes, names, routes).
 */
import { describe, expect, it } from 'vitest'
import { LayerSpec as LayerSchema, type LayerSpec } from '../../src/shared/experiment'
import { BatchNorm2d, Conv2d, createLayer, layerMultiplyAdds, layerParameterCount, needsReferenceRoute, type Layer } from '../../src/engine/layers'
import { buildModel, inferShapes } from '../../src/engine/model'
import { backendKernels } from '../../src/engine/backend'
import type { Tensor } from '../../src/engine/tensor'
import { gradientError, randomTensor } from './gradient-check'

const { gemm } = backendKernels('reference')

const parse = (spec: unknown): LayerSpec => LayerSchema.parse(spec)
const input = (shape: number[], seed = 3): Tensor => randomTensor(shape, seed)

describe('gradients of lesson 004 layers (float64, central differences)', () => {
  const cases: [string, unknown, number[], boolean][] = [
    ['conv2d [2,3] kernel, stride [2,1], padding [1,0], groups 2',
      { type: 'conv2d', inChannels: 4, outChannels: 6, kernelSize: [2, 3], stride: [2, 1], padding: [1, 0], groups: 2 }, [2, 4, 5, 6], false],
    ['depthwise conv2d 3×3, padding 1', { type: 'conv2d', inChannels: 3, outChannels: 3, kernelSize: 3, padding: 1, groups: 3 }, [2, 3, 5, 5], false],
    ['conv2d 1×2 without bias', { type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: [1, 2], bias: false }, [1, 1, 4, 4], false],
    ['avgpool2d 2×2', { type: 'avgpool2d', kernelSize: 2 }, [2, 2, 5, 6], false],
    ['avgpool2d [2,3] stride 1 (overlapping)', { type: 'avgpool2d', kernelSize: [2, 3], stride: 1 }, [1, 2, 4, 5], false],
    ['globalavgpool2d', { type: 'globalavgpool2d' }, [3, 2, 3, 4], false],
    ['batchnorm2d, train mode', { type: 'batchnorm2d', numFeatures: 3 }, [4, 3, 3, 2], true],
    ['batchnorm2d, eval mode', { type: 'batchnorm2d', numFeatures: 3 }, [2, 3, 3, 2], false],
    ['residual conv → relu → conv', {
      type: 'residual',
      layers: [
        { type: 'conv2d', inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 },
        { type: 'relu' },
        { type: 'conv2d', inChannels: 3, outChannels: 2, kernelSize: [1, 3], padding: [0, 1] },
      ],
    }, [2, 2, 4, 4], false],
    ['residual with batch norm, train mode', {
      type: 'residual',
      layers: [{ type: 'conv2d', inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1 }, { type: 'batchnorm2d', numFeatures: 2 }],
    }, [3, 2, 4, 4], true],
  ]
  for (const [name, raw, shape, training] of cases) {
    it(name, () => {
      const layer = createLayer(parse(raw), shape.slice(1), 'float64', gemm)
      expect(gradientError(layer, input(shape), { seed: 7, training })).toBeLessThan(1e-6)
    })
  }
})

describe('conv2d geometry', () => {
  it('lays the weight out [out, in / groups, kh, kw] and counts parameters and multiply-adds per group', () => {
    const spec = parse({ type: 'conv2d', inChannels: 4, outChannels: 6, kernelSize: [2, 3], groups: 2 })
    const conv = createLayer(spec, [4, 5, 6], 'float32', gemm) as Conv2d
    expect(conv.weight.value.shape).toEqual([6, 2, 2, 3])
    expect(layerParameterCount(spec)).toBe(6 * 2 * 2 * 3 + 6)
    expect(layerMultiplyAdds(spec, [4, 5, 6])).toBe(2 * 2 * 3 * 6 * 4 * 4)
  })

  it('marks lesson 004\'s [-1, 1] kernel: the column of ones is where the vertical edge is', () => {
    const conv = createLayer(parse({ type: 'conv2d', inChannels: 1, outChannels: 1, kernelSize: [1, 2], bias: false }), [1, 3, 4], 'float64', gemm) as Conv2d
    conv.weight.value.data.set([-1, 1])
    const picture = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]
    const y = conv.forward({ shape: [1, 1, 3, 4], data: Float64Array.from(picture) }, false)
    expect(y.shape).toEqual([1, 1, 3, 3])
    expect(Array.from(y.data)).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0])
  })

  it('refuses groups that do not divide the channels, naming the field', () => {
    const result = LayerSchema.safeParse({ type: 'conv2d', inChannels: 3, outChannels: 5, kernelSize: 3, groups: 2 })
    expect(result.success).toBe(false)
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['inChannels', 'outChannels'])
  })

  it('sends only the new layer types and non-square or grouped convs to the reference route', () => {
    expect(needsReferenceRoute(parse({ type: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: 3, stride: 2, padding: 1 }))).toBe(false)
    expect(needsReferenceRoute(parse({ type: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: [3, 3], stride: [2, 2] }))).toBe(false)
    expect(needsReferenceRoute(parse({ type: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: [1, 2] }))).toBe(true)
    expect(needsReferenceRoute(parse({ type: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: 3, padding: [1, 0] }))).toBe(true)
    expect(needsReferenceRoute(parse({ type: 'conv2d', inChannels: 2, outChannels: 2, kernelSize: 3, groups: 2 }))).toBe(true)
    for (const type of ['avgpool2d', 'globalavgpool2d']) {
      expect(needsReferenceRoute(parse(type === 'avgpool2d' ? { type, kernelSize: 2 } : { type }))).toBe(true)
    }
    expect(needsReferenceRoute(parse({ type: 'batchnorm2d', numFeatures: 2 }))).toBe(true)
    expect(needsReferenceRoute(parse({ type: 'residual', layers: [{ type: 'relu' }] }))).toBe(true)
    expect(needsReferenceRoute(parse({ type: 'relu' }))).toBe(false)
  })
})

describe('batchnorm2d', () => {
  it('updates running statistics as torch does (unbiased variance) only in train mode, and counts the batches', () => {
    const bn = createLayer(parse({ type: 'batchnorm2d', numFeatures: 1, momentum: 0.5 }), [1, 1, 2], 'float64', gemm) as BatchNorm2d
    const x = { shape: [2, 1, 1, 2], data: Float64Array.from([1, 2, 3, 6]) }
    bn.forward(x, true)
    // mean 3, biased variance 3.5, unbiased 14/3
    expect(bn.runningMean.value.data[0]).toBeCloseTo(0.5 * 0 + 0.5 * 3, 12)
    expect(bn.runningVar.value.data[0]).toBeCloseTo(0.5 * 1 + 0.5 * (14 / 3), 12)
    expect(bn.batchesTracked.value.data[0]).toBe(1)
    const y = bn.forward(x, true)
    expect(y.data[0]).toBeCloseTo((1 - 3) / Math.sqrt(3.5 + 1e-5), 12)
    bn.forward(x, false)
    expect(bn.batchesTracked.value.data[0]).toBe(2)
    const evalOut = bn.forward(x, false)
    const rm = bn.runningMean.value.data[0], rv = bn.runningVar.value.data[0]
    expect(evalOut.data[3]).toBeCloseTo((6 - rm) / Math.sqrt(rv + 1e-5), 12)
  })

  it('starts at weight 1, bias 0 whatever the init scheme, and keeps its statistics out of the parameters', () => {
    const model = buildModel({
      layers: [parse({ type: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: 3 }), parse({ type: 'batchnorm2d', numFeatures: 2 })],
      init: { scheme: 'he-normal', seed: 1 },
    }, [1, 5, 5], 'float32')
    const state = Object.fromEntries(model.namedStateList.map((t) => [t.name, Array.from(t.value.data)]))
    expect(state['1.weight']).toEqual([1, 1])
    expect(state['1.bias']).toEqual([0, 0])
    expect(Object.keys(state)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked'])
    expect(model.namedParams().map((p) => p.name)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias'])
  })
})

describe('residual', () => {
  it('names its body\'s tensors N.body.M.… as torch\'s self.body = nn.Sequential(...) does', () => {
    const model = buildModel({
      layers: [
        parse({ type: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1 }),
        parse({ type: 'residual', layers: [{ type: 'conv2d', inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1 }, { type: 'batchnorm2d', numFeatures: 2 }] }),
      ],
    }, [1, 4, 4])
    expect(model.namedStateList.map((t) => t.name)).toEqual([
      '0.weight', '0.bias', '1.body.0.weight', '1.body.0.bias', '1.body.1.weight', '1.body.1.bias',
      '1.body.1.running_mean', '1.body.1.running_var', '1.body.1.num_batches_tracked',
    ])
  })

  it('refuses a body that changes the shape, and names an inner layer by its full path', () => {
    const grows = inferShapes([parse({ type: 'residual', layers: [{ type: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1 }] })], [1, 4, 4])
    expect(grows.ok).toBe(false)
    if (!grows.ok) expect(grows.error).toMatch(/^layers\.0 \(residual\): its body turns \[1, 4, 4\] into \[2, 4, 4\]/)
    const inner = inferShapes([
      parse({ type: 'relu' }),
      parse({ type: 'residual', layers: [{ type: 'relu' }, { type: 'linear', inFeatures: 3, outFeatures: 3 }] }),
    ], [1, 4, 4])
    expect(inner.ok).toBe(false)
    if (!inner.ok) {
      expect(inner.path).toBe('layers.1.layers.1')
      expect(inner.error).toMatch(/^layers\.1\.layers\.1 \(linear\): /)
    }
  })
})
