// Worker threads do not inherit tsx's loader on Node 20, so under tsx a
// TypeScript worker entry starts here. tsx's CommonJS hook transforms each
// file in this thread as it is required: no ESM hooks thread, whose start and
// end in a worker races (a hang or a crash in about one run in fifty).
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/cjs/api'

register()
createRequire(import.meta.url)(fileURLToPath(workerData.entry))
