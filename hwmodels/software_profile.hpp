// A software stack (llama.cpp, vLLM, TensorRT-LLM, PyTorch eager): how it lowers a model
// (chunked prefill, fused projections, flash attention) and, per device class, the
// efficiency defaults it reaches. Read from hwmodels/profiles/ID.yaml.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "hwmodels/efficiency_params.hpp"
#include "hwmodels/system.hpp"

namespace llmsim::hwmodels {

/// Scheduler defaults an engine picks by itself on GPUs with much memory (profile key
/// `serving.large_gpu`): vLLM's V1 engine takes max_num_seqs 1024 and, behind its API server,
/// max_num_batched_tokens 8192 on a GPU of 70 GiB or more that is not an A100.
struct LargeGpuDefaults {
  double min_memory_gib = 0;
  std::vector<std::string> except_names;  // lower-case parts of a device name that keep the usual defaults
  int64_t max_batch = 0;
  int64_t max_batched_tokens = 0;
  std::string basis;

  /// Whether `device` of `system` is such a GPU: its memory reaches min_memory_gib and neither
  /// its name nor its system's contains an excepted part.
  bool applies_to(const System& system, const Device& device) const;
};

/// The scheduler defaults of an engine's releases before `until` (profile key
/// `serving.before_release`), in force when the release predicted (`ID@X.Y.Z`, or the profile's
/// own `serving.release`) is older. vLLM's V0 engine (before 0.8) ran prompts in prefill-only
/// steps ahead of decodes (`policy: continuous`) with max(max_model_len, 2048) tokens per step,
/// turned chunked prefill on by itself for a max_model_len above 32768 with 512 tokens per step,
/// and had none of V1's larger limits on large GPUs.
struct EarlierReleaseDefaults {
  std::string until;                        // releases before this version ("0.8")
  std::string policy;                       // the scheduler policy without chunked prefill
  int64_t min_batched_tokens = 0;           // tokens per step then: max(max_model_len, this)
  int64_t long_context_above = 0;           // a max_model_len above this turns chunked prefill on ...
  int64_t long_context_batched_tokens = 0;  // ... with this many tokens per step
  // Steps run without CUDA graphs (V0 captures decode-only batches whose longest context is at
  // most graph_max_context): each kernel costs this much more host time. 0 = not modelled.
  double eager_kernel_us = 0;
  int64_t graph_max_context = 0;  // 0 = any context
  std::string eager_basis;
  std::string basis;
};

/// Whether release `a` is older than `b` ("0.6.3" < "0.8"): dotted numbers, compared part by part,
/// a missing part counting as 0. InputError when either is not such a version.
bool release_older(const std::string& a, const std::string& b);
/// Whether `text` is a release version: 1 to 4 dot-separated whole numbers ("0.6", "0.10.1").
bool is_release_version(const std::string& text);

/// How a serving engine runs batch steps (profile key `serving`), for `llmsim serve`.
/// Host work: what the engine's host does around each step beside the kernels (schedule,
/// prepare inputs, sample, detokenise, stream out); each term adds to the step's time (engines
/// whose host work overlaps the GPU's have them low). `graph_batch_sizes`: a decode step whose
/// batch is at most the largest is padded to the next size in the list, as an engine replaying
/// captured CUDA graphs does; empty = no padding. The scheduler defaults apply where a serve
/// scenario does not set them (empty or 0 = llmsim's own default).
struct EngineServing {
  double step_us = 0;
  double per_sequence_us = 0;
  double per_token_us = 0;
  double request_us = 0;  // front end per request (HTTP, tokenising) before it can be scheduled
  std::vector<int> graph_batch_sizes;
  // Host time per kernel launch, beyond the captured graph's, of a step that runs eagerly: not
  // decode-only, above the largest graph size, or with a context above graph_max_context.
  // 0 = every step replays graphs (or the engine's eager cost is not modelled). Set from an
  // earlier release's defaults (before_release).
  double eager_kernel_us = 0;
  int64_t graph_max_context = 0;
  std::string policy;              // static | continuous | chunked
  int64_t max_batch = 0;           // max_num_seqs
  int64_t max_batched_tokens = 0;  // max_num_batched_tokens
  int64_t chunk_tokens = 0;
  std::string admission;           // allocate | reserve
  int64_t block_tokens = 0;
  std::optional<LargeGpuDefaults> large_gpu;
  std::optional<EarlierReleaseDefaults> before_release;
  std::string release;  // the engine release described (`ID@X.Y.Z` or key `release`); "" = current
  std::string basis = "none stated: host work not modelled";

