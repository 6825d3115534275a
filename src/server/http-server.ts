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
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { LabService } from '../host/lab-service'
import type { LabEvent } from '../shared/lab-api'

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
}

export interface RunningServer {
  url: string
  port: number
  token: string
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
  robustnessMap: 80 << 20,
}

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
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8')
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new BodyTooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new BodyTooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
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
  const clients = new Set<ServerResponse>()
  let port = 0
  let cookieName = 'cnnlab_token'

  const sendEvent = (res: ServerResponse, event: LabEvent): void => {
    res.write(`data: ${JSON.stringify(event)}\n\n`)
  }
  const unsubscribe = service.onEvent((event) => {
    for (const res of clients) sendEvent(res, event)
  })
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
      clients.add(res)
      sendEvent(res, service.helloEvent())
      req.on('close', () => clients.delete(res))
      return
    }
    if (req.method !== 'POST') return send(res, 405, 'method not allowed', undefined, { Allow: 'POST' })
    const type = req.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(type)) {
      return sendJson(res, 415, { ok: false, error: 'expected Content-Type: application/json' })
    }
    const bodyLimit = Object.hasOwn(LARGE_BODY_BYTES, name) ? LARGE_BODY_BYTES[name] : MAX_BODY_BYTES
    let body: unknown
    try {
      body = JSON.parse(await readBody(req, bodyLimit))
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        // Stop reading: answer and close the connection.
        return send(res, 413, JSON.stringify({ ok: false, error: `request body larger than ${bodyLimit} bytes` }), 'application/json; charset=utf-8', { Connection: 'close' })
      }
      return sendJson(res, 400, { ok: false, error: `bad request body: ${(err as Error).message}` })
    }
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { args?: unknown }).args)) {
      return sendJson(res, 400, { ok: false, error: 'request body must be {"args": [...]}' })
    }
    const result = await service.call(name, (body as { args: unknown[] }).args)
    const status = result.ok ? 200 : result.error.startsWith('unknown lab method') ? 404 : 400
    sendJson(res, status, result)
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

  const server = createServer((req, res) => {
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
      console.error('request failed:', err)
      send(res, 500, 'internal error')
    })
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
    close: async () => {
      clearInterval(ping)
      unsubscribe()
      for (const res of clients) res.end()
      clients.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
