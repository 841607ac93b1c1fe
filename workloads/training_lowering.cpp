#include "workloads/training_lowering.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/input_error.hpp"
#include "workloads/saved_activations.hpp"

namespace llmsim::workloads {

namespace {

bool is_elementwise_like(OpKind k) { return k == OpKind::elementwise || k == OpKind::rope || k == OpKind::router; }

// Builds the training graph rank by rank, micro-batch by micro-batch.
class TrainingBuilder {
 public:
  TrainingBuilder(const OpGraph& forward, const TrainingOptions& o, const PrecisionBytes& p, double tensors)
      : fwd_(forward), o_(o), p_(p), tensors_(tensors) {}

  OpGraph build(TrainingStep& step) {
    std::vector<std::vector<OpId>> bucket_grads;  // per bucket, the weight-grad ops of every rank
    std::vector<double> bucket_bytes;
    const double all_grads = step.parameters * p_.grad;
    std::vector<OpId> last_of_rank;
    for (int rank = 0; rank < o_.dp; ++rank) {
      std::optional<OpId> previous;
      std::vector<Grad> grads_in_order;  // last micro-batch's weight grads, backward order
      for (int64_t mb = 0; mb < o_.accumulation; ++mb) {
        const bool last = mb + 1 == o_.accumulation;
        previous = micro_batch(rank, mb, previous, last ? &grads_in_order : nullptr, step);
      }
      // DDP buckets: gradients in the order backward produces them, ~bucket_bytes each.
      std::size_t bucket = 0;
      double filled = 0, covered = 0;
      for (const Grad& g : grads_in_order) {
        if (bucket_grads.size() <= bucket) {
          bucket_grads.emplace_back();
          bucket_bytes.push_back(0);
        }
        bucket_grads[bucket].push_back(g.op);
        if (rank == 0) bucket_bytes[bucket] += g.bytes;
        filled += g.bytes;
        covered += g.bytes;
        if (filled >= o_.bucket_bytes) {
          ++bucket;
          filled = 0;
        }
      }
      // Gradients no op above accounts for as a whole tensor (embedding tables, of which the
      // backward touches only the rows seen) are reduced in full with the last bucket: DDP
      // all-reduces every parameter's gradient.
      if (rank == 0 && !bucket_bytes.empty()) bucket_bytes.back() += std::max(0.0, all_grads - covered);
      last_of_rank.push_back(*previous);
    }
    std::vector<OpId> reduced;
    if (o_.dp > 1) {
      for (std::size_t b = 0; b < bucket_grads.size(); ++b) {
        Op ar;
        ar.name = fmt::format("grad_allreduce.b{}", b);
        ar.kind = OpKind::collective;
        ar.group = "comm";
        ar.collective = Collective::all_reduce;
        ar.comm_bytes = bucket_bytes[b];
        ar.output_bytes = bucket_bytes[b];
        for (int r = 0; r < o_.dp; ++r) ar.ranks.push_back(r);
        reduced.push_back(g_.add(ar, bucket_grads[b]));
      }
    }
    if (o_.dp == 1 && (o_.base.tp > 1 || o_.base.pp > 1 || o_.base.ep > 1)) {
      // One replica split over tensor and pipeline ranks: each updates its share of the parameters.
      // Each rank's update waits for its own last backward op, not another stage's.
      std::map<int, OpId> last_on_rank;
      for (OpId v = 0; v < g_.size(); ++v) {
        if (!g_.op(v).is_communication()) last_on_rank[g_.op(v).rank] = v;
      }
      const double share = 1.0 / static_cast<double>(std::max(o_.base.tp, o_.base.ep) * o_.base.pp);
      for (const auto& [r, last] : last_on_rank) optimizer(r, {last}, step, share);
      return std::move(g_);
    }
    for (int rank = 0; rank < o_.dp; ++rank)
      optimizer(rank, reduced.empty() ? std::vector<OpId>{last_of_rank[static_cast<std::size_t>(rank)]} : reduced,
                step);
    return std::move(g_);
  }

