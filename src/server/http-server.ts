/**
 * The browser door: a small node:http server that serves the built renderer
 * and the lab API on 127.0.0.1 only, guarded like Jupyter's by a random token.
 *
 * - Every request needs the token: `?token=` in the URL, the `X-Lab-Token`
 *   header, or the HttpOnly SameSite=Strict cookie set when a page is loaded
 *   with a good `?token=` (so the page's assets and EventSource carry it).
 * - Every request needs a Host header naming this server (`127.0.0.1:PORT` or
 *   `localhost:PORT`), which defeats DNS rebinding.
 * - `POST /api/<method>` with a JSON body `{ "args": [...] }` answers a
 *   `LabResult` envelope; `GET /api/events` is a server-sent event stream.
 * - Anything else is a static file from the renderer folder (no traversal).
 * - Under load: each event-stream client has a bounded buffer (event-stream.ts);
 *   bodies over 1 MiB are parsed and validated in a worker thread (body-pool.ts);
 *   headers, whole requests and the number of connections are bounded (408, 503).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { AddressInfo, Socket } from 'node:net'
import { logUnexpected, type LabService } from '../host/lab-service'
import { parseCallBody, statusFor } from './api-body'
import { BodyPool } from './body-pool'
import { EventStreams } from './event-stream'
import { bytesReplacer } from '../shared/wire-bytes'

export interface StartServerOptions {
  /** 0 picks a free port. */
  port: number
  /** The built renderer (out/renderer). */
  rendererDir: string
  service: LabService
  /** Fixed token (tests); random by default. */
  token?: string
  /** Milliseconds between SSE keep-alive pings. */
  pingIntervalMs?: number
  /** Unsent bytes past which an event-stream client is on notice to catch up (default SSE_CLIENT_BUFFER_BYTES; see event-stream.ts). */
  sseClientBufferBytes?: number
}

export interface RunningServer {
  url: string
  port: number
  token: string
  /** Open event streams, and how many were closed for falling behind (tests, diagnostics). */
  eventStreams(): { open: number; dropped: number }
  close(): Promise<void>
}

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
}

/** Most calls carry a few ids and numbers; a megabyte is generous. */
const MAX_BODY_BYTES = 1 << 20
/** The calls that carry whole files: an experiment with its results, a figure. */
const LARGE_BODY_BYTES: Record<string, number> = {
  parseExperimentText: 80 << 20,
  saveExperimentDialog: 80 << 20,
  startRun: 80 << 20,
  exportFigure: 48 << 20,
  importRun: 200 << 20,
  robustnessMap: 80 << 20,
}
/** Bodies above this go to the body worker; below it JSON.parse takes a few milliseconds. */
const WORKER_BODY_BYTES = 1 << 20
/** Large bodies being read or parsed at once (four 80 MiB files); more wait for a 503 and retry. */
const LARGE_BODIES_IN_FLIGHT_BYTES = 320 << 20
/** Open connections (pages, event streams, calls); more are answered 503 at once. */
const MAX_CONNECTIONS = 64
/** A client has this long to send its headers, and this long for the whole request (an 80 MiB upload included). */
const HEADERS_TIMEOUT_MS = 10_000
const REQUEST_TIMEOUT_MS = 60_000

