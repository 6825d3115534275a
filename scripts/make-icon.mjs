#!/usr/bin/env node
// Draws resources/icon.png (512x512 RGBA): the lab's mark, a 3x3 kernel on a
// blue rounded square. No image library: raw pixels, zlib, and a PNG writer.
import { writeFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const SIZE = 512
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'resources', 'icon.png')

const px = new Float64Array(SIZE * SIZE * 4) // premultiplied RGBA, 0..1

/** Coverage (0..1) of a pixel by a rounded rectangle, 4x4 supersampled. */
function roundedRectCoverage(x, y, rx, ry, w, h, r) {
  let hits = 0
  for (let sy = 0; sy < 4; sy++) {
    for (let sx = 0; sx < 4; sx++) {
      const px_ = x + (sx + 0.5) / 4
      const py = y + (sy + 0.5) / 4
      const cx = Math.min(Math.max(px_, rx + r), rx + w - r)
      const cy = Math.min(Math.max(py, ry + r), ry + h - r)
      if ((px_ - cx) ** 2 + (py - cy) ** 2 <= r * r && px_ >= rx && px_ <= rx + w && py >= ry && py <= ry + h) hits++
    }
  }
  return hits / 16
}

function fill(rx, ry, w, h, r, [cr, cg, cb], alpha = 1) {
  for (let y = Math.floor(ry); y < Math.ceil(ry + h); y++) {
    for (let x = Math.floor(rx); x < Math.ceil(rx + w); x++) {
      const a = roundedRectCoverage(x, y, rx, ry, w, h, r) * alpha
      if (a === 0) continue
      const i = (y * SIZE + x) * 4
      px[i] = cr * a + px[i] * (1 - a)
      px[i + 1] = cg * a + px[i + 1] * (1 - a)
      px[i + 2] = cb * a + px[i + 2] * (1 - a)
      px[i + 3] = a + px[i + 3] * (1 - a)
    }
  }
}

const blue = [0x2f / 255, 0x6f / 255, 0xde / 255]
const white = [1, 1, 1]
fill(24, 24, 464, 464, 104, blue)
// A 3x3 kernel: a vertical-edge detector's weights, drawn as opacities.
const weights = [
  [1, 0.55, 0.22],
  [1, 0.55, 0.22],
  [1, 0.55, 0.22],
]
const cell = 104
const gap = 20
const origin = (SIZE - (3 * cell + 2 * gap)) / 2
for (let row = 0; row < 3; row++) {
  for (let col = 0; col < 3; col++) {
    fill(origin + col * (cell + gap), origin + row * (cell + gap), cell, cell, 20, white, weights[row][col])
  }
}

// PNG encoding.
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1))
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0
  for (let x = 0; x < SIZE; x++) {
    const i = (y * SIZE + x) * 4
    const a = px[i + 3]
    const o = y * (SIZE * 4 + 1) + 1 + x * 4
    raw[o] = a > 0 ? Math.round((px[i] / a) * 255) : 0
    raw[o + 1] = a > 0 ? Math.round((px[i + 1] / a) * 255) : 0
    raw[o + 2] = a > 0 ? Math.round((px[i + 2] / a) * 255) : 0
    raw[o + 3] = Math.round(a * 255)
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (buf) => {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type, data) => {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}
const ihdr = Buffer.alloc(13)
ihdr.writeUInt32BE(SIZE, 0)
ihdr.writeUInt32BE(SIZE, 4)
ihdr[8] = 8 // bit depth
ihdr[9] = 6 // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
])
mkdirSync(path.dirname(out), { recursive: true })
writeFileSync(out, png)
console.log(`wrote ${path.relative(root, out)} (${SIZE}x${SIZE}, ${png.length} bytes)`)
