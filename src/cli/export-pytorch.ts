/**
 * `npm run lab -- export-pytorch RUN_DIR --out DIR`: a run folder as a PyTorch
 * project that trains it again (src/host/pytorch-export/), and
 * `npm run lab -- import-run DIR [--data DIR]`: train.py's output folder (or any
 * finished run folder) copied into the app's runs folder, so it lists in Runs.
 * Errors are one line naming the folder or file; exit 1, bad usage 2.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultDataDir } from '../host/data-dir'
import { exportRunFolder, prepareOutFolder, writeProjectFolder } from '../host/pytorch-export/export-run'
import { filesFromFolder, importRunFiles } from '../host/pytorch-export/import-run'
import { RunStore } from '../host/run-store'
import { UsageError, type Io } from './main'

export const EXPORT_USAGE = 'usage: npm run lab -- export-pytorch RUN_DIR --out DIR'
export const IMPORT_USAGE = 'usage: npm run lab -- import-run DIR [--data DATA_DIR]'

function parse(args: string[], usage: string, options: Record<string, { type: 'string' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (${usage})`)
  }
}

export async function exportPytorchCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, EXPORT_USAGE, { out: { type: 'string' } })
  if (positionals.length !== 1) throw new UsageError(`export-pytorch: give one run folder (${EXPORT_USAGE})`)
  if (!values.out) throw new UsageError(`export-pytorch: --out DIR is required (${EXPORT_USAGE})`)
  // A wrong --out is refused before the data is rebuilt (MNIST takes seconds).
  const runDir = positionals[0]
  const { stat, rmdir } = await import('node:fs/promises')
  if (!(await stat(runDir).catch(() => undefined))) throw new Error(`${runDir}: no such run folder`)
  const made = await prepareOutFolder(values.out)
  const { files } = await exportRunFolder(runDir).catch(async (error: unknown) => {
    await rmdir(made).catch(() => undefined) // it was empty: leave nothing behind
    throw error
  })
  const dir = await writeProjectFolder(files, values.out)
  const bytes = Object.values(files).reduce((sum, b) => sum + b.length, 0)
  io.out(`${dir}\n  ${Object.keys(files).length} files, ${(bytes / 1e6).toFixed(2)} MB; run it with: cd ${dir} && python3 train.py\n`)
  return 0
}

export async function importRunCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, IMPORT_USAGE, { data: { type: 'string' } })
  if (positionals.length !== 1) throw new UsageError(`import-run: give one run folder (${IMPORT_USAGE})`)
  const store = new RunStore(join(values.data ?? defaultDataDir(), 'runs'))
  const { runId, name } = await importRunFiles(store, await filesFromFolder(positionals[0]))
  io.out(`imported "${name}" as run ${runId}\n  ${store.dirOf(runId)}\n`)
  return 0
}
