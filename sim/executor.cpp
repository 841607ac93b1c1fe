#include "sim/executor.hpp"

#include <simgrid/kernel/Timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "common/input_error.hpp"

namespace llmsim::sim {

namespace sg4 = simgrid::s4u;

namespace {

// SimGrid's completion signal is process-wide; it is connected once and forwards to
// whichever executor is running.
Executor* g_running = nullptr;
std::function<void(const sg4::Activity&)> g_forward;

void connect_completion_signal_once() {
  static bool connected = false;
  if (connected) return;
  sg4::Activity::on_completion_cb([](const sg4::Activity& a) {
    if (g_forward) g_forward(a);
  });
  connected = true;
}

// What one op may ask of the engine: times within 1e9 s (31 years), bytes within 1e24.
void refuse_unsimulable(const std::string& name, const PlannedOp& p) {
  constexpr double kLongest_s = 1e9, kLargest_bytes = 1e24;
  auto bad = [](double x, double limit) { return !std::isfinite(x) || x < 0 || x > limit; };
  if (bad(p.work_s, kLongest_s) || bad(p.launch_s, kLongest_s) || bad(p.link_bytes, kLargest_bytes)) {
    throw InputError("", fmt::format("op '{}' would take {:g} s of work, {:g} s of launch and move {:g} bytes: beyond "
                                     "what llmsim simulates (1e9 s, 1e24 bytes); check the sizes and rates that "
                                     "feed it",
                                     name, p.work_s, p.launch_s, p.link_bytes));
  }
}

}  // namespace

Executor::Executor(Platform& platform) : platform_(platform) { connect_completion_signal_once(); }

Executor::~Executor() {
  if (g_running == this) {
    g_running = nullptr;
    g_forward = nullptr;
  }
}

std::vector<OpTiming> Executor::run(const workloads::OpGraph& graph, const std::vector<PlannedOp>& plan,
                                    const std::vector<int>& streams) {
  if (plan.size() != graph.size()) throw std::invalid_argument("Executor::run: one PlannedOp per op is required");
  for (std::size_t v = 0; v < plan.size(); ++v) {
    const PlannedOp& p = plan[v];
    if (p.stream >= streams.size()) throw std::invalid_argument("Executor::run: op in an unknown stream group");
    // Checked before the engine starts: an op of NaN or overflowing size never completes, and
    // an engine left with unfinished activities cannot be unwound safely afterwards.
    refuse_unsimulable(graph.op(v).name, p);
  }
  graph_ = &graph;
  plan_ = &plan;
  streams_ = streams;
  in_flight_.assign(streams.size(), 0);
  ready_.assign(streams.size(), {});
  timings_.assign(graph.size(), {});
  activities_.assign(graph.size(), nullptr);
  missing_inputs_.resize(graph.size());
  op_ids_.resize(graph.size());
  done_ = 0;
  for (std::size_t v = 0; v < graph.size(); ++v) {
    op_ids_[v] = v;
    missing_inputs_[v] = graph.input_count(v);
    if (missing_inputs_[v] == 0) {
      ready_[plan[v].stream].push_back(v);
      std::push_heap(ready_[plan[v].stream].begin(), ready_[plan[v].stream].end(), std::greater<>());
    }
  }
  g_running = this;
  g_forward = [this](const sg4::Activity& a) { finished(a); };
  for (std::size_t d = 0; d < streams.size(); ++d) dispatch(d);
  platform_.engine().run();
  g_running = nullptr;
  g_forward = nullptr;
  activities_.clear();
  if (done_ != graph.size()) {
    throw std::logic_error("simulation ended with " + std::to_string(graph.size() - done_) + " ops not run");
  }
  return std::move(timings_);
}

void Executor::dispatch(std::size_t stream) {
  auto& heap = ready_[stream];
  while (in_flight_[stream] < streams_[stream] && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const std::size_t op = heap.back();
    heap.pop_back();
    ++in_flight_[stream];
    timings_[op].issued = platform_.now();
    const double launch = (*plan_)[op].launch_s;
    if (launch > 0) {
      simgrid::kernel::timer::Timer::set(platform_.now() + launch, [this, op]() { start_ptask(op); });
    } else {
      start_ptask(op);
    }
  }
}

void Executor::start_ptask(std::size_t op) {
  const PlannedOp& p = (*plan_)[op];
  // Hosts of the ptask: the compute host first, then the others the bytes touch.
  std::vector<std::size_t> hosts{p.compute_host};
  for (std::size_t h : {p.data_from, p.data_to})
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  const std::size_t n = hosts.size();
  auto slot = [&](std::size_t h) { return static_cast<std::size_t>(std::find(hosts.begin(), hosts.end(), h) - hosts.begin()); };
  std::vector<double> flops(n, 0.0);
  // A ptask needs some amount to exist; 1 ns of work is below anything we report.
  flops[0] = std::max(p.work_s * Platform::kWorkPerSecond, 1.0);
  std::vector<double> bytes(n * n, 0.0);
  if (p.data_from != p.data_to) bytes[slot(p.data_from) * n + slot(p.data_to)] = p.link_bytes;
  std::vector<sg4::Host*> sg_hosts;
  for (std::size_t h : hosts) sg_hosts.push_back(platform_.host(h));
  sg4::ExecPtr exec = sg4::Exec::init();
  exec->set_hosts(sg_hosts);
  exec->set_flops_amounts(flops);
  // Row = source host, column = destination host.
  exec->set_bytes_amounts(bytes);
  exec->set_data(&op_ids_[op]);
  activities_[op] = exec;
  timings_[op].start = platform_.now();
  exec->start();
}

void Executor::finished(const sg4::Activity& activity) {
  const auto* id = activity.get_data<std::size_t>();
  if (!id || !graph_) return;
  if (activity.get_state() != sg4::Activity::State::FINISHED) {
    throw std::runtime_error("op " + graph_->op(*id).name + " did not finish: " + activity.get_state_str());
  }
  const std::size_t op = *id;
  timings_[op].end = platform_.now();
  ++done_;
  const std::size_t stream = (*plan_)[op].stream;
  --in_flight_[stream];
  std::vector<std::size_t> touched{stream};
  for (auto next : graph_->outputs(op)) {
    if (--missing_inputs_[next] == 0) {
      const std::size_t d = (*plan_)[next].stream;
      ready_[d].push_back(next);
      std::push_heap(ready_[d].begin(), ready_[d].end(), std::greater<>());
      touched.push_back(d);
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (auto d : touched) dispatch(d);
}

}  // namespace llmsim::sim
