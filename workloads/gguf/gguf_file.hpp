// The header of a GGUF file (llama.cpp's model format, ggml/docs/gguf.md): its metadata
// key-value pairs and its tensor infos (name, shape, ggml type, offset). No tensor data is
// read, so a 40 GB model is inspected in milliseconds. Every count and length is checked
// against the file's size before anything is allocated, so a truncated or hostile file is an
// InputError naming the byte where it went wrong, never a crash or a huge allocation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace llmsim::workloads {

/// A metadata value: integers (all widths), floats, bools and strings are kept; arrays keep
/// their element type and length (and their elements when they are numbers, up to 4096).
struct GgufArray {
  std::uint32_t element_type = 0;
  std::uint64_t count = 0;
  std::vector<double> numbers;  // elements of a numeric array (first 4096)
};
using GgufValue = std::variant<std::int64_t, std::uint64_t, double, bool, std::string, GgufArray>;

struct GgufTensor {
  std::string name;                 // "blk.0.attn_q.weight"
  std::vector<std::uint64_t> dims;  // ne[0] (the row length) first, as ggml stores it
  std::uint32_t type = 0;           // ggml_type id
  std::uint64_t offset = 0;         // within the data section
  std::uint64_t elements() const;
};

struct GgufFile {
  std::string path;
  std::uint32_t version = 0;
  std::map<std::string, GgufValue> metadata;
  std::vector<GgufTensor> tensors;

  /// A metadata integer (any integer width), or nullopt when absent or not an integer.
  std::optional<std::int64_t> integer(const std::string& key) const;
  std::optional<std::string> text(const std::string& key) const;
  const GgufTensor* tensor(const std::string& name) const;
};

/// Reads the header of `path`. InputError for a file that is not GGUF (magic), a version other
/// than 2 or 3, a truncated file, an unknown metadata value type, an unknown ggml tensor type
/// or counts beyond what the file can hold.
GgufFile read_gguf(const std::string& path);

/// llmsim's storage-format name of a ggml type id (formats.yaml: "q4_k", "f16", ...), or ""
/// for a type id that ggml does not define. Types with no weight format here (i8..i64) give "".
std::string ggml_type_format(std::uint32_t type);
/// ggml's own name of a type id ("Q4_K"), or "type N".
std::string ggml_type_name(std::uint32_t type);

}  // namespace llmsim::workloads
