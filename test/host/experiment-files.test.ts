/**
 * Experiment files: 10,000 generated and mutated files through the parser
 * (fast-check), hostile files, migrations, the version-2 tensor encoding, the
 * save choices, and save/load round trips.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { getPreset, PRESET_IDS } from '../../src/engine/experiment/presets'
import { EXPERIMENT_VERSION, type Experiment } from '../../src/shared/experiment'
import { experimentFileText, keepOnly, SAVE_KEEPS, utf8Length } from '../../src/shared/experiment-file'
import { decodeTensor, encodeTensor, fromBase64, toBase64 } from '../../src/shared/json-tensors'
import {
  ExperimentFileError,
  MAX_EXPERIMENT_BYTES,
  MIGRATIONS,
  migrate,
  nestingDepth,
  parseExperimentText,
  readExperimentFile,
  resultsFromRun,
  serializeExperiment,
  writeExperimentFile,
  type Migration,
} from '../../src/host/experiment-files'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cnnlab-files-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PRESETS = PRESET_IDS.map((id) => getPreset(id)!)
const TOP_FIELDS = ['format', 'version', 'name', 'description', 'dataset', 'models', 'training', 'results']
/** `field: reason`, where field is a path into the file (or "(file)" for the file as a whole). */
const PART = String.raw`(?:[A-Za-z0-9_$-]+|"(?:[^"\\]|\\.)*")`
const ISSUE_LINE = new RegExp(String.raw`^(\(file\)|${PART}(?:\.${PART})*): \S`)

// ── generators ──────────────────────────────────────────────────────────────

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }).filter((x) => !Object.is(x, -0))
const anyString = fc.string({ unit: 'binary', maxLength: 40 })
const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 })
const metricRow = fc.record({
  model: fc.constantFrom('cnn', 'mlp'),
  epoch: fc.nat(100_000),
  trainLoss: fc.option(finite, { nil: null }),
  trainAccuracy: fc.option(finite, { nil: null }),
  valLoss: fc.option(finite, { nil: null }),
  valAccuracy: fc.option(finite, { nil: null }),
  seconds: finite,
})
const jsonTensor = fc.integer({ min: 0, max: 4 }).chain((n) => fc.record({ shape: fc.constant([n] as number[]), data: fc.array(finite, { minLength: n, maxLength: n }) }))
const namedTensors = fc.dictionary(fc.constantFrom('0.weight', '0.bias', '3.weight', '12.bias'), jsonTensor, { maxKeys: 3 })
const results = fc.record({
  metrics: fc.array(metricRow, { maxLength: 6 }),
  snapshots: fc.array(fc.record({ model: fc.constantFrom('cnn', 'mlp'), epoch: fc.nat(100), weights: namedTensors }), { maxLength: 3 }),
  finalWeights: fc.dictionary(fc.constantFrom('cnn', 'mlp'), namedTensors, { maxKeys: 2 }),
})

/** A valid experiment: a preset with its free fields regenerated, maybe with results. */
const validExperiment: fc.Arbitrary<Experiment> = fc
  .record({
    preset: fc.constantFrom(...PRESETS),
    name: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    description: anyString,
    epochs: fc.integer({ min: 1, max: 100_000 }),
    learningRate: fc.double({ min: 1e-6, max: 1000, noNaN: true }),
    batchSize: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant('full' as const)),
    seed,
    trainCount: fc.integer({ min: 1, max: 100_000 }),
    snapshotEpochs: fc.array(fc.nat(100_000), { maxLength: 5 }),
    results: fc.option(results, { nil: undefined }),
  })
  .map(({ preset, name, description, epochs, learningRate, batchSize, seed, trainCount, snapshotEpochs, results }) => {
    const experiment = structuredClone(preset) as Experiment
    experiment.name = name
    experiment.description = description
    experiment.training = { ...experiment.training, epochs, learningRate, batchSize, seed, snapshotEpochs }
    experiment.dataset = { ...experiment.dataset, train: { ...experiment.dataset.train, count: trainCount } } as Experiment['dataset']
    if (results) experiment.results = results
    return experiment
  })

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Every path into a JSON value (arrays by index). */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix)
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out)
  return out
}

type Mutation = { pick: number; op: 'delete' | 'replace' | 'add-key' | 'wrap' | 'stringify' | 'big'; value: Json; key: string }

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'add-key', 'wrap', 'stringify', 'big'),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('constructor', 'prototype', 'toString', 'type', 'kind')),
})