 private:
  // The family a matmul runs as: the GEMM dtype, but FP8 training keeps the LM head in the
  // compute dtype (Megatron/TE run only the transformer layers' linear layers in FP8).
  std::string gemm_family(const Op& op) const { return workloads::gemm_family(op, p_); }
  static double gemm_weight_bytes(const std::string& family) {
    return family == "float32" ? 4.0 : family == "float8" ? 1.0 : 2.0;
  }

  // fp32 parameters with half-precision matmuls: torch.autocast casts each weight per forward.
  bool autocast() const { return p_.compute_dtype != "float32" && p_.weight == 4; }

  std::string tag(const std::string& name, int rank, int64_t mb, const char* phase) const {
    std::string out = name + phase;
    if (o_.dp > 1) out += fmt::format("@r{}", rank);
    if (o_.accumulation > 1) out += fmt::format(".m{}", mb);
    return out;
  }

  // torch.compile-like fusion: element-wise chains fold into their neighbours' kernels.
  void fuse(Op& op) const {
    if (!o_.fused) return;
    if (is_elementwise_like(op.kind)) {
      op.kernels = 0;
      op.act_read_bytes = 0;
      op.act_write_bytes = 0;
    } else if (op.kind == OpKind::norm) {
      op.kernels = std::min(op.kernels, 1);
    } else if (op.kind == OpKind::scan && op.kernels > 8) {
      op.kernels = std::max(1, op.kernels / 4);  // a compiled per-token loop: ~2 kernels a token
    }
  }

  // With data parallelism in the graph the rank is the replica's; with tensor/pipeline
  // parallelism (one replica) every op keeps the rank of the forward op it derives from.
  OpId add(Op op, int rank, std::vector<OpId> inputs) {
    if (o_.dp > 1) op.rank = rank;
    return g_.add(std::move(op), inputs);
  }

  struct Grad {
    OpId op;       // the op that finishes this gradient
    double bytes;  // the gradient's size
  };

  using LayerOps = std::map<int, std::vector<OpId>>;  // forward op indices per layer

  // Forward, loss and backward of one micro-batch; returns its last op.
  OpId micro_batch(int rank, int64_t mb, std::optional<OpId> after, std::vector<Grad>* grads, TrainingStep& step) {
    std::vector<OpId> fwd_id(fwd_.size());
    LayerOps layer_ops;
    forward(rank, mb, after, step, fwd_id, layer_ops);
    const OpId loss_id = add_loss(rank, mb, fwd_id);
    const OpId last = backward_pass(rank, mb, loss_id, fwd_id, layer_ops, grads);
    if (rank == 0 && mb == 0) count_saved_activations(layer_ops, step);
    return last;
  }

  // The forward ops of one micro-batch (with autocast's weight casts); fwd_id maps the
  // forward graph's ops to this step's.
  void forward(int rank, int64_t mb, std::optional<OpId> after, TrainingStep& step, std::vector<OpId>& fwd_id,
               LayerOps& layer_ops) {
    for (OpId v = 0; v < fwd_.size(); ++v) {
      Op op = fwd_.op(v);
      op.name = tag(op.name, rank, mb, "");
      op.microbatch = static_cast<int>(mb);
      std::vector<OpId> in;
      for (OpId u : fwd_.inputs(v)) in.push_back(fwd_id[u]);
      if (in.empty() && after) in.push_back(*after);
      if (op.kind == OpKind::matmul && autocast()) {
        // Autocast: the fp32 weight is cast to half before the matmul.
        Op cast;
        cast.name = op.name + ".cast";
        cast.kind = OpKind::elementwise;
        cast.group = op.group;
        cast.layer = op.layer;
        cast.weight_bytes = op.weight_elements * 4;
        cast.act_write_bytes = op.weight_elements * 2;
        cast.vector_ops = op.weight_elements;
        cast.microbatch = static_cast<int>(mb);
        cast.rank = op.rank;
        in.push_back(add(cast, rank, in));
        op.weight_bytes = op.weight_elements * 2;
      }
      if (op.kind == OpKind::matmul) op.weight_family = gemm_family(op);
      if (op.kind == OpKind::attention || op.kind == OpKind::scan) op.operand_family = p_.compute_dtype;
      fuse(op);
      fwd_id[v] = add(op, rank, in);
      if (rank == 0 && mb == 0)
        step.model_flops += 3.0 * fwd_.op(v).flops * static_cast<double>(o_.accumulation * o_.dp);
      if (op.layer >= 0) layer_ops[op.layer].push_back(v);
    }
  }

