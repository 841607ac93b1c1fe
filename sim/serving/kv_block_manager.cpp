#include "sim/serving/kv_block_manager.hpp"

#include <algorithm>
#include <stdexcept>

namespace llmsim::sim::serving {

KvBlockManager::KvBlockManager(int64_t total_blocks, int64_t block_tokens)
    : total_(total_blocks), block_tokens_(block_tokens) {
  if (total_blocks < 0 || block_tokens < 1) throw std::invalid_argument("KvBlockManager: bad sizes");
}

bool KvBlockManager::allocate(int64_t blocks) {
  if (blocks < 0 || blocks > free()) return false;
  used_ += blocks;
  peak_ = std::max(peak_, used_);
  return true;
}

void KvBlockManager::release(int64_t blocks) {
  if (blocks < 0 || blocks > used_) throw std::logic_error("KvBlockManager: releasing blocks not held");
  used_ -= blocks;
}

}  // namespace llmsim::sim::serving
