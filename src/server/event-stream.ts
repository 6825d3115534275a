/**
 * The server-sent event clients of the browser door, each with a bounded
 * send buffer.
 *
 * An event is stringified once and the same bytes are written to every
 * client. A client whose unsent bytes would pass the cap (a tab in the
 * background, a stalled socket) is closed rather than buffered without end:
 * its EventSource reconnects, gets a fresh `hello`, and the page resyncs from
 * the host's state (trainingStatus, openRun, listRuns).
 */
import type { ServerResponse } from 'node:http'
import type { LabEvent } from '../shared/lab-api'

/** A few MB: a client that reads is never this far behind; memory per client stays under this plus one event. */
export const SSE_CLIENT_BUFFER_BYTES = 8 << 20

export class EventStreams {
  private readonly clients = new Set<ServerResponse>()
  /** Clients closed for falling behind, since the server started. */
  dropped = 0

  constructor(private readonly bufferBytes = SSE_CLIENT_BUFFER_BYTES) {}

  get size(): number {
    return this.clients.size
  }

  /** Starts following `res` (headers already sent) and sends it `hello` alone. */
  add(res: ServerResponse, hello: LabEvent): void {
    this.clients.add(res)
    res.on('close', () => this.clients.delete(res))
    this.write(res, frame(hello))
  }

  broadcast(event: LabEvent): void {
    const bytes = frame(event)
    for (const res of this.clients) this.write(res, bytes)
  }

  closeAll(): void {
    for (const res of this.clients) res.end()
    this.clients.clear()
  }

  private write(res: ServerResponse, bytes: Buffer): void {
    // writableLength counts what the response and its socket still hold. The cap is on what is still
    // queued when the next event comes, so one event larger than the cap (a big snapshot) still goes out.
    if (res.writableLength > this.bufferBytes) {
      this.clients.delete(res)
      this.dropped++
      res.destroy()
      return
    }
    res.write(bytes)
  }
}

function frame(event: LabEvent): Buffer {
  return Buffer.from(`data: ${JSON.stringify(event)}\n\n`)
}
