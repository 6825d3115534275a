/**
 * A dataset of a given kind with its defaults filled in, keeping the splits:
 * what the editor switches to when the kind changes, from the schema itself
 * so a new field's default is never written twice.
 */
import { DatasetSpec } from '../../shared/experiment'

type Splits = { train: { count: number; seed: number }; val: { count: number; seed: number } }

export function datasetOfKind(kind: DatasetSpec['kind'], { train, val }: Splits): DatasetSpec {
  // The patterns have no default class list: lesson 001's first three.
  const extra = kind === 'patterns' ? { classes: ['vertical', 'horizontal', 'diagonal'] } : {}
  return DatasetSpec.parse({ kind, ...extra, train, val })
}