function mutate(input: Json, m: Mutation): Json {
  const root = structuredClone(input)
  const all = paths(root)
  const path = all[m.pick % all.length]
  if (path.length === 0) {
    if (m.op === 'replace') return m.value
    if (m.op === 'wrap') return [root]
    if (m.op === 'add-key' && root !== null && typeof root === 'object' && !Array.isArray(root)) root[m.key] = m.value
    return root
  }
  const parentPath = path.slice(0, -1)
  const key = path.at(-1)!
  let parent: Json = root
  for (const p of parentPath) parent = (parent as Record<string | number, Json>)[p]
  const holder = parent as Record<string | number, Json>
  switch (m.op) {
    case 'delete':
      if (Array.isArray(holder)) holder.splice(key as number, 1)
      else delete holder[key]
      break
    case 'replace':
      holder[key] = m.value
      break
    case 'add-key': {
      const target = path.length === 0 ? root : holder[key]
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, Json>)[m.key] = m.value
      else holder[key] = { [m.key]: m.value }
      break
    }
    case 'wrap':
      holder[key] = [holder[key]]
      break
    case 'stringify':
      holder[key] = JSON.stringify(holder[key]) ?? 'undefined'
      break
    case 'big':
      holder[key] = typeof holder[key] === 'number' ? -1e300 : 1e300
      break
  }
  return root
}

type TextMutation = { at: number; op: 'truncate' | 'insert' | 'nan' | 'bom' | 'proto' | 'deep'; char: string }
const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('truncate', 'insert', 'nan', 'bom', 'proto', 'deep'),
  char: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'x', '0', '\u0000', '\ud800'),
})

function mutateText(text: string, m: TextMutation): string {
  const at = m.at % (text.length + 1)
  switch (m.op) {
    case 'truncate':
      return text.slice(0, at)
    case 'insert':
      return text.slice(0, at) + m.char + text.slice(at)
    case 'nan':
      return text.replace(/(-?\d+(\.\d+)?)/, 'NaN')
    case 'bom':
      return `\ufeff${text}`
    case 'proto':
      return text.replace('{', '{"__proto__": {"polluted": true},')
    case 'deep':
      return text.replace('"description":', `"description": ${'['.repeat(200)}${']'.repeat(200)}, "x":`)
  }
}

/**
 * A valid experiment as a file says it: as the lab saves it (version 2, base64
 * tensors), as version 1 did (decimal tensors), or version 2 with decimal
 * tensors (what a hand-written file may use).
 */
type Spelling = 'v2' | 'v1' | 'v2-decimal'
const spelling = fc.constantFrom<Spelling>('v2', 'v2', 'v1', 'v2-decimal')
function fileJson(experiment: Experiment, how: Spelling): Json {
  if (how === 'v2') return JSON.parse(experimentFileText(experiment)) as Json
  const plain = JSON.parse(JSON.stringify(experiment)) as { [key: string]: Json }
  return how === 'v1' ? { ...plain, version: 1 } : plain
}

type Case = { kind: 'valid'; text: string } | { kind: 'mutated'; value: Json } | { kind: 'text'; text: string }

