/**
 * One owner per data folder. Two doors (two servers, or the desktop app and a
 * server) on one folder would each list the other's live run as interrupted
 * and could delete it, so the door that opens a data folder first holds
 * `cnn-lab.lock` in it, and a second one is refused with the owner's pid.
 *
 * The lock must survive crashes without locking the folder forever, so it
 * records who holds it: pid, the process's start time (Linux: field 22 of
 * /proc/PID/stat, clock ticks since boot) and the boot id, and the hostname.
 * A lock is stale, and taken over, when its pid is not alive, or is alive but
 * started at another time or in another boot (the pid was reused, as in a
 * container where every server is pid 1). A lock from another host cannot be
 * checked and is respected.
 *
 * Taking it is atomic: the record is written whole to a temporary file and
 * hard-linked to the lock's name, which fails if the name exists, so no reader
 * ever sees half a record. Taking over a stale lock goes through a short-lived
 * mutex (a directory made with mkdir) so two newcomers cannot both delete it.
 *
 * proper-lockfile was considered: it detects staleness by an mtime refreshed on
 * a timer (a kill -9'd owner is only stale after its timeout, 5 s at least) and
 * records no pid to name in the message, so this small one is hand-written.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

export const LOCK_FILE = 'cnn-lab.lock'
const TAKEOVER_DIR = 'cnn-lab.lock.takeover'
/** A takeover mutex older than this was left by a crash mid-takeover (takeover takes milliseconds). */
const TAKEOVER_STALE_MS = 10_000

/** What the lock file holds. */
export interface LockOwner {
  pid: number
  /** Process start time as /proc/PID/stat gives it (clock ticks since boot); null where unknown. */
  startTime: string | null
  /** /proc/sys/kernel/random/boot_id; null where unknown. */
  bootId: string | null
  hostname: string
  /** Which door holds it: 'browser', 'electron'. */
  door: string
  /** ISO time the lock was taken. */
  since: string
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError'
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    const where = owner.hostname === hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on ${owner.hostname}`
    super(`the data folder ${dataDir} is in use by another CNN Lab (${owner.door}, ${where}, since ${owner.since}); close it first or use another data folder`)
  }
}

export interface DataDirLock {
  readonly path: string
  /** Remove the lock if it is still ours. Safe to call more than once. */
  release(): void
}

/** A process's start time from /proc, or null (not Linux, or no such process). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces or ')': fields restart after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? null
  } catch {
    return null
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    return null
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether the recorded owner is gone (so its lock may be taken over). */
export function isStale(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return false
  if (owner.bootId && bootId() && owner.bootId !== bootId()) return true
  if (!pidAlive(owner.pid)) return true
  if (owner.startTime === null) return false
  const now = processStartTime(owner.pid)
  return now !== null && now !== owner.startTime
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0 || typeof v.hostname !== 'string') return null
    return {
      pid: v.pid,
      startTime: typeof v.startTime === 'string' ? v.startTime : null,
      bootId: typeof v.bootId === 'string' ? v.bootId : null,
      hostname: v.hostname,
      door: typeof v.door === 'string' ? v.door : 'unknown',
      since: typeof v.since === 'string' ? v.since : 'unknown',
    }
  } catch {
    return null
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function writeWhole(path: string, text: string, flags: string): void {
  const fd = openSync(path, flags, 0o644)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Create the lock with `text` in it; false when a lock is already there. */
function tryCreate(lockPath: string, text: string): boolean {
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeWhole(temp, text, 'wx')
  try {
    linkSync(temp, lockPath)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    // A file system without hard links (some network and FAT volumes): exclusive create instead.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      try {
        writeWhole(lockPath, text, 'wx')
        return true
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return false
        throw inner
      }
    }
    throw err
  } finally {
    try {
      unlinkSync(temp)
    } catch {
      // already gone
    }
  }
}

/** Remove the lock if it still holds exactly `staleText`, under the takeover mutex. */
function removeIfUnchanged(dataDir: string, lockPath: string, staleText: string): void {
  const mutex = join(dataDir, TAKEOVER_DIR)
  try {
    mkdirSync(mutex)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    // Someone else is taking over right now, or crashed doing it long ago.
    try {
      if (Date.now() - statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) rmdirSync(mutex)
    } catch {
      // gone meanwhile
    }
    return
  }
  try {
    if (readText(lockPath) === staleText) unlinkSync(lockPath)
  } finally {
    rmdirSync(mutex)
  }
}

/**
 * Take the data folder's lock (making the folder if needed), or throw
 * DataDirLockedError naming the live owner. The lock is also released when
 * the process exits normally; after a crash the next door takes it over.
 */
export function lockDataDir(dataDir: string, door: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true })
  const lockPath = join(dataDir, LOCK_FILE)
  const mine: LockOwner = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    bootId: bootId(),
    hostname: hostname(),
    door,
    since: new Date().toISOString(),
  }
  const text = JSON.stringify(mine) + '\n'
  // A few rounds: each one either takes the lock, meets a live owner, or clears a stale one.
  for (let round = 0; round < 5; round++) {
    if (tryCreate(lockPath, text)) return heldLock(lockPath, text)
    const existing = readText(lockPath)
    if (existing === null) continue
    const owner = parseOwner(existing)
    // An unreadable lock can only come from a crash while the fallback wrote it, or from damage.
    if (owner && !isStale(owner)) throw new DataDirLockedError(dataDir, owner)
    removeIfUnchanged(dataDir, lockPath, existing)
  }
  const owner = parseOwner(readText(lockPath) ?? '')
  if (owner) throw new DataDirLockedError(dataDir, owner)
  throw new Error(`cannot take the lock ${lockPath}: another CNN Lab keeps taking it over`)
}

function heldLock(lockPath: string, text: string): DataDirLock {
  let held = true
  const release = (): void => {
    if (!held) return
    held = false
    process.off('exit', release)
    try {
      // Only our own record: never remove a lock someone took over after us.
      if (readText(lockPath) === text) unlinkSync(lockPath)
    } catch {
      // The folder is gone or unwritable: nothing left to release.
    }
  }
  process.on('exit', release)
  return { path: lockPath, release }
}
