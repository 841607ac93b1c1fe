#include "workloads/chakra/comm_matcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <tuple>

#include "common/input_error.hpp"
#include "workloads/chakra/node_attributes.hpp"

namespace llmsim::chakra {

using ChakraProtoMsg::Node;

namespace {

class CommMatcher {
 public:
  explicit CommMatcher(const std::vector<TraceFile>& files) : files_(files), ranks_(static_cast<int>(files.size())) {}

  std::vector<MergedNode> run() {
    match_collectives();
    match_sends();
    return std::move(groups_);
  }

 private:
  const Node& node(const NodeRef& ref) const { return files_[static_cast<std::size_t>(ref.rank)].nodes[ref.index]; }
  std::size_t node_count(int rank) const { return files_[static_cast<std::size_t>(rank)].nodes.size(); }
  std::string describe(const NodeRef& ref) const { return describe_node(files_, ref); }
  NodeAttributes attrs(const NodeRef& ref) const { return NodeAttributes(node(ref), describe(ref)); }

  void new_unit(std::vector<NodeRef> members, std::vector<int> ranks) {
    MergedNode m;
    m.members = std::move(members);
    m.ranks = std::move(ranks);
    groups_.push_back(std::move(m));
  }

  void check_rank(int rank, const NodeRef& ref, const char* what) const {
    if (rank < 0 || rank >= ranks_) {
      throw InputError(describe(ref), fmt::format("{} {} is not one of the {} ranks imported", what, rank, ranks_));
    }
  }

  // Groups by participant list, pg_name or the default group; matches in order within each.
  void match_collectives() {
    std::map<std::string, std::vector<int>> participants;
    std::map<std::string, std::map<int, std::vector<std::size_t>>> issued;  // group -> rank -> nodes in order
    for (int r = 0; r < ranks_; ++r) {
      for (std::size_t i = 0; i < node_count(r); ++i) {
        const NodeRef ref{r, i};
        if (node(ref).type() != ChakraProtoMsg::COMM_COLL_NODE) continue;
        const NodeAttributes a = attrs(ref);
        std::string group = "the default process group";
        if (auto list = a.integers("llmsim.ranks")) {
          std::vector<int> ranks(list->begin(), list->end());
          for (int p : ranks) check_rank(p, ref, "participant rank");
          if (std::find(ranks.begin(), ranks.end(), r) == ranks.end()) {
            throw InputError(describe(ref),
                             fmt::format("its llmsim.ranks do not include rank {}, whose file it is in", r));
          }
          group = fmt::format("ranks [{}]", fmt::join(ranks, ","));
          participants[group] = ranks;
        } else if (auto pg = a.text("pg_name")) {
          group = fmt::format("process group '{}'", *pg);
        }
        issued[group][r].push_back(i);
      }
    }
    for (auto& [group, by_rank] : issued) {
      std::vector<int>& ranks = participants[group];
      if (ranks.empty())
        for (const auto& [r, nodes] : by_rank) ranks.push_back(r);
      std::sort(ranks.begin(), ranks.end());
      std::size_t most = 0;
      int fullest = ranks.front();
      for (const auto& [r, nodes] : by_rank) {
        if (nodes.size() > most) most = nodes.size(), fullest = r;
      }
      for (std::size_t k = 0; k < most; ++k) {
        std::vector<NodeRef> members;
        for (int p : ranks) {
          const auto& mine = by_rank[p];
          if (mine.size() <= k) {
            const NodeRef orphan{fullest, by_rank[fullest][k]};
            throw InputError(describe(orphan),
                             fmt::format("collective #{} of {} has no partner on rank {}: {} has only {} collective(s) "
                                         "in that group",
                                         k, group, p, files_[static_cast<std::size_t>(p)].path, mine.size()));
          }
          members.push_back({p, mine[k]});
        }
        check_same(members, "comm_type");
        check_same(members, "comm_size");
        new_unit(std::move(members), ranks);
      }
    }
  }

