#include <catch2/catch.hpp>

#include "fresh_process.hpp"
#include "sim/predictor.hpp"
#include "test_paths.hpp"

using namespace llmsim;

namespace {

sim::PredictRequest tiny_request() {
  sim::PredictRequest r;
  r.hardware = test::fixture("hw/test-box.yaml");
  r.device = "gpu";
  r.model = test::fixture("models/tiny-llama.json");
  r.dtype = "f16";
  r.software = "llama.cpp";
  return r;
}

}  // namespace

TEST_CASE("one device, one stream: a step takes the sum of its ops' rooflines", "[sim][predictor]") {
  const auto v = test::in_fresh_process([] {
    auto r = tiny_request();
    r.prompt = 0;
    r.gen = 6;
    std::vector<double> step_rooflines;
    const auto observer = [&](const sim::StepView& step) {
      double sum = 0;
      for (const auto& c : *step.costs) sum += c.roofline_s();
      step_rooflines.push_back(sum);
    };
    const auto p = sim::Predictor(sim::DataPaths(test::source_dir())).predict(r, {observer});
    double total = 0;
    for (double s : step_rooflines) total += s;
    std::vector<double> out{p.decode.seconds, total, p.tpot_s};
    out.insert(out.end(), step_rooflines.begin(), step_rooflines.end());
    return out;
  });
  CHECK(v[0] == Approx(v[1]));
  CHECK(v[2] == Approx(v[0] / 6));
  for (std::size_t i = 4; i < v.size(); ++i) CHECK(v[i] >= v[i - 1]);  // KV reads grow each step
}

TEST_CASE("rates follow the contract's definitions", "[sim][predictor]") {
  const auto v = test::in_fresh_process([] {
    auto r = tiny_request();
    r.batch = 3;
    r.prompt = 100;
    r.gen = 5;
    const auto p = sim::Predictor(sim::DataPaths(test::source_dir())).predict(r);
    return std::vector<double>{p.ttft_s,         p.prefill.seconds,     p.prefill_tokens_per_s, p.decode.seconds,
                               p.decode_tokens_per_s, p.output_tokens_per_s, p.tpot_s};
  });
  CHECK(v[0] == v[1]);
  CHECK(v[2] == Approx(3 * 100 / v[1]));
  CHECK(v[4] == Approx(3 * 5 / v[3]));
  CHECK(v[5] == Approx(3 * 5 / (v[1] + v[3])));
  CHECK(v[6] == Approx(v[3] / 5));
}

TEST_CASE("decode never beats the datasheet bandwidth ceiling", "[sim][predictor]") {
  const auto v = test::in_fresh_process([] {
    auto r = tiny_request();
    r.prompt = 0;
    r.gen = 4;
    const auto p = sim::Predictor(sim::DataPaths(test::source_dir())).predict(r);
    return std::vector<double>{p.decode.seconds, p.decode.ceiling_seconds, p.memory.weights};
  });
  CHECK(v[0] >= v[1]);
  // The ceiling itself: 4 steps of all weights but the unread embedding rows, at 200 GB/s.
  const double embedding = 1000.0 * 64 * 2;
  CHECK(v[1] >= 4 * (v[2] - embedding) / 200e9);
}

TEST_CASE("a model larger than its memory is a result, not a crash", "[sim][predictor][bad-input]") {
  const auto v = test::in_fresh_process([] {
    auto r = tiny_request();
    r.model = "llama-3-70b";
    r.dtype = "q4_k_m";
    r.device = "accel";  // 8 GiB of local memory
    r.prompt = 0;
    r.gen = 1;
    const auto p = sim::Predictor(sim::DataPaths(test::source_dir())).predict(r);
    return std::vector<double>{p.fits ? 1.0 : 0.0, p.memory.total(), p.memory_capacity_bytes};
  });
  CHECK(v[0] == 0.0);
  CHECK(v[1] > 39e9);
  CHECK(v[2] == 8.0 * 1073741824.0);
}

TEST_CASE("impossible requests are refused with the flag's name", "[sim][predictor][bad-input]") {
  const sim::Predictor predictor{sim::DataPaths(test::source_dir())};
  auto r = tiny_request();
  r.batch = 0;
  CHECK_THROWS_WITH(predictor.predict(r), Catch::Matchers::Contains("--batch"));
  r = tiny_request();
  r.prompt = 0;
  r.gen = 0;
  CHECK_THROWS_WITH(predictor.predict(r), Catch::Matchers::Contains("at least one"));
  r = tiny_request();
  r.device = "tpu";
  CHECK_THROWS_WITH(predictor.predict(r), Catch::Matchers::Contains("no device 'tpu'") &&
                                              Catch::Matchers::Contains("accel (gpu)"));
}
