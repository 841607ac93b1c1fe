// Typed access to a Chakra node's attributes. Chakra's feeder reads each well-known
// attribute with one type (num_ops int64, tensor_size uint64, comm_type int64, comm_size
// int64, comm_src/comm_dst/comm_tag int32, is_cpu_op bool, pg_name string); converters in
// the wild write the same numbers as other integer types, so any integer case is accepted
// for an integer and reading is only an error when the kind is wrong (a string for num_ops).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "et_def.pb.h"

namespace llmsim::chakra {

/// Appends an attribute named `name` to `node`; the caller sets its value.
ChakraProtoMsg::AttributeProto& add_attribute(ChakraProtoMsg::Node& node, const char* name);

class NodeAttributes {
 public:
  /// `where` names the node in errors, e.g. "t.0.et: node 7 'L0.attn_q'". The node must outlive this.
  NodeAttributes(const ChakraProtoMsg::Node& node, std::string where);

  bool has(const std::string& name) const { return by_name_.count(name) != 0; }
  /// Any integer case (int32 .. sfixed64, uint64 up to 2^63). InputError for other cases.
  std::optional<int64_t> integer(const std::string& name) const;
  /// Doubles, floats and integers.
  std::optional<double> number(const std::string& name) const;
  /// bool_val, or an integer 0/1 (some converters write is_cpu_op as int32).
  std::optional<bool> flag(const std::string& name) const;
  std::optional<std::string> text(const std::string& name) const;
  /// Any integer list case.
  std::optional<std::vector<int64_t>> integers(const std::string& name) const;

  /// Attributes whose names are not in `known`, in file order: kept, not interpreted.
  std::vector<ChakraProtoMsg::AttributeProto> others(const std::set<std::string>& known) const;
  const std::string& where() const { return where_; }

 private:
  const ChakraProtoMsg::AttributeProto* find(const std::string& name) const;
  [[noreturn]] void wrong_kind(const ChakraProtoMsg::AttributeProto& attr, const char* expected) const;

  const ChakraProtoMsg::Node* node_;
  std::string where_;
  std::map<std::string, const ChakraProtoMsg::AttributeProto*> by_name_;  // the first of a repeated name
};

}  // namespace llmsim::chakra
