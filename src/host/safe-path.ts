/**
 * Path guards for names that come from outside the host (a renderer, a URL, a
 * file): run ids and file names must stay inside the folder they name.
 *
 * The check is lexical (no file system access) so it also works for paths that
 * do not exist yet; run ids are additionally held to a strict pattern, so no
 * id that reaches `resolveInside` can contain a separator in the first place.
 *
 * Inside the data folder nothing the lab wrote is ever a symbolic link, so the
 * readers below refuse links instead of following them: a link planted in a
 * run folder must not make the host read (and report on) a file elsewhere.
 */
import { constants } from 'node:fs'
import { lstat, open } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'

/** A problem with a path given to the host; the message says what is wrong. */
export class UnsafePathError extends Error {
  override name = 'UnsafePathError'
}

/**
 * `root/name`, or a throw when `name` is empty, absolute, contains NUL or a
 * `..` segment, or would otherwise resolve outside `root`.
 */
export function resolveInside(root: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new UnsafePathError('a file name is required')
  if (name.includes('\0')) throw new UnsafePathError('a file name must not contain a NUL character')
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name) || name.startsWith('\\')) {
    throw new UnsafePathError(`"${printable(name)}" is an absolute path; only names inside the folder are allowed`)
  }
  // Both separators count: a name from a Windows client must not walk up on POSIX either.
  if (name.split(/[\\/]/).some((part) => part === '..')) {
    throw new UnsafePathError(`"${printable(name)}" leaves the folder (it contains "..")`)
  }
  const base = resolve(root)
  const target = resolve(base, name)
  const rel = relative(base, target)
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new UnsafePathError(`"${printable(name)}" is not inside ${base}`)
  }
  return target
}

/** Why a link inside the data folder was not read; the message names no target and no contents. */
export const LINK_REFUSED = 'it is a symbolic link, and the lab does not follow links inside its data folder'

/** A file or folder the lab refused to read (a link, a FIFO); `reason` is the message without the path. */
export class RefusedFileError extends UnsafePathError {
  override name = 'RefusedFileError'
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`)
  }
}

// Windows has neither flag; there the lstat in readFileNoFollow is the whole check.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0
// A FIFO would block the open until a writer came; regular files ignore the flag.
const NONBLOCK = constants.O_NONBLOCK ?? 0

/**
 * What is at `path`, without following a link there: 'missing', 'file',
 * 'folder' or 'other'; throws RefusedFileError for a symbolic link.
 */
export async function lstatKind(path: string): Promise<'missing' | 'file' | 'folder' | 'other'> {
  let info
  try {
    info = await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
  if (info.isSymbolicLink()) throw new RefusedFileError(path, LINK_REFUSED)
  return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'other'
}

/**
 * A regular file's bytes, opened with O_NOFOLLOW so a link at `path` is refused
 * by the kernel itself (no window between a check and the open). Throws
 * RefusedFileError for a link or anything but a regular file, the file
 * system's error (with its `code`) else.
 * The folders above `path` are the caller's to check (lstatKind).
 */
export async function readFileNoFollow(path: string): Promise<Buffer> {
  if (NOFOLLOW === 0) await lstatKind(path)
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new RefusedFileError(path, LINK_REFUSED)
    throw error
  }
  try {
    // A FIFO or a device may never end: only regular files are read.
    if (!(await handle.stat()).isFile()) throw new RefusedFileError(path, 'it is not a regular file')
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * Run ids as the host makes them: `2026-11-21T20-15-03-patterns-3-ab12`
 * (UTC time, a slug of the experiment, four random hex digits).
 */
export const RUN_ID_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{4}$/

export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 96 && RUN_ID_PATTERN.test(value)
}

/** A run id from a client, checked; the message never echoes more than a short prefix. */
export function checkRunId(value: unknown): string {
  if (!isRunId(value)) {
    const shown = typeof value === 'string' ? `"${printable(value)}"` : typeof value
    throw new UnsafePathError(`${shown} is not a run id`)
  }
  return value
}

function printable(text: string): string {
  const clean = text.replace(/[\0-\x1f\x7f]/g, '?')
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean
}
