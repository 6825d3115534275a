/**
 * Weights as JSON, in two forms.
 *
 * - In memory (`JsonTensor`: shape + plain numbers): how tensors travel to the
 *   renderer and what the whole app works with. Typed arrays stay on the Node side.
 * - In a file (`EncodedTensor`, experiment format version 2): the same values as
 *   little-endian bytes in base64, with their dtype. A float32 weight written as
 *   a decimal JSON number takes about 20 characters; as base64 bytes it takes 5.3,
 *   and it comes back bit for bit.
 *
 * Pure code (no Buffer, no DOM): the host writes files with it, and the renderer
 * measures the size of a save with the very same encoder before saving.
 */
import type { JsonTensor, NamedTensors } from './experiment'

type AnyTensor = { readonly shape: readonly number[]; readonly data: ArrayLike<number> }

export function toJsonTensors(weights: Record<string, AnyTensor>): NamedTensors {
  const out: NamedTensors = {}
  for (const [name, t] of Object.entries(weights)) {
    const tensor: JsonTensor = { shape: [...t.shape], data: Array.from(t.data) }
    out[name] = tensor
  }
  return out
}

// ── the file form ───────────────────────────────────────────────────────────

export const TENSOR_DTYPES = ['float32', 'float64'] as const
export type TensorDtype = (typeof TENSOR_DTYPES)[number]
const BYTES: Record<TensorDtype, number> = { float32: 4, float64: 8 }

/** A tensor as experiment files (version 2) store it. */
export interface EncodedTensor {
  dtype: TensorDtype
  shape: number[]
  /** Base64 of the values' little-endian bytes, row-major. */
  data: string
}

/** How many values a shape holds (Infinity past 2^53, which no file can match). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return Number.isSafeInteger(n) ? n : Infinity
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * The dtype a tensor keeps in a file: a float64 run keeps float64; a float32 run
 * is stored as float32, which is exact for its weights (they are float32 values).
 * Should a value not be a float32 (a hand-edited file), the tensor keeps float64,
 * so saving never changes a number.
 */
function dtypeFor(data: readonly number[], precision: TensorDtype): TensorDtype {
  if (precision === 'float64') return 'float64'
  for (let i = 0; i < data.length; i++) if (Math.fround(data[i]) !== data[i]) return 'float64'
  return 'float32'
}

export function encodeTensor(tensor: JsonTensor, precision: TensorDtype): EncodedTensor {
  const dtype = dtypeFor(tensor.data, precision)
  const values = dtype === 'float32' ? Float32Array.from(tensor.data) : Float64Array.from(tensor.data)
  const bytes = new Uint8Array(values.buffer)
  if (!LITTLE_ENDIAN) swapBytes(bytes, BYTES[dtype])
  return { dtype, shape: [...tensor.shape], data: toBase64(bytes) }
}

/**
 * The values of an encoded tensor, or one sentence saying what is wrong (the
 * caller puts the field's path in front). Refuses bad base64, a byte count that
 * does not match dtype × shape, and values that are not finite numbers.
 */
export function decodeTensor(tensor: EncodedTensor): { ok: true; value: JsonTensor } | { ok: false; error: string } {
  const bytes = fromBase64(tensor.data)
  if (!bytes) return { ok: false, error: 'is not valid base64' }
  const size = BYTES[tensor.dtype]
  const count = shapeSize(tensor.shape)
  if (bytes.length !== count * size) {
    const need = Number.isFinite(count) ? `${count * size} bytes` : 'more bytes than a file can hold'
    return { ok: false, error: `holds ${bytes.length} bytes, but ${tensor.dtype} of shape [${tensor.shape.join(', ')}] needs ${need}` }
  }
  if (!LITTLE_ENDIAN) swapBytes(bytes, size)
  // fromBase64 returns a fresh, aligned buffer, so it can be viewed directly.
  const values = tensor.dtype === 'float32' ? new Float32Array(bytes.buffer, 0, count) : new Float64Array(bytes.buffer, 0, count)
  const data = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    const v = values[i]
    if (!Number.isFinite(v)) return { ok: false, error: `value ${i} is not a finite number` }
    data[i] = v
  }
  return { ok: true, value: { shape: [...tensor.shape], data } }
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse()
}

// ── base64 (RFC 4648, with padding), strict ──────────────────────────────────

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const CODES = new Uint8Array(ALPHABET.length).map((_, i) => ALPHABET.charCodeAt(i))
const VALUES = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i
const PAD = 0x3d // '='

export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4)
  let o = 0
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    out[o++] = CODES[n >> 18]
    out[o++] = CODES[(n >> 12) & 63]
    out[o++] = CODES[(n >> 6) & 63]
    out[o++] = CODES[n & 63]
  }
  const rest = bytes.length - i
  if (rest > 0) {
    const n = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0)
    out[o++] = CODES[n >> 18]
    out[o++] = CODES[(n >> 12) & 63]
    out[o++] = rest === 2 ? CODES[(n >> 6) & 63] : PAD
    out[o++] = PAD
  }
  // In slices: String.fromCharCode with a huge argument list overflows the stack.
  let text = ''
  for (let s = 0; s < out.length; s += 0x8000) text += String.fromCharCode.apply(null, out.subarray(s, s + 0x8000) as unknown as number[])
  return text
}

/**
 * Bytes from base64, or null unless the text is canonical base64: a multiple
 * of four characters from the standard alphabet, `=` only as the last one or
 * two, unused bits zero. Strict, so one tensor has exactly one spelling.
 */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - padding)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length
    const a = value(text, i)
    const b = value(text, i + 1)
    const c = last && padding === 2 ? 0 : value(text, i + 2)
    const d = last && padding >= 1 ? 0 : value(text, i + 3)
    if ((a | b | c | d) < 0) return null
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = n >> 16
    if (o < out.length) out[o++] = (n >> 8) & 255
    if (o < out.length) out[o++] = n & 255
    if (last && ((padding === 2 && (b & 15) !== 0) || (padding === 1 && (c & 3) !== 0))) return null
  }
  return out
}

function value(text: string, i: number): number {
  const code = text.charCodeAt(i)
  return code < 128 ? VALUES[code] : -1
}
