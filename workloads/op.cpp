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

std::string to_string(Collective c) {
  switch (c) {
    case Collective::all_reduce: return "all_reduce";
    case Collective::all_gather: return "all_gather";
    case Collective::reduce_scatter: return "reduce_scatter";
    case Collective::all_to_all: return "all_to_all";
    case Collective::none: break;
  }
  return "";
}

std::optional<Collective> collective_named(const std::string& name) {
  for (Collective c : {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter,
                       Collective::all_to_all}) {
    if (to_string(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace llmsim::workloads
