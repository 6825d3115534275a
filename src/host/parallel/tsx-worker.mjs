// Worker threads do not inherit tsx's loader on Node 20, so under tsx (the
// terminal and browser doors in development, tests) the TypeScript helper
// entry starts here: register tsx in this thread, then load the real entry.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
