import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsTensors,
} from '../../src/shared/safetensors'

const FIXTURES = join(__dirname, '..', 'fixtures', 'safetensors')

function sample(): SafetensorsTensors {
  return {
    '0.weight': { dtype: 'F32', shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => i / 7 - 1) },
    '0.bias': { dtype: 'F32', shape: [2], data: new Float32Array([0.5, -0.25]) },
    x64: { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -0, 1e-300]) },
    y: { dtype: 'I64', shape: [4], data: new BigInt64Array([0n, -1n, 2n ** 62n, -(2n ** 63n)]) },
    counts: { dtype: 'I32', shape: [1, 3], data: new Int32Array([7, -(2 ** 31), 2 ** 31 - 1]) },
    scalar: { dtype: 'F32', shape: [], data: new Float32Array([3.5]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  }
}

/** A file from a hand-made header and buffer, for the corrupt-file cases. */
function craft(header: unknown, buffer: Uint8Array = new Uint8Array(0), declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header))
  const bytes = new Uint8Array(8 + json.length + buffer.length)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true)
  bytes.set(json, 8)
  bytes.set(buffer, 8 + json.length)
  return bytes
}

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) }
}

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips every dtype, a scalar, an empty tensor and metadata', () => {
    const tensors = sample()
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { format: 'pt', epoch: '5' }))
    expect(decoded.metadata).toEqual({ format: 'pt', epoch: '5' })
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort())
    for (const [name, t] of Object.entries(tensors)) {
      const back = decoded.tensors[name]
      expect(back.dtype, name).toBe(t.dtype)
      expect(back.shape, name).toEqual(t.shape)
      expect(back.data.constructor, name).toBe(t.data.constructor)
      expect(Array.from(back.data as ArrayLike<number | bigint>), name).toEqual(Array.from(t.data as ArrayLike<number | bigint>))
    }
    expect(Object.is((decoded.tensors.x64.data as Float64Array)[1], -0)).toBe(true)
  })

  it('writes the header length as a little-endian u64 and pads the header with spaces to a multiple of 8', () => {
    for (let nameLength = 1; nameLength <= 16; nameLength++) {
      const name = 'w'.repeat(nameLength)
      const bytes = encodeSafetensors({ [name]: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } })
      const { length, text } = headerOf(bytes)
      expect((8 + length) % 8).toBe(0)
      expect(text.startsWith('{')).toBe(true)
      expect(text.trimEnd()).toBe(JSON.stringify({ [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }))
      expect(/^[^ ]*} *$/.test(text)).toBe(true)
      expect(bytes.length).toBe(8 + length + 4)
    }
  })

  it('lays tensors out back to back in key order, little-endian', () => {
    const bytes = encodeSafetensors({
      b: { dtype: 'I32', shape: [1], data: new Int32Array([0x01020304]) },
      a: { dtype: 'F64', shape: [1], data: new Float64Array([1]) },
    })
    const { length, text } = headerOf(bytes)
    const header = JSON.parse(text)
    expect(header.b.data_offsets).toEqual([0, 4])
    expect(header.a.data_offsets).toEqual([4, 12])
    expect(Array.from(bytes.subarray(8 + length, 8 + length + 4))).toEqual([4, 3, 2, 1])
    expect(header.__metadata__).toBeUndefined()
  })

  it('writes byte for byte what the Python fixture writer wrote, given the same order and metadata', () => {
    const file = new Uint8Array(readFileSync(join(FIXTURES, 'torch-state.safetensors')))
    const decoded = decodeSafetensors(file)
    const { text } = headerOf(file)
    // Re-encode in the fixture's own order (dtype alignment, then name, as torch's writer does).
    const order = Object.keys(JSON.parse(text)).filter((k) => k !== '__metadata__')
    const ordered: SafetensorsTensors = {}
    for (const name of order) ordered[name] = decoded.tensors[name]
    expect(Buffer.from(encodeSafetensors(ordered, decoded.metadata)).equals(Buffer.from(file))).toBe(true)
  })

  it('reads a file written from torch tensors with the values torch had', () => {
    const file = new Uint8Array(readFileSync(join(FIXTURES, 'torch-state.safetensors')))
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'torch-state.json'), 'utf8')) as {
      metadata: Record<string, string>
      tensors: Record<string, { dtype: string; shape: number[]; data: (number | string)[] }>
    }
    const decoded = decodeSafetensors(file)
    expect(decoded.metadata).toEqual(expected.metadata)
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(expected.tensors).sort())
    for (const [name, want] of Object.entries(expected.tensors)) {
      const got = decoded.tensors[name]
      expect(got.dtype, name).toBe(want.dtype)
      expect(got.shape, name).toEqual(want.shape)
      const values = Array.from(got.data as ArrayLike<number | bigint>)
      if (want.dtype === 'I64' || want.dtype === 'I32') {
        expect(values.map(String), name).toEqual(want.data)
      } else {
        // The JSON holds each float's exact double value; F32 ones round-trip through fround.
        const exact = (want.data as number[]).map((v) => (want.dtype === 'F32' ? Math.fround(v) : v))
        expect(values, name).toEqual(exact)
      }
    }
    expect(decoded.tensors['0.weight'].shape).toEqual([2, 1, 3, 3])
    expect(decoded.tensors['4.weight'].shape).toEqual([3, 18])
  })

  it('round-trips arbitrary float32 tensors (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
        fc.float({ noNaN: true }),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
        (shape, value, metadata) => {
          const n = shape.reduce((a, b) => a * b, 1)
          const data = new Float32Array(n).fill(value)
          const back = decodeSafetensors(encodeSafetensors({ t: { dtype: 'F32', shape, data } }, metadata))
          expect(back.tensors.t.shape).toEqual(shape)
          expect(Array.from(back.tensors.t.data as Float32Array)).toEqual(Array.from(data))
          expect(back.metadata).toEqual(metadata)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('refuses to encode tensors whose data does not match their dtype or shape', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F64', shape: [1], data: new Float32Array(1) } })).toThrow(/dtype F64 does not match its Float32Array/)
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(/\[2, 2\] needs 4 values, got 3/)
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } })).toThrow(/non-negative integers/)
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } })).toThrow(/reserved/)
  })
})

