// Mixture-of-experts layers: the router, routed experts (split over tensor ranks, spread over
// expert-parallel ranks with all-to-all dispatch and combine, or kept in host memory with a
// device cache), and always-active shared experts.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

Ranked StepBuilder::moe_block(int layer, const Ranked& normed) {
  Ranked routed = router(layer, normed);
  std::vector<Ranked> parts;
  const bool ep = o_.ep > 1;
  if (ep) {
    parts.push_back(expert_parallel_experts(layer, normed, routed));
  } else if (layer < o_.host_expert_layers) {
    // The cached share of the expert work runs from device memory, the rest from host memory.
    const double hit = o_.expert_cache_hit;
    if (hit > 0) parts.push_back(routed_experts(layer, normed, routed, hit, false, ".cached"));
    if (hit < 1) parts.push_back(routed_experts(layer, normed, routed, 1.0 - hit, true, ".host"));
  } else {
    parts.push_back(routed_experts(layer, normed, routed, 1.0, false, ""));
  }
  // Under expert parallelism every rank finishes its own tokens (shared expert unsplit); else
  // the shared expert is split over the tensor ranks like a dense MLP.
  if (m_.shared_expert_intermediate > 0) parts.push_back(shared_expert(layer, normed, !ep));
  Ranked out = parts.front();
  if (parts.size() > 1) {
    out = elementwise("moe_sum", layer, "mlp", "residual", tokens_ * h_ / (ep ? tp_ : 1), static_cast<double>(parts.size()),
                      parts, static_cast<double>(parts.size()));
  }
  if (ep) return collective("moe_allgather", layer, Collective::all_gather, tokens_ * h_ * act_, out);
  return reduce_block_output("mlp", layer, out);
}

// The gate projection (small, replicated on every rank) and top-k selection.
Ranked StepBuilder::router(int layer, const Ranked& normed) {
  const WeightTensor& wt = w_.get("ffn_gate_inp", layer);
  Ranked routed;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = make("ffn_gate_inp", OpKind::matmul, "mlp", layer, "matmul", t);
    op.m = tokens_, op.n = wt.rows, op.k = wt.cols;
    op.flops = 2.0 * tokens_ * wt.rows * wt.cols;
    set_weights(op, wt, wt.elements(), wt.elements());
    op.act_read_bytes = tokens_ * wt.cols * act_;
    op.act_write_bytes = tokens_ * wt.rows * act_;
    op.output_bytes = op.act_write_bytes;
    const OpId logits = g_.add(op, {normed[static_cast<std::size_t>(t)]});
    Op top = make("router", OpKind::router, "mlp", layer, "router", t);
    top.vector_ops = tokens_ * static_cast<double>(m_.experts) * 5.0;
    top.act_read_bytes = tokens_ * static_cast<double>(m_.experts) * act_;
    top.act_write_bytes = tokens_ * static_cast<double>(m_.experts_per_token) * 8.0;
    top.output_bytes = top.act_write_bytes;
    routed.push_back(g_.add(top, {logits}));
  }
  return routed;
}

// `share` of the routed work (token-expert pairs and distinct experts) on this placement's
// tensor ranks, each expert's width split over them.
Ranked StepBuilder::routed_experts(int layer, const Ranked& normed, const Ranked& routed, double share, bool host,
                                   const std::string& suffix) {
  const double k = static_cast<double>(m_.experts_per_token);
  const ExpertLoad load = expert_load(o_.routing, tokens_, k, m_.experts, 0, m_.experts);
  const double rows = tokens_ * k * share;
  // A device cache holding `share` of the experts (the hottest) keeps that many resident.
  const double cached = o_.expert_cache_slots > 0 ? static_cast<double>(o_.expert_cache_slots)
                                                  : std::ceil(share * static_cast<double>(m_.experts));
  const double resident = suffix == ".cached" ? cached : static_cast<double>(m_.experts);
  Ranked y = expert_ffn(layer, {normed}, rows, load.distinct * share, resident, tp_, host, suffix);
  // Each token's k expert outputs, weighted by the router, summed into one row.
  Ranked combined;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = make("moe_combine" + suffix, OpKind::elementwise, "mlp", layer, "residual", t);
    op.vector_ops = rows * h_ * 2.0;
    op.act_read_bytes = rows * h_ * act_ + tokens_ * k * 8.0;
    op.act_write_bytes = tokens_ * h_ * act_;
    op.output_bytes = op.act_write_bytes;
    op.host_expert = host;
    combined.push_back(g_.add(op, inputs_of({y, routed}, t)));
  }
  return combined;
}

// Expert parallelism: each rank sends its tokens' expert inputs to the ranks owning those
// experts, computes what it received with whole experts, and sends the results back. The
// busiest rank sets the pace: every emitted rank is given its load.
Ranked StepBuilder::expert_parallel_experts(int layer, const Ranked& normed, const Ranked& routed) {
  const double k = static_cast<double>(m_.experts_per_token);
  const int64_t per_rank = m_.experts / o_.ep;
  const double all_tokens = tokens_ * dp_;  // every attention group's tokens reach the experts
  ExpertLoad busiest;
  for (int r = 0; r < o_.ep; ++r) {
    const ExpertLoad load = expert_load(o_.routing, all_tokens, k, m_.experts, r * per_rank, (r + 1) * per_rank);
    if (load.share > busiest.share) busiest = load;
  }
  // A tensor group holds its tokens on every rank; each rank dispatches its 1/tp of them. The
  // pairs whose expert is on the sending rank (1/ep of them under uniform routing) stay put.
  const double ep = static_cast<double>(o_.ep);
  const double local_tokens = tokens_ / tp_;
  const double dispatch = local_tokens * k * h_ * act_ * (ep - 1) / ep;
  std::vector<OpId> ready;
  for (int t = 0; t < emitted_ranks_; ++t) {
    for (OpId id : inputs_of({normed, routed}, t)) ready.push_back(id);
  }
  Ranked sent = all_to_all("moe_dispatch", layer, dispatch, ready);
  Ranked y = expert_ffn(layer, sent, all_tokens * k * busiest.share, busiest.distinct, static_cast<double>(per_rank),
                        1.0, false, "");
  Ranked back = all_to_all("moe_combine", layer, dispatch, y);
  Ranked combined;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = make("moe_combine", OpKind::elementwise, "mlp", layer, "residual", t);
    op.vector_ops = local_tokens * k * h_ * 2.0;
    op.act_read_bytes = local_tokens * k * (h_ * act_ + 8.0);
    op.act_write_bytes = local_tokens * h_ * act_;
    op.output_bytes = op.act_write_bytes;
    combined.push_back(g_.add(op, {back[static_cast<std::size_t>(t)], routed[static_cast<std::size_t>(t)]}));
  }
  return combined;
}

