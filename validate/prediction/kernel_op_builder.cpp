#include "validate/prediction/kernel_op_builder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "validate/proto/kernel_class_names.hpp"

namespace llmsim::validate {

namespace {

using measurements::Measurement;
using workloads::Op;
using workloads::OpKind;

Op base_op(const Measurement& r, OpKind kind) {
  Op op;
  op.name = r.id();
  op.kind = kind;
  op.group = measurements::kernel_class_name(r.kernel());
  op.kernels = 1;
  op.flops = 0;
  op.act_read_bytes = r.work().bytes_read();
  op.act_write_bytes = r.work().bytes_written();
  return op;
}

// The storage dtype of a record's matrix operand: tf32 kernels store f32.
std::string storage_dtype(const std::string& dtype) { return dtype == "tf32" ? "f32" : dtype; }

// A GEMM or GEMV record: its M x N x K, the weight's bytes in its storage format and the
// activations' as the rest of what it read.
WeightedOp matmul_op(const Measurement& r, const workloads::StorageFormat& format) {
  WeightedOp w;
  Op& op = w.op;
  op = base_op(r, OpKind::matmul);
  const auto& s = r.shape();
  op.m = r.kernel() == measurements::KERNEL_CLASS_GEMV ? 1.0 : static_cast<double>(s.m());
  op.n = static_cast<double>(s.n());
  op.k = static_cast<double>(s.k());
  op.flops = r.work().flops();
  op.weight_elements = op.n * op.k;
  op.weight_format = format.name;
  op.weight_family = format.family;
  op.weight_bytes = std::min(format.bytes(op.weight_elements), r.work().bytes_read());
  op.act_read_bytes = r.work().bytes_read() - op.weight_bytes;
  if (r.kernel() == measurements::KERNEL_CLASS_GEMM) {
    op.kernel_path = workloads::KernelPath::matrix;  // cblas_sgemm / cublasGemmEx even at M = 1
    if (!r.compute_dtype().empty()) w.matrix_dtype = r.compute_dtype();
  }
  return w;
}

// Decode attention over a cached context: QK and PV as matrix work, softmax on the vector
// units, the K and V cache read in the record's KV format.
Op decode_attention_op(const Measurement& r, const workloads::StorageFormat& format) {
  const auto& s = r.shape();
  const double heads = static_cast<double>(s.heads());
  const double kv_heads = static_cast<double>(s.kv_heads() > 0 ? s.kv_heads() : s.heads());
  const double context = static_cast<double>(s.context());
  const double head_dim = static_cast<double>(s.head_dim());
  const double batch = static_cast<double>(std::max<std::int64_t>(s.batch(), 1));
  Op op = base_op(r, OpKind::attention);
  op.m = 1;
  op.n = context;
  op.k = head_dim;
  op.batch_count = heads * batch;
  op.operand_family = format.family;
  op.flops = 4.0 * heads * head_dim * context * batch;
  op.vector_ops = std::max(0.0, r.work().flops() - op.flops);
  op.transcendentals = heads * context * batch;  // softmax: one exp per score
  op.transcendental_fn = "exp";
  op.kv_read_bytes = std::min(format.bytes(2.0 * context * kv_heads * head_dim * batch), r.work().bytes_read());
  op.act_read_bytes = r.work().bytes_read() - op.kv_read_bytes;
  return op;
}

}  // namespace

const workloads::StorageFormat* KernelOpBuilder::format_of(const std::string& dtype) const {
  const auto names = formats_.format_names();
  const std::string name = storage_dtype(dtype);
  if (std::find(names.begin(), names.end(), name) == names.end()) return nullptr;
  return &formats_.format(name);
}

std::optional<WeightedOp> KernelOpBuilder::build(const Measurement& r, std::string& why_not) const {
  if (r.timing().median_s() <= 0) {
    why_not = "states a rate without a shape or time (a 'best of several sizes' figure)";
    return std::nullopt;
  }
  WeightedOp w;
  Op& op = w.op;
  switch (r.kernel()) {
    case measurements::KERNEL_CLASS_COPY:
    case measurements::KERNEL_CLASS_TRIAD:
      op = base_op(r, OpKind::elementwise);
      op.vector_ops = r.work().flops();
      w.stream = true;
      break;
    case measurements::KERNEL_CLASS_RMSNORM:
      op = base_op(r, OpKind::norm);
      op.vector_ops = r.work().flops();
      break;
    case measurements::KERNEL_CLASS_SILU:  // x / (1 + exp(-x))
    case measurements::KERNEL_CLASS_GELU:  // 0.5 x (1 + tanh(...))
      op = base_op(r, OpKind::elementwise);
      op.vector_ops = r.work().flops();
      op.transcendentals = static_cast<double>(r.shape().elements());
      op.transcendental_fn = r.kernel() == measurements::KERNEL_CLASS_GELU ? "tanh" : "exp";
      break;
    case measurements::KERNEL_CLASS_GEMM:
    case measurements::KERNEL_CLASS_GEMV: {
      const auto* format = format_of(r.dtype());
      if (!format) {
        why_not = fmt::format("dtype '{}' is not a storage format of workloads/formats.yaml", r.dtype());
        return std::nullopt;
      }
      w = matmul_op(r, *format);
      break;
    }
    case measurements::KERNEL_CLASS_ATTENTION_DECODE: {
      const auto* format = format_of(r.dtype());
      if (!format) {
        why_not = fmt::format("KV dtype '{}' is not a storage format of workloads/formats.yaml", r.dtype());
        return std::nullopt;
      }
      op = decode_attention_op(r, *format);
      break;
    }
    default:
      why_not = fmt::format("{} records are predicted from the lowered model, not as one kernel",
                            measurements::kernel_class_name(r.kernel()));
      return std::nullopt;
  }
  if (op.bytes() <= 0 && op.flops <= 0 && op.vector_ops <= 0) {
    why_not = "states no work (flops and bytes are 0)";
    return std::nullopt;
  }
  return w;
}

double working_set_bytes(const Measurement& r) {
  const bool stream = r.kernel() == measurements::KERNEL_CLASS_COPY || r.kernel() == measurements::KERNEL_CLASS_TRIAD;
  if (stream && r.shape().bytes() > 0) return static_cast<double>(r.shape().bytes());
  return r.work().bytes_moved() > 0 ? r.work().bytes_moved() : r.work().bytes_read() + r.work().bytes_written();
}

bool cache_resident(const Measurement& r) {
  const auto k = r.kernel();
  if (k == measurements::KERNEL_CLASS_DECODE_STEP || k == measurements::KERNEL_CLASS_PREFILL_STEP ||
      k == measurements::KERNEL_CLASS_OP) {
    return false;  // a step streams the whole model; its ops do not run on warm caches alone
  }
  // A few KiB take the launch and the first touches of the data whether cached or not:
  // those still say something the model describes (the launch overhead).
  constexpr double kTiny = 64 * 1024;
  const double cache = r.device().l3_bytes() > 0 ? static_cast<double>(r.device().l3_bytes())
                                                 : static_cast<double>(r.device().l2_bytes());
  const double bytes = working_set_bytes(r);
  return cache > 0 && bytes > kTiny && bytes <= cache;
}

}  // namespace llmsim::validate
