#include "common/input_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"

namespace llmsim {
namespace {

std::string stat_failure(int error) {
  switch (error) {
    case ENOENT:
      return "file not found";
    case ENOTDIR:
      return "file not found (a part of the path is not a directory)";
    case ELOOP:
      return "cannot be read: too many levels of symbolic links (a symlink loop?)";
    case ENAMETOOLONG:
      return "cannot be read: the file name is too long";
    case EACCES:
      return "cannot be read: permission denied";
    default:
      return std::string("cannot be read: ") + std::strerror(error);
  }
}

std::string not_regular(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory; give a file";
  if (S_ISFIFO(mode)) return "is a named pipe (FIFO); llmsim reads regular files only";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a file; llmsim reads regular files only";
  if (S_ISSOCK(mode)) return "is a socket, not a file";
  return "is not a regular file";
}

std::string size_text(std::uintmax_t bytes) {
  std::ostringstream out;
  if (bytes >= (1ull << 30))
    out << bytes / double(1ull << 30) << " GiB";
  else
    out << bytes / double(1ull << 20) << " MiB";
  return out.str();
}

}  // namespace

std::uintmax_t check_input_file(const std::string& path, std::uintmax_t max_bytes) {
  if (path.empty()) throw InputError("", "an input file name is empty");
  struct stat info {};
  // stat, not open: opening a FIFO for reading blocks until a writer appears.
  if (::stat(path.c_str(), &info) != 0) throw InputError(path, stat_failure(errno));
  if (!S_ISREG(info.st_mode)) throw InputError(path, not_regular(info.st_mode));
  const auto size = static_cast<std::uintmax_t>(info.st_size);
  if (size > max_bytes) {
    throw InputError(path, "is " + size_text(size) + "; files of this kind are limited to " + size_text(max_bytes) +
                               " (docs/reliability.md)");
  }
  return size;
}

std::string read_input_file(const std::string& path, std::uintmax_t max_bytes) {
  const std::uintmax_t size = check_input_file(path, max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot be opened: " + std::string(std::strerror(errno)));
  std::string text;
  text.resize(static_cast<std::size_t>(size));
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw InputError(path, "read error");
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  return text;
}

void refuse_deep_json(const std::string& text, const std::string& where, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        throw InputError(where, "JSON nested more than " + std::to_string(max_depth) + " levels deep");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

bool is_regular_file_path(const std::string& path) noexcept {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

bool is_directory_path(const std::string& path) noexcept {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

bool path_exists(const std::string& path) noexcept {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace llmsim
