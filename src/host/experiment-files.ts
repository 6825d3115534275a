/**
 * Experiment files (`*.cnnlab.json`): open, save, and the defences in between.
 *
 * A file may come from anywhere (a mail from a stranger), so reading is
 * bounded before anything is parsed: the size is checked before the bytes are
 * read, the nesting depth before JSON.parse, `__proto__` keys are refused
 * before any object is built from the value, and every problem comes back as
 * `field: reason` lines. Older format versions are migrated step by step
 * through MIGRATIONS before validation.
 *
 * Version 2 stores tensors as base64 bytes with their dtype (see
 * json-tensors.ts); the schema (`ExperimentFile`) decodes them, so what comes
 * out is the in-memory `Experiment` with plain number arrays. Saving goes the
 * other way through `experimentFileText`, the one encoder every door uses.
 *
 * The native dialogs (Electron) and upload/download (browser) are the doors'
 * job; this module only reads and writes the path it is given.
 */
import { toJsonTensors } from '../shared/json-tensors'
import { readFile, stat } from 'node:fs/promises'
import { basename, isAbsolute } from 'node:path'
import type { z } from 'zod'
import {
  EXPERIMENT_FORMAT,
  EXPERIMENT_VERSION,
  Experiment,
  ExperimentFile,
  type NamedTensors,
  type ParseResult,
  type Results,
} from '../shared/experiment'
import { experimentFileText, MAX_EXPERIMENT_BYTES, utf8Length } from '../shared/experiment-file'
import type { NamedWeights } from '../shared/training-events'
import { writeFileAtomic } from './atomic-file'
import { errorMessage, fileErrorReason } from './error-words'

/** Large enough for an MNIST experiment with its snapshots and weights, small enough to parse safely. */
export { MAX_EXPERIMENT_BYTES }
/** The schema itself is at most about 8 levels deep; anything far deeper is hostile. */
const MAX_JSON_DEPTH = 64

/**
 * A file that cannot be opened or saved; the message names the file and the field.
 * `issues` holds what is wrong with the file's content, one line each (without
 * the file's name), so the terminal door can print them as lines.
 */
export class ExperimentFileError extends Error {
  override name = 'ExperimentFileError'
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message)
  }
}

/**
 * The problem lines of a ParseResult as a user reads them: the `(file): ` of
 * file-level problems left out (the caller names the file), one line each.
 */
export function problemLines(error: string): string[] {
  return error.split('\n').map((line) => line.replace(/^\(file\): /, ''))
}

// ── migrations ──────────────────────────────────────────────────────────────

/** Turns a file of version N into one of version N + 1. */
export type Migration = (old: Record<string, unknown>) => Record<string, unknown>

/**
 * Keyed by the version a migration starts from.
 *
 * 1 → 2: version 1 wrote tensors as decimal numbers (`{shape, data: [...]}`);
 * version 2 writes base64 bytes but still reads decimal tensors, so the step is
 * the version number alone. The first save rewrites the file compactly.
 */
export const MIGRATIONS: ReadonlyMap<number, Migration> = new Map<number, Migration>([[1, (old) => ({ ...old, version: 2 })]])

/**
 * Brings a parsed file up to the current version. Values that are not objects
 * with an integer `version` pass through untouched: the schema then says what
 * is wrong with them, naming the field.
 */
export function migrate(
  value: unknown,
  migrations: ReadonlyMap<number, Migration> = MIGRATIONS,
  current: number = EXPERIMENT_VERSION,
): ParseResult<unknown> {
  if (!isPlainObject(value)) return { ok: true, value }
  let file: Record<string, unknown> = value
  if (typeof file.version !== 'number' || !Number.isInteger(file.version)) return { ok: true, value }
  let version: number = file.version
  if (version > current) {
    return {
      ok: false,
      error: `version: this file was made by a newer CNN Lab (format version ${version}); this lab reads versions up to ${current}`,
    }
  }
  while (version < current) {
    const step = migrations.get(version)
    if (!step) return { ok: false, error: `version: format version ${version} is not supported (no migration from it)` }
    try {
      file = step(file)
    } catch (error) {
      return { ok: false, error: `version: the file could not be upgraded from version ${version}: ${errorMessage(error)}` }
    }
    if (file.version !== version + 1) {
      return { ok: false, error: `version: the upgrade from version ${version} did not produce version ${version + 1}` }
    }
    version = file.version as number
  }
  return { ok: true, value: file }
}

// ── parsing ─────────────────────────────────────────────────────────────────

export interface ParseTextOptions {
  maxBytes?: number
  maxDepth?: number
  migrations?: ReadonlyMap<number, Migration>
}

