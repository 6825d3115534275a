/**
 * The safetensors format (as written by Hugging Face's `safetensors` library),
 * for the four dtypes the lab stores: weights (F32 / F64) and datasets (F32 x,
 * I64 y), plus I32 for completeness.
 *
 * Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end) }, "__metadata__"?: {…} }`
 * (padded with spaces so the byte buffer starts on an 8-byte boundary), then
 * the byte buffer, which the tensors must cover exactly: no holes, no overlap.
 *
 * Pure (no node:*) so the renderer can read files the host hands it.
 */

export type SafetensorsDtype = 'F32' | 'F64' | 'I64' | 'I32'
export type SafetensorsData = Float32Array | Float64Array | BigInt64Array | Int32Array

export interface SafetensorsTensor {
  dtype: SafetensorsDtype
  shape: number[]
  data: SafetensorsData
}

export type SafetensorsTensors = Record<string, SafetensorsTensor>

export interface DecodedSafetensors {
  tensors: SafetensorsTensors
  metadata: Record<string, string>
}

/** Every problem with a file we are asked to read or write; the message says what and where. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError'
}

const DTYPES: Record<SafetensorsDtype, { size: number; make: (buffer: ArrayBuffer) => SafetensorsData }> = {
  F32: { size: 4, make: (b) => new Float32Array(b) },
  F64: { size: 8, make: (b) => new Float64Array(b) },
  I64: { size: 8, make: (b) => new BigInt64Array(b) },
  I32: { size: 4, make: (b) => new Int32Array(b) },
}

/** The reference implementation refuses headers above 100 MB; so do we (a corrupt length would otherwise allocate wildly). */
const MAX_HEADER_BYTES = 100_000_000
const METADATA_KEY = '__metadata__'

/** Typed arrays use the platform's byte order; the format is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value)
}

function dtypeOf(data: SafetensorsData): SafetensorsDtype {
  if (data instanceof Float32Array) return 'F32'
  if (data instanceof Float64Array) return 'F64'
  if (data instanceof BigInt64Array) return 'I64'
  return 'I32'
}

function elementCount(shape: readonly number[], where: string): number {
  let n = 1
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new SafetensorsError(`${where}: shape entries must be non-negative integers, got ${JSON.stringify(d)}`)
    n *= d
  }
  if (!Number.isSafeInteger(n)) throw new SafetensorsError(`${where}: shape [${shape.join(', ')}] is too large`)
  return n
}

/** Copies `count` elements of `size` bytes into `out`, swapping byte order on a big-endian platform. */
function copyLittleEndian(src: Uint8Array, out: Uint8Array, size: number): void {
  if (LITTLE_ENDIAN) {
    out.set(src)
    return
  }
  for (let i = 0; i < src.length; i += size) {
    for (let b = 0; b < size; b++) out[i + b] = src[i + size - 1 - b]
  }
}

export function encodeSafetensors(tensors: SafetensorsTensors, metadata?: Record<string, string>): Uint8Array {
  // Tensors go into the buffer in the record's key order (for model weights,
  // layer order, like a PyTorch state_dict). Any order is valid for readers.
  const names = Object.keys(tensors)
  const header: Record<string, unknown> = {}
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new SafetensorsError(`metadata "${key}" must be a string`)
    }
    header[METADATA_KEY] = { ...metadata }
  }
  let offset = 0
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(`"${METADATA_KEY}" is reserved and cannot name a tensor`)
    const { dtype, shape, data } = tensors[name]
    if (!isDtype(dtype)) throw new SafetensorsError(`tensor "${name}": unsupported dtype ${JSON.stringify(dtype)}`)
    if (dtypeOf(data) !== dtype) throw new SafetensorsError(`tensor "${name}": dtype ${dtype} does not match its ${data.constructor.name}`)
    const count = elementCount(shape, `tensor "${name}"`)
    if (count !== data.length) {
      throw new SafetensorsError(`tensor "${name}": shape [${shape.join(', ')}] needs ${count} values, got ${data.length}`)
    }
    const end = offset + data.byteLength
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, end] }
    offset = end
  }

  const json = new TextEncoder().encode(JSON.stringify(header))
  // Pad with spaces so 8 + N is a multiple of 8: the byte buffer then starts
  // aligned, which lets zero-copy readers map F64 / I64 tensors directly.
  const headerLength = Math.ceil(json.length / 8) * 8
  const bytes = new Uint8Array(8 + headerLength + offset)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true)
  bytes.set(json, 8)
  bytes.fill(0x20, 8 + json.length, 8 + headerLength)

  let at = 8 + headerLength
  for (const name of names) {
    const { data } = tensors[name]
    const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    copyLittleEndian(src, bytes.subarray(at, at + data.byteLength), data.BYTES_PER_ELEMENT)
    at += data.byteLength
  }
  return bytes
}

