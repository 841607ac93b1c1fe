#include "common/output_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/input_error.hpp"

namespace llmsim {
namespace fs = std::filesystem;
namespace {

enum class TargetKind { create_or_replace, write_in_place };

// Where the content must go and how, decided from what is at `path` now.
std::pair<TargetKind, fs::path> resolve_target(const std::string& path) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) {
    if (errno == ENOENT) return {TargetKind::create_or_replace, fs::path(path)};
    throw InputError(path, std::string("cannot be written: ") + std::strerror(errno));
  }
  struct stat info = link;
  if (S_ISLNK(link.st_mode) && ::stat(path.c_str(), &info) != 0) {
    throw InputError(path, "is a symbolic link to nothing that exists (or a link loop); "
                           "remove it or give another output path");
  }
  if (S_ISDIR(info.st_mode)) throw InputError(path, "is a directory; give a file name for this output");
  if (S_ISCHR(info.st_mode) || S_ISFIFO(info.st_mode)) return {TargetKind::write_in_place, fs::path(path)};
  if (!S_ISREG(info.st_mode)) throw InputError(path, "is a device or socket, not a file llmsim can write");
  if (S_ISLNK(link.st_mode)) {
    // The link stays and keeps pointing where it did; the file it points to gets the content.
    return {TargetKind::create_or_replace, fs::canonical(path)};
  }
  return {TargetKind::create_or_replace, fs::path(path)};
}

void write_in_place(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) throw InputError(path, std::string("cannot be opened for writing: ") + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw InputError(path, std::string("write failed: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Writes `content` to `file` and flushes it to disk. Returns an error text, empty on success.
std::string write_and_sync(const fs::path& file, const std::string& content) {
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return "cannot write file";
  }
  // On disk before it takes the name, so that a crash of the machine cannot leave the name
  // pointing at an empty file either.
  if (const int fd = ::open(file.c_str(), O_RDONLY); fd >= 0) {
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) return "cannot write file (fsync failed)";
  }
  return "";
}

void create_parent(const fs::path& target, const std::string& shown) {
  if (!target.has_parent_path()) return;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw InputError(shown, "cannot create its directory: " + ec.message());
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  if (path.empty()) throw InputError("", "an output file name is empty");
  const auto [kind, target] = resolve_target(path);
  if (kind == TargetKind::write_in_place) return write_in_place(path, content);
  create_parent(target, path);
  // A name of its own per process, in the same directory, so that rename() replaces the
  // target in one step: readers see the old file or the whole new one, never a part.
  const fs::path temp = target.string() + ".tmp." + std::to_string(::getpid());
  auto give_up = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw InputError(path, why);
  };
  if (const std::string error = write_and_sync(temp, content); !error.empty()) give_up(error);
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) give_up("cannot move the finished file into place: " + ec.message());
}

std::string safe_file_name(const std::string& name, const std::string& what) {
  if (name.empty()) throw InputError(what, "a name is empty; it names output files");
  std::string safe;
  for (const char c : name) {
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '+' || c == '=' || c == '-';
    safe += kept ? c : '_';
  }
  if (safe.front() == '.') safe.front() = '_';
  constexpr std::size_t kMaxName = 120;  // file systems allow 255 bytes; room for suffixes
  if (safe.size() > kMaxName) safe.resize(kMaxName);
  return safe;
}

std::string FileNames::claim(const std::string& name) {
  std::string safe = safe_file_name(name, what_);
  const auto [it, inserted] = owner_.emplace(safe, name);
  if (!inserted) {
    throw InputError(what_, "'" + name + "' and '" + it->second + "' would both write to '" + safe +
                                "'; give them names that differ in letters or digits");
  }
  return safe;
}

void ResultSet::add(const std::string& relative, std::string content) {
  const fs::path p(relative);
  bool climbs = relative.empty() || p.is_absolute();
  for (const auto& part : p) climbs = climbs || part == "..";
  if (climbs) throw InputError(relative, "an output path must stay inside the output directory");
  files_.emplace_back(relative, std::move(content));
}

void ResultSet::commit() {
  // Every target is checked before anything is written, so a directory or device in the way
  // of the last file stops the set before the first file is replaced.
  std::vector<std::pair<TargetKind, fs::path>> targets;
  for (const auto& [relative, content] : files_) targets.push_back(resolve_target((fs::path(directory_) / relative).string()));
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) throw InputError(directory_, "cannot create the output directory: " + ec.message());
  const fs::path staging = fs::path(directory_) / (".llmsim-staging." + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  auto give_up = [&](const std::string& where, const std::string& why) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw InputError(where, why + " (no file of this result set was written)");
  };
  for (const auto& [relative, content] : files_) {
    const fs::path file = staging / relative;
    fs::create_directories(file.parent_path(), ec);
    if (ec) give_up(file.string(), "cannot create a staging directory: " + ec.message());
    if (const std::string error = write_and_sync(file, content); !error.empty()) give_up(file.string(), error);
  }
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const auto& [kind, target] = targets[i];
    const fs::path staged = staging / files_[i].first;
    if (kind == TargetKind::write_in_place) {
      write_in_place(target.string(), files_[i].second);
      continue;
    }
    create_parent(target, target.string());
    fs::rename(staged, target, ec);
    if (ec) throw InputError(target.string(), "cannot move the finished file into place: " + ec.message());
  }
  fs::remove_all(staging, ec);
}

std::string csv_field(const std::string& text) {
  const bool quote = text.find_first_of(",\"\r\n") != std::string::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += (c == '\n' || c == '\r') ? ' ' : c;  // one record per line, for line-based readers
  }
  return out + "\"";
}

std::string csv_record(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  return out + "\n";
}

}  // namespace llmsim
