/**
 * Quitting waits for the host to stop: a live run is stopped, marked so on
 * disk and given its final weights before the process goes. Electron does not
 * wait for promises in 'before-quit', so the first quit is held back
 * (preventDefault), the service disposed, and quit asked for again, which then
 * goes through. A dispose that hangs is given `boundMs` and no more, so the
 * app always quits. No Electron import: unit-tested with a fake app.
 */

export interface QuittingApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown
  quit(): void
}

export type DisposeOutcome = 'disposed' | 'failed' | 'timed-out'

/** How long quitting waits for a run to stop and write its final weights. */
export const QUIT_BOUND_MS = 5_000

export function settleWithin(work: Promise<unknown>, boundMs: number): Promise<DisposeOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const bound = new Promise<DisposeOutcome>((done) => {
    timer = setTimeout(() => done('timed-out'), boundMs)
  })
  const finished = work.then(
    (): DisposeOutcome => 'disposed',
    (): DisposeOutcome => 'failed',
  )
  return Promise.race([finished, bound]).finally(() => clearTimeout(timer))
}

export function disposeBeforeQuit(app: QuittingApp, dispose: () => Promise<unknown>, options: { boundMs?: number; onDone?: (outcome: DisposeOutcome) => void } = {}): void {
  let state: 'running' | 'disposing' | 'done' = 'running'
  app.on('before-quit', (event) => {
    if (state === 'done') return
    event.preventDefault()
    // A second quit while disposing (Cmd+Q twice) waits for the same dispose.
    if (state === 'disposing') return
    state = 'disposing'
    void settleWithin(Promise.resolve().then(dispose), options.boundMs ?? QUIT_BOUND_MS).then((outcome) => {
      state = 'done'
      try {
        options.onDone?.(outcome)
      } finally {
        app.quit()
      }
    })
  })
}
