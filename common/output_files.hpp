// The output layer: every file llmsim writes goes through here.
//  - A result is written to a temporary file beside the target, flushed to disk and renamed
//    into place, so an interrupted run never leaves a truncated file that looks complete.
//  - The target's kind is checked first: a symlink is never replaced by the rename (its
//    target file is rewritten instead, and the link stays); a character device such as
//    /dev/null or /dev/stdout, or a FIFO, is written in place (renaming over it would replace
//    the device node); a directory, a block device or a socket is refused.
//  - A result set (several files of one run) is staged whole before any file takes its name,
//    so a failed later write leaves none of the set's files behind.
//  - Names that come from user text (variant and point names) become safe file names.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace llmsim {

/// Throws InputError naming the path if it cannot be written.
void write_file_atomically(const std::string& path, const std::string& content);

/// `name` as one path component: characters other than letters, digits and `._+=-` become
/// `_`, a leading dot becomes `_` (so `..` or `.hidden` cannot escape or hide), and names over
/// 120 bytes are cut. Throws InputError (naming `what`) for an empty name.
std::string safe_file_name(const std::string& name, const std::string& what);

/// Gives each user-named item (variant, point) a safe file name and refuses two items whose
/// safe names are the same: their outputs would overwrite each other.
class FileNames {
 public:
  explicit FileNames(std::string what) : what_(std::move(what)) {}
  std::string claim(const std::string& name);

 private:
  std::string what_;
  std::map<std::string, std::string> owner_;  // safe name -> the name that took it
};

/// Files of one result, written together: add() keeps them in memory, commit() writes each
/// to a staging directory inside `directory` and, only when all are written, renames them
/// into place. On any failure the staging directory is removed and nothing of the set
/// replaces an existing file.
class ResultSet {
 public:
  explicit ResultSet(std::string directory) : directory_(std::move(directory)) {}
  /// `relative` is a path below the directory; it must not climb out of it.
  void add(const std::string& relative, std::string content);
  void commit();

 private:
  std::string directory_;
  std::vector<std::pair<std::string, std::string>> files_;
};

/// One CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote, a line break or
/// leading/trailing space, with quotes doubled; a line break becomes a space, so that every
/// record is one line (the sweep store and line-based tools read them so).
std::string csv_field(const std::string& text);
/// A whole CSV record (fields quoted as needed, joined by commas, ending in a newline).
std::string csv_record(const std::vector<std::string>& fields);

}  // namespace llmsim
