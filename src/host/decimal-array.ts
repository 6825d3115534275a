/**
 * A fast reader for the one JSON shape the `mnist` package's digit files have,
 * `{ "data": [0,0.149,1,...] }`: plain non-negative decimals, no exponents.
 *
 * Why not JSON.parse: it builds a JavaScript array of boxed numbers first,
 * and for the ten files (21 MB) that is half the time of reading MNIST. Here
 * each number is read as digits m and a count n of places after the point, and
 * its value is m / 10^n. While m < 2^53 and n <= 22 both are exact doubles, so
 * the one division is correctly rounded: the very double JSON.parse gives.
 *
 * Anything outside that shape returns null, and the caller parses the text with
 * JSON.parse, so an odd file is read as slowly as before, never differently.
 */

const MAX_PLACES = 22
const MAX_EXACT = 2 ** 53
const POWERS_OF_TEN = Array.from({ length: MAX_PLACES + 1 }, (_, n) => 10 ** n)

const SPACE = 0x20
const TAB = 0x09
const NEWLINE = 0x0a
const RETURN = 0x0d
const COMMA = 0x2c
const POINT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const COLON = 0x3a
const OPEN = 0x5b
const CLOSE = 0x5d
const BRACE_OPEN = 0x7b
const BRACE_CLOSE = 0x7d

const isSpace = (byte: number) => byte === SPACE || byte === NEWLINE || byte === RETURN || byte === TAB

/** The bytes of `{ "data": [`, spaces allowed where JSON allows them. */
function skipHeader(bytes: Uint8Array): number {
  const key = '"data"'
  let at = 0
  const skipSpaces = () => {
    while (at < bytes.length && isSpace(bytes[at])) at++
  }
  skipSpaces()
  if (bytes[at++] !== BRACE_OPEN) return -1
  skipSpaces()
  for (let k = 0; k < key.length; k++) if (bytes[at++] !== key.charCodeAt(k)) return -1
  skipSpaces()
  if (bytes[at++] !== COLON) return -1
  skipSpaces()
  if (bytes[at++] !== OPEN) return -1
  return at
}

/**
 * The numbers of `{"data": [...]}` as float32 (each rounded from the double
 * JSON.parse would give), or null when the text is anything else.
 */
export function readDecimalDataArray(bytes: Uint8Array): Float32Array | null {
  let at = skipHeader(bytes)
  if (at < 0) return null
  // A number takes at least two bytes (a digit and a comma), so this is an upper bound.
  const values = new Float32Array(Math.ceil((bytes.length - at) / 2))
  let count = 0
  const length = bytes.length
  while (at < length && isSpace(bytes[at])) at++
  if (bytes[at] === CLOSE) return null // an empty array is not a digit file
  for (;;) {
    let mantissa = 0
    let digits = 0
    let byte = bytes[at]
    while (byte >= ZERO && byte <= NINE) {
      mantissa = mantissa * 10 + (byte - ZERO)
      digits++
      byte = bytes[++at]
    }
    if (digits === 0 || (digits > 1 && bytes[at - digits] === ZERO)) return null // no digits, or a leading zero
    let places = 0
    if (byte === POINT) {
      byte = bytes[++at]
      while (byte >= ZERO && byte <= NINE) {
        mantissa = mantissa * 10 + (byte - ZERO)
        places++
        byte = bytes[++at]
      }
      if (places === 0) return null
    }
    if (mantissa >= MAX_EXACT || places > MAX_PLACES) return null
    values[count++] = places === 0 ? mantissa : mantissa / POWERS_OF_TEN[places]
    while (isSpace(byte)) byte = bytes[++at]
    if (byte === COMMA) {
      at++
      while (at < length && isSpace(bytes[at])) at++
      continue
    }
    if (byte !== CLOSE) return null
    at++
    break
  }
  while (at < length && isSpace(bytes[at])) at++
  if (bytes[at++] !== BRACE_CLOSE) return null
  while (at < length && isSpace(bytes[at])) at++
  if (at !== length) return null
  return values.slice(0, count)
}
