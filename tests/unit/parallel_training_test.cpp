// Training layouts: the 1F1B schedule's bubble and the ZeRO shards, against hand counts; the
// tensor/pipeline training graph keeps every op on its own rank.
#include <catch2/catch.hpp>

#include <map>

#include "common/input_error.hpp"
#include "sim/training/parallel_training.hpp"
#include "sim/training/pipeline_schedule.hpp"
#include "test_paths.hpp"
#include "workloads/model_registry.hpp"

using namespace llmsim;
using namespace llmsim::sim::training;

namespace {

// A model's weights in one dtype and training options for micro-batches of `batch` x `seq`
// tokens in `precision` (activations and "KV" in the weights' dtype).
struct TrainingFixture {
  workloads::FormatTable formats = workloads::FormatTable::load(test::formats_file());
  workloads::ModelConfig model;
  workloads::ModelWeights weights;
  workloads::TrainingOptions options;

  TrainingFixture(const std::string& id, const std::string& dtype, const std::string& precision, int64_t batch,
                  int64_t seq)
      : model(workloads::ModelRegistry(test::models_dir(), test::model_defaults()).load(id)),
        weights(model, formats, formats.mix(dtype)) {
    options.micro_batch = batch;
    options.seq_len = seq;
    options.precision = precision;
    options.base.kv_format = options.base.activation_format = &formats.format(dtype);
  }

  workloads::TrainingStep lower() const { return workloads::lower_training_step(model, weights, options); }
};

}  // namespace

TEST_CASE("1F1B with equal stages leaves (p - 1) / (m + p - 1) of the time idle", "[training][pipeline]") {
  // 4 stages, 8 micro-batches, forward 1 s and backward 2 s everywhere, free hand-overs:
  // the run is (m + p - 1) x (F + B) = 11 x 3 = 33 s and each stage idles 3 x 3 = 9 s of it.
  StageTimes t;
  t.forward = {1, 1, 1, 1};
  t.backward = {2, 2, 2, 2};
  const PipelineRun run = simulate_1f1b(t, 8);
  CHECK(run.seconds == Approx(33));
  CHECK(run.bubble_fraction == Approx(9.0 / 33));
  // One stage: no bubble, m x (F + B).
  const PipelineRun single = simulate_1f1b({{1}, {2}, 0}, 8);
  CHECK(single.seconds == Approx(24));
  CHECK(single.bubble_fraction == Approx(0));
  // A hand-over of 0.5 s, one micro-batch over 2 stages: F0, send, F1, B1, send, B0 = 1 + .5 + 1 + 2 + .5 + 2.
  StageTimes two;
  two.forward = {1, 1};
  two.backward = {2, 2};
  two.send_s = 0.5;
  CHECK(simulate_1f1b(two, 1).seconds == Approx(7));
  CHECK_THROWS_AS(simulate_1f1b(t, 0), InputError);
}

TEST_CASE("ZeRO shards the states over the replicas, stage by stage", "[training][zero]") {
  const auto p = workloads::precision_bytes("amp-bf16");  // fp32 weights, grads and 2 moments: 16 bytes/param
  const double params = 70.0e9 / 8;                       // one tensor rank's share of 70 B parameters
  // No ZeRO: 16 bytes per parameter on every device.
  CHECK(state_bytes(params, p, 0, 8).total() == Approx(params * 16));
  // ZeRO-1: the 8 bytes of moments over 8 replicas; weights and grads whole.
  CHECK(state_bytes(params, p, 1, 8).total() == Approx(params * (4 + 4 + 8.0 / 8)));
  // ZeRO-2: grads sharded too.
  CHECK(state_bytes(params, p, 2, 8).total() == Approx(params * (4 + 4.0 / 8 + 8.0 / 8)));
  // ZeRO-3 / FSDP: everything over 8: 8.75e9 x 16 / 8 = 17.5 GB per device.
  CHECK(state_bytes(params, p, 3, 8).total() == Approx(17.5e9));
}