const cases: fc.Arbitrary<Case> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(validExperiment, spelling).map(([e, how]) => ({ kind: 'valid' as const, text: JSON.stringify(fileJson(e, how)) })) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(validExperiment, spelling, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([experiment, how, ms]) => ({ kind: 'mutated' as const, value: ms.reduce((v, m) => mutate(v, m), fileJson(experiment, how)) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(validExperiment, spelling, textMutation)
      .map(([experiment, how, m]) => ({ kind: 'text' as const, text: mutateText(JSON.stringify(fileJson(experiment, how), null, 1), m) })),
  },
)

/** The one sentence for a JSON value that is not an experiment file at all. */
const NOT_AN_EXPERIMENT = /^\(file\): this is not a CNN Lab experiment file \(/

// ── the properties ──────────────────────────────────────────────────────────

describe('parseExperimentText, fast-check', () => {
  it('10,000 generated and mutated files: no uncaught exception, every rejection names a field, valid ones round-trip', () => {
    const tally = { runs: 0, accepted: 0, rejected: 0, thrown: 0, roundTrips: 0, validGenerated: 0, fileLevel: 0 }
    fc.assert(
      fc.property(cases, (c) => {
        tally.runs++
        const text = c.kind === 'mutated' ? JSON.stringify(c.value) : c.text
        let result
        try {
          result = parseExperimentText(text)
        } catch (error) {
          tally.thrown++
          throw error
        }
        if (c.kind === 'valid') {
          tally.validGenerated++
          expect(result.ok, result.ok ? '' : result.error).toBe(true)
        }
        if (!result.ok) {
          tally.rejected++
          const lines = result.error.split('\n')
          expect(lines.length).toBeGreaterThan(0)
          for (const line of lines) expect(line).toMatch(ISSUE_LINE)
          const field = ISSUE_LINE.exec(lines[0])![1]
          if (field === '(file)') {
            tally.fileLevel++
            // Only the file as a whole may be blamed when it is not JSON, too deep, or not an experiment file at all.
            const parsed = (() => {
              try {
                return { value: JSON.parse(text.replace(/^\ufeff/, '')) as unknown }
              } catch {
                return undefined
              }
            })()
            const v = parsed?.value as Record<string, unknown> | undefined
            const isExperimentObject = v !== null && typeof v === 'object' && !Array.isArray(v) && v.format === 'cnn-lab.experiment'
            if (isExperimentObject) expect(nestingDepth(text, 64)).toBe(Infinity)
            else if (parsed) expect(lines, lines[0]).toEqual([expect.stringMatching(NOT_AN_EXPERIMENT)])
          } else {
            // The path starts at a field of the format, or at the unknown key that should not be there.
            const first = /^("(?:[^"\\]|\\.)*"|[^.]+)/.exec(field)![1]
            expect(TOP_FIELDS.includes(first) || /unknown field|"__proto__" is not allowed/.test(lines[0]), lines[0]).toBe(true)
          }
          return
        }
        tally.accepted++
        // Save → load: the saved text (version 2, base64) parses back to exactly the same experiment.
        const saved = serializeExperiment(result.value)
        // Results tensors are stored as base64; a hand-set `fixed` init keeps its few numbers readable.
        const savedResults = saved.ok ? JSON.stringify(JSON.parse(saved.value).results ?? {}, null, 2) : ''
        expect(savedResults).not.toMatch(/"data": \[/)
        expect(saved.ok).toBe(true)
        const again = parseExperimentText(saved.ok ? saved.value : '')
        expect(again.ok).toBe(true)
        expect(again.ok && again.value).toEqual(result.value)
        expect(saved.ok && serializeExperiment(again.ok ? again.value : null)).toEqual(saved)
        tally.roundTrips++
      }),
      { numRuns: 10_000, seed: 20261121 },
    )
    console.log(
      `[files] fast-check: ${tally.runs} files (${tally.validGenerated} generated valid, the rest mutated); ` +
        `${tally.thrown} uncaught exceptions; ${tally.rejected} rejected, every one naming a field ` +
        `(${tally.fileLevel} blame the file as a whole: empty, not JSON, too deep, not an experiment file); ` +
        `${tally.accepted} accepted, ${tally.roundTrips}/${tally.accepted} round-trip identical`,
    )
    expect(tally.thrown).toBe(0)
    expect(tally.roundTrips).toBe(tally.accepted)
  })

  it('every valid file survives a real save and load (atomic write, read back), 200 of them', async () => {
    const samples = fc.sample(validExperiment, { numRuns: 200, seed: 7 })
    let same = 0
    for (const [i, experiment] of samples.entries()) {
      const path = join(dir, `roundtrip-${i % 10}.cnnlab.json`)
      const parsed = parseExperimentText(JSON.stringify(experiment))
      expect(parsed.ok).toBe(true)
      if (!parsed.ok) continue
      await writeExperimentFile(path, parsed.value)
      const loaded = await readExperimentFile(path)
      expect(loaded).toEqual(parsed.value)
      same++
    }
    console.log(`[files] save → load through the disk: ${same}/200 identical`)
    expect(same).toBe(200)
  })
})

// ── hostile files ───────────────────────────────────────────────────────────

describe('hostile files', () => {
  const valid = () => JSON.parse(JSON.stringify(getPreset('patterns-3')!)) as Record<string, unknown>

  it('a 100 MB file is refused before it is read, with memory bounded', async () => {
    const path = join(dir, 'huge.cnnlab.json')
    writeFileSync(path, '')
    truncateSync(path, 100 * 1024 * 1024) // sparse: 100 MB on paper, nothing to write
    const before = process.memoryUsage()
    await expect(readExperimentFile(path)).rejects.toThrow(/huge\.cnnlab\.json: the file is too large \(100 MB; the limit is 64 MB\)/)
    const after = process.memoryUsage()
    const grew = (after.rss - before.rss) / (1024 * 1024)
    console.log(`[files] 100 MB file: rejected before reading; RSS grew ${grew.toFixed(1)} MB`)
    expect(grew).toBeLessThan(20)
    // The same as text already in memory: refused at once, without parsing (its time printed, not asserted).
    const text = `{"description": "${'x'.repeat(MAX_EXPERIMENT_BYTES)}"}`
    const parse = vi.spyOn(JSON, 'parse')
    const t0 = performance.now()
    let result: ReturnType<typeof parseExperimentText>
    let parsed: number
    try {
      result = parseExperimentText(text)
    } finally {
      parsed = parse.mock.calls.length // read before mockRestore, which clears the calls
      parse.mockRestore()
    }
    console.log(`[files] 64 MB text: refused in ${(performance.now() - t0).toFixed(1)} ms`)
    expect(parsed).toBe(0)
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^\(file\): the file is too large/) })
  })

  it('deep nesting is refused before JSON.parse, anywhere in the file', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    expect(parseExperimentText(deep)).toEqual({ ok: false, error: '(file): the JSON is nested more than 64 levels deep' })
    const inField = JSON.stringify(valid()).replace('"description":', `"description": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}, "x":`)
    expect(parseExperimentText(inField)).toEqual({ ok: false, error: '(file): the JSON is nested more than 64 levels deep' })
    // Brackets inside strings are text, not nesting.
    const inString = { ...valid(), description: '['.repeat(10_000) }
    expect(parseExperimentText(JSON.stringify(inString)).ok).toBe(true)
    const path = join(dir, 'deep.cnnlab.json')
    writeFileSync(path, deep)
    await expect(readExperimentFile(path)).rejects.toThrow(/deep\.cnnlab\.json: the JSON is nested more than 64 levels deep/)
  })

  it('byte order marks: a UTF-8 BOM is harmless and skipped, UTF-16 and invalid UTF-8 are refused with a message', async () => {
    const text = JSON.stringify(valid())
    expect(parseExperimentText(`\ufeff${text}`).ok).toBe(true)
    const utf8Bom = join(dir, 'bom8.cnnlab.json')
    writeFileSync(utf8Bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))
    expect((await readExperimentFile(utf8Bom)).name).toBe(valid().name)
    const utf16 = join(dir, 'bom16.cnnlab.json')
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))
    await expect(readExperimentFile(utf16)).rejects.toThrow('cannot open bom16.cnnlab.json: it is saved as UTF-16; save it as UTF-8')
    const latin1 = join(dir, 'latin1.cnnlab.json')
    writeFileSync(latin1, Buffer.from(text.replace('Patterns', 'Pättérns'), 'latin1'))
    await expect(readExperimentFile(latin1)).rejects.toThrow('cannot open latin1.cnnlab.json: it is not UTF-8 text')
    // A BOM in the middle is just a bad character where JSON does not allow one.
    expect(parseExperimentText(`{\ufeff"a": 1}`)).toMatchObject({ ok: false, error: expect.stringMatching(/^\(file\): not valid JSON/) })
  })

  it('NaN, Infinity and 1e999 are refused with the field named', () => {
    const text = JSON.stringify(valid())
    const nan = parseExperimentText(text.replace('"learningRate":0.12', '"learningRate":NaN'))
    expect(nan).toMatchObject({ ok: false, error: expect.stringMatching(/^\(file\): not valid JSON: /) })
    expect(parseExperimentText(text.replace('"learningRate":0.12', '"learningRate":Infinity')).ok).toBe(false)
    const huge = parseExperimentText(text.replace('"learningRate":0.12', '"learningRate":1e999'))
    expect(huge).toMatchObject({ ok: false, error: expect.stringMatching(/^training\.learningRate: /) })
    const inResults = { ...valid(), results: { metrics: [{ model: 'cnn', epoch: 1, trainLoss: 1, trainAccuracy: 1, valLoss: 1, valAccuracy: 1, seconds: 1 }] } }
    const overflow = parseExperimentText(JSON.stringify(inResults).replace('"seconds":1', '"seconds":1e999'))
    expect(overflow).toMatchObject({ ok: false, error: expect.stringMatching(/^results\.metrics\.0\.seconds: /) })
  })

  it('__proto__ keys are refused wherever they are, and nothing is polluted', async () => {
    const text = JSON.stringify(valid())
    const top = parseExperimentText(text.replace('{', '{"__proto__": {"polluted": "yes"},'))
    expect(top).toEqual({ ok: false, error: '__proto__: the key "__proto__" is not allowed' })
    const nested = parseExperimentText(text.replace('"layers":[', '"layers":[{"__proto__": {"polluted": "yes"}, "type": "relu"},'))
    expect(nested).toMatchObject({ ok: false, error: expect.stringMatching(/^models\.0\.layers\.0\.__proto__: /) })
    const inRecord = { ...valid(), results: { metrics: [], finalWeights: { cnn: {} } } }
    const record = parseExperimentText(JSON.stringify(inRecord).replace('"cnn":{}', '"cnn":{"__proto__":{"shape":[1],"data":[1]}}'))
    expect(record).toMatchObject({ ok: false, error: 'results.finalWeights.cnn.__proto__: the key "__proto__" is not allowed' })
    const ctor = parseExperimentText(text.replace('{', '{"constructor": {"prototype": {"polluted": "yes"}},'))
    expect(ctor).toMatchObject({ ok: false, error: expect.stringMatching(/^constructor: unknown field/) })
    const path = join(dir, 'proto.cnnlab.json')
    writeFileSync(path, text.replace('{', '{"__proto__": {"polluted": "yes"},'))
    await expect(readExperimentFile(path)).rejects.toThrow(/__proto__/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false)
    expect(Object.getPrototypeOf(Object.prototype)).toBeNull()
  })

  it('an unknown field, a wrong type and a missing field each name their field', () => {
    const v = valid()
    const typo = parseExperimentText(JSON.stringify({ ...v, training: { ...(v.training as object), learningrate: 1 } }))
    expect(typo).toEqual({ ok: false, error: 'training.learningrate: unknown field (not part of format version 2)' })
    const wrongType = parseExperimentText(JSON.stringify({ ...v, dataset: { ...(v.dataset as object), size: 'eight' } }))
    expect(wrongType).toMatchObject({ ok: false, error: expect.stringMatching(/^dataset\.size: /) })
    const { models: _models, ...noModels } = v
    expect(parseExperimentText(JSON.stringify(noModels))).toMatchObject({ ok: false, error: expect.stringMatching(/^models: /) })
    expect(parseExperimentText('[]')).toMatchObject({ ok: false, error: expect.stringMatching(/^\(file\): /) })
    expect(parseExperimentText(42 as unknown as string)).toEqual({ ok: false, error: '(file): an experiment file is text' })
  })

  it('paths: NUL, relative paths and missing files are refused with a message; nothing else is written', async () => {
    const experiment = getPreset('patterns-3')!
    await expect(writeExperimentFile(`${dir}/a\0b.cnnlab.json`, experiment)).rejects.toThrow('a file path must not contain a NUL character')
    await expect(writeExperimentFile('relative.cnnlab.json', experiment)).rejects.toThrow(/not an absolute path/)
    await expect(writeExperimentFile(join(dir, 'notes.txt'), experiment)).rejects.toThrow(/must end in \.cnnlab\.json/)
    await expect(writeExperimentFile(join(dir, 'bad.cnnlab.json'), { ...experiment, name: '' })).rejects.toThrow(/cannot save bad\.cnnlab\.json: name: /)
    await expect(writeExperimentFile(join(dir, 'no-such-folder', 'x.cnnlab.json'), experiment)).rejects.toThrow(ExperimentFileError)
    await expect(readExperimentFile(join(dir, 'missing.cnnlab.json'))).rejects.toThrow('cannot open missing.cnnlab.json: no such file')
    await expect(readExperimentFile(dir)).rejects.toThrow(/it is not a file/)
    expect(readdirSync(dir).filter((f) => /relative|notes|bad|a.b/.test(f))).toEqual([])
  })
})

