#include "workloads/saved_activations.hpp"

#include <algorithm>
#include <map>

namespace llmsim::workloads {

namespace {

// A matmul, norm, activation, attention or recurrence reads its inputs again in the backward;
// a sum (a residual add), rope, an embedding lookup and communication read none.
bool backward_reads_inputs(const Op& op) {
  switch (op.kind) {
    case OpKind::embedding:
    case OpKind::rope:
    case OpKind::kv_store:
    case OpKind::collective:
    case OpKind::send:
    case OpKind::transfer: return false;
    default: return !op.sums_inputs;
  }
}

}  // namespace

// Attention also keeps its output (flash attention's backward starts from it), unfused
// attention its probabilities unless selective recomputation redoes them, and the loss the
// logits. A gathered sequence or context shard is kept as the shard (the gather's
// output_bytes). A tensor only fp8 GEMMs read is kept as their fp8 copy (Transformer Engine
// saves the cast input), one byte per element.
double saved_activation_bytes(const OpGraph& fwd, Checkpointing checkpointing, double activation_bytes,
                              const PrecisionBytes& precision, std::size_t layers) {
  std::map<OpId, bool> kept;  // forward op -> some reader needs it at full precision
  auto keep = [&](OpId u, bool full) { kept[u] = kept[u] || full; };
  double workspace = 0;
  for (OpId v = 0; v < fwd.size(); ++v) {
    const Op& op = fwd.op(v);
    const bool fp8_reader =
        op.kind == OpKind::matmul && gemm_family(op, precision) == "float8" && activation_bytes > 1;
    if (backward_reads_inputs(op))
      for (OpId u : fwd.inputs(v)) keep(u, !fp8_reader);
    if (op.kind == OpKind::attention) keep(v, true);
    workspace = std::max(workspace, op.act_read_bytes + op.act_write_bytes);
  }
  // The logits, for the cross-entropy gradient: each rank's vocabulary shard where they are
  // gathered (Megatron's vocabulary-parallel cross-entropy keeps only the shard).
  const OpId logits = fwd.size() - 1;
  if (fwd.op(logits).kind == OpKind::collective)
    for (OpId u : fwd.inputs(logits)) keep(u, true);
  else
    keep(logits, true);
  double all = 0, largest_layer = 0;
  std::map<int, double> per_layer;
  for (const auto& [u, full] : kept) {
    const Op& op = fwd.op(u);
    const bool keeps_scores = op.kind == OpKind::attention && checkpointing != Checkpointing::selective;
    const double tensor = full ? op.output_bytes : op.output_bytes / activation_bytes;
    const double bytes = tensor + (keeps_scores ? (op.act_write_bytes - op.output_bytes) / 2 : 0.0);
    all += bytes;
    per_layer[op.layer] += bytes;
  }
  for (const auto& [layer, bytes] : per_layer) {
    if (layer >= 0) largest_layer = std::max(largest_layer, bytes);
  }
  // Each layer's input is the hidden state: the size of the embedding's output.
  const double layer_inputs = static_cast<double>(layers) * fwd.op(0).output_bytes;
  return (checkpointing == Checkpointing::full ? layer_inputs + largest_layer : all) + workspace;
}

}  // namespace llmsim::workloads
