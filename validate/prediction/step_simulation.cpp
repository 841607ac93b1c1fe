#include "validate/prediction/step_simulation.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "sim/predictor.hpp"
#include "sim/process_pool.hpp"

namespace llmsim::validate {

namespace {

// Child side: "ok <seconds>" or "error <message>" on the pipe.
int simulate_one(const sim::DataPaths& paths, const sim::PredictRequest& request, bool decode, int fd) {
  std::string reply;
  try {
    const sim::Prediction p = sim::Predictor(paths).predict(request);
    const double seconds = decode ? p.tpot_s : p.prefill.seconds;
    char text[64];
    std::snprintf(text, sizeof text, "ok %.17g", seconds);
    reply = text;
  } catch (const std::exception& e) {
    reply = std::string("error ") + e.what();
  }
  sim::write_fully(fd, reply.data(), reply.size());  // a broken pipe shows as a missing reply
  ::close(fd);
  return 0;
}

}  // namespace

std::vector<SimulatedStep> simulate_steps(const sim::DataPaths& paths, const std::string& hardware,
                                          const std::string& device, const std::string& software,
                                          const std::vector<StepSpec>& steps, int parallel) {
  std::vector<SimulatedStep> out(steps.size());
  std::vector<std::string> replies(steps.size());
  // One pipe per step; replies are a few bytes, well within a pipe's buffer, so children
  // never block and the parent reads them all once every child has finished.
  std::vector<std::array<int, 2>> pipes(steps.size());
  for (auto& p : pipes)
    if (::pipe(p.data()) != 0) throw std::runtime_error("pipe failed");
  sim::run_in_children(steps.size(), parallel, [&](std::size_t i) {
    const StepSpec& s = steps[i];
    sim::PredictRequest request;
    request.hardware = hardware;
    request.device = device;
    request.software = software;
    request.model = s.model;
    request.dtype = s.dtype;
    request.kv_dtype = s.kv_dtype;
    request.batch = s.batch;
    request.prompt = s.prompt;
    request.gen = s.decode ? s.gen : 0;
    return simulate_one(paths, request, s.decode, pipes[i][1]);
  });
  for (std::size_t i = 0; i < steps.size(); ++i) {
    ::close(pipes[i][1]);
    replies[i] = sim::read_until_eof(pipes[i][0]);
    ::close(pipes[i][0]);
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string& r = replies[i];
    if (r.rfind("ok ", 0) == 0) {
      out[i].seconds = std::stod(r.substr(3));
    } else {
      out[i].error = r.rfind("error ", 0) == 0 ? r.substr(6) : "simulation child died";
    }
  }
  return out;
}

}  // namespace llmsim::validate