  OpId add_loss(int rank, int64_t mb, const std::vector<OpId>& fwd_id) {
    // Loss over every position's logits: cross-entropy and its gradient in one kernel pair.
    const OpId logits = fwd_id[fwd_.size() - 1];
    Op loss;
    loss.name = tag("loss", rank, mb, "");
    loss.kind = OpKind::loss;
    loss.group = "loss";
    loss.kernels = 2;
    const double logit_bytes = fwd_.op(fwd_.size() - 1).act_write_bytes;
    loss.vector_ops = 8.0 * logit_bytes / 4.0;
    loss.act_read_bytes = logit_bytes;
    loss.act_write_bytes = logit_bytes;
    loss.output_bytes = logit_bytes;
    loss.rank = fwd_.op(fwd_.size() - 1).rank;  // on the last stage, with the logits
    return add(loss, rank, {logits});
  }

  // The backward ops in reverse order, with each layer's recomputation before its backward
  // under full checkpointing, or each attention's under selective; returns the last.
  OpId backward_pass(int rank, int64_t mb, OpId loss_id, const std::vector<OpId>& fwd_id, LayerOps& layer_ops,
                     std::vector<Grad>* grads) {
    // Backward in reverse order; grad_of[v] is the op that produced dL/d(output of v).
    std::vector<std::vector<OpId>> grad_inputs(fwd_.size());
    grad_inputs[fwd_.size() - 1].push_back(loss_id);
    std::vector<OpId> input_grad(fwd_.size());
    std::set<int> recomputed;
    std::map<OpId, OpId> recompute_id;
    OpId last = loss_id;
    for (OpId i = fwd_.size(); i-- > 0;) {
      const Op& f = fwd_.op(i);
      std::vector<OpId> deps = grad_inputs[i];
      if (deps.empty()) deps.push_back(last);
      if (o_.checkpointing == Checkpointing::full && f.layer >= 0 && !recomputed.count(f.layer)) {
        // Recompute this layer's forward from its saved input before its backward.
        recomputed.insert(f.layer);
        for (OpId v : layer_ops[f.layer]) {
          Op again = g_.op(fwd_id[v]);
          again.name += ".recompute";
          again.group = "recompute";
          std::vector<OpId> in{last};
          for (OpId u : fwd_.inputs(v))
            if (recompute_id.count(u)) in.push_back(recompute_id[u]);
          recompute_id[v] = add(again, rank, in);
          last = recompute_id[v];
        }
      }
      if (o_.checkpointing == Checkpointing::selective && f.kind == OpKind::attention) {
        // Recompute the core attention alone from the q, k and v that were kept.
        Op again = g_.op(fwd_id[i]);
        again.name += ".recompute";
        again.group = "recompute";
        recompute_id[i] = add(again, rank, {last});
      }
      if (recompute_id.count(i)) deps.push_back(recompute_id[i]);
      const OpId dx = backward(f, rank, mb, deps, grads);
      last = dx;
      for (OpId u : fwd_.inputs(i)) grad_inputs[u].push_back(dx);
    }
    return last;
  }

  // What the backward reads of one micro-batch (workloads/saved_activations.cpp).
  void count_saved_activations(const LayerOps& layer_ops, TrainingStep& step) const {
    step.saved_activations =
        saved_activation_bytes(fwd_, o_.checkpointing, o_.base.activation_format->bytes(1.0), p_, layer_ops.size());
  }