describe('decodeSafetensors rejects corrupt files with a clear message', () => {
  const f32 = (offsets: [number, number], shape = [1]) => ({ dtype: 'F32', shape, data_offsets: offsets })
  const four = new Uint8Array(4)
  const cases: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), /5 bytes, too short/],
    ['a header length past the end', craft({ w: f32([0, 4]) }, four, 999), /header length 999 runs past the end/],
    ['an absurd header length', craft({}, new Uint8Array(0), 2 ** 40), /larger than the 100000000-byte limit/],
    ['a header not starting with {', craft(' {}'), /does not start with "\{"/],
    ['a header that is not JSON', craft('{"w": '), /not valid JSON/],
    ['a tensor entry that is not an object', craft({ a: 1 }), /tensor "a": entry must be an object/],
    ['an unknown dtype', craft({ w: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /tensor "w": unsupported dtype "F16"/],
    ['offsets not a pair', craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, four), /tensor "w": data_offsets must be two/],
    ['offsets ending before they begin', craft({ w: f32([4, 0]) }, four), /end before they begin/],
    ['a size that does not match the dtype and shape', craft({ w: f32([0, 4], [2]) }, four), /span 4 bytes but F32 \[2\] needs 8/],
    ['a negative shape entry', craft({ w: f32([0, 0], [-1]) }), /non-negative integers/],
    ['overlapping tensors', craft({ a: f32([0, 8], [2]), b: f32([4, 8]) }, new Uint8Array(8)), /tensor "b" overlaps tensor "a"/],
    ['a hole in the buffer', craft({ a: f32([0, 4]), b: f32([8, 12]) }, new Uint8Array(12)), /hole at bytes \[4, 8\)/],
    ['a tensor past the end of the buffer', craft({ a: f32([0, 4]), b: f32([4, 8]) }, four), /tensor "b" ends at byte 8, past the 4-byte buffer/],
    ['trailing bytes nobody owns', craft({ a: f32([0, 4]) }, new Uint8Array(6)), /buffer is 6 bytes but the tensors cover 4/],
    ['non-string metadata', craft({ __metadata__: { epoch: 5 } }), /"__metadata__.epoch" must be a string/],
    ['invalid UTF-8 in the header', craft('{"\u00e9":1}').map((b) => (b === 0xc3 ? 0xff : b)), /not valid UTF-8/],
  ]
  for (const [what, bytes, message] of cases) {
    it(what, () => {
      expect(() => decodeSafetensors(bytes)).toThrow(SafetensorsError)
      expect(() => decodeSafetensors(bytes)).toThrow(message)
    })
  }
})
