/**
 * Bytes through JSON, for the HTTP door: a Uint8Array crosses as
 * `{"$bytes": "<base64>"}` and is revived as a Uint8Array on the other side,
 * so a method such as exportPytorch (a zip back) or importRun (a zip or files
 * in) has the same signature in both doors (IPC's structured clone carries
 * Uint8Array as it is).
 */
const KEY = '$bytes'

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** JSON.stringify's replacer. Buffers are Uint8Arrays too, but JSON.stringify hands them over as `{type, data}` via toJSON first. */
export function bytesReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { [KEY]: toBase64(value) }
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return { [KEY]: toBase64(Uint8Array.from((value as { data: number[] }).data)) }
  }
  return value
}

/** JSON.parse's reviver. */
export function bytesReviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value)
    const text = (value as Record<string, unknown>)[KEY]
    if (keys.length === 1 && typeof text === 'string') return fromBase64(text)
  }
  return value
}
