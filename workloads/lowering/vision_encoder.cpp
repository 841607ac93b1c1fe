// The image encoder of a vision-language model, lowered as its own graph.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

OpGraph StepBuilder::build_vision(int64_t images, int64_t tiles) {
  const VisionTower& v = *m_.vision;
  tp_ = 1;
  emitted_ranks_ = 1;
  batch_ = static_cast<double>(o_.batch * images);
  const double per_image = static_cast<double>(tiles * v.tokens_per_tile());
  tokens_ = batch_ * per_image;
  const double h = static_cast<double>(v.hidden);
  const double hd = h / static_cast<double>(v.heads);
  Ranked x =
      matmul("vision.patch_embd", -1, "vision", batch_ * static_cast<double>(tiles * v.patches_per_tile()), {}, false);
  {
    Op op = make("vision.positions", OpKind::elementwise, "vision", -1, "residual", 0);
    const auto& pos = w_.get("vision.pos_embd", -1);
    const auto& tile_pos = w_.get("vision.tile_pos_embd", -1);
    // The position table and the row of the tile-layout table this image uses.
    op.weight_bytes = pos.bytes() + tile_pos.bytes() / tile_pos.rows;
    op.vector_ops = tokens_ * h * 3;
    op.act_read_bytes = tokens_ * h * act_;
    op.act_write_bytes = tokens_ * h * act_;
    op.output_bytes = op.act_write_bytes;
    x = {g_.add(op, {x[0]})};
  }
  x = norm("vision.ln_pre", -1, "vision", x, h);
  for (int l = 0; l < static_cast<int>(v.layers + v.global_layers); ++l) {
    Ranked normed = norm("vision.attn_norm", l, "vision", x, h);
    Ranked q = matmul("vision.attn_q", l, "vision", tokens_, {normed}, false);
    Ranked k = matmul("vision.attn_k", l, "vision", tokens_, {normed}, false);
    Ranked val = matmul("vision.attn_v", l, "vision", tokens_, {normed}, false);
    AttentionShape a;
    a.queries = tokens_;
    a.kv = tokens_;
    a.keys = tokens_ * per_image;  // bidirectional within each image
    a.scores = a.keys;
    a.heads = static_cast<double>(v.heads);
    a.head_dim = hd;
    a.kv_dim = h;
    a.sequences = batch_;
    a.kv_bytes = act_;
    Ranked attn = attention_op("vision.attention", l, "vision", {q, k, val}, a);
    Ranked o = matmul("vision.attn_output", l, "vision", tokens_, {attn}, true);
    x = elementwise("vision.attn_residual", l, "vision", "residual", tokens_ * h, 2.0, {x, o});
    Ranked up = matmul("vision.ffn_up", l, "vision", tokens_, {norm("vision.ffn_norm", l, "vision", x, h)}, false);
    up = elementwise("vision.ffn_act", l, "vision", "ffn_act", tokens_ * static_cast<double>(v.intermediate), 1.0, {up},
                     8.0, activation_transcendental(v.activation));
    Ranked down = matmul("vision.ffn_down", l, "vision", tokens_, {up}, true);
    x = elementwise("vision.ffn_residual", l, "vision", "residual", tokens_ * h, 2.0, {x, down});
  }
  x = norm("vision.ln_post", -1, "vision", x, h);
  // The final and intermediate layers' outputs, concatenated (output_dim wide), projected.
  matmul("vision.projector", -1, "vision", tokens_, {x}, false);
  return std::move(g_);
}

}  // namespace llmsim::workloads::lowering_detail
