/**
 * Quitting the Electron app waits for the host's dispose (a live run stops and
 * writes its final weights), bounded so a hung dispose cannot keep the app open.
 */
import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { disposeBeforeQuit, QUIT_BOUND_MS, type DisposeOutcome } from '../../src/main/quit-guard'

/** Electron's app as far as quitting goes: quit() emits a preventable before-quit, then quits. */
class FakeApp extends EventEmitter {
  quitRequests = 0
  quitted = false
  quit(): void {
    this.quitRequests++
    let prevented = false
    this.emit('before-quit', { preventDefault: () => (prevented = true) })
    if (!prevented) this.quitted = true
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((a, b) => ((resolve = a), (reject = b)))
  return { promise, resolve, reject }
}

afterEach(() => vi.useRealTimers())

describe('quit waits for dispose', () => {
  it('holds the quit until dispose has finished, then quits once', async () => {
    const app = new FakeApp()
    const work = deferred()
    let disposeCalls = 0
    const outcomes: DisposeOutcome[] = []
    let quittedWhenDone: boolean | undefined
    disposeBeforeQuit(app, () => (disposeCalls++, work.promise), { onDone: (o) => (outcomes.push(o), (quittedWhenDone = app.quitted)) })
    app.quit()
    app.quit() // asked again while the run is still stopping
    await Promise.resolve()
    expect(app.quitted).toBe(false)
    expect(disposeCalls).toBe(1)
    work.resolve()
    await vi.waitFor(() => expect(app.quitted).toBe(true))
    expect(outcomes).toEqual(['disposed'])
    // onDone (which releases the data folder lock) runs before the quit goes through.
    expect(quittedWhenDone).toBe(false)
    expect(disposeCalls).toBe(1)
  })

  it('quits after the bound when dispose hangs, and when it fails', async () => {
    vi.useFakeTimers()
    const hung = new FakeApp()
    const outcomes: DisposeOutcome[] = []
    disposeBeforeQuit(hung, () => new Promise<void>(() => undefined), { onDone: (o) => outcomes.push(o) })
    hung.quit()
    await vi.advanceTimersByTimeAsync(QUIT_BOUND_MS - 1)
    expect(hung.quitted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(hung.quitted).toBe(true)

    const failing = new FakeApp()
    disposeBeforeQuit(failing, () => Promise.reject(new Error('disk gone')), { onDone: (o) => outcomes.push(o) })
    failing.quit()
    await vi.advanceTimersByTimeAsync(0)
    expect(failing.quitted).toBe(true)

    const throwing = new FakeApp()
    disposeBeforeQuit(throwing, () => {
      throw new Error('sync')
    }, { onDone: (o) => outcomes.push(o) })
    throwing.quit()
    await vi.advanceTimersByTimeAsync(0)
    expect(throwing.quitted).toBe(true)
    expect(outcomes).toEqual(['timed-out', 'failed', 'failed'])
  })
})
