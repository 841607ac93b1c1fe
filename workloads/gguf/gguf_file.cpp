#include "workloads/gguf/gguf_file.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "common/input_error.hpp"
#include "common/input_file.hpp"

namespace llmsim::workloads {

namespace {

// ggml_type ids (ggml/include/ggml.h; 4, 5, 31-33 and 36-38 were removed and stay unused),
// ggml's names and llmsim's format names (workloads/formats.yaml).
struct TypeName {
  std::uint32_t id;
  const char* ggml;
  const char* format;  // "" = not a weight format llmsim models
};
constexpr std::array<TypeName, 35> kTypes = {{
    {0, "F32", "f32"},        {1, "F16", "f16"},        {2, "Q4_0", "q4_0"},      {3, "Q4_1", "q4_1"},
    {6, "Q5_0", "q5_0"},      {7, "Q5_1", "q5_1"},      {8, "Q8_0", "q8_0"},      {9, "Q8_1", ""},
    {10, "Q2_K", "q2_k"},     {11, "Q3_K", "q3_k"},     {12, "Q4_K", "q4_k"},     {13, "Q5_K", "q5_k"},
    {14, "Q6_K", "q6_k"},     {15, "Q8_K", ""},         {16, "IQ2_XXS", "iq2_xxs"}, {17, "IQ2_XS", "iq2_xs"},
    {18, "IQ3_XXS", "iq3_xxs"}, {19, "IQ1_S", "iq1_s"}, {20, "IQ4_NL", "iq4_nl"}, {21, "IQ3_S", "iq3_s"},
    {22, "IQ2_S", "iq2_s"},   {23, "IQ4_XS", "iq4_xs"}, {24, "I8", ""},           {25, "I16", ""},
    {26, "I32", ""},          {27, "I64", ""},          {28, "F64", ""},          {29, "IQ1_M", "iq1_m"},
    {30, "BF16", "bf16"},     {34, "TQ1_0", "tq1_0"},   {35, "TQ2_0", "tq2_0"},   {39, "MXFP4", "mxfp4"},
    {40, "NVFP4", "nvfp4"},   {41, "Q1_0", "q1_0"},     {42, "Q2_0", "q2_0"},
}};

const TypeName* find_type(std::uint32_t id) {
  for (const auto& t : kTypes)
    if (t.id == id) return &t;
  return nullptr;
}

// GGUF metadata value types (ggml/docs/gguf.md).
enum ValueType : std::uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9,
  kU64 = 10, kI64 = 11, kF64 = 12
};

constexpr std::uint64_t kMaxString = 1ull << 26;    // 64 MiB: no key or value is longer
constexpr std::uint64_t kMaxDims = 4;               // GGML_MAX_DIMS
constexpr std::size_t kKeptArrayNumbers = 4096;

// Little-endian reads with the position and the file's size known, so every length can be
// checked against what is left before anything is allocated.
class Cursor {
 public:
  // Only the header is read, so the file may be as large as a model is.
  Cursor(const std::string& path)
      : path_(path), size_(check_input_file(path, std::numeric_limits<std::uintmax_t>::max())) {
    in_.open(path, std::ios::binary);
    if (!in_) throw InputError(path, "cannot be opened");
  }

  template <typename T>
  T read(const char* what) {
    T value{};
    bytes(&value, sizeof(T), what);
    return value;  // GGUF is little-endian, as every host llmsim builds on
  }

  std::string string(const char* what) {
    const auto n = read<std::uint64_t>(what);
    if (n > kMaxString || n > left()) {
      throw InputError(where(), fmt::format("{} of {} bytes runs past the end of the file ({} bytes left)", what, n,
                                            left()));
    }
    std::string s(n, '\0');
    bytes(s.data(), n, what);
    return s;
  }

  void skip(std::uint64_t n, const char* what) {
    if (n > left()) throw InputError(where(), fmt::format("{} runs past the end of the file", what));
    in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
    pos_ += n;
  }

  std::uint64_t left() const { return size_ - pos_; }
  std::string where() const { return fmt::format("{}: byte {}", path_, pos_); }

 private:
  void bytes(void* out, std::uint64_t n, const char* what) {
    if (n > left()) throw InputError(where(), fmt::format("file truncated while reading {}", what));
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    if (!in_) throw InputError(where(), fmt::format("read failed while reading {}", what));
    pos_ += n;
  }

  std::string path_;
  std::uint64_t size_ = 0;
  std::ifstream in_;
  std::uint64_t pos_ = 0;
};

std::uint64_t scalar_size(std::uint32_t type) {
  switch (type) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kU64: case kI64: case kF64: return 8;
    default: return 0;
  }
}

double scalar_number(Cursor& c, std::uint32_t type) {
  switch (type) {
    case kU8: return c.read<std::uint8_t>("a u8");
    case kI8: return c.read<std::int8_t>("an i8");
    case kU16: return c.read<std::uint16_t>("a u16");
    case kI16: return c.read<std::int16_t>("an i16");
    case kU32: return c.read<std::uint32_t>("a u32");
    case kI32: return c.read<std::int32_t>("an i32");
    case kF32: return c.read<float>("an f32");
    case kBool: return c.read<std::uint8_t>("a bool");
    case kU64: return static_cast<double>(c.read<std::uint64_t>("a u64"));
    case kI64: return static_cast<double>(c.read<std::int64_t>("an i64"));
    default: return c.read<double>("an f64");
  }
}

