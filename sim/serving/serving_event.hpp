// The events of a serving simulation and their order: time first, then a fixed priority
// (a finished step frees its replica before a same-time arrival is routed), then creation
// order, so equal inputs always replay identically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

namespace llmsim::sim::serving {

struct Arrival {
  std::size_t request;
};
struct StepDone {
  std::size_t replica;
};
struct Handoff {  // a prefilled request's KV cache reached its decode replica
  std::size_t request;
  std::size_t replica;
};
struct Admit {  // a sent request has passed the engine's front end and joins a replica's queue
  std::size_t request;
};
struct WakeUp {  // a scheduler asked to look again (static batching's timeout)
  std::size_t replica;
};

using EventBody = std::variant<StepDone, Handoff, Admit, Arrival, WakeUp>;

struct Event {
  double time = 0;
  uint64_t sequence = 0;
  EventBody body;

  int priority() const { return static_cast<int>(body.index()); }
  /// For a min-heap: the event that happens later compares greater.
  bool operator>(const Event& other) const {
    if (time != other.time) return time > other.time;
    if (priority() != other.priority()) return priority() > other.priority();
    return sequence > other.sequence;
  }
};

}  // namespace llmsim::sim::serving
