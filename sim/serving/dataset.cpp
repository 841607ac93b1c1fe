#include "sim/serving/dataset.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "sim/serving/seeded_draw.hpp"

namespace llmsim::sim::serving {

namespace {

// A ShareGPT file of a million conversations is about 700 MB; refuse anything far beyond.
constexpr std::uintmax_t kMaxDatasetBytes = 4ull << 30;

std::string read_text(const std::string& path) {
  // ShareGPT_V3's download is 642 MB: datasets get a larger limit than other tables.
  std::string text = read_input_file(path, kMaxDatasetBytes);
  refuse_deep_json(text, path);
  return text;
}

int64_t line_of_byte(const std::string& text, std::size_t byte) {
  const auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(byte, text.size()));
  return 1 + std::count(text.begin(), end, '\n');
}

// The text of a turn: ShareGPT's {"from", "value"} or the chat format's {"role", "content"}.
const nlohmann::json* turn_text(const nlohmann::json& turn) {
  if (!turn.is_object()) return nullptr;
  for (const char* key : {"value", "content"}) {
    auto it = turn.find(key);
    if (it != turn.end() && it->is_string()) return &*it;
  }
  return nullptr;
}

int64_t tokens_of(const std::string& text, double chars_per_token) {
  return static_cast<int64_t>(std::ceil(static_cast<double>(text.size()) / chars_per_token));
}

}  // namespace

std::vector<int64_t> json_array_element_lines(const std::string& text) {
  std::vector<int64_t> lines;
  int depth = 0;
  int64_t line = 1;
  bool in_string = false, escaped = false, expect_element = false;
  for (const char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (expect_element && !space && c != ']') {
      lines.push_back(line);
      expect_element = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (depth == 1 && c == '[') expect_element = true;
    } else if (c == ']' || c == '}') {
      --depth;
      expect_element = false;
    } else if (c == ',' && depth == 1) {
      expect_element = true;
    }
  }
  return lines;
}

Dataset read_sharegpt(const std::string& path, const DatasetOptions& options) {
  const std::string text = read_text(path);
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(fmt::format("{}:{}", path, line_of_byte(text, e.byte > 0 ? e.byte - 1 : 0)),
                     std::string("malformed JSON: ") + e.what());
  } catch (const nlohmann::json::exception& e) {  // out_of_range for numbers such as 1E400
    throw InputError(path, std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_array()) {
    throw InputError(path + ":1", "a ShareGPT dataset is a JSON array of {\"conversations\": [...]} entries");
  }
  const auto lines = json_array_element_lines(text);
  Dataset d;
  d.path = path;
  d.entries = root.size();
  for (std::size_t i = 0; i < root.size(); ++i) {
    const int64_t line = i < lines.size() ? lines[i] : 1;
    const std::string where = fmt::format("{}:{}", path, line);
    const auto& entry = root[i];
    if (!entry.is_object() || !entry.contains("conversations") || !entry["conversations"].is_array()) {
      throw InputError(where, fmt::format("entry {} has no 'conversations' list", i));
    }
    const auto& turns = entry["conversations"];
    if (turns.size() < 2) continue;  // no reply to take an output length from (vLLM skips these too)
    const nlohmann::json* prompt = turn_text(turns[0]);
    const nlohmann::json* reply = turn_text(turns[1]);
    if (prompt == nullptr || reply == nullptr) {
      throw InputError(where, fmt::format("entry {}: the first two turns need a text 'value' (or 'content')", i));
    }
    const LengthPair pair{tokens_of(prompt->get_ref<const std::string&>(), options.chars_per_token),
                          tokens_of(reply->get_ref<const std::string&>(), options.chars_per_token)};
    if (pair.prompt_tokens < options.min_tokens || pair.output_tokens < options.min_tokens) continue;
    if (pair.prompt_tokens > options.max_prompt_tokens) continue;
    if (pair.prompt_tokens + pair.output_tokens > options.max_total_tokens) continue;
    d.pairs.push_back(pair);
  }
  if (d.pairs.empty()) {
    throw InputError(path, fmt::format("none of its {} entries is a conversation of 4 to {} tokens (prompt at most {})",
                                       d.entries, options.max_total_tokens, options.max_prompt_tokens));
  }
  return d;
}

std::vector<LengthPair> sample_pairs(const Dataset& dataset, std::size_t count, uint64_t seed) {
  std::vector<std::size_t> order(dataset.pairs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  SeededDraw draw(seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[draw.below(i)]);  // Fisher-Yates
  std::vector<LengthPair> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(dataset.pairs[order[i % order.size()]]);
  return out;
}

}  // namespace llmsim::sim::serving