// ── migrations ──────────────────────────────────────────────────────────────

describe('migrate', () => {
  /** A made-up version 0: `title` for name, `networks` for models, `lr` inside training. */
  const FAKE_V0_TO_V1: Migration = (old) => {
    const { title, networks, training, ...rest } = old as { title: string; networks: unknown[]; training: Record<string, unknown> }
    const { lr, ...trainingRest } = training
    return { ...rest, version: 1, name: title, models: networks, training: { ...trainingRest, learningRate: lr } }
  }
  const fakeTable = new Map<number, Migration>([...MIGRATIONS, [0, FAKE_V0_TO_V1]])

  function v0(): Record<string, unknown> {
    const { name, models, training, ...rest } = JSON.parse(JSON.stringify(getPreset('patterns-3')!))
    const { learningRate, ...trainingRest } = training
    return { ...rest, version: 0, title: name, networks: models, training: { ...trainingRest, lr: learningRate } }
  }

  it('upgrades a fake v0 file through the table (0 → 1 → 2), and the result is a valid experiment', () => {
    const migrated = migrate(v0(), fakeTable)
    expect(migrated.ok).toBe(true)
    const parsed = parseExperimentText(JSON.stringify(v0()), { migrations: fakeTable })
    expect(parsed).toEqual({ ok: true, value: getPreset('patterns-3') })
  })

  it('names the version when there is no way up, or when the file is from the future', () => {
    expect(parseExperimentText(JSON.stringify(v0()))).toEqual({
      ok: false,
      error: 'version: format version 0 is not supported (no migration from it)',
    })
    const future = { ...(JSON.parse(JSON.stringify(getPreset('patterns-3')!)) as object), version: EXPERIMENT_VERSION + 1 }
    expect(parseExperimentText(JSON.stringify(future))).toEqual({
      ok: false,
      error: 'version: this file was made by a newer CNN Lab (format version 3); this lab reads versions up to 2',
    })
    const broken = new Map<number, Migration>([[0, () => ({ version: 0 })]])
    expect(migrate(v0(), broken)).toEqual({ ok: false, error: 'version: the upgrade from version 0 did not produce version 1' })
    const throwing = new Map<number, Migration>([[0, () => { throw new Error('no title') }]])
    expect(migrate(v0(), throwing)).toEqual({ ok: false, error: 'version: the file could not be upgraded from version 0: no title' })
    // Not an object, or no integer version: left for the schema to name.
    expect(migrate('x')).toEqual({ ok: true, value: 'x' })
    expect(parseExperimentText(JSON.stringify({ ...v0(), version: '1' }))).toMatchObject({ ok: false, error: expect.stringMatching(/^version: /) })
  })
})

