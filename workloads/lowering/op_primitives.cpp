// The builder's primitives every block is made of: norm, matmul (with the kernel path the
// lowering options select) and element-wise ops, each emitted once per tensor-parallel rank.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

Ranked StepBuilder::norm(const std::string& role, int layer, const std::string& group, const Ranked& input,
                         double width, double rows) {
  width = width > 0 ? width : h_;
  rows = rows > 0 ? rows : tokens_;
  Ranked out;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op =
        make(role, OpKind::norm, group, layer, variant_key("norm", m_.norm == NormKind::layer ? "layer" : "rms"), t);
    op.vector_ops = rows * width * (m_.norm == NormKind::layer ? 7.0 : 5.0);
    op.act_read_bytes = rows * width * act_;
    op.act_write_bytes = rows * width * act_;
    op.output_bytes = op.act_write_bytes;
    op.weight_bytes = vector_bytes(role, layer) + vector_bytes(role + ".bias", layer);
    op.weight_key = fmt::format("{}@{}", role, layer);
    op.weight_resident_bytes = mb_ == 0 ? op.weight_bytes : 0.0;
    out.push_back(g_.add(op, {input.size() == 1 ? input[0] : input[static_cast<std::size_t>(t)]}));
  }
  return out;
}

Ranked StepBuilder::matmul(const std::string& role, int layer, const std::string& group, double m,
                           const std::vector<Ranked>& inputs, bool row_parallel, const std::string& label) {
  const WeightTensor& wt = w_.get(role, layer);
  // KV projections are replicated when there are fewer KV heads than ranks.
  const bool kv_role = role == "attn_k" || role == "attn_v";
  // MLA's down-projections feed the latent every rank keeps whole: replicated, not split.
  // Under expert parallelism each rank runs the shared expert whole on its own tokens.
  const bool replicated = role == "attn_q_a" || role == "attn_kv_a_mqa" || role == "ffn_gate_inp_shexp" ||
                          (o_.ep > 1 && role.find("_shexp") != std::string::npos);
  const double split = kv_role      ? static_cast<double>(m_.kv_heads) / static_cast<double>(kv_heads_rank_)
                       : replicated ? 1.0
                                    : tp_;
  const double n = row_parallel ? wt.rows : wt.rows / split;
  const double k = row_parallel ? wt.cols / split : wt.cols;
  Ranked out;
  for (int t = 0; t < emitted_ranks_; ++t) {
    // Some stacks launch more kernels for some weight formats ("matmul.int8").
    Op op =
        make(label.empty() ? role : label, OpKind::matmul, group, layer, variant_key("matmul", wt.format->family), t);
    const double rows_out = m;
    op.flops = 2.0 * rows_out * n * k;
    op.m = m;
    op.n = n;
    op.k = k;
    set_weights(op, wt, n * k, n * k);
    op.act_read_bytes = rows_out * k * act_;
    op.act_write_bytes = rows_out * n * act_;
    op.output_bytes = op.act_write_bytes;
    if (const WeightTensor* bias = w_.find(role + ".bias", layer)) {
      const double bias_bytes = row_parallel ? bias->bytes() : bias->bytes() / split;
      op.weight_bytes += bias_bytes;
      op.weight_resident_bytes += mb_ == 0 ? bias_bytes : 0.0;
      op.vector_ops += rows_out * n;
    }
    std::vector<OpId> in = inputs_of(inputs, t);
    add_gemm_io(op, rows_out, n, k, m, layer, role, in, t);
    out.push_back(g_.add(op, in));
  }
  return out;
}

void StepBuilder::add_gemm_io(Op& op, double rows, double n, double k, double m_per_copy, int layer,
                              const std::string& role, std::vector<OpId>& in, int t) {
  op.kernel_path = choose_kernel_path(o_.kernel_path_rule(), m_per_copy, op.weight_family);
  const bool gemm_path = on_matrix_units(op.kernel_path);
  if (gemm_path && o_.gemm_converts_io) {
    op.kernels += 2;
    op.act_read_bytes += rows * (k + n) * 2.0;
    op.act_write_bytes += rows * (k + n) * 2.0;
  }
  if (op.kernel_path == KernelPath::dequantise_first) {
    Op dq = make(role + ".dequant", OpKind::dequantize, op.group, layer, "dequantize", t);
    dq.host_expert = op.host_expert;  // expands where the packed weights are
    dq.weight_bytes = op.weight_bytes;
    dq.weight_elements = op.weight_elements;
    dq.weight_format = op.weight_format;
    dq.weight_family = op.weight_family;
    dq.weight_key = op.weight_key;
    dq.weight_resident_bytes = op.weight_resident_bytes;
    dq.act_write_bytes = op.weight_elements * 2.0;
    dq.output_bytes = dq.act_write_bytes;
    in.push_back(g_.add(dq, in));
    op.weight_bytes = op.weight_elements * 2.0;
    op.weight_family = "float16";
    op.weight_format = "f16";
    op.weight_key.clear();  // the expanded copy is a temporary, the packed tensor is stored once
    op.weight_resident_bytes = 0;
    op.reads_expanded_weights = true;
  }
}

Ranked StepBuilder::elementwise(const std::string& what, int layer, const std::string& group,
                                const std::string& kernel_key, double elements, double inputs_read,
                                const std::vector<Ranked>& inputs, double ops_per_element,
                                const std::string& transcendental_fn) {
  Ranked out;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = make(what, OpKind::elementwise, group, layer, kernel_key, t);
    op.vector_ops = elements * ops_per_element;
    if (!transcendental_fn.empty()) {
      op.transcendentals = elements;  // one evaluation per element
      op.transcendental_fn = transcendental_fn;
    }
    op.act_read_bytes = elements * inputs_read * act_;
    op.act_write_bytes = elements * act_;
    op.output_bytes = op.act_write_bytes;
    out.push_back(g_.add(op, inputs_of(inputs, t)));
  }
  return out;
}

Ranked StepBuilder::weighted_elementwise(const std::string& what, int layer, const std::string& group, double elements,
                                         double inputs_read, const std::vector<Ranked>& in, double ops,
                                         const std::string& weights) {
  Ranked out = elementwise(what, layer, group, "elementwise", elements, inputs_read, in, ops);
  for (OpId id : out) {
    g_.op(id).weight_bytes = vector_bytes(weights, layer);
    g_.op(id).weight_key = fmt::format("{}@{}", weights, layer);
    g_.op(id).weight_resident_bytes = mb_ == 0 ? g_.op(id).weight_bytes : 0.0;
  }
  return out;
}

}  // namespace llmsim::workloads::lowering_detail
