// Published measurements kept aside to check llmsim independently (validate/reserved_sources.txt).
// A corpus row citing one of them is an error. An entry is a repository plus a path, an
// issue / pull / discussion number, or "(all ...)" for the whole repository; a source matches
// when it names the repository and (unless the entry covers it all) that path or number.
#pragma once

#include <string>
#include <vector>

namespace llmsim::validate {

class ReservedSources {
 public:
  /// Reads one entry per line; blank lines and '#' comments are skipped.
  static ReservedSources load(const std::string& path);
  /// Entries given directly (tests).
  static ReservedSources of(const std::vector<std::string>& entries);

  /// The entry `source` matches, or "" when it matches none. Case-insensitive.
  std::string match(const std::string& source) const;

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string text;   // as written
    std::string repo;   // "github.com/owner/name" (lower case)
    std::string part;   // "docs/x.md", "issues/10", ... or "" for the whole repository
  };
  static Entry parse(const std::string& line);
  std::vector<Entry> entries_;
};

}  // namespace llmsim::validate
