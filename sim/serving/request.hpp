// A request to a model server and what happens to it during a serving simulation.
#pragma once

#include <cstdint>

namespace llmsim::sim::serving {

struct Request {
  int64_t id = 0;
  double arrival_s = 0;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
};

enum class RequestState { waiting, running, swapped, finished };

/// The server's view of a request while it is served.
struct RequestProgress {
  Request request;
  RequestState state = RequestState::waiting;
  int replica = -1;
  int64_t computed = 0;   // tokens whose KV is in the cache (prompt processed + generated ones fed back)
  int64_t generated = 0;  // output tokens produced so far
  int64_t blocks = 0;     // KV blocks held of its own (shared prefix blocks are the replica's)
  int64_t cached_prefix = 0;  // prompt tokens whose KV the prefix cache holds: the prefill skips them
  int preemptions = 0;
  double speculative_credit = 0;  // accepted tokens expected but not yet whole (speculative decoding)
  double first_scheduled_s = -1;
  double first_token_s = -1;
  double finish_s = -1;

  /// Tokens the next prefill must process: the prompt plus, after a recompute preemption,
  /// the tokens generated before it.
  int64_t prefill_target() const { return request.prompt_tokens + (generated > 0 ? generated - 1 : 0); }
  bool prefilled() const { return computed >= prefill_target(); }
  bool done() const { return generated >= request.output_tokens; }
  /// On admission to a prefill: a prefix cache hit puts the cached tokens in place at once.
  void take_cached_prefix() {
    if (computed < cached_prefix) computed = cached_prefix;
  }
};

}  // namespace llmsim::sim::serving
