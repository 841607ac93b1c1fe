// The activations a training step keeps between a micro-batch's forward and its backward.
#pragma once

#include <cstddef>

#include "workloads/op_graph.hpp"
#include "workloads/training_lowering.hpp"

namespace llmsim::workloads {

/// Bytes one rank keeps for the backward of one micro-batch of the forward graph `forward`
/// (`layers` transformer layers, activations of `activation_bytes` per value, GEMM dtypes of
/// `precision`), plus the largest op's working set: each tensor the backward
/// reads, once, or under full checkpointing only the layer inputs and the layer being
/// recomputed.
double saved_activation_bytes(const OpGraph& forward, Checkpointing checkpointing, double activation_bytes,
                              const PrecisionBytes& precision, std::size_t layers);

}  // namespace llmsim::workloads
