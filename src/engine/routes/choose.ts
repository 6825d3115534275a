/**
 * Which code trains a model: decided here, once per model, from the model and
 * the backend. In order:
 *
 *   0. a layer only the reference code has (batch norm, average pooling,
 *      residual blocks, non-square or grouped convs: needsReferenceRoute)
 *                                                   → reference
 *   1. tiny (the lesson models: few layers, ≤ TINY_MODEL_LIMIT multiply-adds
 *      per sample, small data) and a SIMD backend   → tiny-wasm
 *   2. float32 and a SIMD backend                   → fused-simd
 *   3. anything else (float64, the reference backend) → reference
 *
 * Then, for the layer routes (2 and 3): two cores when the host gave a
 * helper (DataParallel), the run uses backprop, and worthSplitting says the
 * model is big enough and has no dropout. The tiny module trains a lesson
 * batch faster than the hand-over to a second core would take.
 */
import type { BackendKernels } from '../backend'
import { needsReferenceRoute } from '../layers'
import type { Sequential } from '../model'
import { worthSplitting, type ReplicaSpec } from '../train/data-parallel'
import { createFusedSimdRoute, fusedSimdEligible } from './fused-simd'
import { LayerRoute } from './layer-route'
import type { RouteContext, TrainingRoute } from './route'
import { createTinyRoute } from './tiny-wasm'
import { TwoCoreRoute } from './two-core'

export function chooseRoute(model: Sequential, kernels: BackendKernels, context: RouteContext): TrainingRoute {
  const referenceOnly = model.specs.some(needsReferenceRoute)
  const tiny = referenceOnly ? null : createTinyRoute(model, kernels, context)
  if (tiny) return tiny
  const route = !referenceOnly && fusedSimdEligible(model, kernels)
    ? createFusedSimdRoute(model, kernels, context)
    : new LayerRoute('reference', model, context)
  const { parallel } = context
  if (!parallel || context.gradient !== 'backprop') return route
  const spec: ReplicaSpec = {
    model: context.spec, inputShape: [...model.inputShape], precision: model.precision, loss: context.loss,
    learningRate: context.learningRate, momentum: context.momentum, batchSize: context.batchSize,
    backend: kernels.backend, route: route.summary.id as ReplicaSpec['route'],
  }
  if (!worthSplitting(spec)) return route
  const replica = parallel.attach(spec, model.params().map((p) => p.value.data), { train: context.train, val: context.val })
  return replica ? new TwoCoreRoute(route, replica) : route
}
