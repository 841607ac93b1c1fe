#include "workloads/chakra/trace_merger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <queue>
#include <set>
#include <tuple>
#include <unordered_map>

#include "common/input_error.hpp"
#include "workloads/chakra/comm_matcher.hpp"

namespace llmsim::chakra {

using ChakraProtoMsg::Node;

std::string describe_node(const std::vector<TraceFile>& files, const NodeRef& ref) {
  const Node& n = files[static_cast<std::size_t>(ref.rank)].nodes[ref.index];
  return fmt::format("{} node {} '{}'", files[static_cast<std::size_t>(ref.rank)].path, n.id(), n.name());
}

namespace {

// Ready nodes leave in this order: llmsim's global op index when every file carries it
// (so an exported step comes back in its original order), else file position, then rank.
using OrderKey = std::tuple<uint64_t, uint64_t, int>;

class Merger {
 public:
  explicit Merger(const std::vector<TraceFile>& files) : files_(files), ranks_(static_cast<int>(files.size())) {}

  std::vector<MergedNode> run() {
    index_ids();
    global_ids_ = std::all_of(files_.begin(), files_.end(), [](const TraceFile& f) {
      for (const auto& a : f.metadata.attr())
        if (a.name() == "llmsim.global_ids") return a.bool_val();
      return false;
    });
    unit_of_.resize(files_.size());
    for (std::size_t r = 0; r < files_.size(); ++r) unit_of_[r].assign(files_[r].nodes.size(), kNone);
    for (auto& group : match_communication(files_)) new_unit(std::move(group.members), std::move(group.ranks));
    for (int r = 0; r < ranks_; ++r) {
      for (std::size_t i = 0; i < node_count(r); ++i)
        if (unit_of_[static_cast<std::size_t>(r)][i] == kNone) new_unit({{r, i}}, {});
    }
    connect();
    return order();
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  const Node& node(const NodeRef& ref) const { return files_[static_cast<std::size_t>(ref.rank)].nodes[ref.index]; }
  std::size_t node_count(int rank) const { return files_[static_cast<std::size_t>(rank)].nodes.size(); }

  void index_ids() {
    ids_.resize(files_.size());
    for (int r = 0; r < ranks_; ++r) {
      auto& ids = ids_[static_cast<std::size_t>(r)];
      const auto& file = files_[static_cast<std::size_t>(r)];
      for (std::size_t i = 0; i < file.nodes.size(); ++i) {
        auto [it, fresh] = ids.emplace(file.nodes[i].id(), i);
        if (!fresh) {
          throw InputError(file.path, fmt::format("node id {} is used twice: by '{}' and by '{}'", file.nodes[i].id(),
                                                  file.nodes[it->second].name(), file.nodes[i].name()));
        }
      }
      for (std::size_t i = 0; i < file.nodes.size(); ++i) {
        const Node& n = file.nodes[i];
        for (const auto* deps : {&n.data_deps(), &n.ctrl_deps()}) {
          for (uint64_t d : *deps) {
            if (!ids.count(d)) {
              throw InputError(file.path, fmt::format("node {} '{}' depends on node {}, which is not in this file",
                                                      n.id(), n.name(), d));
            }
          }
        }
      }
    }
  }

  std::size_t new_unit(std::vector<NodeRef> members, std::vector<int> ranks) {
    MergedNode u;
    u.members = std::move(members);
    u.ranks = std::move(ranks);
    for (const auto& m : u.members) unit_of_[static_cast<std::size_t>(m.rank)][m.index] = units_.size();
    units_.push_back(std::move(u));
    return units_.size() - 1;
  }

  void connect() {
    for (std::size_t u = 0; u < units_.size(); ++u) {
      auto& inputs = units_[u].inputs;
      for (const NodeRef& m : units_[u].members) {
        const Node& n = node(m);
        const auto& ids = ids_[static_cast<std::size_t>(m.rank)];
        for (const auto* deps : {&n.data_deps(), &n.ctrl_deps()}) {
          for (uint64_t d : *deps) {
            const std::size_t v = unit_of_[static_cast<std::size_t>(m.rank)][ids.at(d)];
            if (std::find(inputs.begin(), inputs.end(), v) == inputs.end()) inputs.push_back(v);
          }
        }
      }
    }
  }

  OrderKey key(std::size_t u) const {
    const NodeRef& first = units_[u].members.front();
    if (global_ids_) return {node(first).id(), 0, 0};
    return {0, first.index, first.rank};
  }

  // Kahn's algorithm, smallest key first among the ready; what is left over lies on a cycle
  // or behind one.
  std::vector<MergedNode> order() {
    const std::size_t n = units_.size();
    std::vector<std::size_t> waiting(n);
    std::vector<std::vector<std::size_t>> consumers(n);
    for (std::size_t u = 0; u < n; ++u) {
      waiting[u] = units_[u].inputs.size();
      for (std::size_t v : units_[u].inputs) consumers[v].push_back(u);
    }
    using Entry = std::pair<OrderKey, std::size_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> ready;
    for (std::size_t u = 0; u < n; ++u)
      if (waiting[u] == 0) ready.push({key(u), u});
    std::vector<std::size_t> position(n, kNone);
    std::vector<std::size_t> sequence;
    while (!ready.empty()) {
      const std::size_t u = ready.top().second;
      ready.pop();
      position[u] = sequence.size();
      sequence.push_back(u);
      for (std::size_t c : consumers[u])
        if (--waiting[c] == 0) ready.push({key(c), c});
    }
    if (sequence.size() < n) report_cycle(position);
    std::vector<MergedNode> out;
    out.reserve(n);
    for (std::size_t u : sequence) {
      MergedNode m = std::move(units_[u]);
      for (auto& v : m.inputs) v = position[v];
      out.push_back(std::move(m));
    }
    return out;
  }

  // Follows "waits for" among the unordered nodes until one repeats: that loop is a cycle.
  [[noreturn]] void report_cycle(const std::vector<std::size_t>& position) const {
    std::size_t u = 0;
    while (position[u] != kNone) ++u;
    std::vector<std::size_t> path;
    std::vector<std::size_t> seen_at(units_.size(), kNone);
    while (seen_at[u] == kNone) {
      seen_at[u] = path.size();
      path.push_back(u);
      for (std::size_t v : units_[u].inputs) {
        if (position[v] == kNone) {
          u = v;
          break;
        }
      }
    }
    auto name = [&](std::size_t unit) {
      const NodeRef& ref = units_[unit].members.front();
      const Node& n = node(ref);
      const auto file = std::filesystem::path(files_[static_cast<std::size_t>(ref.rank)].path).filename().string();
      return fmt::format("{} node {} '{}'", file, n.id(), n.name());
    };
    std::string loop;
    for (std::size_t i = seen_at[u]; i < path.size(); ++i) loop += name(path[i]) + " waits for ";
    loop += name(u);
    throw InputError(files_[static_cast<std::size_t>(units_[u].members.front().rank)].path,
                     "dependency cycle: " + loop);
  }

  const std::vector<TraceFile>& files_;
  int ranks_;
  bool global_ids_ = false;
  std::vector<std::unordered_map<uint64_t, std::size_t>> ids_;  // per rank: node id -> index
  std::vector<std::vector<std::size_t>> unit_of_;               // per rank and node: its MergedNode
  std::vector<MergedNode> units_;
};

}  // namespace

std::vector<MergedNode> merge_rank_files(const std::vector<TraceFile>& files) { return Merger(files).run(); }

}  // namespace llmsim::chakra
