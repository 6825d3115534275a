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

/**
 * A client more than this far behind is on notice: if it has not caught up within
 * SSE_GRACE_MS it is closed. A reading client can lag briefly (a big snapshot event, a
 * busy event loop); a stalled one never catches up.
 */
const SSE_CLIENT_BUFFER_BYTES = 4 << 20
/** However briefly: past this backlog a client is closed at once, so memory per client stays bounded. */
const SSE_CLIENT_HARD_CAP_BYTES = 32 << 20
const SSE_GRACE_MS = 3000

export class EventStreams {
  private readonly clients = new Set<ServerResponse>()
  /** When each lagging client first went past the soft cap. */
  private readonly behindSince = new Map<ServerResponse, number>()
  /** Clients closed for falling behind, since the server started. */
  dropped = 0

  constructor(
    private readonly bufferBytes = SSE_CLIENT_BUFFER_BYTES,
    private readonly hardCapBytes = SSE_CLIENT_HARD_CAP_BYTES,
    private readonly graceMs = SSE_GRACE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.clients.size
  }

  /** Starts following `res` (headers already sent) and sends it `hello` alone. */
  add(res: ServerResponse, hello: LabEvent): void {
    this.clients.add(res)
    res.on('close', () => {
      this.clients.delete(res)
      this.behindSince.delete(res)
    })
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
    // writableLength counts what the response and its socket still hold. The caps are on what is still
    // queued when the next event comes, so one event larger than a cap (a big snapshot) still goes out.
    const backlog = res.writableLength
    if (backlog > this.bufferBytes) {
      const since = this.behindSince.get(res) ?? this.now()
      this.behindSince.set(res, since)
      if (backlog > this.hardCapBytes || this.now() - since > this.graceMs) {
        this.clients.delete(res)
        this.behindSince.delete(res)
        this.dropped++
        res.destroy()
        return
      }
    } else {
      this.behindSince.delete(res)
    }
    res.write(bytes)
  }
}

function frame(event: LabEvent): Buffer {
  return Buffer.from(`data: ${JSON.stringify(event)}\n\n`)
}
