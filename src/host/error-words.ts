/**
 * File-system errors in the user's words: "permission denied", not EACCES.
 * One table for every message the host and the terminal door write about a
 * file or folder they could not use.
 */
const WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file with that name is in the way',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Why a file operation failed, in words; an unknown error keeps its own message. */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return (code && WORDS[code]) || errorMessage(error)
}
