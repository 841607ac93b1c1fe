#include "workloads/op.hpp"

namespace llmsim::workloads {

std::string to_string(OpKind kind) {
  switch (kind) {
    case OpKind::embedding: return "embedding";
    case OpKind::norm: return "norm";
    case OpKind::matmul: return "matmul";
    case OpKind::rope: return "rope";
    case OpKind::kv_store: return "kv_store";
    case OpKind::attention: return "attention";
    case OpKind::elementwise: return "elementwise";
    case OpKind::router: return "router";
    case OpKind::dequantize: return "dequantize";
    case OpKind::sampling: return "sampling";
    case OpKind::collective: return "collective";
    case OpKind::send: return "send";
    case OpKind::transfer: return "transfer";
    case OpKind::scan: return "scan";
    case OpKind::loss: return "loss";
    case OpKind::optimizer: return "optimizer";
  }
  return "?";
}

}  // namespace llmsim::workloads
