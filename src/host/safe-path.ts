/**
 * Path guards for names that come from outside the host (a renderer, a URL, a
 * file): run ids and file names must stay inside the folder they name.
 *
 * The check is lexical (no file system access) so it also works for paths that
 * do not exist yet; run ids are additionally held to a strict pattern, so no
 * id that reaches `resolveInside` can contain a separator in the first place.
 */
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