/** The text of an experiment file → a valid Experiment, or `field: reason` lines. Never throws. */
export function parseExperimentText(text: unknown, options: ParseTextOptions = {}): ParseResult<Experiment> {
  try {
    if (typeof text !== 'string') return { ok: false, error: '(file): an experiment file is text' }
    const maxBytes = options.maxBytes ?? MAX_EXPERIMENT_BYTES
    // UTF-16 length is a lower bound of the UTF-8 size: checked before any work.
    if (text.length > maxBytes) return { ok: false, error: `(file): ${tooLarge(text.length, maxBytes)}` }
    // Editors on Windows like to start UTF-8 files with a byte order mark; it carries no meaning.
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
    if (body.trim() === '') return { ok: false, error: '(file): this file is empty' }
    const depth = nestingDepth(body, options.maxDepth ?? MAX_JSON_DEPTH)
    if (depth === Infinity) {
      return { ok: false, error: `(file): the JSON is nested more than ${options.maxDepth ?? MAX_JSON_DEPTH} levels deep` }
    }
    let value: unknown
    try {
      value = JSON.parse(body)
    } catch (error) {
      // V8 quotes the text around the error, newlines and all: keep the message to one short line.
      const said = errorMessage(error).replace(/\r?\n/g, '\\n').replace(/[\0-\x1f\x7f]/g, '?')
      return { ok: false, error: `(file): not valid JSON: ${said.length > 160 ? `${said.slice(0, 160)}…` : said}` }
    }
    const forbidden = findForbiddenKey(value)
    if (forbidden) return { ok: false, error: `${forbidden}: the key "__proto__" is not allowed` }
    const stranger = notAnExperiment(value)
    if (stranger) return { ok: false, error: stranger }
    const migrated = migrate(value, options.migrations)
    if (!migrated.ok) return migrated
    const result = ExperimentFile.safeParse(migrated.value)
    return result.success ? { ok: true, value: result.data } : { ok: false, error: formatIssues(result.error) }
  } catch (error) {
    // Nothing above should throw; if something does, it is still an answer, not a crash.
    return { ok: false, error: `(file): cannot be read: ${errorMessage(error)}` }
  }
}

/** Reads and validates an experiment file. Throws ExperimentFileError with the file's name and the field. */
export async function readExperimentFile(path: string, options: ParseTextOptions = {}): Promise<Experiment> {
  checkUserPath(path)
  const name = basename(path)
  const maxBytes = options.maxBytes ?? MAX_EXPERIMENT_BYTES
  let size: number
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new ExperimentFileError(`cannot open ${name}: it is not a file`)
    size = info.size
  } catch (error) {
    if (error instanceof ExperimentFileError) throw error
    throw new ExperimentFileError(`cannot open ${name}: ${fileErrorReason(error)}`)
  }
  // Checked before reading, so a 100 MB file never enters memory.
  if (size > maxBytes) throw new ExperimentFileError(`cannot open ${name}: ${tooLarge(size, maxBytes)}`)
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw new ExperimentFileError(`cannot open ${name}: ${fileErrorReason(error)}`)
  }
  if (bytes.length > maxBytes) throw new ExperimentFileError(`cannot open ${name}: ${tooLarge(bytes.length, maxBytes)}`)
  const text = decodeUtf8(bytes, name)
  const parsed = parseExperimentText(text, options)
  if (!parsed.ok) {
    const lines = problemLines(parsed.error)
    throw new ExperimentFileError(`${name}: ${lines.join('; ')}`, lines)
  }
  return parsed.value
}

/**
 * Validates and writes an experiment file atomically (temp file + rename):
 * the user's previous file stays whole until the new one is complete.
 */
export async function writeExperimentFile(path: string, experiment: unknown): Promise<void> {
  checkUserPath(path)
  if (!/\.json$/i.test(path)) throw new ExperimentFileError(`cannot save ${basename(path)}: an experiment file must end in .cnnlab.json`)
  const serialized = serializeExperiment(experiment)
  if (!serialized.ok) throw new ExperimentFileError(`cannot save ${basename(path)}: ${serialized.error.split('\n').join('; ')}`)
  const text = serialized.value
  try {
    await writeFileAtomic(path, text)
  } catch (error) {
    throw new ExperimentFileError(`cannot save ${basename(path)}: ${fileErrorReason(error)}`)
  }
}

/**
 * The exact text `writeExperimentFile` saves: validated, defaults filled in,
 * tensors encoded (experimentFileText), 2-space JSON. A file too large to
 * open again is not written.
 */
