import { strFromU8, strToU8, unzipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import type { MetricRow } from '../../src/shared/experiment'
import { buildViewBundle, METRIC_COLUMNS, toCsv, type BundleInput } from '../../src/renderer/lib/view-bundle'

function row(model: string, epoch: number, valAccuracy: number | null): MetricRow {
  return { model, epoch, trainLoss: 1 / (epoch + 1), trainAccuracy: 0.5, valLoss: null, valAccuracy, seconds: epoch * 0.25, confusion: [[3, 1], [0, 4]] }
}

const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3])
const svg = (title: string) => strToU8(`<svg xmlns="http://www.w3.org/2000/svg"><text>${title}</text></svg>`)

function input(overrides: Partial<BundleInput> = {}): BundleInput {
  return {
    view: 'Compare',
    experiment: 'Patterns: 3 classes',
    createdAt: '2025-01-02T03:04:05.000Z',
    figures: [
      { title: 'Validation accuracy, both models', png: PNG, svg: svg('a') },
      { title: 'Parameters', png: PNG, svg: svg('b') },
      // Same stem as the first: kept apart, not overwritten.
      { title: 'Validation accuracy: both models', png: PNG, svg: svg('c') },
    ],
    runs: [
      {
        id: '2025-01-02T03-04-05-abc',
        startedAt: '2025-01-02T03:04:05.000Z',
        models: [
          { id: 'mlp', label: 'TinyMLP', route: 'tiny WebAssembly, one core' },
          { id: 'cnn', label: 'TinyCNN' },
        ],
        metrics: [row('mlp', 0, 0.3), row('cnn', 0, 0.33), row('mlp', 1, 0.6), row('cnn', 1, null), row('mlp', 2, 0.7)],
      },
    ],
    ...overrides,
  }
}

describe('buildViewBundle', () => {
  it('zips every figure as PNG and SVG and each model\'s metrics as CSV and JSONL, and lists exactly what it holds', () => {
    const bundle = buildViewBundle(input())
    expect(bundle.fileName).toBe('cnn-lab-compare-patterns-3-classes.zip')
    expect(bundle.files).toEqual([
      'README.txt',
      'figures/validation-accuracy-both-models.png',
      'figures/validation-accuracy-both-models.svg',
      'figures/parameters.png',
      'figures/parameters.svg',
      'figures/validation-accuracy-both-models-2.png',
      'figures/validation-accuracy-both-models-2.svg',
      'metrics/mlp.csv',
      'metrics/mlp.jsonl',
      'metrics/cnn.csv',
      'metrics/cnn.jsonl',
    ])
    const unzipped = unzipSync(bundle.zip)
    expect(Object.keys(unzipped).sort()).toEqual([...bundle.files].sort())
    expect(unzipped['figures/parameters.png']).toEqual(PNG)
    expect(strFromU8(unzipped['figures/validation-accuracy-both-models-2.svg'])).toContain('<text>c</text>')
  })

  it('writes a CSV header and one line per epoch row of the model, empty cells for values not measured', () => {
    const unzipped = unzipSync(buildViewBundle(input()).zip)
    const mlp = strFromU8(unzipped['metrics/mlp.csv']).trimEnd().split('\n')
    expect(mlp[0]).toBe('model,epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,seconds')
    expect(mlp).toHaveLength(1 + 3)
    expect(mlp[2]).toBe('mlp,1,0.5,0.5,,0.6,0.25')
    const cnn = strFromU8(unzipped['metrics/cnn.csv']).trimEnd().split('\n')
    expect(cnn).toHaveLength(1 + 2)
    expect(cnn[2]).toBe('cnn,1,0.5,0.5,,,0.25')
    const jsonl = strFromU8(unzipped['metrics/cnn.jsonl']).trimEnd().split('\n').map((l) => JSON.parse(l) as MetricRow)
    expect(jsonl.map((r) => r.epoch)).toEqual([0, 1])
    expect(jsonl[0].confusion).toEqual([[3, 1], [0, 4]])
  })

  it('names the experiment, the run, its routes and the view in README.txt, and lists every file', () => {
    const bundle = buildViewBundle(input())
    const readme = strFromU8(unzipSync(bundle.zip)['README.txt'])
    expect(readme).toContain('Experiment: Patterns: 3 classes')
    expect(readme).toContain('View: Compare')
    expect(readme).toContain('Run: id 2025-01-02T03-04-05-abc, started 2025-01-02T03:04:05.000Z')
    expect(readme).toContain('TinyMLP (mlp): 3 metric rows, route tiny WebAssembly, one core')
    expect(readme).toContain('TinyCNN (cnn): 2 metric rows')
    expect(readme).not.toContain('TinyCNN (cnn): 2 metric rows, route')
    expect(readme).toContain(`Files (${bundle.files.length}):`)
    for (const file of bundle.files) expect(readme).toContain(`\n  ${file}\n`)
  })

  it('gives each of several runs (the Runs overlay) its own metrics folder and says where an imported one came from', () => {
    const lab = input().runs[0]
    const imported = { ...lab, id: 'imported-1', source: 'pytorch', metrics: lab.metrics.filter((r) => r.model === 'cnn') }
    const bundle = buildViewBundle(input({ view: 'Runs', runs: [lab, imported], figures: [] }))
    expect(bundle.files).toContain('metrics/2025-01-02t03-04-05-abc/mlp.csv')
    expect(bundle.files).toContain('metrics/imported-1/cnn.jsonl')
    const readme = strFromU8(unzipSync(bundle.zip)['README.txt'])
    expect(readme).toContain('Run 2: id imported-1, started 2025-01-02T03:04:05.000Z, trained by pytorch')
    // The imported run listed no rows for mlp: its file is there with the header only.
    expect(strFromU8(unzipSync(bundle.zip)['metrics/imported-1/mlp.csv'])).toBe(`${METRIC_COLUMNS.join(',')}\n`)
  })

  it('says when nothing was trained, and writes extra tables (a sweep\'s points) as CSV and JSONL', () => {
    const bundle = buildViewBundle(
      input({ view: 'Sweeps', runs: [], tables: [{ name: 'sweep mlp-hidden', columns: ['value', 'model', 'note'], rows: [{ value: 4, model: 'mlp', note: 'a, "b"' }] }] }),
    )
    expect(bundle.files.slice(-2)).toEqual(['sweep-mlp-hidden.csv', 'sweep-mlp-hidden.jsonl'])
    const unzipped = unzipSync(bundle.zip)
    expect(strFromU8(unzipped['sweep-mlp-hidden.csv'])).toBe('value,model,note\n4,mlp,"a, ""b"""\n')
    expect(strFromU8(unzipped['README.txt'])).toContain('Run: none')
  })

  it('refuses an empty figure, naming it', () => {
    expect(() => buildViewBundle(input({ figures: [{ title: 'Kernels', png: new Uint8Array(0), svg: svg('k') }] }))).toThrow(/bundle figure "Kernels"/)
  })

  it('quotes CSV cells only where needed', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x\ny', b: 1.5 }])).toBe('a,b\n"x\ny",1.5\n')
  })
})
