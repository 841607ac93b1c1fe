// Byte sizes as people write them in suite files ("4KiB", "1 GiB", "64MB", 4096).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace llmsim::bench {

/// Bytes for "4KiB" (binary units), "4KB" (decimal units) or a plain integer; nullopt
/// when the text is none of these.
std::optional<std::int64_t> parse_size(const std::string& text);

/// The shortest exact binary-unit form: 4096 -> "4KiB", 1000 -> "1000B".
std::string format_size(std::int64_t bytes);

}  // namespace llmsim::bench
