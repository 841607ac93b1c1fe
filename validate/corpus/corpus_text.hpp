// Small text helpers the corpus reader, the reserved-source matcher and the mapping share.
#pragma once

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace llmsim::validate::corpus_text {

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// `s` without leading and trailing blanks (spaces, tabs, carriage returns).
inline std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

/// A number written alone ("1.5e3"), or nullopt ("", "fast", "16-512").
inline std::optional<double> number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

/// A positive whole number written alone ("16"), or nullopt ("all", "16-512", "0").
inline std::optional<long long> positive_count(const std::string& text) {
  try {
    std::size_t used = 0;
    const long long n = std::stoll(text, &used);
    if (used == text.size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace llmsim::validate::corpus_text
