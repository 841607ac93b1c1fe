// Request lengths taken from a benchmark dataset, as the engines' benchmark tools take them.
// ShareGPT is the JSON array people download (ShareGPT_V3_unfiltered_cleaned_split.json):
// each entry has `conversations`, a list of turns with `from`/`value` (or `role`/`content`);
// the first turn is the prompt and the second the reply whose length the output takes.
// There is no tokenizer here: a turn's tokens are its UTF-8 bytes / `chars_per_token` (about 4
// for English text under BPE tokenizers; stated with every result).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmsim::sim::serving {

struct LengthPair {
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
};

struct DatasetOptions {
  double chars_per_token = 4.0;
  // The filter vLLM's benchmark applies to ShareGPT: drop pairs with fewer than 4 tokens on
  // either side, prompts over 1024 tokens and pairs over 2048 tokens in all.
  int64_t min_tokens = 4;
  int64_t max_prompt_tokens = 1024;
  int64_t max_total_tokens = 2048;
};

struct Dataset {
  std::string path;
  std::vector<LengthPair> pairs;  // file order, after the filter
  std::size_t entries = 0;        // entries read, before the filter
};

/// Reads a ShareGPT-format JSON file. InputError with file:line for malformed JSON or an entry
/// that is not a conversation, and when no entry survives the filter.
Dataset read_sharegpt(const std::string& path, const DatasetOptions& options = {});

/// `count` pairs in a seeded random order; cycles through the dataset again when it has fewer.
std::vector<LengthPair> sample_pairs(const Dataset& dataset, std::size_t count, uint64_t seed);

/// Line (1-based) of each top-level array element's first character in a JSON text, for
/// error messages (the JSON library reports byte offsets only for syntax errors).
std::vector<int64_t> json_array_element_lines(const std::string& text);

}  // namespace llmsim::sim::serving
