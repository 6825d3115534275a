/**
 * The input side `lab run` and `lab sweep` share: one FILE and flags parsed
 * the same way, the experiment file read with the host's own reader, and the
 * Failure they both report as `cnn-lab: …` lines with an exit code (1 bad
 * input or a failure, 2 bad usage). One place, so the two doors word their
 * usage mistakes and file problems alike.
 */
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { Experiment } from '../shared/experiment'
import { ExperimentFileError, readExperimentFile } from '../host/experiment-files'
import { errorMessage, fileErrorReason } from '../host/error-words'

/** A problem reported as one line (or one line per issue) with a given exit code. */
export class Failure extends Error {
  constructor(
    readonly lines: string[],
    readonly code: 1 | 2,
  ) {
    super(lines.join('\n'))
  }
}

/** Bad usage, said as `command: what is wrong (usage: …)`: exit code 2. */
export function usageFailure(command: string, usage: string, line: string): Failure {
  return new Failure([`${command}: ${line} (${usage})`], 2)
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Parses `FILE [flags]` strictly: exactly one positional, only the flags given. */
export function parseFileArgs<O extends Options>(command: string, usage: string, args: string[], options: O) {
  let parsed
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    // parseArgs's messages are long and mention internals; keep the first sentence.
    throw usageFailure(command, usage, errorMessage(error).split('. ')[0].replace(/\.$/, ''))
  }
  const { positionals, values } = parsed
  if (positionals.length === 0) throw usageFailure(command, usage, 'which experiment? give a FILE')
  if (positionals.length > 1) throw usageFailure(command, usage, `unexpected argument "${positionals[1]}"`)
  return { file: positionals[0], values }
}

/** Read with the host's own reader: one behaviour in every door (size cap, BOM, depth, migration, messages). */
export async function loadExperiment(file: string): Promise<Experiment> {
  try {
    return await readExperimentFile(resolve(file))
  } catch (error) {
    if (!(error instanceof ExperimentFileError)) throw new Failure([`cannot read ${file}: ${fileErrorReason(error)}`], 1)
    if (error.issues.length > 0) throw new Failure(error.issues.map((issue) => `${file}: ${issue}`), 1)
    // "cannot open NAME: reason": say it with the path as given.
    throw new Failure([`cannot read ${file}: ${error.message.replace(/^cannot open [^:]*: /, '')}`], 1)
  }
}
