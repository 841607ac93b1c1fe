// The input layer: every file llmsim reads is checked here before it is opened, so that a
// FIFO (which would block forever), a device such as /dev/zero (which never ends), a
// directory, a symlink loop or an over-long name is refused with a message that says what
// the path is, and no file larger than its format's limit is read into memory.
#pragma once

#include <cstdint>
#include <string>

namespace llmsim {

/// Size limits per kind of input (docs/reliability.md, "Limits"). Configuration files are
/// small; traces and measurement tables may be large but not unbounded.
inline constexpr std::uintmax_t kMaxConfigBytes = 16ull << 20;   // YAML, config.json, profiles
inline constexpr std::uintmax_t kMaxTableBytes = 2ull << 30;    // CSV/JSONL traces, corpora
inline constexpr std::uintmax_t kMaxBinaryBytes = 1ull << 30;    // Chakra traces, measurement records

/// Throws InputError unless `path` names a readable regular file (symlinks followed) of at
/// most `max_bytes`. Returns its size. Does not open the file.
std::uintmax_t check_input_file(const std::string& path, std::uintmax_t max_bytes);

/// check_input_file, then the whole content. A UTF-8 byte-order mark at the start is dropped
/// (spreadsheet exports write one; it would otherwise become part of the first column name).
std::string read_input_file(const std::string& path, std::uintmax_t max_bytes);

/// JSON deeper than any llmsim format needs is refused before it is parsed: nlohmann's parser
/// copes, but walking such a value (to describe it in a message, to free it) recurses once per
/// level and overflows the stack near 50,000 levels. Scans the text, skipping strings.
/// Whether a user-given path names a regular file / a directory / anything, without throwing:
/// std::filesystem's plain overloads throw on a name too long for the OS or a component that
/// is not a directory (found by fuzzing a cluster's `node:`); here that is simply "no", and the
/// reader that opens the path says why.
bool is_regular_file_path(const std::string& path) noexcept;
bool is_directory_path(const std::string& path) noexcept;
bool path_exists(const std::string& path) noexcept;

inline constexpr int kMaxJsonDepth = 64;
void refuse_deep_json(const std::string& text, const std::string& where, int max_depth = kMaxJsonDepth);

}  // namespace llmsim
