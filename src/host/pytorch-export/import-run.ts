/**
 * Importing a run folder from outside the lab (train.py's output) into the runs
 * folder, where it lists beside the lab's runs under an id of its own.
 *
 * The files come as a map of relative path → bytes, whichever way they were
 * picked: a folder on disk (the terminal door), a zip, or a browser's folder
 * upload. Only the files a run folder has are taken (run.json, the recipe,
 * metrics.jsonl, steps.jsonl, weights/, snapshots/, confusion/); they are
 * validated as the lab reads runs before anything is written, and the new
 * folder is read back with readRunFolder before it counts.
 */
import { lstat, mkdir, readdir, rm } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { unzipSync } from 'fflate'
import { parseExperiment } from '../../shared/experiment'
import { RunInfo } from '../../shared/run-file'
import { decodeSafetensors } from '../../shared/safetensors'
import { writeFileAtomic } from '../atomic-file'
import { jsonErrorReason, parseMetricsLines, readRunFolder, RUN_FILES } from '../run-folder'
import { readFileNoFollow } from '../safe-path'
import type { RunStore } from '../run-store'

export class RunImportError extends Error {
  override name = 'RunImportError'
}

export type RunFiles = Record<string, Uint8Array>

/** Relative paths a run folder may hold; anything else (a README, a .DS_Store) is left out. */
const KEPT = [
  /^run\.json$/,
  /^experiment\.cnnlab\.json$/,
  /^metrics\.jsonl$/,
  /^steps\.jsonl$/,
  /^confusion\/[a-z][a-z0-9-]{0,31}\.json$/,
  /^weights\/[a-z][a-z0-9-]{0,31}\.safetensors$/,
  /^snapshots\/[a-z][a-z0-9-]{0,31}\/epoch-\d{4,6}\.safetensors$/,
]

/** Drops a single top folder every path shares (a zipped folder, a folder upload). */
function stripCommonFolder(files: RunFiles): RunFiles {
  const paths = Object.keys(files)
  if (paths.includes('run.json')) return files
  const first = paths[0]?.split('/')[0]
  if (!first || !paths.every((p) => p.startsWith(`${first}/`))) return files
  return Object.fromEntries(Object.entries(files).map(([p, bytes]) => [p.slice(first.length + 1), bytes]))
}

/** The files of a zip (directories dropped, `\` read as `/`). */
export function filesFromZip(zip: Uint8Array): RunFiles {
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(zip)
  } catch (error) {
    throw new RunImportError(`the zip cannot be read: ${(error as Error).message}`)
  }
  const files: RunFiles = {}
  for (const [name, bytes] of Object.entries(entries)) if (!name.endsWith('/')) files[name.replace(/\\/g, '/')] = bytes
  return files
}

/** A run folder on disk as files (links refused, only the run's own files). */
export async function filesFromFolder(dir: string): Promise<RunFiles> {
  const root = resolve(dir)
  const info = await lstat(root).catch(() => undefined)
  if (!info) throw new RunImportError(`${root}: no such folder`)
  if (!info.isDirectory()) throw new RunImportError(`${root}: not a folder`)
  const files: RunFiles = {}
  const walk = async (folder: string, depth: number): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      const rel = relative(root, path).split(sep).join('/')
      if (entry.isDirectory() && depth < 2) await walk(path, depth + 1)
      else if (entry.isFile() && KEPT.some((k) => k.test(rel))) files[rel] = await readFileNoFollow(path)
    }
  }
  await walk(root, 0)
  return files
}

function parseJson(name: string, bytes: Uint8Array | undefined): unknown {
  if (!bytes) throw new RunImportError(`${name}: missing (a run folder has run.json, experiment.cnnlab.json and metrics.jsonl)`)
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch (error) {
    throw new RunImportError(`${name}: ${jsonErrorReason(error)}`)
  }
}

/** Checks the files as the lab will read them; returns those to write and the run's name. */
export function checkRunFiles(raw: RunFiles): { files: RunFiles; run: RunInfo } {
  const all = stripCommonFolder(raw)
  const files = Object.fromEntries(Object.entries(all).filter(([p]) => KEPT.some((k) => k.test(p))))
  const run = RunInfo.safeParse(parseJson(RUN_FILES.run, files[RUN_FILES.run]))
  if (!run.success) {
    const issue = run.error.issues[0]
    throw new RunImportError(`run.json: ${issue.path.join('.') || '(file)'}: ${issue.message}`)
  }
  if (run.data.status === 'running') throw new RunImportError('run.json: status is "running"; import a run that has ended')
  const experiment = parseExperiment(parseJson(RUN_FILES.experiment, files[RUN_FILES.experiment]))
  if (!experiment.ok) throw new RunImportError(`${RUN_FILES.experiment}: ${experiment.error.split('\n').join('; ')}`)
  const metricsBytes = files[RUN_FILES.metrics]
  if (!metricsBytes) throw new RunImportError('metrics.jsonl: missing (the run\'s per-epoch metrics)')
  const { metrics, skipped } = parseMetricsLines(new TextDecoder().decode(metricsBytes))
  if (skipped > 0) throw new RunImportError(`metrics.jsonl: ${skipped} line(s) are not metric rows`)
  if (metrics.length === 0) throw new RunImportError('metrics.jsonl: holds no metric rows')
  const ids = new Set(experiment.value.models.map((m) => m.id))
  const stranger = metrics.find((row) => !ids.has(row.model))
  if (stranger) throw new RunImportError(`metrics.jsonl: a row names model "${stranger.model}", which the recipe does not have`)
  for (const [path, bytes] of Object.entries(files)) {
    if (!path.endsWith('.safetensors')) continue
    try {
      decodeSafetensors(bytes)
    } catch (error) {
      throw new RunImportError(`${path}: ${(error as Error).message.startsWith('header is not valid JSON') ? 'header is not valid JSON' : (error as Error).message}`)
    }
  }
  return { files, run: run.data }
}

/** Writes the run into the store under a new id and reads it back; returns the id. */
export async function importRunFiles(store: RunStore, raw: RunFiles): Promise<{ runId: string; name: string }> {
  const { files, run } = checkRunFiles(raw)
  await store.ensure()
  const id = store.newRunId(run.name)
  const dir = store.dirOf(id)
  if (await lstat(dir).then(() => true, () => false)) throw new RunImportError(`cannot import: ${dir} already exists; try again`)
  await mkdir(dir)
  try {
    for (const [path, bytes] of Object.entries(files)) {
      const target = join(dir, path)
      await mkdir(dirname(target), { recursive: true })
      await writeFileAtomic(target, bytes)
    }
    await readRunFolder(dir)
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error instanceof RunImportError ? error : new RunImportError(`cannot import the run: ${(error as Error).message}`)
  }
  return { runId: id, name: run.name }
}
