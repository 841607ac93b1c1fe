#include "sim/trace_writer.hpp"

#include <fmt/format.h>

namespace llmsim::sim {

StepObserver TraceWriter::observer() {
  return [this](const StepView& step) { record(step); };
}

int TraceWriter::track(const std::string& name) {
  auto it = tracks_.find(name);
  if (it != tracks_.end()) return it->second;
  const int id = static_cast<int>(tracks_.size()) + 1;
  tracks_[name] = id;
  events_.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", id}, {"args", {{"name", name}}}});
  return id;
}

void TraceWriter::record(const StepView& step) {
  if (step.phase == "decode" && step.index >= decode_steps_) return;
  const auto& graph = *step.graph;
  for (std::size_t v = 0; v < graph.size(); ++v) {
    const auto& op = graph.op(v);
    const auto& t = (*step.timings)[v];
    const auto& c = (*step.costs)[v];
    const auto& p = (*step.plan)[v];
    nlohmann::json args = {{"phase", step.phase},          {"step", step.index},
                           {"kind", to_string(op.kind)},   {"group", op.group},
                           {"flops", op.flops},            {"bytes", op.bytes()},
                           {"launch_us", c.launch_s * 1e6}, {"compute_us", c.compute_s * 1e6},
                           {"memory_us", c.memory_s * 1e6}, {"bound", to_string(c.bound())}};
    const double ts = t.issued * 1e6;
    const double dur = (t.end - t.issued) * 1e6;
    events_.push_back({{"name", op.name}, {"cat", op.group}, {"ph", "X"}, {"pid", 1},
                       {"tid", track("stream " + step.stream_names->at(p.stream))},
                       {"ts", ts}, {"dur", dur}, {"args", args}});
    if (p.link_bytes > 0 && p.data_from != p.data_to) {
      for (const auto& link : step.platform->route_links(p.data_from, p.data_to)) {
        events_.push_back({{"name", op.name}, {"cat", "transfer"}, {"ph", "X"}, {"pid", 1}, {"tid", track(link)},
                           {"ts", t.start * 1e6}, {"dur", (t.end - t.start) * 1e6},
                           {"args", {{"bytes", p.link_bytes}}}});
      }
    }
  }
}

std::string TraceWriter::json() const {
  nlohmann::json root;
  root["traceEvents"] = events_;
  root["displayTimeUnit"] = "ms";
  root["otherData"] = {{"producer", "llmsim"},
                       {"note", fmt::format("all prefill chunks and the first {} decode steps", decode_steps_)}};
  return root.dump();
}

}  // namespace llmsim::sim