  void check_same(const std::vector<NodeRef>& members, const char* attr) const {
    const auto first = attrs(members.front()).integer(attr);
    for (const auto& m : members) {
      const auto v = attrs(m).integer(attr);
      if (v != first) {
        throw InputError(describe(m),
                         fmt::format("{} {} differs from {} on its partner {}", attr, v ? std::to_string(*v) : "(none)",
                                     first ? std::to_string(*first) : "(none)", describe(members.front())));
      }
    }
  }

  // Sends pair with receives of the same (source, destination, tag), the k-th with the k-th.
  void match_sends() {
    using Key = std::tuple<int, int, int64_t>;
    std::map<Key, std::deque<NodeRef>> sends, recvs;
    for (int r = 0; r < ranks_; ++r) {
      for (std::size_t i = 0; i < node_count(r); ++i) {
        const NodeRef ref{r, i};
        const auto type = node(ref).type();
        if (type != ChakraProtoMsg::COMM_SEND_NODE && type != ChakraProtoMsg::COMM_RECV_NODE) continue;
        const bool send = type == ChakraProtoMsg::COMM_SEND_NODE;
        const NodeAttributes a = attrs(ref);
        // The node's own end may be left out; the other end may not.
        const auto src = a.integer("comm_src");
        const auto dst = a.integer("comm_dst");
        if (!(send ? dst : src)) {
          throw InputError(describe(ref),
                           fmt::format("a {} needs {}", send ? "send" : "receive", send ? "comm_dst" : "comm_src"));
        }
        const int from = static_cast<int>(src.value_or(r));
        const int to = static_cast<int>(dst.value_or(r));
        check_rank(from, ref, "comm_src");
        check_rank(to, ref, "comm_dst");
        if ((send ? from : to) != r) {
          throw InputError(describe(ref), fmt::format("{} {} is not rank {}, whose file it is in",
                                                      send ? "comm_src" : "comm_dst", send ? from : to, r));
        }
        if (from == to) throw InputError(describe(ref), fmt::format("sends from rank {} to itself", from));
        (send ? sends : recvs)[{from, to, a.integer("comm_tag").value_or(0)}].push_back(ref);
      }
    }
    for (auto& [key, queue] : sends) {
      auto& partners = recvs[key];
      for (const NodeRef& s : queue) {
        if (partners.empty()) {
          throw InputError(describe(s),
                           fmt::format("send to rank {} (tag {}) has no matching receive in {}", std::get<1>(key),
                                       std::get<2>(key), files_[static_cast<std::size_t>(std::get<1>(key))].path));
        }
        const NodeRef r = partners.front();
        partners.pop_front();
        const auto send_size = attrs(s).integer("comm_size");
        const auto recv_size = attrs(r).integer("comm_size");
        if (send_size && recv_size && *send_size != *recv_size) {
          throw InputError(describe(r), fmt::format("receives {} bytes but its send {} sends {}", *recv_size,
                                                    describe(s), *send_size));
        }
        std::vector<NodeRef> members{s, r};
        if (r.rank < s.rank) std::swap(members[0], members[1]);
        new_unit(std::move(members), {std::get<0>(key), std::get<1>(key)});
      }
    }
    for (const auto& [key, queue] : recvs) {
      if (!queue.empty()) {
        throw InputError(describe(queue.front()),
                         fmt::format("receive from rank {} (tag {}) has no matching send in {}", std::get<0>(key),
                                     std::get<2>(key), files_[static_cast<std::size_t>(std::get<0>(key))].path));
      }
    }
  }

  const std::vector<TraceFile>& files_;
  int ranks_;
  std::vector<MergedNode> groups_;
};

}  // namespace

std::vector<MergedNode> match_communication(const std::vector<TraceFile>& files) { return CommMatcher(files).run(); }

}  // namespace llmsim::chakra