  // The backward op(s) of forward op f; returns the one producing the gradient of f's input.
  OpId backward(const Op& f, int rank, int64_t mb, const std::vector<OpId>& deps, std::vector<Grad>* grads) {
    if (f.kind == OpKind::collective || f.kind == OpKind::send) {
      // Tensor parallelism's conjugate collective (the gradient of an all-reduce's input is
      // all-reduced too, an all-gather's is reduce-scattered: the same ring volume); a stage
      // hand-over sends the activation gradient back.
      Op c = f;
      c.name = tag(f.name, rank, mb, ".bwd");
      c.microbatch = static_cast<int>(mb);
      if (f.kind == OpKind::send) std::swap(c.ranks[0], c.ranks[1]);
      return add(c, rank, deps);
    }
    Op b;
    b.rank = f.rank;
    b.kind = f.kind;
    b.group = f.group;
    b.layer = f.layer;
    b.kernels = f.kernels;
    b.microbatch = static_cast<int>(mb);
    b.operand_family = p_.compute_dtype;
    if (f.kind == OpKind::matmul) {
      // dX = dY W^T and dW = X^T dY: two GEMMs with the forward's FLOPs each.
      b.name = tag(f.name, rank, mb, ".dgrad");
      b.m = f.m, b.n = f.k, b.k = f.n, b.batch_count = f.batch_count;
      b.flops = f.flops;
      b.weight_family = gemm_family(f);
      b.weight_bytes = f.weight_elements * gemm_weight_bytes(b.weight_family);
      b.weight_elements = f.weight_elements;
      b.act_read_bytes = f.act_write_bytes;
      b.act_write_bytes = f.act_read_bytes;
      b.output_bytes = f.act_read_bytes;
      fuse(b);
      const OpId dx = add(b, rank, deps);
      Op w = b;
      w.name = tag(f.name, rank, mb, ".wgrad");
      w.m = f.n, w.n = f.k, w.k = f.m;
      w.weight_bytes = 0;
      w.act_read_bytes = f.act_read_bytes + f.act_write_bytes;
      w.act_write_bytes = f.weight_elements * p_.grad;
      if (mb > 0) w.act_read_bytes += f.weight_elements * p_.grad;  // accumulate into the grad buffer
      const OpId dw = add(w, rank, deps);
      if (grads) grads->push_back({dw, f.weight_elements * p_.grad});
      return dx;
    }
    b.name = tag(f.name, rank, mb, ".bwd");
    b.m = f.m, b.n = f.n, b.k = f.k, b.batch_count = f.batch_count;
    // Attention backward: five matmuls against the forward's two (FlashAttention-2); scans and
    // element-wise ops about twice their forward work.
    b.flops = f.flops * (f.kind == OpKind::attention ? 2.5 : 2.0);
    b.vector_ops = f.vector_ops * 2.0;
    // The backward of an activation or a softmax evaluates its function again (or reads it back).
    b.transcendentals = f.transcendentals;
    b.transcendental_fn = f.transcendental_fn;
    b.weight_bytes = f.weight_bytes;
    b.act_read_bytes = f.act_read_bytes + f.act_write_bytes;
    b.act_write_bytes = f.act_read_bytes;
    b.kv_read_bytes = f.kv_read_bytes;
    b.kv_write_bytes = f.kv_write_bytes;
    b.output_bytes = f.act_read_bytes;
    if (f.kind == OpKind::embedding) {
      // Scatter-add of dY into the gradient rows of the tokens seen: read dY, read and write rows.
      const double rows = f.act_write_bytes / p_.activation * p_.grad;
      b.act_read_bytes = f.act_write_bytes + rows;
      b.act_write_bytes = rows;
      b.weight_bytes = 0;
    }
    fuse(b);
    const OpId id = add(b, rank, deps);
    // Norm scales, conv taps, decays: small vectors stored in the weight dtype.
    if (grads && f.weight_bytes > 0 && f.kind != OpKind::embedding)
      grads->push_back({id, f.weight_bytes / p_.weight * p_.grad});
    return id;
  }

