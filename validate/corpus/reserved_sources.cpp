#include "validate/corpus/reserved_sources.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "validate/corpus/corpus_text.hpp"

namespace llmsim::validate {

namespace {

using corpus_text::lower;
using corpus_text::trim;

bool continues_name(const std::string& s, std::size_t i) {
  if (i >= s.size()) return false;
  const auto c = static_cast<unsigned char>(s[i]);
  if (std::isalnum(c) || c == '-' || c == '_') return true;
  return c == '.' && i + 1 < s.size() && std::isalnum(static_cast<unsigned char>(s[i + 1]));
}

// `needle` occurs in `hay` as a whole name: "issues/4" does not match "issues/48", nor
// "github.com/o/ci" "github.com/o/ci-tools".
bool contains_whole(const std::string& hay, const std::string& needle) {
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) {
    if (!continues_name(hay, at + needle.size())) return true;
  }
  return false;
}

}  // namespace

ReservedSources::Entry ReservedSources::parse(const std::string& line) {
  Entry e;
  e.text = line;
  std::string t = lower(line);
  // "(all CI result pages)", "(and its mirrors)": the parenthesis is commentary; an entry
  // with no path or number is the whole repository.
  const auto paren = t.find('(');
  if (paren != std::string::npos) t = trim(t.substr(0, paren));
  const auto space = t.find(' ');
  std::string head = space == std::string::npos ? t : t.substr(0, space);
  std::string path = space == std::string::npos ? "" : trim(t.substr(space + 1));
  // "github.com/o/r/issues/10": repository is the first three segments, the rest the part.
  std::size_t slashes = 0, cut = std::string::npos;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '/' && ++slashes == 3) {
      cut = i;
      break;
    }
  }
  e.repo = cut == std::string::npos ? head : head.substr(0, cut);
  e.part = cut == std::string::npos ? path : head.substr(cut + 1);
  return e;
}

ReservedSources ReservedSources::load(const std::string& path) {
  std::istringstream in(read_input_file(path, kMaxConfigBytes));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return of(lines);
}

ReservedSources ReservedSources::of(const std::vector<std::string>& entries) {
  ReservedSources r;
  for (const auto& e : entries) r.entries_.push_back(parse(e));
  return r;
}

std::string ReservedSources::match(const std::string& source) const {
  std::string s = lower(source);
  for (const char* prefix : {"https://", "http://", "www."})
    if (s.rfind(prefix, 0) == 0) s = s.substr(std::string(prefix).size());
  // ggml's repositories moved from ggerganov/ to ggml-org/; GitHub redirects the old names.
  for (auto at = s.find("github.com/ggerganov/"); at != std::string::npos; at = s.find("github.com/ggerganov/"))
    s.replace(at, 21, "github.com/ggml-org/");
  for (const auto& e : entries_) {
    if (!contains_whole(s, e.repo)) continue;
    // The repository is named; the part must follow it somewhere (as "/issues/10" or " docs/x.md").
    if (e.part.empty() || contains_whole(s, e.part)) return e.text;
  }
  return "";
}

}  // namespace llmsim::validate
