/**
 * "Export all" as one zip for a teacher: every figure of a view as PNG and
 * SVG, each run's metric rows per model as CSV and JSONL, and a README.txt
 * that names the experiment, the run(s) and the view and lists the files.
 * Pure (bytes in, bytes out), so it is tested without a browser.
 */
import { strToU8, zipSync, type Zippable } from 'fflate'
import type { MetricRow } from '../../shared/experiment'
import { safeFileStem } from '../lab-client/door-files'

export interface BundleFigure {
  title: string
  png: Uint8Array
  svg: Uint8Array
}

export interface BundleModel {
  id: string
  label: string
  /** The training route's label (e.g. "fused SIMD, 2 cores"), when the run recorded one. */
  route?: string
}

export interface BundleRun {
  /** Absent for results read from an experiment file (they have no run folder). */
  id?: string
  startedAt?: string
  /** "pytorch" for a run imported from an exported project. */
  source?: string
  models: BundleModel[]
  metrics: MetricRow[]
}

/** A table that is not a run's metrics (a sweep's points), written as CSV and JSONL too. */
export interface BundleTable {
  name: string
  columns: string[]
  rows: Record<string, unknown>[]
}

export interface BundleInput {
  /** The view's name as the side bar says it, e.g. "Compare". */
  view: string
  experiment: string
  runs: BundleRun[]
  figures: BundleFigure[]
  tables?: BundleTable[]
  /** When the bundle was made (ISO); the README says it. */
  createdAt: string
}

export interface ViewBundle {
  fileName: string
  /** Every file in the zip, README.txt first. */
  files: string[]
  zip: Uint8Array
}

/** The CSV columns of a metric row; the confusion matrix stays in the JSONL (it is not one number). */
export const METRIC_COLUMNS = ['model', 'epoch', 'trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy', 'seconds'] as const

export function bundleFileName(view: string, experiment: string): string {
  return `cnn-lab-${safeFileStem(view)}-${safeFileStem(experiment)}.zip`
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv(columns: readonly string[], rows: Record<string, unknown>[]): string {
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(','))]
  return `${lines.join('\n')}\n`
}

export function toJsonl(rows: unknown[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('')
}

/** A name not yet taken in `taken` (two figures may share a title's stem). */
function unique(stem: string, taken: Set<string>): string {
  let name = stem
  for (let n = 2; taken.has(name); n++) name = `${stem}-${n}`
  taken.add(name)
  return name
}

/** The models of a run: those it lists, then any that only its metric rows name. */
function runModels(run: BundleRun): BundleModel[] {
  const models = [...run.models]
  for (const row of run.metrics) if (!models.some((m) => m.id === row.model)) models.push({ id: row.model, label: row.model })
  return models
}

function describeRun(run: BundleRun, index: number, count: number): string[] {
  const head = count > 1 ? `Run ${index + 1}` : 'Run'
  const parts = [run.id ? `id ${run.id}` : 'results saved in the experiment file (no run folder)']
  if (run.startedAt) parts.push(`started ${run.startedAt}`)
  if (run.source) parts.push(`trained by ${run.source}`)
  const lines = [`${head}: ${parts.join(', ')}`]
  for (const model of runModels(run)) {
    const rows = run.metrics.filter((r) => r.model === model.id).length
    lines.push(`  ${model.label} (${model.id}): ${rows} metric rows${model.route ? `, route ${model.route}` : ''}`)
  }
  return lines
}

export function buildViewBundle(input: BundleInput): ViewBundle {
  if (!input.view.trim()) throw new Error('bundle view: must name the view')
  const entries: [string, Uint8Array][] = []
  const figureStems = new Set<string>()
  for (const figure of input.figures) {
    if (!figure.png.length || !figure.svg.length) throw new Error(`bundle figure "${figure.title}": the PNG or the SVG is empty`)
    const stem = unique(safeFileStem(figure.title), figureStems)
    entries.push([`figures/${stem}.png`, figure.png], [`figures/${stem}.svg`, figure.svg])
  }
  // One run: metrics/<model>.csv; several (the Runs overlay): metrics/<run id>/<model>.csv.
  const runFolders = new Set<string>()
  input.runs.forEach((run, r) => {
    const folder = input.runs.length > 1 ? `metrics/${unique(safeFileStem(run.id ?? `run-${r + 1}`), runFolders)}/` : 'metrics/'
    const modelStems = new Set<string>()
    for (const model of runModels(run)) {
      const rows = run.metrics.filter((row) => row.model === model.id)
      const stem = unique(safeFileStem(model.id), modelStems)
      entries.push([`${folder}${stem}.csv`, strToU8(toCsv(METRIC_COLUMNS, rows))], [`${folder}${stem}.jsonl`, strToU8(toJsonl(rows))])
    }
  })
  const tableStems = new Set<string>()
  for (const table of input.tables ?? []) {
    const stem = unique(safeFileStem(table.name), tableStems)
    entries.push([`${stem}.csv`, strToU8(toCsv(table.columns, table.rows))], [`${stem}.jsonl`, strToU8(toJsonl(table.rows))])
  }

  const files = ['README.txt', ...entries.map(([name]) => name)]
  const readme = readmeText(input, files)
  const zippable: Zippable = { 'README.txt': strToU8(readme) }
  // PNGs are deflated already: stored as they are, deflating them again only costs time.
  for (const [name, bytes] of entries) zippable[name] = name.endsWith('.png') ? [bytes, { level: 0 }] : bytes
  const zip = zipSync(zippable, { level: 6 })
  return { fileName: bundleFileName(input.view, input.experiment), files, zip }
}

export function readmeText(input: BundleInput, files: string[]): string {
  const lines = [
    `CNN Lab: everything on the ${input.view} view`,
    '',
    `Experiment: ${input.experiment || '(unnamed)'}`,
    `View: ${input.view}`,
    `Made: ${input.createdAt}`,
  ]
  if (input.runs.length === 0) lines.push('Run: none (nothing trained yet; the figures show the recipe)')
  input.runs.forEach((run, r) => lines.push(...describeRun(run, r, input.runs.length)))
  lines.push(
    '',
    'Figures are PNG (twice the on-screen size, with title and legend) and SVG (for slides).',
    `Metrics are one row per model and epoch (epoch 0 is before training), as CSV (${METRIC_COLUMNS.join(', ')}; an empty cell is a value not measured) and as JSONL (the run's metrics.jsonl lines, confusion counts included).`,
    '',
    `Files (${files.length}):`,
    ...files.map((name) => `  ${name}`),
  )
  return `${lines.join('\n')}\n`
}
