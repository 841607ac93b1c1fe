// The dense MLP (gated or not). Mixture-of-experts blocks are in expert_blocks.cpp.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

Ranked StepBuilder::mlp_block(int layer, const Ranked& normed) {
  if (m_.is_moe_layer(layer)) return moe_block(layer, normed);
  const double inter = static_cast<double>(m_.mlp_width(layer)) / tp_;
  Ranked up;
  if (m_.gated_mlp) {
    Ranked gate;
    if (o_.fuse_gate_up) {
      gate = up = fused_gate_up(layer, normed);
    } else {
      gate = matmul("ffn_gate", layer, "mlp", tokens_, {normed}, false);
      up = matmul("ffn_up", layer, "mlp", tokens_, {normed}, false);
    }
    up = elementwise("ffn_act", layer, "mlp", variant_key("ffn_act", m_.activation), tokens_ * inter, 2.0, {gate, up},
                     6.0, activation_fn_);
  } else {
    up = matmul("ffn_up", layer, "mlp", tokens_, {normed}, false);
    up = elementwise("ffn_act", layer, "mlp", variant_key("ffn_act", m_.activation), tokens_ * inter, 1.0, {up}, 8.0,
                     activation_fn_);
  }
  Ranked down = matmul("ffn_down", layer, "mlp", tokens_, {up}, true);
  return reduce_block_output("mlp", layer, down);
}

Ranked StepBuilder::fused_gate_up(int layer, const Ranked& normed) {
  Ranked gate = matmul("ffn_gate", layer, "mlp", tokens_, {normed}, false, "ffn_gate_up");
  const WeightTensor& up = w_.get("ffn_up", layer);
  for (OpId id : gate) {
    Op& op = g_.op(id);
    op.n *= 2.0;
    op.flops *= 2.0;
    op.weight_elements *= 2.0;
    op.weight_bytes += up.format->bytes(op.weight_elements / 2.0);
    op.weight_resident_bytes += mb_ == 0 ? up.format->bytes(up.elements() / tp_) : 0.0;
    op.act_write_bytes *= 2.0;
    op.output_bytes *= 2.0;
  }
  return gate;
}

}  // namespace llmsim::workloads::lowering_detail
