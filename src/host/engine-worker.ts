/**
 * The engine worker's entry: the one file that runs the trainer in its own
 * process, the same file under both launchers.
 *
 * - Electron's `utilityProcess.fork`: messages arrive on `process.parentPort`
 *   as `{ data }` events and leave with `parentPort.postMessage`.
 * - Node's `child_process.fork` (browser door, terminal door, tests): messages
 *   arrive on `process.on('message')` and leave with `process.send`; the
 *   parent must fork with `serialization: 'advanced'` so typed arrays survive.
 *
 * Everything else lives in EngineRunner, which never sees the transport.
 */
// First: relaxed SIMD (fused multiply-add) on Node 20 before the engine compiles its kernels.
import './wasm-features'
import type { WorkerToHost } from '../shared/engine-protocol'
import { EngineRunner } from './engine-runner'
import { createGradientHelper } from './parallel/gradient-helper'

interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

interface Transport {
  send(message: WorkerToHost): void
  listen(listener: (message: unknown) => void): void
}

function detectTransport(): Transport | undefined {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      listen: (listener) => parentPort.on('message', (event) => listener(event?.data)),
    }
  }
  if (typeof process.send === 'function') {
    // The host went away (closed window, crashed server): nobody to train for.
    process.on('disconnect', () => process.exit(0))
    return {
      send: (message) => {
        // A send after the channel closed would throw; the disconnect handler exits anyway.
        if (process.connected) process.send!(message)
      },
      listen: (listener) => process.on('message', listener),
    }
  }
  return undefined
}

const transport = detectTransport()
if (!transport) {
  process.stderr.write('engine-worker: start me with utilityProcess.fork or child_process.fork, not directly\n')
  process.exit(2)
}

const runner = new EngineRunner(transport.send, {
  // Imported lazily: parsing the pictures takes a moment and only MNIST and Fashion-MNIST runs need them.
  loadSources: async (spec) => (await import('./dataset-sources')).loadDatasetSources(spec),
  // Two cores by default (a helper thread takes half of each batch, where
  // that pays); CNN_LAB_CORES=1 forces one.
  parallel: (startNow) => createGradientHelper({ cores: Number(process.env.CNN_LAB_CORES) || 2, startNow }),
})

transport.listen((message) => runner.handle(message))

transport.send({ type: 'ready', pid: process.pid })
