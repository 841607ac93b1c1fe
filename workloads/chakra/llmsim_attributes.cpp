#include "workloads/chakra/llmsim_attributes.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "common/input_error.hpp"

namespace llmsim::chakra {

using workloads::Op;
using workloads::OpKind;

namespace {

// The Op's fields by attribute name (a field added to Op needs its line here for exports to
// round-trip). Doubles are written as double_val, so they come back bit for bit.
const std::vector<std::pair<const char*, double Op::*>> kNumbers = {
    {"llmsim.m", &Op::m},
    {"llmsim.n", &Op::n},
    {"llmsim.k", &Op::k},
    {"llmsim.batch_count", &Op::batch_count},
    {"llmsim.flops", &Op::flops},
    {"llmsim.vector_ops", &Op::vector_ops},
    {"llmsim.transcendentals", &Op::transcendentals},
    {"llmsim.weight_elements", &Op::weight_elements},
    {"llmsim.weight_resident_bytes", &Op::weight_resident_bytes},
    {"llmsim.weight_bytes", &Op::weight_bytes},
    {"llmsim.kv_read_bytes", &Op::kv_read_bytes},
    {"llmsim.kv_write_bytes", &Op::kv_write_bytes},
    {"llmsim.act_read_bytes", &Op::act_read_bytes},
    {"llmsim.act_write_bytes", &Op::act_write_bytes},
    {"llmsim.output_bytes", &Op::output_bytes},
    {"llmsim.comm_bytes", &Op::comm_bytes},
};
const std::vector<std::pair<const char*, int Op::*>> kIntegers = {
    {"llmsim.layer", &Op::layer},
    {"llmsim.kernels", &Op::kernels},
    {"llmsim.rank", &Op::rank},
    {"llmsim.microbatch", &Op::microbatch},
};
const std::vector<std::pair<const char*, std::string Op::*>> kTexts = {
    {"llmsim.group", &Op::group},
    {"llmsim.weight_format", &Op::weight_format},
    {"llmsim.weight_family", &Op::weight_family},
    {"llmsim.operand_family", &Op::operand_family},
    {"llmsim.weight_key", &Op::weight_key},
    {"llmsim.transcendental_fn", &Op::transcendental_fn},
};
constexpr const char* kExpanded = "llmsim.reads_expanded_weights";
constexpr const char* kCollective = "llmsim.collective";
constexpr const char* kRanks = "llmsim.ranks";

}  // namespace

void write_llmsim_attributes(const Op& op, ChakraProtoMsg::Node& node) {
  const Op defaults;
  add_attribute(node, kOpKindAttr).set_string_val(workloads::to_string(op.kind));
  for (const auto& [name, field] : kNumbers)
    if (op.*field != defaults.*field) add_attribute(node, name).set_double_val(op.*field);
  for (const auto& [name, field] : kIntegers)
    if (op.*field != defaults.*field) add_attribute(node, name).set_int64_val(op.*field);
  for (const auto& [name, field] : kTexts)
    if (op.*field != defaults.*field) add_attribute(node, name).set_string_val(op.*field);
  if (op.reads_expanded_weights) add_attribute(node, kExpanded).set_bool_val(true);
  if (op.collective != workloads::Collective::none) add_attribute(node, kCollective).set_string_val(to_string(op.collective));
  if (!op.ranks.empty()) {
    auto* list = add_attribute(node, kRanks).mutable_int64_list();
    for (int r : op.ranks) list->add_values(r);
  }
}

Op read_llmsim_attributes(const NodeAttributes& attrs, const ChakraProtoMsg::Node& node) {
  Op op;
  op.name = node.name();
  const std::string kind = *attrs.text(kOpKindAttr);
  bool known = false;
  // Every kind to_string names (it says "?" past the last), so new kinds need no change here.
  for (int k = 0; !known && workloads::to_string(static_cast<OpKind>(k)) != "?"; ++k) {
    if (workloads::to_string(static_cast<OpKind>(k)) == kind) {
      op.kind = static_cast<OpKind>(k);
      known = true;
    }
  }
  if (!known) throw InputError(attrs.where(), fmt::format("unknown {} '{}'", kOpKindAttr, kind));
  for (const auto& [name, field] : kNumbers)
    if (auto v = attrs.number(name)) op.*field = *v;
  for (const auto& [name, field] : kIntegers)
    if (auto v = attrs.integer(name)) op.*field = static_cast<int>(*v);
  for (const auto& [name, field] : kTexts)
    if (auto v = attrs.text(name)) op.*field = *v;
  op.reads_expanded_weights = attrs.flag(kExpanded).value_or(false);
  if (auto collective = attrs.text(kCollective)) {
    const auto named = workloads::collective_named(*collective);
    if (!named) throw InputError(attrs.where(), fmt::format("unknown {} '{}'", kCollective, *collective));
    op.collective = *named;
  }
  if (auto ranks = attrs.integers(kRanks)) op.ranks.assign(ranks->begin(), ranks->end());
  return op;
}

const std::set<std::string>& llmsim_attribute_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out{kOpKindAttr, kExpanded, kCollective, kRanks};
    for (const auto& [name, field] : kNumbers) out.insert(name);
    for (const auto& [name, field] : kIntegers) out.insert(name);
    for (const auto& [name, field] : kTexts) out.insert(name);
    return out;
  }();
  return names;
}

}  // namespace llmsim::chakra
