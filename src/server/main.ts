/**
 * `npm run serve [-- --port N]`: the browser door.
 *
 * The first line on stdout is exactly `CNN Lab: http://127.0.0.1:PORT/?token=TOKEN`
 * (tests and scripts read it). The default port is 0: a free port picked by
 * the system, so two labs never collide; pass `--port N` for a fixed one.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { LabService } from '../host/lab-service'
import { defaultDataDir } from '../host/data-dir'
import { DataDirLockedError, lockDataDir, type DataDirLock } from '../host/data-lock'
import { startServer } from './http-server'
import { budgetFromEnv, GIGABYTES_RULE, parseGigabytes, type ResourceBudget } from '../shared/budget'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const USAGE = `Usage: npm run serve [-- --port N] [--renderer DIR]

Serves CNN Lab to a browser on 127.0.0.1 only, guarded by a random token.
  --port N        port to listen on (default 0: a free port)
  --renderer DIR  the built renderer (default out/renderer; build it with npm run build)
  --data DIR      where runs/ and recent files live (default: the app's data folder,
                  shared with the desktop app; or $CNN_LAB_DATA)
  --memory-budget GB    memory one run may use (default 2, or $CNN_LAB_MEMORY_BUDGET)
  --snapshot-budget GB  weight files one run may write (default 1, or $CNN_LAB_SNAPSHOT_BUDGET)
  --help          this text`

function fail(message: string, code = 2): never {
  process.stderr.write(`cnn-lab serve: ${message}\n`)
  process.exit(code)
}

function parseArgs(argv: string[]): { port: number; rendererDir: string; dataDir: string; budget: ResourceBudget } {
  let port = 0
  let budget: ResourceBudget
  try {
    budget = budgetFromEnv(process.env)
  } catch (err) {
    fail((err as Error).message)
  }
  const gigabytes = (flag: string, v: string): number => parseGigabytes(v) ?? fail(`${flag} must be ${GIGABYTES_RULE}, not "${v}"`)
  let dataDir = defaultDataDir()
  let rendererDir = path.join(ROOT, 'out', 'renderer')
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined) fail(`${flag} needs a value`)
      return v
    }
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE + '\n')
      process.exit(0)
    } else if (flag === '--port') {
      const v = value()
      if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) fail(`--port must be a number from 0 to 65535, not "${v}"`)
      port = Number(v)
    } else if (flag === '--renderer') {
      rendererDir = path.resolve(value())
    } else if (flag === '--data') {
      dataDir = path.resolve(value())
    } else if (flag === '--memory-budget') {
      budget = { ...budget, memoryBytes: gigabytes(flag, value()) }
    } else if (flag === '--snapshot-budget') {
      budget = { ...budget, snapshotBytes: gigabytes(flag, value()) }
    } else {
      fail(`unknown argument "${arg}" (try --help)`)
    }
  }
  return { port, rendererDir, dataDir, budget }
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return '0.0.0'
  }
}

async function main(): Promise<void> {
  const { port, rendererDir, dataDir, budget } = parseArgs(process.argv.slice(2))
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    fail(`no built renderer in ${rendererDir}; run "npm run build" first (npm run serve does it for you)`, 1)
  }
  // One owner per data folder: a second door on it would mislabel and delete the first's live runs.
  let lock: DataDirLock
  try {
    lock = lockDataDir(dataDir, 'browser')
  } catch (err) {
    fail(err instanceof DataDirLockedError ? err.message : `cannot use the data folder ${dataDir}: ${(err as Error).message}`, 1)
  }
  const service = new LabService({ door: 'browser', version: version(), dataDir, budget })
  try {
    await service.init()
  } catch (err) {
    fail(`cannot use the data folder ${dataDir}: ${(err as Error).message}`, 1)
  }
  let server
  try {
    server = await startServer({ port, rendererDir, service })
  } catch (err) {
    fail(`cannot listen on 127.0.0.1:${port}: ${(err as Error).message}`, 1)
  }
  process.stdout.write(`CNN Lab: ${server.url}\n`)
  process.stdout.write('Open that address in a browser. Press Ctrl+C to stop.\n')
  const stop = (): void => {
    // A live run is stopped (and marked so on disk) before the door closes.
    void service
      .dispose()
      .finally(() => server.close())
      .finally(() => lock.release())
      .then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

void main()
