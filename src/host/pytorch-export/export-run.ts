/**
 * From a run folder to its PyTorch project: reads run.json, the recipe and the
 * epoch-0 snapshots, rebuilds the run's data with the engine's dataset code
 * (MNIST from the host's digits), and hands them to the pure generator.
 * Also writes a project to a folder (the terminal door) and zips it (the app).
 */
import { mkdir, readdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { zipSync } from 'fflate'
import { buildDatasets } from '../../engine/datasets'
import type { NamedWeights } from '../../shared/training-events'
import { writeFileAtomic } from '../atomic-file'
import { fileErrorReason } from '../error-words'
import { readRunFolder, readSafetensorsFile, weightsFromTensors } from '../run-folder'
import { slug } from '../run-store'
import { buildPytorchProject, PytorchExportError, type ProjectFiles } from './project'

export { PytorchExportError } from './project'

/** The project of the run in `runDir`; a clear error for a missing folder or a run without its epoch-0 snapshot. */
export async function exportRunFolder(runDir: string): Promise<{ name: string; files: ProjectFiles }> {
  const dir = resolve(runDir)
  const info = await stat(dir).catch(() => undefined)
  if (!info) throw new PytorchExportError(`${dir}: no such run folder`)
  if (!info.isDirectory()) throw new PytorchExportError(`${dir}: not a folder (give a run folder)`)
  const contents = await readRunFolder(dir)
  const { experiment, run } = contents
  if (run.models.length === 0) throw new PytorchExportError(`${join(dir, 'run.json')}: lists no models (the run never started training)`)
  const initialWeights: Record<string, NamedWeights> = {}
  for (const model of experiment.models) {
    const snapshot = contents.snapshots.find((s) => s.model === model.id && s.epoch === 0)
    if (!snapshot) {
      throw new PytorchExportError(
        `${join(dir, 'snapshots', model.id, 'epoch-0000.safetensors')}: missing; the export starts from each model's initial weights (add 0 to training.snapshotEpochs and run again)`,
      )
    }
    initialWeights[model.id] = weightsFromTensors((await readSafetensorsFile(snapshot.path)).tensors)
  }
  const mnist = experiment.dataset.kind === 'mnist' ? (await import('../mnist-source')).loadMnistSource() : undefined
  const data = buildDatasets(experiment.dataset, { mnist })
  return { name: run.name, files: buildPytorchProject({ experiment, run, initialWeights, data }) }
}

/** Makes `outDir` (its parent must exist) or checks it is an empty folder; before any export work. */
export async function prepareOutFolder(outDir: string): Promise<string> {
  const dir = resolve(outDir)
  try {
    await mkdir(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new PytorchExportError(`--out ${dir}: its parent folder ${dirname(dir)} does not exist`)
    if (code !== 'EEXIST') throw new PytorchExportError(`--out ${dir}: ${fileErrorReason(error)}`)
    if (!(await stat(dir)).isDirectory()) throw new PytorchExportError(`--out ${dir}: is a file, not a folder`)
    const entries = await readdir(dir)
    if (entries.length > 0) throw new PytorchExportError(`--out ${dir}: the folder is not empty (${entries.length} entries); choose a new or empty folder`)
  }
  return dir
}

/** Writes the project into `outDir`: created if missing (its parent must exist), refused if not empty. */
export async function writeProjectFolder(files: ProjectFiles, outDir: string): Promise<string> {
  const dir = await prepareOutFolder(outDir)
  for (const [path, bytes] of Object.entries(files)) {
    const target = join(dir, path)
    await mkdir(dirname(target), { recursive: true })
    await writeFileAtomic(target, bytes)
  }
  return dir
}

/** The project's folder name inside its zip (and the zip's name): a slug of the run's name. */
export function projectFolderName(runName: string): string {
  return `${slug(runName)}-pytorch`
}

/** The project as one zip with everything under one folder, so unzipping makes a single folder. */
export function zipProject(files: ProjectFiles, folder: string): Uint8Array {
  const entries: Record<string, Uint8Array> = {}
  for (const [path, bytes] of Object.entries(files)) entries[`${folder}/${path}`] = bytes
  // Tensors barely compress and are most of the bytes: level 6 costs little on the text.
  return zipSync(entries, { level: 6 })
}