  /// Whether the release described is older than `before_release.until`: its defaults apply.
  bool earlier_release() const { return before_release && !release.empty() && release_older(release, before_release->until); }
};

/// A change of the engine's kernel paths from one of its builds on (profile key `builds`), for
/// `--software ID@bNNNN`: in force when since <= NNNN (and NNNN < until, when given). Its
/// device sections overlay the profile's, key by key, after them. A change in one backend's
/// kernels (key `backend`: cuda, rocm, vulkan, metal, sycl, cpu) reaches a device only when that
/// backend runs it: the one named in `ID@bNNNN:BACKEND`, else the device's own (default_backend).
struct BuildChange {
  int since = 0;
  int until = 0;        // 0 = still in force
  std::string backend;  // "" = every backend
  std::string basis;    // the pull request and what it changed
  std::optional<bool> flash_attention;
  std::map<std::string, YAML::Node> sections;
};

struct SoftwareProfile {
  std::string id;
  std::string description;
  std::string file;
  int prefill_chunk_tokens = 0;  // prompt processed in chunks of this many tokens; 0 = all at once
  bool flash_attention = false;  // fused attention: no score matrix written to memory
  bool fuse_qkv = false;         // one QKV projection instead of three
  bool fuse_gate_up = false;     // one gate+up projection instead of two
  // Kernel launches per logical op (norm, rope, kv_store, attention, ffn_act, residual, ...);
  // 0 means fused into its neighbour. Ops not listed launch one kernel.
  std::map<std::string, int> kernels_per_op;
  EngineServing serving;  // `llmsim serve` only

  /// Efficiency for `device`: the profile's `all` section, overlaid by the device kind's
  /// section ("gpu"), by its class ("gpu-nvidia"), its product line's ("gpu-nvidia-tegra"), its
  /// architecture's ("gpu-nvidia-hopper"), and by the system's calibration for (device, this
  /// profile) when present. `basis` says which of these applied.
  DeviceEfficiency efficiency_for(const System& system, const Device& device) const;

  /// The section a calibration of `device` fits and writes: its architecture's
  /// ("gpu-amd-rdna35") where this profile has one, so that an architecture the profile tells
  /// apart is fitted on its own rows; else its product line's ("gpu-nvidia-tegra") where the
  /// profile has one; else its class ("gpu-amd").
  std::string fit_scope(const Device& device) const;

  // Raw sections, applied in order by efficiency_for.
  std::map<std::string, YAML::Node> sections;

  std::vector<BuildChange> builds;  // the profile's known changes, oldest first
  int build = 0;                    // the build selected (ID@bNNNN); 0 = the profile as written
  std::string backend;              // the backend selected (ID@bNNNN:BACKEND); "" = each device's own
  std::vector<std::size_t> applied; // indexes into `builds` in force at `build`
  bool release_named = false;       // a release was named (ID@X.Y.Z): serving.release holds it

  /// Applies the changes in force at `build_number` (flash attention at once; device sections
  /// in efficiency_for) on `backend_name` ("" = each device's default). InputError when the
  /// profile states no builds or the backend is not one of kBackends.
  void select_build(int build_number, const std::string& backend_name = "");
  /// "llama.cpp", "llama.cpp@b5000", "llama.cpp@b5000:vulkan" or, for a serving engine's
  /// release, "vllm@0.6.3".
  std::string label() const;
};

/// "ID", "ID@bNNNN" or "ID@bNNNN:BACKEND": how a build on a backend is named.
std::string build_label(const std::string& id, int build, const std::string& backend);

/// The backends a build change or `ID@bNNNN:BACKEND` may name.
inline constexpr const char* kBackends[] = {"cuda", "rocm", "vulkan", "metal", "sycl", "cpu"};
/// The backend an engine runs on `device` when none is named: CUDA on NVIDIA GPUs, ROCm on AMD
/// GPUs, Metal on Apple GPUs, SYCL on Intel GPUs, its CPU code on CPUs; "" otherwise.
std::string default_backend(const Device& device);

/// Loads profiles from a directory; unknown ids list the known ones.
class ProfileSet {
 public:
  explicit ProfileSet(std::string directory);
  std::vector<std::string> ids() const;
  /// A profile id, or a path ending in .yaml to a profile file.
  SoftwareProfile load(const std::string& id) const;

 private:
  std::string directory_;
};

SoftwareProfile load_software_profile(const std::string& path);

/// The profile file's YAML with its `based_on:` chain resolved: the base profile (a file of
/// that id beside it) with this file's keys merged over it, maps key by key. What
/// load_software_profile reads, and what a fitted copy is written from, so that the copy
/// stands alone wherever it is written.
YAML::Node resolved_profile_yaml(const std::string& path);

/// The logical ops the lowering launches kernels for, the keys `kernels_per_op` may name:
/// each of these, or `matmul.<weight family>`, `norm.<layer|rms>`, `ffn_act.<activation>`.
/// tests/unit/lowering_test.cpp checks that every op the lowering makes uses one of them.
const std::vector<std::string>& kernel_op_keys();
bool is_kernel_op_key(const std::string& key);

}  // namespace llmsim::hwmodels
