#include "workloads/lowering.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <tuple>

#include "common/input_error.hpp"
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads {

namespace {

// Keys seen by the first n tokens of a sequence under chunked attention: token j (1-based)
// sees the ((j - 1) mod chunk) + 1 tokens of its chunk so far.
double chunked_prefix_keys(double n, double chunk) {
  const double full = std::floor(n / chunk);
  const double rest = n - full * chunk;
  return full * chunk * (chunk + 1) / 2 + rest * (rest + 1) / 2;
}

}  // namespace

double attended_keys(int64_t new_tokens, int64_t past_tokens, int64_t window) {
  const double t = static_cast<double>(new_tokens);
  const double p = static_cast<double>(past_tokens);
  if (window < 0) {
    const double chunk = static_cast<double>(-window);
    return chunked_prefix_keys(p + t, chunk) - chunked_prefix_keys(p, chunk);
  }
  if (window == 0) return t * p + t * (t + 1) / 2;
  // Queries i with past + i <= window see past + i keys; the rest see `window`.
  const double w = static_cast<double>(window);
  const double c = std::clamp(w - p, 0.0, t);
  return c * p + c * (c + 1) / 2 + (t - c) * w;
}

double expected_distinct_experts(double tokens, double top_k, double experts) {
  return experts * (1.0 - std::pow(1.0 - top_k / experts, tokens));
}

std::string activation_transcendental(const std::string& activation) {
  if (activation.find("tanh") != std::string::npos || activation == "gelu_new" || activation == "gelu_fast") {
    return "tanh";
  }
  if (activation.find("gelu") != std::string::npos) return "erf";
  if (activation.find("silu") != std::string::npos || activation.find("swish") != std::string::npos ||
      activation.find("sigmoid") != std::string::npos) {
    return "exp";
  }
  return "";
}

namespace {

std::vector<int64_t> windows_of(const ModelConfig& m) {
  std::vector<int64_t> out{0};
  for (int64_t w : m.attention_window)
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  return out;
}

void add_sequence(StepShape& s, const std::vector<int64_t>& windows, const SequenceWork& q, double count) {
  s.sequences += count;
  s.tokens += count * static_cast<double>(q.new_tokens);
  s.logits_rows += q.produces_token ? count : 0.0;
  s.max_new = std::max(s.max_new, static_cast<double>(q.new_tokens));
  const double total = static_cast<double>(q.past_tokens + q.new_tokens);
  for (int64_t w : windows) {
    AttentionWork& a = s.by_window[w];
    double kv = w > 0 ? std::min(total, static_cast<double>(w)) : total;
    if (w < 0) {  // chunked: a decode token reads its chunk so far; a longer chunk at most a chunk
      const double chunk = static_cast<double>(-w);
      kv = q.new_tokens == 1 ? std::fmod(total - 1, chunk) + 1 : std::min(total, chunk);
    }
    a.kv += count * kv;
    a.keys += count * attended_keys(q.new_tokens, q.past_tokens, w);
    a.scores += count * static_cast<double>(q.new_tokens) * kv;
  }
}

}  // namespace

StepShape step_shape(const ModelConfig& model, const LoweringOptions& options) {
  StepShape s;
  const auto windows = windows_of(model);
  if (options.sequences.empty()) {
    add_sequence(s, windows, {options.new_tokens, options.past_tokens, true}, static_cast<double>(options.batch));
  } else {
    for (const auto& q : options.sequences) add_sequence(s, windows, q, 1.0);
  }
  if (options.training) s.logits_rows = s.tokens;  // the loss needs every position's logits
  if (options.training && options.cp > 1) {
    // Each context-parallel rank takes 1/cp of the queries (and of the causal scores, the
    // chunks being balanced) and reads the whole sequence's K and V.
    const double cp = static_cast<double>(options.cp);
    s.tokens /= cp;
    s.logits_rows /= cp;
    s.max_new /= cp;
    for (auto& [window, work] : s.by_window) {
      work.keys /= cp;
      work.scores /= cp;
    }
  }
  return s;
}

namespace {

void check_expert_parallelism(const ModelConfig& m, const LoweringOptions& o) {
  if (o.ep < 1 || o.ep > 1024) throw InputError("--ep", fmt::format("must be between 1 and 1024, got {}", o.ep));
  if (o.ep > 1) {
    if (!m.is_moe()) throw InputError("--ep", fmt::format("{} has no experts to spread", m.id));
    if (o.ep % o.tp != 0) {
      throw InputError("--ep", fmt::format("{} expert ranks are not a whole number of tp = {} attention groups", o.ep,
                                           o.tp));
    }
    if (m.experts % o.ep != 0) {
      throw InputError("--ep", fmt::format("{} experts of {} cannot be spread evenly over {} ranks", m.experts, m.id,
                                           o.ep));
    }
    const int dp = o.ep / o.tp;
    if (dp > 1 && !o.sequences.empty()) {
      throw InputError("--ep", "a ragged (serving) batch over several attention data-parallel groups is not modelled; "
                               "use ep = tp");
    }
    if (dp > 1 && o.sequences.empty() && o.batch % (dp * o.microbatches) != 0) {
      throw InputError("--batch", fmt::format("batch {} is not split evenly over {} attention data-parallel groups "
                                              "(ep / tp){}", o.batch, dp,
                                              o.microbatches > 1 ? " and their micro-batches" : ""));
    }
    if (o.host_expert_layers > 0) throw InputError("--n-cpu-moe", "experts in host memory cannot be combined with --ep");
  }
  if (o.host_expert_layers < 0 || o.host_expert_layers > m.layers) {
    throw InputError("--n-cpu-moe", fmt::format("must be between 0 and the {} layers, got {}", m.layers,
                                                o.host_expert_layers));
  }
  if (o.host_expert_layers > 0 && !m.is_moe()) {
    throw InputError("--n-cpu-moe", fmt::format("{} has no experts to keep in host memory", m.id));
  }
  if (!(o.expert_cache_hit >= 0 && o.expert_cache_hit <= 1)) {
    throw InputError("--expert-cache-hit", fmt::format("must be between 0 and 1, got {}", o.expert_cache_hit));
  }
}

}  // namespace

void check_parallelism(const ModelConfig& m, const LoweringOptions& o) {
  if (o.tp < 1 || o.tp > 1024) throw InputError("--tp", fmt::format("must be between 1 and 1024, got {}", o.tp));
  if (o.pp < 1 || o.pp > 1024) throw InputError("--pp", fmt::format("must be between 1 and 1024, got {}", o.pp));
  const bool unsplit_blocks = std::any_of(m.layer_types.begin(), m.layer_types.end(), [](LayerType t) {
    return t != LayerType::attention && t != LayerType::deltanet;
  });
  if (unsplit_blocks && o.tp != 1) {
    throw InputError("--tp", fmt::format("{} has RWKV/Mamba blocks, which llmsim does not split over tensor ranks", m.id));
  }
  if (m.deltanet && (m.deltanet->key_heads % o.tp != 0 || m.deltanet->value_heads % o.tp != 0)) {
    throw InputError("--tp", fmt::format("the linear-attention heads of {} ({} key, {} value) cannot be split over {} "
                                         "ranks", m.id, m.deltanet->key_heads, m.deltanet->value_heads, o.tp));
  }
  check_expert_parallelism(m, o);
  if (o.cp < 1 || o.cp > 1024) throw InputError("cp", fmt::format("must be between 1 and 1024, got {}", o.cp));
  if (o.cp > 1) {
    if (!o.training) throw InputError("cp", "context parallelism is modelled for training steps only");
    if (o.ep > 1) throw InputError("cp", "is not modelled together with expert parallelism (ep > 1)");
    if (m.mla || m.has_recurrent_layers()) {
      throw InputError("cp", fmt::format("context parallelism is modelled for softmax-attention decoders; {} has "
                                         "other blocks",
                                         m.id));
    }
  }
  if (o.sequence_parallel && o.tp > 1) {
    if (o.ep > 1) throw InputError("sequence_parallel", "is not modelled together with expert parallelism (ep > 1)");
    for (int64_t l = 0; l < m.layers; ++l) {
      if (m.is_cross_attention_layer(static_cast<int>(l))) {
        throw InputError("sequence_parallel", fmt::format("is not modelled for {}'s cross-attention layers", m.id));
      }
    }
  }
  if (m.heads % o.tp != 0) {
    throw InputError("--tp", fmt::format("{} attention heads of {} cannot be split over {} ranks", m.heads, m.id, o.tp));
  }
  if (m.kv_heads % o.tp != 0 && o.tp % m.kv_heads != 0) {
    throw InputError("--tp", fmt::format("{} key/value heads of {} cannot be split or replicated over {} ranks",
                                         m.kv_heads, m.id, o.tp));
  }
  if (m.intermediate % o.tp != 0 || m.dense_intermediate % o.tp != 0 || m.shared_expert_intermediate % o.tp != 0) {
    throw InputError("--tp", fmt::format("intermediate size {} of {} is not divisible by {}", m.intermediate, m.id,
                                         o.tp));
  }
  if (o.pp > m.layers) {
    throw InputError("--pp", fmt::format("{} stages for {} layers: at least one layer per stage", o.pp, m.layers));
  }
  if (!o.sequences.empty() && (o.microbatches != 1 || o.pp != 1)) {
    throw InputError("--pp", "a ragged (serving) batch is not split into pipeline micro-batches; use pp = 1");
  }
  if (o.representative_layers && (o.microbatches != 1 || o.pp != 1)) {
    throw InputError("--pp", "representative layers need pp = 1 and one micro-batch");
  }
  if (o.microbatches < 1 || (o.sequences.empty() && o.microbatches > o.batch)) {
    throw InputError("--microbatches", fmt::format("must be between 1 and the batch ({}), got {}", o.batch,
                                                   o.microbatches));
  }
}

std::pair<int, int> stage_layers(int layers, int stage, int stages) {
  // Earlier stages take the remainder, one layer each.
  const int base = layers / stages;
  const int extra = layers % stages;
  const int first = stage * base + std::min(stage, extra);
  return {first, first + base + (stage < extra ? 1 : 0)};
}

using lowering_detail::StepBuilder;


OpGraph lower_vision_encoder(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options,
                             int64_t images, int64_t tiles) {
  if (!model.vision) throw InputError("--images", fmt::format("model {} has no image encoder", model.id));
  if (images < 1 || tiles < 1 || tiles > model.vision->max_tiles) {
    throw InputError("--image-tiles", fmt::format("images must be >= 1 and tiles between 1 and {}, got {} and {}",
                                                  model.vision->max_tiles, images, tiles));
  }
  return StepBuilder(model, weights, options).build_vision(images, tiles);
}

RepresentativeStep lower_step_representative(const ModelConfig& model, const ModelWeights& weights,
                                             const LoweringOptions& options) {
  LoweringOptions o = options;
  o.representative_layers = true;
  check_parallelism(model, o);
  StepBuilder builder(model, weights, o);
  RepresentativeStep out;
  out.graph = builder.build();
  out.layer_multiplicity = builder.multiplicity();
  return out;
}

OpGraph lower_step(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options) {
  if (options.sequences.empty() && (options.batch < 1 || options.new_tokens < 1 || options.past_tokens < 0)) {
    throw std::invalid_argument("lower_step: batch and new_tokens must be >= 1, past_tokens >= 0");
  }
  for (const auto& q : options.sequences) {
    if (q.new_tokens < 1 || q.past_tokens < 0) throw std::invalid_argument("lower_step: bad sequence work");
  }
  if (!options.kv_format || !options.activation_format) throw std::invalid_argument("lower_step: formats not set");
  check_parallelism(model, options);
  return StepBuilder(model, weights, options).build();
}

}  // namespace llmsim::workloads