  void optimizer(int rank, const std::vector<OpId>& after, TrainingStep& step, double share = 1.0) {
    Op op;
    op.name = o_.dp > 1 || share < 1 ? fmt::format("adamw@r{}", rank) : "adamw";
    op.kind = OpKind::optimizer;
    op.group = "optimizer";
    const double n = step.parameters * share;
    // AdamW reads weight, grad and both moments and writes weight and moments (plus the
    // master copy's half cast under AMP on the next forward).
    op.vector_ops = 12.0 * n;
    op.act_read_bytes = n * (p_.weight + p_.master + p_.grad + p_.optimizer);
    op.act_write_bytes = n * (p_.weight + p_.master + p_.optimizer);
    // foreach AdamW: about a dozen kernel launches per ~110-tensor chunk; fused AdamW: one.
    op.kernels = o_.fused_optimizer ? 1 : 12 * static_cast<int>((tensors_ + 109) / 110);
    op.rank = rank;
    if (p_.compute_dtype == "float16" && autocast()) {
      Op unscale;  // GradScaler: unscale and inf check of every gradient
      unscale.name = op.name + ".unscale";
      unscale.kind = OpKind::elementwise;
      unscale.group = "optimizer";
      unscale.kernels = 3;
      unscale.vector_ops = 2 * n;
      unscale.act_read_bytes = n * p_.grad;
      unscale.act_write_bytes = n * p_.grad;
      unscale.rank = rank;
      g_.add(op, {g_.add(unscale, after)});
      return;
    }
    g_.add(op, after);
  }

  const OpGraph& fwd_;
  const TrainingOptions& o_;
  const PrecisionBytes& p_;
  double tensors_;  // parameter tensors: foreach AdamW launches per chunk of them
  OpGraph g_;
};

}  // namespace

TrainingStep lower_training_step(const ModelConfig& model, const ModelWeights& weights, const TrainingOptions& o) {
  if (o.micro_batch < 1) throw InputError("batch", fmt::format("must be at least 1, got {}", o.micro_batch));
  if (o.seq_len < 1) throw InputError("seq_len", fmt::format("must be at least 1, got {}", o.seq_len));
  if (o.seq_len > model.max_positions) {
    throw InputError("seq_len", fmt::format("{} tokens is longer than {} supports ({} positions)", o.seq_len, model.id,
                                            model.max_positions));
  }
  if (o.accumulation < 1 || o.dp < 1) throw InputError("accumulation", "accumulation and dp must be at least 1");
  if ((o.base.tp != 1 || o.base.pp != 1 || o.base.cp != 1) && o.dp != 1) {
    throw InputError("dp",
                     "a graph with tensor or pipeline ranks holds one data-parallel replica (dp = 1); the "
                     "layout simulation adds the replicas");
  }
  const PrecisionBytes p = precision_bytes(o.precision);
  LoweringOptions fwd = o.base;
  fwd.training = true;
  fwd.batch = o.micro_batch;
  fwd.new_tokens = o.seq_len;
  fwd.past_tokens = 0;
  fwd.sequences.clear();
  fwd.microbatches = 1;
  const OpGraph forward = lower_step(model, weights, fwd);

  TrainingStep step;
  step.parameters = weights.parameter_count();
  step.tokens = static_cast<double>(o.micro_batch * o.seq_len * o.accumulation * o.dp);
  step.weights_bytes = step.parameters * (p.weight + p.master);
  step.grads_bytes = step.parameters * p.grad;
  step.optimizer_bytes = step.parameters * p.optimizer;
  // Autocast keeps the half copies of the weights for the backward pass.
  step.cast_bytes = (p.compute_dtype != "float32" && p.weight == 4) ? step.parameters * 2.0 : 0.0;
  TrainingBuilder builder(forward, o, p, static_cast<double>(weights.tensors().size()));
  step.graph = builder.build(step);
  return step;
}

}  // namespace llmsim::workloads