GgufValue read_value(Cursor& c, std::uint32_t type, const std::string& key) {
  switch (type) {
    case kU8: return static_cast<std::uint64_t>(c.read<std::uint8_t>("a u8"));
    case kU16: return static_cast<std::uint64_t>(c.read<std::uint16_t>("a u16"));
    case kU32: return static_cast<std::uint64_t>(c.read<std::uint32_t>("a u32"));
    case kU64: return c.read<std::uint64_t>("a u64");
    case kI8: return static_cast<std::int64_t>(c.read<std::int8_t>("an i8"));
    case kI16: return static_cast<std::int64_t>(c.read<std::int16_t>("an i16"));
    case kI32: return static_cast<std::int64_t>(c.read<std::int32_t>("an i32"));
    case kI64: return c.read<std::int64_t>("an i64");
    case kF32: return static_cast<double>(c.read<float>("an f32"));
    case kF64: return c.read<double>("an f64");
    case kBool: return c.read<std::uint8_t>("a bool") != 0;
    case kString: return c.string("a string value");
    case kArray: {
      GgufArray a;
      a.element_type = c.read<std::uint32_t>("an array's element type");
      a.count = c.read<std::uint64_t>("an array's length");
      if (a.element_type == kString) {
        // Each element carries its own length: read them one by one (vocabularies: ~10^5).
        if (a.count > c.left() / 8) throw InputError(c.where(), fmt::format("array '{}' of {} strings runs past the "
                                                                          "end of the file", key, a.count));
        for (std::uint64_t i = 0; i < a.count; ++i) c.skip(c.read<std::uint64_t>("a string's length"), "a string");
      } else if (const auto size = scalar_size(a.element_type); size > 0) {
        if (a.count > c.left() / size) {
          throw InputError(c.where(), fmt::format("array '{}' of {} elements runs past the end of the file", key, a.count));
        }
        const auto kept = std::min<std::uint64_t>(a.count, kKeptArrayNumbers);
        for (std::uint64_t i = 0; i < kept; ++i) a.numbers.push_back(scalar_number(c, a.element_type));
        c.skip((a.count - kept) * size, "an array");
      } else {
        throw InputError(c.where(), fmt::format("array '{}' has element type {}, which GGUF does not define (or "
                                                "nests arrays, which llmsim does not read)", key, a.element_type));
      }
      return a;
    }
    default:
      throw InputError(c.where(), fmt::format("metadata '{}' has value type {}, which GGUF does not define", key, type));
  }
}

}  // namespace

std::uint64_t GgufTensor::elements() const {
  // Saturates instead of wrapping: four dimensions of 2^40 would overflow 64 bits.
  std::uint64_t n = 1;
  for (auto d : dims) n = d != 0 && n > UINT64_MAX / d ? UINT64_MAX : n * d;
  return n;
}

std::optional<std::int64_t> GgufFile::integer(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&it->second)) {
    if (*u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*u);
  }
  return std::nullopt;
}

std::optional<std::string> GgufFile::text(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  return std::nullopt;
}

const GgufTensor* GgufFile::tensor(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::string ggml_type_format(std::uint32_t type) {
  const auto* t = find_type(type);
  return t ? t->format : "";
}

std::string ggml_type_name(std::uint32_t type) {
  const auto* t = find_type(type);
  return t ? t->ggml : fmt::format("type {}", type);
}

GgufFile read_gguf(const std::string& path) {
  Cursor c(path);
  GgufFile f;
  f.path = path;
  char magic[4];
  for (char& ch : magic) ch = static_cast<char>(c.read<std::uint8_t>("the magic"));
  if (std::memcmp(magic, "GGUF", 4) != 0) throw InputError(path, "not a GGUF file (its first bytes are not 'GGUF')");
  f.version = c.read<std::uint32_t>("the version");
  if (f.version != 2 && f.version != 3) {
    throw InputError(path, fmt::format("GGUF version {}; llmsim reads versions 2 and 3", f.version));
  }
  const auto tensor_count = c.read<std::uint64_t>("the tensor count");
  const auto kv_count = c.read<std::uint64_t>("the metadata count");
  // Each metadata pair and tensor info takes at least 12 and 24 bytes: counts beyond that are lies.
  if (kv_count > c.left() / 12 || tensor_count > c.left() / 24) {
    throw InputError(c.where(), fmt::format("header claims {} metadata pairs and {} tensors, more than the file's {} "
                                            "remaining bytes can hold",
                                            kv_count, tensor_count, c.left()));
  }
  for (std::uint64_t i = 0; i < kv_count; ++i) {
    std::string key = c.string("a metadata key");
    const auto type = c.read<std::uint32_t>("a metadata value type");
    f.metadata[key] = read_value(c, type, key);
  }
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensor t;
    t.name = c.string("a tensor name");
    const auto n_dims = c.read<std::uint32_t>("a tensor's dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      throw InputError(c.where(), fmt::format("tensor '{}' has {} dimensions (1 to {} allowed)", t.name, n_dims, kMaxDims));
    }
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = c.read<std::uint64_t>("a tensor dimension");
      if (ne == 0 || ne > (1ull << 40)) throw InputError(c.where(), fmt::format("tensor '{}' has dimension {}", t.name, ne));
      t.dims.push_back(ne);
    }
    if (static_cast<double>(t.elements()) > 1e15 || t.elements() == 0) {
      throw InputError(c.where(), fmt::format("tensor '{}' has an implausible {} elements", t.name, t.elements()));
    }
    t.type = c.read<std::uint32_t>("a tensor type");
    if (!find_type(t.type)) {
      throw InputError(c.where(), fmt::format("tensor '{}' has ggml type {}, which this llmsim does not know (known: "
                                              "0-3, 6-30, 34, 35, 39-42)",
                                              t.name, t.type));
    }
    t.offset = c.read<std::uint64_t>("a tensor offset");
    f.tensors.push_back(std::move(t));
  }
  return f;
}

}  // namespace llmsim::workloads