const BASE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  return cookies
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra })
  res.end(body)
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  // Bytes in a result (exportPytorch's zip) cross as {"$bytes": base64}.
  send(res, status, JSON.stringify(value, bytesReplacer), 'application/json; charset=utf-8')
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new BodyTooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new BodyTooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** Resolve a URL path to a file strictly inside `root`, or null. */
export async function resolveStaticPath(root: string, urlPath: string): Promise<string | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  if (decoded.split('/').some((segment) => segment === '..')) return null
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '')
  const realRoot = await fs.realpath(root)
  const candidate = path.resolve(realRoot, relative)
  if (candidate !== realRoot && !candidate.startsWith(realRoot + path.sep)) return null
  try {
    const real = await fs.realpath(candidate)
    if (!real.startsWith(realRoot + path.sep)) return null
    const stat = await fs.stat(real)
    return stat.isFile() ? real : null
  } catch {
    return null
  }
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { service } = options
  const token = options.token ?? randomBytes(24).toString('hex')
  const rendererDir = path.resolve(options.rendererDir)
  const streams = new EventStreams(options.sseClientBufferBytes)
  const bodies = new BodyPool()
  let largeBytesInFlight = 0
  let port = 0
  let cookieName = 'cnnlab_token'

  const unsubscribe = service.onEvent((event) => streams.broadcast(event))
  const ping = setInterval(() => service.emit({ type: 'ping', at: Date.now() }), options.pingIntervalMs ?? 15_000)
  ping.unref()

  const hostAllowed = (host: string | undefined): boolean =>
    host === `127.0.0.1:${port}` || host === `localhost:${port}`

  /** Which way the request proved it has the token, or null. */
  const tokenSource = (req: IncomingMessage, url: URL): 'query' | 'header' | 'cookie' | null => {
    const fromQuery = url.searchParams.get('token')
    if (fromQuery !== null && sameToken(fromQuery, token)) return 'query'
    const header = req.headers['x-lab-token']
    if (typeof header === 'string' && sameToken(header, token)) return 'header'
    const cookie = parseCookies(req.headers.cookie).get(cookieName)
    if (cookie !== undefined && sameToken(cookie, token)) return 'cookie'
    return null
  }

  const handleApi = async (req: IncomingMessage, res: ServerResponse, name: string): Promise<void> => {
    if (name === 'events') {
      if (req.method !== 'GET') return send(res, 405, 'method not allowed', undefined, { Allow: 'GET' })
      res.writeHead(200, {
        ...BASE_HEADERS,
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      })
      res.write('retry: 2000\n\n')
      streams.add(res, service.helloEvent())
      return
    }
    if (req.method !== 'POST') return send(res, 405, 'method not allowed', undefined, { Allow: 'POST' })
    const type = req.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(type)) {
      return sendJson(res, 415, { ok: false, error: 'expected Content-Type: application/json' })
    }
    const bodyLimit = Object.hasOwn(LARGE_BODY_BYTES, name) ? LARGE_BODY_BYTES[name] : MAX_BODY_BYTES
    // A large upload reserves its declared size up front, so many at once are refused before they are read.
    const reserved = bodyLimit > MAX_BODY_BYTES ? Math.min(bodyLimit, Number(req.headers['content-length'] ?? bodyLimit) || bodyLimit) : 0
    if (largeBytesInFlight + reserved > LARGE_BODIES_IN_FLIGHT_BYTES) {
      return send(res, 503, JSON.stringify({ ok: false, error: 'the server is busy with other large requests; try again in a moment' }), 'application/json; charset=utf-8', { 'Retry-After': '2', Connection: 'close' })
    }
    largeBytesInFlight += reserved
    try {
      let bytes: Buffer
      try {
        bytes = await readBody(req, bodyLimit)
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          // Stop reading: answer and close the connection.
          return send(res, 413, JSON.stringify({ ok: false, error: `request body larger than ${bodyLimit} bytes` }), 'application/json; charset=utf-8', { Connection: 'close' })
        }
        throw err
      }
      // Small bodies parse here in a few milliseconds; large ones in the worker, which also validates them.
      const prepared = bytes.length > WORKER_BODY_BYTES ? await bodies.prepare(name, bytes) : parseCallBody(bytes.toString('utf8'))
      if (prepared.kind === 'reply') return send(res, prepared.status, prepared.json, 'application/json; charset=utf-8')
      const result = await service.call(name, prepared.args)
      sendJson(res, statusFor(result), result)
    } finally {
      largeBytesInFlight -= reserved
    }
  }

  const handleStatic = async (req: IncomingMessage, res: ServerResponse, url: URL, source: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', undefined, { Allow: 'GET, HEAD' })
    const file = await resolveStaticPath(rendererDir, url.pathname)
    if (!file) return send(res, 404, 'not found')
    const body = await fs.readFile(file)
    const ext = path.extname(file).toLowerCase()
    const headers: Record<string, string> = {
      ...BASE_HEADERS,
      'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
      'Cache-Control': ext === '.html' ? 'no-store' : 'private, max-age=300',
    }
    if (source === 'query') {
      headers['Set-Cookie'] = `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`
    }
    res.writeHead(200, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    void (async () => {
      if (!hostAllowed(req.headers.host)) return send(res, 403, 'forbidden: bad Host header')
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
      const source = tokenSource(req, url)
      if (!source) return send(res, 403, 'forbidden: missing or wrong token (open the URL the server printed)')
      const origin = req.headers.origin
      if (origin !== undefined && origin !== `http://${req.headers.host}`) return send(res, 403, 'forbidden: cross-origin request')
      if (url.pathname.startsWith('/api/')) return handleApi(req, res, url.pathname.slice('/api/'.length))
      return handleStatic(req, res, url, source)
    })().catch((err: unknown) => {
      // The URL without its query: the token never reaches the log.
      logUnexpected(`request ${req.method} ${(req.url ?? '').split('?')[0]} failed`, err)
      send(res, 500, 'internal error')
    })
  })
  // Node's own cap silently drops sockets past it; below it, ours answers 503 so the page can say why.
  server.maxConnections = MAX_CONNECTIONS * 2
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    if (sockets.size >= MAX_CONNECTIONS) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 2\r\nContent-Length: 36\r\n\r\ntoo many connections to the lab now\n')
      return
    }
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  cookieName = `cnnlab_token_${port}`

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    eventStreams: () => ({ open: streams.size, dropped: streams.dropped }),
    close: async () => {
      clearInterval(ping)
      unsubscribe()
      streams.closeAll()
      await bodies.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
