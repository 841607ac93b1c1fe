// llmsim's own attributes on Chakra nodes ("llmsim.*"): every field of the Op a node
// stands for, so that an exported step imports back to the very same graph. Chakra
// tools ignore them; llmsim prefers them to num_ops / tensor_size when present.
#pragma once

#include <set>
#include <string>

#include "et_def.pb.h"
#include "workloads/chakra/node_attributes.hpp"
#include "workloads/op.hpp"

namespace llmsim::chakra {

/// Marks a node as written by llmsim; its value is the OpKind's name.
inline constexpr const char* kOpKindAttr = "llmsim.op_kind";

/// Appends the op's fields to `node` (fields at their default value are left out).
void write_llmsim_attributes(const workloads::Op& op, ChakraProtoMsg::Node& node);

/// The Op recorded by write_llmsim_attributes (name, from the node, set too). InputError naming
/// the node for an unknown op kind or an attribute of the wrong kind.
workloads::Op read_llmsim_attributes(const NodeAttributes& attrs, const ChakraProtoMsg::Node& node);

/// The names of every llmsim attribute (so the importer does not count them as unknown).
const std::set<std::string>& llmsim_attribute_names();

}  // namespace llmsim::chakra
