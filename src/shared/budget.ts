/**
 * The resource budget a run must fit before it starts: how much memory the
 * engine may use for one run and how many bytes of weight files (snapshots and
 * final weights) it may write. The host owns the numbers (flags, environment)
 * and hands them to the renderer in AppInfo, so the editor checks against the
 * same budget the host and `lab run` enforce (src/engine/experiment/budget.ts).
 */

export interface ResourceBudget {
  /** Memory for one run: weights, gradients, momentum, activations, data (bytes). */
  memoryBytes: number
  /** Bytes of weight files one run may write: snapshots plus final weights. */
  snapshotBytes: number
}

/** Decimal gigabytes, as the flags and messages say "GB". */
export const GB = 1e9

/** Suits a laptop: 2 GB for a run, 1 GB of snapshots. */
export const DEFAULT_BUDGET: ResourceBudget = { memoryBytes: 2 * GB, snapshotBytes: 1 * GB }

/** The environment variables that set the budget for every door (the desktop app has no flags). */
export const BUDGET_ENV = { memory: 'CNN_LAB_MEMORY_BUDGET', snapshots: 'CNN_LAB_SNAPSHOT_BUDGET' } as const

/** Bounds for a budget typed by hand: below 0.05 GB nothing trains; above 1 TB is a typo. */
const MIN_GB = 0.05
const MAX_GB = 1000

/** "2", "0.5", "1.5GB" → bytes; null when it is not a number of gigabytes in range. */
export function parseGigabytes(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:gb?)?\s*$/i.exec(text)
  if (!match) return null
  const gb = Number(match[1])
  return gb >= MIN_GB && gb <= MAX_GB ? gb * GB : null
}

/** What a budget flag or variable must hold, for the one-line usage error. */
export const GIGABYTES_RULE = `a number of gigabytes from ${MIN_GB} to ${MAX_GB}`

/**
 * The budget from the environment, with DEFAULT_BUDGET for what is unset.
 * Throws a one-line message naming the variable when a value is malformed.
 */
export function budgetFromEnv(env: Record<string, string | undefined>): ResourceBudget {
  const read = (name: string, fallback: number): number => {
    const text = env[name]
    if (text === undefined || text.trim() === '') return fallback
    const bytes = parseGigabytes(text)
    if (bytes === null) throw new Error(`${name} must be ${GIGABYTES_RULE}, not "${text}"`)
    return bytes
  }
  return {
    memoryBytes: read(BUDGET_ENV.memory, DEFAULT_BUDGET.memoryBytes),
    snapshotBytes: read(BUDGET_ENV.snapshots, DEFAULT_BUDGET.snapshotBytes),
  }
}

/** "2 GB", "0.5 GB", "1.2 MB": a byte count in the budget's words. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'kB'],
  ]
  for (const [size, unit] of units) {
    if (bytes >= size) return `${trim(bytes / size)} ${unit}`
  }
  return `${Math.round(bytes)} bytes`
}

function trim(value: number): string {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  return String(Number(value.toFixed(digits)))
}

/**
 * The V8 heap cap for an engine worker under this budget (MB, for
 * --max-old-space-size): the whole budget, since weights and activations live
 * in typed arrays outside V8's heap and the heap only holds what is left; not
 * below 256 MB, which the worker needs to start at all.
 */
export function workerHeapMb(budget: ResourceBudget): number {
  return Math.max(256, Math.ceil(budget.memoryBytes / 1e6))
}