describe('results from a run', () => {
  it('turns a run’s metrics, snapshots and weights into a results block that validates and round-trips', () => {
    const weights = { '0.weight': { shape: [2, 1, 1, 1], data: new Float32Array([0.5, -0.25]) }, '0.bias': { shape: [2], data: new Float64Array([0.1, 0.2]) } }
    const results = resultsFromRun({
      metrics: [{ model: 'cnn', epoch: 0, trainLoss: 1, trainAccuracy: 0.5, valLoss: null, valAccuracy: 0.5, seconds: 0 }],
      snapshots: [{ model: 'cnn', epoch: 0, weights }],
      weights: { cnn: weights },
    })
    const experiment = { ...getPreset('patterns-3')!, results }
    const text = serializeExperiment(experiment)
    expect(text.ok).toBe(true)
    const back = parseExperimentText(text.ok ? text.value : '')
    expect(back.ok && back.value.results?.finalWeights.cnn['0.bias'].data).toEqual([0.1, 0.2])
    expect(back.ok && back.value.results?.snapshots[0].weights['0.weight']).toEqual({ shape: [2, 1, 1, 1], data: [0.5, -0.25] })
    void readFileSync
  })
})

// ── version 2: tensors as bytes ─────────────────────────────────────────────

describe('tensor encoding (format version 2)', () => {
  const float32s = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 40 })
  const float64s = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 40 })

  it('float32 values come back bit for bit, stored as float32 (4 bytes each)', () => {
    fc.assert(
      fc.property(float32s, (data) => {
        const encoded = encodeTensor({ shape: [data.length], data }, 'float32')
        expect(encoded.dtype).toBe('float32')
        expect(fromBase64(encoded.data)!.length).toBe(4 * data.length)
        expect(decodeTensor(encoded)).toEqual({ ok: true, value: { shape: [data.length], data } })
      }),
      { numRuns: 500, seed: 32 },
    )
  })

  it('float64 values come back bit for bit; a float32 run keeps float64 for a value that is not a float32', () => {
    fc.assert(
      fc.property(float64s, fc.constantFrom('float32' as const, 'float64' as const), (data, precision) => {
        const encoded = encodeTensor({ shape: [data.length], data }, precision)
        if (precision === 'float64' || data.some((v) => Math.fround(v) !== v)) expect(encoded.dtype).toBe('float64')
        expect(decodeTensor(encoded)).toEqual({ ok: true, value: { shape: [data.length], data } })
      }),
      { numRuns: 500, seed: 64 },
    )
    // The ends of the ranges, -0 and subnormals included.
    const edge = [-0, 5e-324, -Number.MAX_VALUE, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -149, 3.4028234663852886e38]
    const back = decodeTensor(encodeTensor({ shape: [7], data: edge }, 'float64'))
    expect(back.ok && back.value.data.map((v) => Object.is(v, edge[back.value.data.indexOf(v)]))).toEqual(edge.map(() => true))
    expect(back.ok && Object.is(back.value.data[0], -0)).toBe(true)
  })

  it('base64 matches Node’s for any bytes, and only canonical base64 is read', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        const text = toBase64(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64'))
        expect(fromBase64(text)).toEqual(bytes)
      }),
      { numRuns: 1000, seed: 4648 },
    )
    for (const bad of ['A', 'AAA', 'AA=A', 'A===', 'AB==', 'AAB=', 'AA AA', 'AA-_', 'AAÀA', '====']) expect(fromBase64(bad), bad).toBeNull()
    expect(fromBase64('')).toEqual(new Uint8Array(0))
  })

  it('a stored float32 weight takes 5.3 characters instead of about 20 as a decimal number', () => {
    const data = Array.from(Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 0.3))
    const decimal = JSON.stringify(data).length
    const encoded = encodeTensor({ shape: [3000], data }, 'float32').data.length
    console.log(`[files] 3,000 float32 weights: ${decimal} characters as decimal JSON, ${encoded} as base64 float32 (${(decimal / encoded).toFixed(1)}x smaller)`)
    expect(encoded).toBe(16_000)
    expect(decimal / encoded).toBeGreaterThan(3)
  })
})