TEST_CASE("a tensor x pipeline training graph keeps each op on its stage's ranks", "[workloads][training]") {
  TrainingFixture f("llama-3.2-1b", "bf16", "bf16", 1, 128);
  f.options.base.tp = 2;
  f.options.base.pp = 2;
  const auto step = f.lower();
  // 16 layers: 0-7 on stage 0 (ranks 0, 1), 8-15 on stage 1 (ranks 2, 3); backward ops and
  // the backward hand-over stay on their stage, and every rank updates its own parameters.
  int backward_sends = 0, optimizers = 0;
  for (workloads::OpId v = 0; v < step.graph.size(); ++v) {
    const auto& op = step.graph.op(v);
    if (op.layer >= 0 && op.kind != workloads::OpKind::collective && op.kind != workloads::OpKind::send) {
      CHECK(op.rank / 2 == (op.layer < 8 ? 0 : 1));
    }
    if (op.kind == workloads::OpKind::send && op.name.find(".bwd") != std::string::npos) {
      ++backward_sends;
      CHECK(op.ranks[0] / 2 == 1);  // from stage 1 back to stage 0
      CHECK(op.ranks[1] / 2 == 0);
    }
    if (op.kind == workloads::OpKind::optimizer) ++optimizers;
  }
  CHECK(backward_sends == 2);  // one per tensor rank
  CHECK(optimizers == 4);
  f.options.dp = 2;
  CHECK_THROWS_AS(f.lower(), InputError);
}

TEST_CASE("sequence parallelism trades each all-reduce for a reduce-scatter and an all-gather of the same volume",
          "[workloads][training]") {
  TrainingFixture f("gpt2", "f32", "fp32", 2, 64);
  f.options.base.flash_attention = true;
  f.options.base.tp = 2;
  f.options.base.symmetric_ranks = true;  // rank 0's ops stand for both, as `llmsim train` lowers them
  const auto plain = f.lower();
  f.options.base.sequence_parallel = true;
  const auto sp = f.lower();
  // Ring bytes per link, forward and backward: an all-reduce of B moves 2(N-1)/N x B, a
  // reduce-scatter or all-gather (N-1)/N x B; with N = 2 that is B and B/2.
  const double hidden = 128 * 768 * 4.0;  // 2 x 64 tokens of 768 f32 values
  auto ring_bytes = [](const workloads::TrainingStep& s, std::map<std::string, int>* count) {
    double bytes = 0;
    for (workloads::OpId v = 0; v < s.graph.size(); ++v) {
      const auto& op = s.graph.op(v);
      if (op.kind != workloads::OpKind::collective || op.collective == workloads::Collective::none) continue;
      ++(*count)[workloads::to_string(op.collective)];
      bytes += op.comm_bytes * (op.collective == workloads::Collective::all_reduce ? 1.0 : 0.5);
    }
    return bytes;
  };
  std::map<std::string, int> plain_count, sp_count;
  const double plain_bytes = ring_bytes(plain, &plain_count);
  const double sp_bytes = ring_bytes(sp, &sp_count);
  // Without: per layer two all-reduces forward and two backward, plus the embedding's (48 + 2).
  CHECK(plain_count["all_reduce"] == 12 * 4 + 2);
  CHECK(plain_count["reduce_scatter"] == 0);
  // With: per layer two all-gathers and two reduce-scatters forward, their conjugates backward
  // (48 + 48), the embedding's reduce-scatter and the final norm's all-gather, each with its
  // backward (2 + 2); the vocabulary-parallel logits' all-gathers are there in both.
  CHECK(sp_count["all_reduce"] == 0);
  CHECK(sp_count["all_gather"] + sp_count["reduce_scatter"] == plain_count["all_gather"] + 12 * 8 + 4);
  // The same volume per block (B = B/2 + B/2); the embedding's B/2 reduce-scatter instead of a
  // B all-reduce saves B over forward and backward, which the final norm's two B/2 gathers add.
  CHECK(sp_bytes == Approx(plain_bytes).epsilon(1e-12));
  // Each layer's two norms and two residuals work on half the tokens.
  double plain_norm_ops = 0, sp_norm_ops = 0;
  for (workloads::OpId v = 0; v < plain.graph.size(); ++v)
    if (plain.graph.op(v).kind == workloads::OpKind::norm) plain_norm_ops += plain.graph.op(v).vector_ops;
  for (workloads::OpId v = 0; v < sp.graph.size(); ++v)
    if (sp.graph.op(v).kind == workloads::OpKind::norm) sp_norm_ops += sp.graph.op(v).vector_ops;
  CHECK(sp_norm_ops == Approx(plain_norm_ops / 2).epsilon(1e-12));
  // Kept for the backward, per layer (per rank, B = one full hidden state): without SP the
  // norms' inputs (2 x B) and outputs (2 x B), the qkv output (3B/2), the attention output (B/2)
  // and the MLP's up and activation outputs (2 x 2B): 10B. With SP the norms' inputs and outputs
  // and the gathered matmul inputs are B/2 shards: 8B, 2B less a layer. The final norm's input
  // and the LM head's input are shards too (B/2 less each). Logits and working set are alike.
  CHECK(plain.saved_activations - sp.saved_activations == Approx(12 * 2 * hidden + hidden).epsilon(1e-9));
}

