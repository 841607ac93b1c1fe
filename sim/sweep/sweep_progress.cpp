#include "sim/sweep/sweep_progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace llmsim::sim::sweep {

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

SweepProgress::SweepProgress(std::size_t total, std::size_t already, bool enabled)
    : total_(total),
      already_(already),
      done_(already),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_line_(start_) {
  draw(true);
}

void SweepProgress::point_done(bool failed) {
  ++done_;
  if (failed) ++failed_;
  draw(done_ == total_);
}

void SweepProgress::finish() {
  if (enabled_ && tty_) fmt::print(stderr, "\n");
}

void SweepProgress::draw(bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::size_t ran = done_ - already_;
  std::string eta = "?";
  if (ran > 0) eta = format_duration(elapsed / static_cast<double>(ran) * static_cast<double>(total_ - done_));
  if (done_ == total_) eta = "0:00";
  const std::string figures =
      fmt::format("{}/{} points  {} failed  {} elapsed  ETA {}", done_, total_, failed_, format_duration(elapsed), eta);
  if (tty_) {
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total_ ? done_ * kWidth / total_ : kWidth;
    fmt::print(stderr, "\r[{}{}] {}\x1b[K", std::string(filled, '#'), std::string(kWidth - filled, '.'), figures);
    std::fflush(stderr);
    return;
  }
  if (!force && now - last_line_ < std::chrono::seconds(10)) return;
  last_line_ = now;
  fmt::print(stderr, "sweep: {}\n", figures);
}

}  // namespace llmsim::sim::sweep
