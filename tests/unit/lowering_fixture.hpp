// The repository's storage formats and model configs, and lowering options for a uniform
// batch, shared by the lowering tests.
#pragma once

#include <string>

#include "test_paths.hpp"
#include "workloads/lowering.hpp"
#include "workloads/model_registry.hpp"

namespace llmsim::test {

struct LoweringFixture {
  workloads::FormatTable formats = workloads::FormatTable::load(formats_file());
  workloads::ModelRegistry registry{models_dir(), model_defaults()};

  /// `batch` sequences of `fresh` new tokens after `past` cached ones; f16 KV cache.
  workloads::LoweringOptions options(int64_t batch, int64_t fresh, int64_t past,
                                     const std::string& activations = "f32") const {
    workloads::LoweringOptions o;
    o.batch = batch;
    o.new_tokens = fresh;
    o.past_tokens = past;
    o.kv_format = &formats.format("f16");
    o.activation_format = &formats.format(activations);
    return o;
  }
};

}  // namespace llmsim::test
