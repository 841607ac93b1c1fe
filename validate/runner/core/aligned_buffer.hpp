// An owning, 64-byte aligned (2 MiB for large ones, so transparent huge pages can back it)
// uninitialised array for kernel operands.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace llmsim::bench {

template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) : count_(count) {
    const std::size_t align = count * sizeof(T) >= (std::size_t{4} << 20) ? (std::size_t{2} << 20) : 64;
    const std::size_t bytes = ((count * sizeof(T) + align - 1) / align) * align;
    void* p = std::aligned_alloc(align, bytes == 0 ? align : bytes);
    if (p == nullptr) throw std::bad_alloc();
    if (align > 64) ::madvise(p, bytes, MADV_HUGEPAGE);  // a hint; ignored where THP is off
    data_.reset(static_cast<T*>(p));
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return count_; }
  T& operator[](std::size_t i) { return data_.get()[i]; }
  const T& operator[](std::size_t i) const { return data_.get()[i]; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t count_ = 0;
};

}  // namespace llmsim::bench
