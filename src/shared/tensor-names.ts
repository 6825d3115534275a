/**
 * The names a model's saved tensors take, as a torch `state_dict` names them:
 * "<layer>.weight" / ".bias", batch norm's buffers ".running_mean",
 * ".running_var", ".num_batches_tracked", and inside a residual block
 * "<layer>.body.<index>.…" (blocks may nest).
 */
export const STATE_TENSOR_NAME = /^\d+(\.body\.\d+)*\.(weight|bias|running_mean|running_var|num_batches_tracked)$/

/**
 * Batch norm's count of training batches: an integer, which torch keeps as
 * int64. The lab holds it as a float tensor (exact to 2^53) and writes it to
 * safetensors as I64 so `load_state_dict` takes it without a dtype change.
 */
export function isCountTensor(name: string): boolean {
  return name.endsWith('.num_batches_tracked')
}