describe('version-2 files: refused tensors and migration from version 1', () => {
  const trained = (): Experiment => ({
    ...getPreset('patterns-3')!,
    results: {
      metrics: [{ model: 'cnn', epoch: 1, trainLoss: 0.5, trainAccuracy: 0.75, valLoss: 0.6, valAccuracy: 0.7, seconds: 0.1 }],
      snapshots: [{ model: 'cnn', epoch: 0, weights: { '0.weight': { shape: [2, 2], data: [0.5, -0.25, 0.125, 1] } } }],
      finalWeights: { cnn: { '0.bias': { shape: [3], data: [Math.fround(0.1), 0, -2] } } },
    },
  })
  const saved = () => {
    const text = serializeExperiment(trained())
    if (!text.ok) throw new Error(text.error)
    return JSON.parse(text.value) as { results: { finalWeights: { cnn: Record<string, { dtype: string; shape: number[]; data: unknown }> } } }
  }
  const one = (file: unknown) => parseExperimentText(JSON.stringify(file))

  it('bad base64, a byte count that does not fit the shape, a missing or unknown dtype: one line naming the field', () => {
    const field = 'results.finalWeights.cnn."0.bias"'
    const badBase64 = saved()
    badBase64.results.finalWeights.cnn['0.bias'].data = 'not base64!'
    expect(one(badBase64)).toEqual({ ok: false, error: `${field}.data: is not valid base64` })
    const short = saved()
    short.results.finalWeights.cnn['0.bias'].shape = [4]
    expect(one(short)).toEqual({ ok: false, error: `${field}.data: holds 12 bytes, but float32 of shape [4] needs 16 bytes` })
    const noDtype = saved()
    delete (noDtype.results.finalWeights.cnn['0.bias'] as { dtype?: string }).dtype
    expect(one(noDtype)).toEqual({ ok: false, error: `${field}.dtype: base64 data needs a dtype ("float32" or "float64")` })
    const int8 = saved()
    int8.results.finalWeights.cnn['0.bias'].dtype = 'int8'
    expect(one(int8)).toMatchObject({ ok: false, error: expect.stringMatching(/^results\.finalWeights\.cnn\."0\.bias"\.dtype: /) })
    // Bytes that spell NaN are not a weight.
    const nan = saved()
    nan.results.finalWeights.cnn['0.bias'].data = Buffer.from(new Float32Array([1, NaN, 2]).buffer).toString('base64')
    expect(one(nan)).toEqual({ ok: false, error: `${field}.data: value 1 is not a finite number` })
    for (const result of [one(badBase64), one(short), one(noDtype), one(nan)]) expect(result.ok ? '' : result.error.split('\n')).toHaveLength(1)
  })

  it('a version-1 file (decimal tensors) opens, and saves again as version 2 with the same numbers', async () => {
    const v1 = { ...(JSON.parse(JSON.stringify(trained())) as object), version: 1 }
    const path = join(dir, 'old-v1.cnnlab.json')
    writeFileSync(path, JSON.stringify(v1, null, 2))
    const opened = await readExperimentFile(path)
    expect(opened).toEqual(trained())
    await writeExperimentFile(path, opened)
    const text = readFileSync(path, 'utf8')
    expect(JSON.parse(text)).toMatchObject({ version: 2, results: { finalWeights: { cnn: { '0.bias': { dtype: 'float32', shape: [3] } } } } })
    expect(await readExperimentFile(path)).toEqual(trained())
  })

  it('the in-memory form refuses a tensor whose values do not fit its shape, so no unreadable file is written', () => {
    const wrong = trained()
    wrong.results!.finalWeights.cnn['0.bias'] = { shape: [4], data: [1, 2, 3] }
    expect(serializeExperiment(wrong)).toEqual({ ok: false, error: 'results.finalWeights.cnn."0.bias".data: the number of values does not match the shape' })
  })
})

