import { readFileSync, mkdtempSync, writeFileSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDecimalDataArray } from '../../src/host/decimal-array'
import { loadMnistSource, mnistDigitsFolder } from '../../src/host/mnist-source'

const bytes = (text: string) => new TextEncoder().encode(text)
const viaJson = (text: string) => Float32Array.from((JSON.parse(text) as { data: number[] }).data)

/** Bit equality, so -0 and NaN would not hide a difference. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length)
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false
  return true
}

describe('readDecimalDataArray', () => {
  it('gives the bits JSON.parse gives for every MNIST digit file', () => {
    for (let digit = 0; digit < 10; digit++) {
      const raw = readFileSync(join(mnistDigitsFolder(), `${digit}.json`))
      const fast = readDecimalDataArray(raw)
      expect(fast, `digit ${digit}`).not.toBeNull()
      expect(sameBits(fast!, viaJson(raw.toString('utf8'))), `digit ${digit}`).toBe(true)
    }
  })

  it('gives the bits JSON.parse gives on awkward decimals and spacing', () => {
    const values = ['0', '1', '0.1', '0.149', '0.992', '123456789', '0.3000000000000004', '0.1234567890123456', '9007199254740991', '0.0000000000000000000001', '3.14159', '1.0', '0.5000']
    for (const layout of [(v: string[]) => `{"data":[${v.join(',')}]}`, (v: string[]) => `\n { "data" : [ ${v.join(' ,\n ')} ] } \n`]) {
      const text = layout(values)
      const fast = readDecimalDataArray(bytes(text))
      expect(fast, text).not.toBeNull()
      expect(sameBits(fast!, viaJson(text)), text).toBe(true)
    }
  })

  it('declines what it cannot read exactly, so the caller falls back to JSON.parse', () => {
    for (const text of [
      '{"data":[1e3]}', // exponent
      '{"data":[-1]}', // sign
      '{"data":[01]}', // leading zero (not JSON)
      '{"data":[1.]}', // no digits after the point (not JSON)
      '{"data":[.5]}',
      '{"data":[1,]}',
      '{"data":[]}',
      '{"data":[1],"x":2}', // another key
      '{"other":[1]}',
      '[1,2]',
      '{"data":[9007199254740993]}', // past 2^53
      '{"data":[0.30000000000000004]}', // digits past 2^53
      '{"data":[0.00000000000000000000001]}', // 23 places
      '{"data":[1]} x',
      '{"data":[1',
      '',
    ]) {
      expect(readDecimalDataArray(bytes(text)), text).toBeNull()
    }
  })

  it('loadMnistSource still reads a file the fast reader declines, by JSON.parse', () => {
    const folder = mkdtempSync(join(tmpdir(), 'digits-'))
    for (let digit = 0; digit < 10; digit++) copyFileSync(join(mnistDigitsFolder(), `${digit}.json`), join(folder, `${digit}.json`))
    const picture = Array.from({ length: 784 }, (_, i) => (i % 7 === 0 ? '5e-1' : '0'))
    writeFileSync(join(folder, '4.json'), `{"data":[${picture.join(',')}]}`)
    const source = loadMnistSource(folder)
    expect(source.digits[4].length).toBe(784)
    expect(source.digits[4][0]).toBe(0.5)
    expect(source.digits[4][1]).toBe(0)
    expect(() => {
      writeFileSync(join(folder, '4.json'), '{"data":[1,2,3]}')
      loadMnistSource(folder)
    }).toThrow(/multiple of 784/)
  })
})
