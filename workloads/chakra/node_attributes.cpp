#include "workloads/chakra/node_attributes.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "common/input_error.hpp"

namespace llmsim::chakra {

using ChakraProtoMsg::AttributeProto;

namespace {

// The integer in `a`, if its case is an integer one.
std::optional<int64_t> integer_case(const AttributeProto& a, bool& too_large) {
  switch (a.value_case()) {
    case AttributeProto::kInt32Val:
      return a.int32_val();
    case AttributeProto::kInt64Val:
      return a.int64_val();
    case AttributeProto::kUint32Val:
      return a.uint32_val();
    case AttributeProto::kSint32Val:
      return a.sint32_val();
    case AttributeProto::kSint64Val:
      return a.sint64_val();
    case AttributeProto::kFixed32Val:
      return a.fixed32_val();
    case AttributeProto::kSfixed32Val:
      return a.sfixed32_val();
    case AttributeProto::kSfixed64Val:
      return a.sfixed64_val();
    case AttributeProto::kUint64Val:
    case AttributeProto::kFixed64Val: {
      const uint64_t v = a.value_case() == AttributeProto::kUint64Val ? a.uint64_val() : a.fixed64_val();
      too_large = v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      return static_cast<int64_t>(v);
    }
    default:
      return std::nullopt;
  }
}

template <typename List>
std::vector<int64_t> widen(const List& list) {
  return std::vector<int64_t>(list.values().begin(), list.values().end());
}

}  // namespace

NodeAttributes::NodeAttributes(const ChakraProtoMsg::Node& node, std::string where)
    : node_(&node), where_(std::move(where)) {
  for (const auto& a : node.attr()) by_name_.emplace(a.name(), &a);
}

const AttributeProto* NodeAttributes::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

void NodeAttributes::wrong_kind(const AttributeProto& a, const char* expected) const {
  const auto* field = AttributeProto::descriptor()->FindFieldByNumber(static_cast<int>(a.value_case()));
  throw InputError(where_, fmt::format("attribute '{}' should hold {}, but holds {}", a.name(), expected,
                                       field ? field->name() : "no value"));
}

std::optional<int64_t> NodeAttributes::integer(const std::string& name) const {
  const auto* a = find(name);
  if (!a) return std::nullopt;
  bool too_large = false;
  auto v = integer_case(*a, too_large);
  if (!v) wrong_kind(*a, "an integer");
  if (too_large) throw InputError(where_, fmt::format("attribute '{}' is larger than 2^63", name));
  return v;
}

std::optional<double> NodeAttributes::number(const std::string& name) const {
  const auto* a = find(name);
  if (!a) return std::nullopt;
  double value = 0;
  if (a->value_case() == AttributeProto::kDoubleVal) {
    value = a->double_val();
  } else if (a->value_case() == AttributeProto::kFloatVal) {
    value = a->float_val();
  } else if (a->value_case() == AttributeProto::kUint64Val) {
    value = static_cast<double>(a->uint64_val());
  } else {
    bool too_large = false;
    auto v = integer_case(*a, too_large);
    if (!v) wrong_kind(*a, "a number");
    value = static_cast<double>(*v);
  }
  // Every numeric attribute is a count of bytes, FLOPs or elements: a NaN would never finish
  // (the engine waits for an activity of NaN size), a negative or absurd one gives nonsense.
  constexpr double kLargest = 1e24;
  if (!std::isfinite(value) || value < 0 || value > kLargest) {
    throw InputError(where_, fmt::format("attribute '{}' must be a finite count from 0 to {:g}, got {}", name,
                                         kLargest, value));
  }
  return value;
}

std::optional<bool> NodeAttributes::flag(const std::string& name) const {
  const auto* a = find(name);
  if (!a) return std::nullopt;
  if (a->value_case() == AttributeProto::kBoolVal) return a->bool_val();
  bool too_large = false;
  auto v = integer_case(*a, too_large);
  if (!v) wrong_kind(*a, "a bool");
  return *v != 0;
}

std::optional<std::string> NodeAttributes::text(const std::string& name) const {
  const auto* a = find(name);
  if (!a) return std::nullopt;
  if (a->value_case() != AttributeProto::kStringVal) wrong_kind(*a, "a string");
  return a->string_val();
}

std::optional<std::vector<int64_t>> NodeAttributes::integers(const std::string& name) const {
  const auto* a = find(name);
  if (!a) return std::nullopt;
  switch (a->value_case()) {
    case AttributeProto::kInt32List:
      return widen(a->int32_list());
    case AttributeProto::kInt64List:
      return widen(a->int64_list());
    case AttributeProto::kUint32List:
      return widen(a->uint32_list());
    case AttributeProto::kUint64List:
      return widen(a->uint64_list());
    case AttributeProto::kSint32List:
      return widen(a->sint32_list());
    case AttributeProto::kSint64List:
      return widen(a->sint64_list());
    case AttributeProto::kFixed32List:
      return widen(a->fixed32_list());
    case AttributeProto::kFixed64List:
      return widen(a->fixed64_list());
    case AttributeProto::kSfixed32List:
      return widen(a->sfixed32_list());
    case AttributeProto::kSfixed64List:
      return widen(a->sfixed64_list());
    default:
      wrong_kind(*a, "a list of integers");
  }
}

std::vector<AttributeProto> NodeAttributes::others(const std::set<std::string>& known) const {
  std::vector<AttributeProto> out;
  for (const auto& a : node_->attr())
    if (!known.count(a.name())) out.push_back(a);
  return out;
}

ChakraProtoMsg::AttributeProto& add_attribute(ChakraProtoMsg::Node& node, const char* name) {
  auto* a = node.add_attr();
  a->set_name(name);
  return *a;
}

}  // namespace llmsim::chakra
