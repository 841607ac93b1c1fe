// The step itself: micro-batches, pipeline stages and layers in order, the embedding, the
// tensor-parallel collectives and stage hand-offs, the LM head and sampling.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

OpGraph StepBuilder::build() {
  for (mb_ = 0; mb_ < o_.microbatches; ++mb_) {
    if (o_.sequences.empty()) {
      LoweringOptions part = o_;
      const int64_t group = o_.batch / dp_;  // the sequences of one attention data-parallel group
      part.batch = group / o_.microbatches + (mb_ < group % o_.microbatches ? 1 : 0);
      shape_ = step_shape(m_, part);
    } else {
      shape_ = step_shape(m_, o_);
    }
    batch_ = shape_.sequences;
    tokens_ = shape_.tokens;
    stage_ = 0;
    Ranked x = embedding();
    std::set<LayerKind> kinds;  // already lowered
    for (stage_ = 0; stage_ < o_.pp; ++stage_) {
      if (stage_ > 0) x = send_from_previous_stage(x);
      const auto [first, last] = stage_layers(static_cast<int>(m_.layers), stage_, o_.pp);
      for (int layer = first; layer < last; ++layer) {
        if (o_.representative_layers) {
          const auto kind = layer_kind(layer);
          if (!kinds.insert(kind).second) {
            ++multiplicity_[representative_[kind]];
            continue;
          }
          representative_[kind] = layer;
          multiplicity_[layer] = 1;
        }
        x = transformer_layer(layer, x);
      }
    }
    stage_ = o_.pp - 1;
    x = gather_sequence("output_allgather", -1, norm("output_norm", -1, "norm", x, 0, sequence_rows()));
    OpId logits = lm_head(x);
    if (o_.sample && !o_.training) sampling(logits);
  }
  return std::move(g_);
}

StepBuilder::LayerKind StepBuilder::layer_kind(int layer) const {
  const int64_t window = m_.attention_window.empty() ? 0 : m_.attention_window[static_cast<std::size_t>(layer)];
  return {m_.layer_type(layer), m_.is_cross_attention_layer(layer), window,
          w_.layer_formats(layer), layer < o_.host_expert_layers};
}

Ranked StepBuilder::collective(const std::string& what, int layer, Collective type, double bytes,
                               const Ranked& in) {
  if (tp_ == 1) return in;
  Op op = make(what, OpKind::collective, "comm", layer, "collective", 0);
  op.name = name(layer, what, 0);
  op.collective = type;
  op.comm_bytes = bytes;
  op.output_bytes = bytes;
  for (int t = 0; t < tp_; ++t) op.ranks.push_back(rank(t));  // all ranks take part, emitted or not
  const OpId id = g_.add(op, in);
  return Ranked(static_cast<std::size_t>(emitted_ranks_), id);
}

Ranked StepBuilder::reduce_block_output(const std::string& block, int layer, const Ranked& partial) {
  const double bytes = tokens_ * h_ * act_;
  if (!sp_) return collective(block + "_allreduce", layer, Collective::all_reduce, bytes, partial);
  Ranked out = collective(block + "_reducescatter", layer, Collective::reduce_scatter, bytes, partial);
  for (OpId id : out) g_.op(id).output_bytes = bytes / tp_;  // each rank keeps its shard
  return out;
}

Ranked StepBuilder::gather_sequence(const std::string& what, int layer, const Ranked& shard) {
  if (!sp_) return shard;
  Ranked out = collective(what, layer, Collective::all_gather, tokens_ * h_ * act_, shard);
  // Megatron keeps the shard, not the gathered copy, for the backward (it gathers again there,
  // overlapped with the data gradient; that second gather is not simulated).
  for (OpId id : out) g_.op(id).output_bytes = tokens_ * h_ * act_ / tp_;
  return out;
}

Ranked StepBuilder::gather_context(int layer, const Ranked& k, const Ranked& v) {
  if (cp_ <= 1) return v;
  const double own = tokens_ * 2.0 * static_cast<double>(kv_heads_rank_ * m_.head_dim) * act_;
  Ranked out;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = make("cp_kv_allgather", OpKind::collective, "comm", layer, "collective", t);
    op.collective = Collective::all_gather;
    op.comm_bytes = own * cp_;  // the whole sequence's K and V of this tensor rank's heads
    op.output_bytes = own;      // the backward passes the chunks around again; only the own one is kept
    for (int c = 0; c < cp_; ++c) op.ranks.push_back(rank(t) + c * tp_);
    out.push_back(g_.add(op, inputs_of({k, v}, t)));
  }
  return out;
}

