/** The event streams' slow-client policy, on a fake clock and fake responses (no sockets, no timing). */
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { EventStreams } from '../../src/server/event-stream'

class FakeResponse extends EventEmitter {
  writableLength = 0
  written = 0
  destroyed = false
  write(bytes: Buffer): boolean {
    this.written++
    this.writableLength += bytes.length
    return true
  }
  destroy(): void {
    this.destroyed = true
    this.emit('close')
  }
  end(): void {
    this.emit('close')
  }
}

const MB = 1 << 20
const hello = { type: 'hello', door: 'browser', at: 0 } as const
const ping = { type: 'ping', at: 0 } as const

function setup() {
  let t = 0
  const streams = new EventStreams(4 * MB, 16 * MB, 3000, () => t)
  const add = () => {
    const res = new FakeResponse()
    streams.add(res as unknown as ServerResponse, hello)
    return res
  }
  return { streams, add, advance: (ms: number) => (t += ms) }
}

describe('event streams: a client that falls behind', () => {
  it('stringifies each event once and sends the same bytes to every client', () => {
    const { streams, add } = setup()
    const a = add()
    const b = add()
    streams.broadcast(ping)
    expect([a.written, b.written]).toEqual([2, 2])
    expect(a.writableLength).toBe(b.writableLength)
  })

  it('keeps a client that lags past the soft cap but catches up within the grace time', () => {
    const { streams, add, advance } = setup()
    const res = add()
    res.writableLength = 6 * MB
    streams.broadcast(ping)
    advance(2500)
    streams.broadcast(ping)
    res.writableLength = 1 * MB // it read
    advance(2000)
    streams.broadcast(ping)
    expect(res.destroyed).toBe(false)
    expect(streams.dropped).toBe(0)
  })

  it('closes a client still behind after the grace time', () => {
    const { streams, add, advance } = setup()
    const res = add()
    res.writableLength = 6 * MB
    streams.broadcast(ping)
    advance(3001)
    streams.broadcast(ping)
    expect(res.destroyed).toBe(true)
    expect(streams.size).toBe(0)
    expect(streams.dropped).toBe(1)
  })

  it('closes a client past the hard cap at once, whatever the time', () => {
    const { streams, add } = setup()
    const res = add()
    res.writableLength = 17 * MB
    streams.broadcast(ping)
    expect(res.destroyed).toBe(true)
    expect(streams.dropped).toBe(1)
  })
})
