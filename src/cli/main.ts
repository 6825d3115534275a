/**
 * The terminal door: `npm run lab -- <command>`.
 *
 *   presets                      list the lesson presets (id and name)
 *   preset ID                    print a preset's experiment file (JSON)
 *   run FILE --out DIR [--save-data] [--memory-budget GB] [--snapshot-budget GB]
 *                                train an experiment headless (src/cli/run.ts)
 *   sweep FILE --kind K --values V --out DIR   a sweep headless (src/cli/sweep.ts)
 *   export-pytorch RUN_DIR --out DIR     a run as a PyTorch project (src/cli/export-pytorch.ts)
 *   import-run DIR [--data DIR]          a train.py output folder into the runs folder
 *
 * Exit codes: 0 success, 1 failure while working, 2 bad usage (one clear line
 * on stderr, never a stack trace).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { getPreset, presetSummaries } from '../engine/experiment/presets'

export const USAGE = `CNN Lab — terminal door

Usage: npm run lab -- <command> [arguments]

Commands:
  presets                             list the lesson presets (id and name)
  preset ID                           print preset ID as an experiment file (JSON)
  run FILE --out DIR [--save-data]    train the experiment in FILE, writing a run folder to DIR
    --memory-budget GB                memory the run may use (default 2, or $CNN_LAB_MEMORY_BUDGET)
    --snapshot-budget GB              weight files it may write (default 1, or $CNN_LAB_SNAPSHOT_BUDGET)
  sweep FILE --kind KIND --values 1,2,5 [--seeds N] --out DIR
                                      one run folder per setting and seed in DIR, and DIR/sweep.json;
                                      KIND: mlp-hidden, cnn-filters, train-count, val-shift, augment
  export-pytorch RUN_DIR --out DIR    write the run as a PyTorch project (train.py, data, initial weights)
  import-run DIR [--data DATA_DIR]    put a train.py output folder in the app's runs folder (Runs lists it)
  help                                this text

Options:
  -h, --help                          this text
  -v, --version                       the lab's version

Examples:
  npm run lab -- presets
  npm run lab -- preset edge-detector > edges.cnnlab.json
  npm run lab -- run edges.cnnlab.json --out runs/edges
  npm run lab -- export-pytorch runs/edges --out edges-pytorch
  npm run lab -- sweep patterns.cnnlab.json --kind train-count --values 2,5,30 --seeds 3 --out runs/data`

/** A mistake in how the command was called: one line, exit code 2. */
export class UsageError extends Error {}

export interface Io {
  out: (text: string) => void
  err: (text: string) => void
}

const here = path.dirname(fileURLToPath(import.meta.url))

function noExtraArgs(command: string, args: string[]): void {
  if (args.length > 0) throw new UsageError(`${command}: unexpected argument "${args[0]}"`)
}

function listPresets(args: string[], io: Io): number {
  noExtraArgs('presets', args)
  const presets = presetSummaries()
  const width = Math.max(...presets.map((p) => p.id.length))
  for (const preset of presets) io.out(`${preset.id.padEnd(width)}  ${preset.name}\n`)
  return 0
}

function printPreset(args: string[], io: Io): number {
  const [id, ...rest] = args
  if (id === undefined || id.startsWith('-')) throw new UsageError('preset: which one? give an ID (see "npm run lab -- presets")')
  noExtraArgs('preset', rest)
  const experiment = getPreset(id)
  if (!experiment) throw new UsageError(`preset: unknown preset "${id}" (see "npm run lab -- presets")`)
  io.out(JSON.stringify(experiment, null, 2) + '\n')
  return 0
}

/** `run` is loaded on demand, so `presets` and `--help` stay instant. */
async function run(args: string[]): Promise<number> {
  const { runCommand } = await import('./run')
  return runCommand(args)
}

/** `sweep` too: the engine and the worker load only when a sweep runs. */
async function sweep(args: string[], io: Io): Promise<number> {
  const { sweepCommand } = await import('./sweep')
  return sweepCommand(args, io)
}

/** The PyTorch export and the import of its output, loaded on demand as well. */
async function exportPytorch(args: string[], io: Io): Promise<number> {
  const { exportPytorchCommand } = await import('./export-pytorch')
  return exportPytorchCommand(args, io)
}

async function importRun(args: string[], io: Io): Promise<number> {
  const { importRunCommand } = await import('./export-pytorch')
  return importRunCommand(args, io)
}

const COMMANDS: Record<string, (args: string[], io: Io) => number | Promise<number>> = {
  presets: listPresets,
  preset: printPreset,
  run,
  sweep,
  'export-pytorch': exportPytorch,
  'import-run': importRun,
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.out(USAGE + '\n')
      return 0
    }
    if (command === '--version' || command === '-v') {
      io.out(`${await version()}\n`)
      return 0
    }
    const handler = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined
    if (!handler) {
      throw new UsageError(
        command.startsWith('-')
          ? `unknown option "${command}" (try --help)`
          : `unknown command "${command}" (try --help)`,
      )
    }
    if (command !== 'run' && args.some((a) => a === '--help' || a === '-h')) {
      io.out(USAGE + '\n')
      return 0
    }
    return await handler(args, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`cnn-lab: ${err.message}\n`)
      return 2
    }
    io.err(`cnn-lab: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  try {
    const pkg = JSON.parse(await readFile(path.join(here, '..', '..', 'package.json'), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
/**
 * `lab … | head -1`: the reader may close the pipe before the lab is done.
 * EPIPE then means "nobody is reading": drop what would have been written and
 * carry on (a run still finishes and records its folder, which is its real
 * output) instead of dying with an unhandled 'error' stack trace. Any other
 * stream error still ends the process, as one line.
 */
export function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return
    if (stream !== process.stderr && !process.stderr.destroyed) process.stderr.write(`cnn-lab: cannot write output: ${err.message}\n`)
    process.exit(1)
  })
}

if (invokedDirectly) {
  quietOnClosedPipe(process.stdout)
  quietOnClosedPipe(process.stderr)
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`cnn-lab: ${err instanceof Error ? err.message : String(err)}\n`)
      process.exitCode = 1
    },
  )
}
