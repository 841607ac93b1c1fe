// A paged KV cache of fixed-size blocks (vLLM's PagedAttention): requests hold whole
// blocks; allocation fails, never overcommits, when the blocks run out.
#pragma once

#include <cstdint>

namespace llmsim::sim::serving {

class KvBlockManager {
 public:
  KvBlockManager(int64_t total_blocks, int64_t block_tokens);

  int64_t blocks_for(int64_t tokens) const { return (tokens + block_tokens_ - 1) / block_tokens_; }
  bool can_allocate(int64_t blocks) const { return blocks <= free(); }
  /// Takes `blocks` more; returns false (and takes nothing) when they are not free.
  bool allocate(int64_t blocks);
  void release(int64_t blocks);

  int64_t total() const { return total_; }
  int64_t used() const { return used_; }
  int64_t free() const { return total_ - used_; }
  int64_t block_tokens() const { return block_tokens_; }
  int64_t peak() const { return peak_; }

 private:
  int64_t total_;
  int64_t block_tokens_;
  int64_t used_ = 0;
  int64_t peak_ = 0;
};

}  // namespace llmsim::sim::serving