Ranked StepBuilder::send_from_previous_stage(const Ranked& x) {
  Ranked out;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = make("stage_send", OpKind::send, "comm", -1, "send", t);
    op.comm_bytes = sequence_rows() * h_ * act_;  // a sequence shard under sequence parallelism
    op.output_bytes = op.comm_bytes;
    op.ranks = {(stage_ - 1) * ranks_per_stage_ + t, rank(t)};
    out.push_back(g_.add(op, {x[static_cast<std::size_t>(t)]}));
  }
  return out;
}

Ranked StepBuilder::embedding() {
  const WeightTensor& table = w_.get("token_embd", -1);
  Ranked out;
  for (int t = 0; t < emitted_ranks_; ++t) {
    // Vocabulary-parallel: each rank holds vocab/tp rows and gathers the ones it owns.
    Op op = make("embedding", OpKind::embedding, "embedding", -1, "embedding", t);
    set_weights(op, table, tokens_ * h_ / tp_, table.elements() / tp_);
    if (const WeightTensor* pos = w_.find("pos_embd", -1)) {
      op.weight_bytes += tokens_ * pos->format->bytes(h_);
      op.weight_resident_bytes += mb_ == 0 ? pos->bytes() : 0.0;
      op.vector_ops += tokens_ * h_;
    }
    if (m_.scale_embeddings) op.vector_ops += tokens_ * h_;
    op.act_write_bytes = tokens_ * h_ * act_;
    op.output_bytes = op.act_write_bytes;
    out.push_back(g_.add(op, {}));
  }
  return reduce_block_output("embedding", -1, out);
}

Ranked StepBuilder::transformer_layer(int layer, const Ranked& x) {
  const LayerType type = m_.layer_type(layer);
  if (type == LayerType::mamba1) return mamba1_layer(layer, x);
  if (type == LayerType::rwkv4) return rwkv4_layer(layer, x);
  if (type != LayerType::attention && type != LayerType::deltanet) return recurrent_layer(layer, x);
  if (m_.is_cross_attention_layer(layer)) {
    // Without an image the cross-attention layers are skipped (as transformers does).
    return o_.vision_tokens > 0 ? cross_attention_layer(layer, x) : x;
  }
  const double rows = sequence_rows();
  Ranked normed = gather_sequence("attn_allgather", layer, norm("attn_norm", layer, "norm", x, 0, rows));
  Ranked attn = type == LayerType::deltanet ? deltanet_block(layer, normed) : attention_block(layer, normed);
  if (m_.sandwich_norm) attn = norm("post_attention_norm", layer, "norm", attn, 0, rows);
  if (m_.parallel_residual) {
    Ranked mlp = mlp_block(layer, normed);
    return elementwise("residual", layer, "other", "residual", rows * h_, 3.0, {x, attn, mlp});
  }
  Ranked mid = elementwise("attn_residual", layer, "other", "residual", rows * h_, 2.0, {x, attn});
  Ranked mlp = mlp_block(layer, gather_sequence("mlp_allgather", layer, norm("ffn_norm", layer, "norm", mid, 0, rows)));
  if (m_.sandwich_norm) mlp = norm("post_ffw_norm", layer, "norm", mlp, 0, rows);
  return elementwise("ffn_residual", layer, "other", "residual", rows * h_, 2.0, {mid, mlp});
}

OpId StepBuilder::lm_head(const Ranked& x) {
  // Only the last token of each sequence is projected to logits; the vocabulary is split
  // over the ranks and the logits gathered.
  const std::string role = w_.find("output", -1) ? "output" : "token_embd";
  const double rows = shape_.logits_rows;
  Ranked logits = matmul(role, -1, "lm_head", rows, {x}, false, "lm_head");
  const bool tied = role == "token_embd";
  for (OpId id : logits) {
    Op& op = g_.op(id);
    op.act_read_bytes = rows * h_ * act_;
    op.act_write_bytes = rows * op.n * 4.0;  // logits in f32
    op.output_bytes = op.act_write_bytes;
    if (tied) op.weight_key = "token_embd@-1";  // the same stored table as the embedding
  }
  const double vocab = static_cast<double>(m_.vocab);
  // An all-gather's payload is the whole gathered buffer; a ring moves (N-1)/N of it per link.
  return collective("logits_allgather", -1, Collective::all_gather, rows * vocab * 4.0, logits)[0];
}

void StepBuilder::sampling(OpId logits) {
  Op op = make("sampling", OpKind::sampling, "other", -1, "sampling", 0);
  const double values = shape_.logits_rows * static_cast<double>(m_.vocab);
  op.vector_ops = values * 3.0;
  op.act_read_bytes = values * 4.0;
  op.act_write_bytes = shape_.logits_rows * 4.0;
  op.output_bytes = op.act_write_bytes;
  g_.add(op, {logits});
}

}  // namespace llmsim::workloads::lowering_detail