describe('save choices and their sizes', () => {
  it('the size shown for each choice (recipe / + final results / + every snapshot) is the size of the file written', async () => {
    const weights = (n: number, s: number) => ({ '0.weight': { shape: [n], data: Array.from(Float32Array.from({ length: n }, (_, i) => Math.cos(i * s))) } })
    const experiment: Experiment = {
      ...getPreset('patterns-3')!,
      name: 'Größe – ✓ 𝛼', // non-ASCII: the size is counted in UTF-8 bytes, not characters
      results: {
        metrics: [{ model: 'cnn', epoch: 1, trainLoss: 0.5, trainAccuracy: 0.75, valLoss: 0.6, valAccuracy: 0.7, seconds: 0.1 }],
        snapshots: [0, 1, 2].map((epoch) => ({ model: 'cnn', epoch, weights: weights(500, epoch + 1) })),
        finalWeights: { cnn: weights(500, 7) },
      },
    }
    const sizes: Record<string, number> = {}
    for (const keeps of SAVE_KEEPS) {
      const kept = keepOnly(experiment, keeps)
      // What the save dialog shows: the renderer's own encoding of what it will send.
      const shown = utf8Length(experimentFileText(kept))
      const path = join(dir, `keeps-${keeps}.cnnlab.json`)
      await writeExperimentFile(path, kept)
      expect(statSync(path).size, keeps).toBe(shown)
      sizes[keeps] = shown
      const back = await readExperimentFile(path)
      expect(back.results?.snapshots.length ?? 0).toBe(keeps === 'snapshots' ? 3 : 0)
      expect(back.results?.finalWeights.cnn !== undefined).toBe(keeps !== 'recipe')
    }
    console.log(`[files] save choices: recipe ${sizes.recipe} B, + final results ${sizes.final} B, + every snapshot ${sizes.snapshots} B`)
    expect(sizes.recipe).toBeLessThan(sizes.final)
    expect(sizes.final).toBeLessThan(sizes.snapshots)
  })
})