// Gate and up projections (fused when the profile fuses them), the activation, the down
// projection: `rows` token-expert pairs over `distinct` experts, each `split` ways wide.
Ranked StepBuilder::expert_ffn(int layer, const Ranked& in, double rows, double distinct, double resident_copies,
                               double split, bool host, const std::string& suffix) {
  distinct = std::max(distinct, std::min(1.0, rows));
  auto project = [&](const std::string& role, const Ranked& input, bool down, double fused) {
    const WeightTensor& wt = w_.get(role, layer);
    const double n = (down ? wt.rows : wt.rows / split) * fused;
    const double k = down ? wt.cols / split : wt.cols;
    Ranked out;
    for (int t = 0; t < emitted_ranks_; ++t) {
      const std::string label = fused > 1 ? "ffn_gate_up" : role;
      Op op = make(label + suffix, OpKind::matmul, "mlp", layer, variant_key("matmul", wt.format->family), t);
      op.batch_count = distinct;
      op.m = rows / distinct;
      op.n = n;
      op.k = k;
      op.flops = 2.0 * rows * n * k;
      set_weights(op, wt, n * k * distinct, n * k * resident_copies);
      op.weight_key += suffix;  // a device cache holds its own copy of the hottest experts
      op.act_read_bytes = rows * k * act_;
      op.act_write_bytes = rows * n * act_;
      op.output_bytes = op.act_write_bytes;
      op.host_expert = host;
      std::vector<OpId> deps = inputs_of({input}, t);
      add_gemm_io(op, rows, n, k, op.m, layer, role, deps, t);
      out.push_back(g_.add(op, deps));
    }
    return out;
  };
  const double width = static_cast<double>(m_.intermediate) / split;
  Ranked act;
  if (m_.gated_mlp) {
    Ranked gate, up;
    if (o_.fuse_gate_up) {
      gate = up = project("ffn_gate", in, false, 2.0);
    } else {
      gate = project("ffn_gate", in, false, 1.0);
      up = project("ffn_up", in, false, 1.0);
    }
    act = elementwise("ffn_act" + suffix, layer, "mlp", variant_key("ffn_act", m_.activation), rows * width, 2.0,
                      {gate, up}, 6.0, activation_fn_);
  } else {
    Ranked up = project("ffn_up", in, false, 1.0);
    act = elementwise("ffn_act" + suffix, layer, "mlp", variant_key("ffn_act", m_.activation), rows * width, 1.0, {up},
                      8.0, activation_fn_);
  }
  for (OpId id : act) g_.op(id).host_expert = host;
  return project("ffn_down", act, true, 1.0);
}

// The shared expert: a dense gated MLP every token passes through (Qwen2-MoE scales it by a
// sigmoid gate). `split`: over the tensor ranks; else whole, on each rank's 1/tp of the tokens.
Ranked StepBuilder::shared_expert(int layer, const Ranked& normed, bool split) {
  const double rows = split ? tokens_ : tokens_ / tp_;
  const double width = static_cast<double>(m_.shared_expert_intermediate) / (split ? tp_ : 1);
  Ranked gate = matmul("ffn_gate_shexp", layer, "mlp", rows, {normed}, false);
  Ranked up = matmul("ffn_up_shexp", layer, "mlp", rows, {normed}, false);
  Ranked act = elementwise("ffn_act_shexp", layer, "mlp", variant_key("ffn_act", m_.activation), rows * width, 2.0,
                           {gate, up}, 6.0, activation_fn_);
  Ranked out = matmul("ffn_down_shexp", layer, "mlp", rows, {act}, true);
  if (m_.shared_expert_gate) {
    Ranked g = matmul("ffn_gate_inp_shexp", layer, "mlp", rows, {normed}, false);
    out = elementwise("shexp_gate", layer, "mlp", "elementwise", rows * h_, 2.0, {out, g}, 5.0, "exp");
  }
  return out;
}

// Every rank of the stage sends `bytes` in all, spread evenly over the others; every rank's
// consumer waits for the exchange.
Ranked StepBuilder::all_to_all(const std::string& what, int layer, double bytes, const std::vector<OpId>& in) {
  Op op = make(what, OpKind::collective, "comm", layer, "collective", 0);
  op.name = name(layer, what, 0);
  op.collective = Collective::all_to_all;
  op.comm_bytes = bytes;
  op.output_bytes = bytes;
  for (int r = 0; r < ranks_per_stage_; ++r) op.ranks.push_back(stage_ * ranks_per_stage_ + r);
  const OpId id = g_.add(op, in);
  return Ranked(static_cast<std::size_t>(emitted_ranks_), id);
}

}  // namespace llmsim::workloads::lowering_detail