interface Entry {
  name: string
  dtype: SafetensorsDtype
  shape: number[]
  begin: number
  end: number
}

function parseHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; bufferStart: number } {
  if (bytes.length < 8) throw new SafetensorsError(`file is ${bytes.length} bytes, too short for the 8-byte header length`)
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)
  if (declared > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`header length ${declared} is larger than the ${MAX_HEADER_BYTES}-byte limit`)
  const headerLength = Number(declared)
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file`)
  }
  const headerBytes = bytes.subarray(8, 8 + headerLength)
  if (headerBytes[0] !== 0x7b) throw new SafetensorsError('header does not start with "{"')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)
  } catch {
    throw new SafetensorsError('header is not valid UTF-8')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new SafetensorsError(`header is not valid JSON: ${(error as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError('header must be a JSON object')
  }

  const metadata: Record<string, string> = {}
  const entries: Entry[] = []
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SafetensorsError(`"${METADATA_KEY}" must be an object of strings`)
      }
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(`"${METADATA_KEY}.${key}" must be a string`)
        metadata[key] = v
      }
      continue
    }
    const where = `tensor "${name}"`
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SafetensorsError(`${where}: entry must be an object`)
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>
    if (!isDtype(dtype)) throw new SafetensorsError(`${where}: unsupported dtype ${JSON.stringify(dtype)} (the lab reads F32, F64, I64, I32)`)
    if (!Array.isArray(shape)) throw new SafetensorsError(`${where}: shape must be an array`)
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(`${where}: data_offsets must be two non-negative integers`)
    }
    const [begin, end] = offsets as [number, number]
    if (end < begin) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] end before they begin`)
    const count = elementCount(shape as number[], where)
    const expected = count * DTYPES[dtype].size
    if (end - begin !== expected) {
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`,
      )
    }
    entries.push({ name, dtype, shape: [...(shape as number[])], begin, end })
  }
  return { entries, metadata, bufferStart: 8 + headerLength }
}

export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  const { entries, metadata, bufferStart } = parseHeader(bytes)
  const bufferLength = bytes.length - bufferStart

  // The tensors must tile the byte buffer exactly, as the reference reader
  // requires: overlaps and holes are how polyglot / tampered files hide data.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let expectedBegin = 0
  let previous: Entry | undefined
  for (const entry of byOffset) {
    if (entry.begin < expectedBegin) {
      throw new SafetensorsError(`tensor "${entry.name}" overlaps tensor "${previous?.name}" in the byte buffer`)
    }
    if (entry.begin > expectedBegin) {
      throw new SafetensorsError(`byte buffer has a hole at bytes [${expectedBegin}, ${entry.begin}) before tensor "${entry.name}"`)
    }
    if (entry.end > bufferLength) {
      throw new SafetensorsError(`tensor "${entry.name}" ends at byte ${entry.end}, past the ${bufferLength}-byte buffer`)
    }
    expectedBegin = entry.end
    previous = entry
  }
  if (expectedBegin !== bufferLength) {
    throw new SafetensorsError(`byte buffer is ${bufferLength} bytes but the tensors cover ${expectedBegin}`)
  }

  const tensors: SafetensorsTensors = {}
  for (const entry of entries) {
    const { size, make } = DTYPES[entry.dtype]
    // Copy into a fresh buffer: the file's offsets need not be aligned for the
    // typed array, and the caller should not keep the whole file alive.
    const out = new Uint8Array(entry.end - entry.begin)
    copyLittleEndian(bytes.subarray(bufferStart + entry.begin, bufferStart + entry.end), out, size)
    tensors[entry.name] = { dtype: entry.dtype, shape: entry.shape, data: make(out.buffer) }
  }
  return { tensors, metadata }
}