describe('messages for files that are not experiments', () => {
  it('an empty file says so; a JSON file that is not an experiment gets one sentence', async () => {
    const empty = join(dir, 'empty.cnnlab.json')
    writeFileSync(empty, '')
    await expect(readExperimentFile(empty)).rejects.toThrow(/^empty\.cnnlab\.json: this file is empty$/)
    expect(parseExperimentText('\ufeff  \n')).toEqual({ ok: false, error: '(file): this file is empty' })
    const pkg = join(dir, 'package.json')
    writeFileSync(pkg, JSON.stringify({ name: 'x', version: '1.0.0', dependencies: {} }))
    await expect(readExperimentFile(pkg)).rejects.toThrow(/^package\.json: this is not a CNN Lab experiment file \(it has no "format": "cnn-lab\.experiment"\)$/)
    expect(parseExperimentText('{"format": "cnn-lab.run", "version": 1}')).toEqual({
      ok: false,
      error: '(file): this is not a CNN Lab experiment file (its "format" is "cnn-lab.run", not "cnn-lab.experiment")',
    })
    expect(parseExperimentText('[1, 2]')).toEqual({
      ok: false,
      error: '(file): this is not a CNN Lab experiment file (it holds a JSON list, not an object with "format": "cnn-lab.experiment")',
    })
    const error = await readExperimentFile(pkg).catch((e: ExperimentFileError) => e)
    expect(error).toBeInstanceOf(ExperimentFileError)
    expect((error as ExperimentFileError).issues).toEqual(['this is not a CNN Lab experiment file (it has no "format": "cnn-lab.experiment")'])
  })
})