export function serializeExperiment(experiment: unknown): ParseResult<string> {
  const checked = Experiment.safeParse(experiment)
  if (!checked.success) return { ok: false, error: formatIssues(checked.error) }
  const text = experimentFileText(checked.data)
  const size = utf8Length(text)
  if (size > MAX_EXPERIMENT_BYTES) return { ok: false, error: `(file): ${tooLarge(size, MAX_EXPERIMENT_BYTES)}` }
  return { ok: true, value: text }
}

/**
 * zod issues as `path.to.field: reason` lines (at most five). An unknown key
 * is named by its own path rather than its parent's, so a typo like
 * `training.learningrate` points at itself.
 */
function formatIssues(error: z.ZodError): string {
  const lines: string[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${fieldPath([...issue.path, key])}: unknown field (not part of format version ${EXPERIMENT_VERSION})`)
    } else {
      lines.push(`${fieldPath(issue.path)}: ${issue.message}`)
    }
  }
  return lines.slice(0, 5).join('\n')
}

function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(file)'
  return path.map(pathPart).join('.')
}

/** A key as it appears in a field path: plain when it is a plain name, else quoted (and cut short). */
function pathPart(part: PropertyKey): string {
  const text = String(part)
  if (/^[A-Za-z0-9_$-]{1,64}$/.test(text)) return text
  const short = text.length > 64 ? `${text.slice(0, 64)}…` : text
  return JSON.stringify(short).replace(/[\u007f-\u009f\u2028\u2029]/g, '?')
}

// ── results from a run ──────────────────────────────────────────────────────

/** What a finished run adds to its recipe when saved as an experiment file. */
export function resultsFromRun(run: {
  metrics: Results['metrics']
  snapshots: { model: string; epoch: number; weights: NamedWeights }[]
  weights: Record<string, NamedWeights>
}): Results {
  const finalWeights: Record<string, NamedTensors> = {}
  for (const [model, weights] of Object.entries(run.weights)) finalWeights[model] = toJsonTensors(weights)
  return {
    metrics: run.metrics.map((row) => ({ ...row })),
    snapshots: run.snapshots.map((s) => ({ model: s.model, epoch: s.epoch, weights: toJsonTensors(s.weights) })),
    finalWeights,
  }
}


// ── defences ────────────────────────────────────────────────────────────────

/**
 * One sentence when the JSON is not an experiment file at all (another JSON
 * file, or another CNN Lab file), instead of a list of every field it lacks.
 */
function notAnExperiment(value: unknown): string | undefined {
  const expected = `"format": "${EXPERIMENT_FORMAT}"`
  if (!isPlainObject(value)) {
    const kind = Array.isArray(value) ? 'a JSON list' : value === null ? 'null' : `a JSON ${typeof value}`
    return `(file): this is not a CNN Lab experiment file (it holds ${kind}, not an object with ${expected})`
  }
  if (!('format' in value)) return `(file): this is not a CNN Lab experiment file (it has no ${expected})`
  if (value.format === EXPERIMENT_FORMAT) return undefined
  const said = typeof value.format === 'string' ? JSON.stringify(value.format.slice(0, 60)) : `a ${typeof value.format}`
  return `(file): this is not a CNN Lab experiment file (its "format" is ${said}, not "${EXPERIMENT_FORMAT}")`
}

/** The deepest nesting of arrays and objects, or Infinity once it passes `limit` (strings are skipped). */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return Infinity
      if (depth > deepest) deepest = depth
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    }
  }
  return deepest
}

/** The path of the first `__proto__` key (JSON.parse makes it an own property; copying it would not be). */
function findForbiddenKey(value: unknown): string | undefined {
  const stack: { node: unknown; path: string }[] = [{ node: value, path: '' }]
  while (stack.length > 0) {
    const { node, path } = stack.pop()!
    if (typeof node !== 'object' || node === null) continue
    for (const key of Object.keys(node)) {
      const child = path ? `${path}.${key}` : key
      if (key === '__proto__') return child
      stack.push({ node: (node as Record<string, unknown>)[key], path: child })
    }
  }
  return undefined
}

function decodeUtf8(bytes: Uint8Array, name: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ExperimentFileError(`cannot open ${name}: it is saved as UTF-16; save it as UTF-8`)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new ExperimentFileError(`cannot open ${name}: it is not UTF-8 text`)
  }
}

/** The user chose this path (a dialog); it still must be a plain absolute path. */
function checkUserPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) throw new ExperimentFileError('a file path is required')
  if (path.includes('\0')) throw new ExperimentFileError('a file path must not contain a NUL character')
  if (!isAbsolute(path)) throw new ExperimentFileError(`"${path.slice(0, 80)}" is not an absolute path`)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function tooLarge(size: number, limit: number): string {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 1024 * 1024 ? 2 : 0)} MB`
  return `the file is too large (${mb(size)}; the limit is ${mb(limit)})`
}