TEST_CASE("context parallelism halves each rank's tokens and gathers the sequence's K and V per layer",
          "[workloads][training]") {
  TrainingFixture f("llama-3.2-1b", "bf16", "bf16", 1, 128);  // 16 layers, 8 KV heads of 64
  f.options.base.flash_attention = true;
  f.options.base.symmetric_ranks = true;
  const auto whole = f.lower();
  f.options.base.cp = 2;
  const auto halves = f.lower();
  auto flops_of = [](const workloads::TrainingStep& s, workloads::OpKind kind) {
    double sum = 0;
    for (workloads::OpId v = 0; v < s.graph.size(); ++v)
      if (s.graph.op(v).kind == kind) sum += s.graph.op(v).flops;
    return sum;
  };
  // Each rank's matmuls take 64 of the 128 tokens, its attention half of the causal scores.
  CHECK(flops_of(halves, workloads::OpKind::matmul) ==
        Approx(flops_of(whole, workloads::OpKind::matmul) / 2).epsilon(1e-12));
  CHECK(flops_of(halves, workloads::OpKind::attention) ==
        Approx(flops_of(whole, workloads::OpKind::attention) / 2).epsilon(1e-12));
  // Per layer one gather of the whole sequence's K and V (128 tokens x 2 x 8 x 64 bf16 values)
  // over ranks 0 and 1, and its conjugate in the backward: 32 in all.
  int gathers = 0;
  for (workloads::OpId v = 0; v < halves.graph.size(); ++v) {
    const auto& op = halves.graph.op(v);
    if (op.name.find("cp_kv_allgather") == std::string::npos) continue;
    ++gathers;
    CHECK(op.comm_bytes == Approx(128.0 * 2 * 8 * 64 * 2));
    CHECK(op.ranks == std::vector<int>{0, 1});
  }
  CHECK(gathers == 16 * 2);
  // The model's work per rank halves with its tokens: MFU's numerator is scaled back by cp.
  CHECK(halves.model_flops == Approx(whole.model_flops / 2).epsilon(1e-9));
  f.options.base.ep = 2;
  CHECK_THROWS_AS(f.lower(), InputError);
}

TEST_CASE("the interleaved schedule shrinks the bubble by the chunks per stage", "[training][pipeline]") {
  // 4 stages of 2 chunks, 8 micro-batches, a stage's forward 1 s and backward 2 s (a chunk's
  // half that), free hand-overs: the pipeline fills and drains in (p - 1) x (F + B) / v =
  // 3 x 3 / 2 = 4.5 s, so the run is 8 x 3 + 4.5 = 28.5 s (Narayanan et al. 2021, section 2.2.2).
  StageTimes t;
  t.forward = {1, 1, 1, 1};
  t.backward = {2, 2, 2, 2};
  const PipelineRun run = simulate_interleaved_1f1b(t, 8, 2);
  CHECK(run.seconds == Approx(28.5));
  CHECK(run.bubble_fraction == Approx(4.5 / 28.5));
  // Plain 1F1B keeps p - s micro-batches in flight on stage s (warm-up forwards plus one).
  const PipelineRun plain = simulate_1f1b(t, 8);
  CHECK(plain.peak_in_flight == std::vector<int64_t>{4, 3, 2, 1});
  // Interleaved, device d warms up with 2(p - d - 1) + (v - 1) p chunk forwards, plus one:
  // 11, 9, 7, 5 chunks of half a stage each.
  CHECK(run.peak_in_flight == std::vector<int64_t>{11, 9, 7, 5});
  CHECK_THROWS_AS(simulate_interleaved_1f1b(t, 6, 2), InputError);  // 6 is no multiple of 4 stages
}
