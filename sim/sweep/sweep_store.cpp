#include "sim/sweep/sweep_store.hpp"
#include "common/input_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "common/input_error.hpp"
#include "sim/sweep/point_evaluator.hpp"

namespace llmsim::sim::sweep {

namespace fs = std::filesystem;

namespace {

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_row_file(const fs::path& p, std::size_t& index) {
  const std::string name = p.filename().string();
  if (name.size() < 5 || name.substr(name.size() - 4) != ".row") return false;
  const std::string digits = name.substr(0, name.size() - 4);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  index = std::stoull(digits);
  return true;
}

}  // namespace

void write_durably(const std::string& path, const std::string& content) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path, fmt::format("cannot write: {}", std::strerror(errno)));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw InputError(path, fmt::format("cannot write: {}", std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw InputError(path, fmt::format("cannot move the finished file into place: {}", std::strerror(err)));
  }
  fsync_path(dir.string(), O_RDONLY | O_DIRECTORY);
}

SweepStore::SweepStore(std::string csv_path) : csv_path_(std::move(csv_path)), points_(points_dir(csv_path_)) {}

std::string SweepStore::row_path(std::size_t index) const { return fmt::format("{}/{}.row", points_, index); }
std::string SweepStore::log_path(std::size_t index) const { return fmt::format("{}/{}.log", points_, index); }

void SweepStore::start(const SweepManifest& manifest) {
  if (fs::exists(points_)) {
    if (!fs::exists(manifest_path(csv_path_))) {
      throw InputError(points_, "exists but has no manifest beside it; remove it or choose another -o");
    }
    for (const auto& entry : fs::directory_iterator(points_)) {
      const std::string name = entry.path().filename().string();
      std::size_t index = 0;
      if (is_row_file(entry.path(), index) || name.find(".row.tmp.") != std::string::npos ||
          (name.size() > 4 && name.substr(name.size() - 4) == ".log")) {
        fs::remove(entry.path());
      }
    }
  }
  fs::create_directories(points_);
  write_durably(manifest_path(csv_path_), manifest.to_json().dump(2) + "\n");
}

void SweepStore::check_resumable(const SweepManifest& manifest) const {
  const std::string path = manifest_path(csv_path_);
  if (!path_exists(path)) throw InputError(path, "nothing to resume: no earlier sweep wrote this CSV");
  const SweepManifest stored = SweepManifest::read(path);
  if (!stored.same_grid(manifest) || stored.kind != manifest.kind) {
    // Say what differs: equal hashes printed as "changed" misled (the point count or kind had).
    std::vector<std::string> what;
    if (stored.hash != manifest.hash) {
      what.push_back(fmt::format("the scenario file or the --set grid (hash {} then, {} now)", stored.hash, manifest.hash));
    }
    if (stored.points != manifest.points) what.push_back(fmt::format("the points ({} then, {} now)", stored.points, manifest.points));
    if (stored.kind != manifest.kind) what.push_back(fmt::format("the kind ({} then, {} now)", stored.kind, manifest.kind));
    throw InputError(path, fmt::format("cannot resume: {} changed since this sweep started; run without --resume to "
                                       "start over",
                                       fmt::join(what, " and ")));
  }
  if (stored.shard.index != manifest.shard.index || stored.shard.count != manifest.shard.count) {
    throw InputError(path, fmt::format("cannot resume: this CSV belongs to shard {}/{}, not {}/{}", stored.shard.index,
                                       stored.shard.count, manifest.shard.index, manifest.shard.count));
  }
}

std::map<std::size_t, std::string> SweepStore::load_rows(const SweepTable& table, const SweepGrid& grid,
                                                         const std::vector<std::size_t>& points,
                                                         std::vector<std::string>& dropped) const {
  std::map<std::size_t, std::string> rows;
  for (const std::size_t i : points) {
    const std::string path = row_path(i);
    if (!path_exists(path)) continue;
    const std::string row = read_all(path);
    if (!table.row_matches(row, i, grid.point(i))) {
      dropped.push_back(path + ": not a complete row of this grid; the point runs again");
      continue;
    }
    if (table.row_status(row) == kStatusFailed) continue;  // failures are retried
    rows[i] = row;
  }
  return rows;
}

void SweepStore::save_row(std::size_t index, const std::string& row) const { write_durably(row_path(index), row); }

std::string SweepStore::read_row(std::size_t index) const { return read_all(row_path(index)); }

void SweepStore::write_csv(const SweepTable& table, const std::map<std::size_t, std::string>& rows) const {
  std::string text = table.header();
  for (const auto& [index, row] : rows) text += row;
  write_durably(csv_path_, text);
}

std::size_t merge_shards(const std::string& out, const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw InputError("sweep-merge", "give at least one shard CSV");
  std::optional<SweepManifest> first;
  std::map<std::size_t, std::string> rows;
  std::map<std::size_t, std::string> row_source;
  std::optional<SweepTable> table;
  SweepGrid grid;
  for (const auto& input : inputs) {
    const SweepManifest m = SweepManifest::read(manifest_path(input));
    if (!first) {
      first = m;
      grid = SweepGrid(m.axes);
      table.emplace(grid, metric_columns(parse_kind(m.kind)));
    } else if (!first->same_grid(m) || first->kind != m.kind) {
      throw InputError(input, fmt::format("is a sweep of another grid or scenario than {} (hash {} vs {})", inputs[0],
                                          m.hash, first->hash));
    }
    std::ifstream in(input, std::ios::binary);
    if (!in) throw InputError(input, "cannot read");
    std::string line;
    if (!std::getline(in, line) || line + "\n" != table->header()) {
      throw InputError(input, "its header is not the header of this grid's CSV");
    }
    std::size_t number = 1;
    while (std::getline(in, line)) {
      ++number;
      const std::string row = line + "\n";
      const auto cells = split_csv_line(line);
      std::size_t index = 0;
      try {
        index = std::stoull(cells.at(0));
      } catch (const std::exception&) {
        throw InputError(fmt::format("{}:{}", input, number), "row does not start with a point index");
      }
      if (index >= grid.size() || !table->row_matches(row, index, grid.point(index))) {
        throw InputError(fmt::format("{}:{}", input, number), "row is not a point of this grid");
      }
      if (auto it = rows.find(index); it != rows.end() && it->second != row) {
        throw InputError(fmt::format("{}:{}", input, number),
                         fmt::format("point {} differs from the same point in {}", index, row_source[index]));
      }
      rows[index] = row;
      row_source[index] = input;
    }
  }
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < grid.size(); ++i) {
    if (!rows.count(i)) missing.push_back(i);
  }
  if (!missing.empty()) {
    std::string list;
    for (std::size_t k = 0; k < missing.size() && k < 20; ++k) list += (k ? " " : "") + std::to_string(missing[k]);
    throw InputError("sweep-merge", fmt::format("{} of {} points are missing (first: {}); run or resume the shards "
                                                "that hold them",
                                                missing.size(), grid.size(), list));
  }
  std::size_t failed = 0;
  std::string text = table->header();
  for (const auto& [index, row] : rows) {
    text += row;
    if (table->row_status(row) == kStatusFailed) ++failed;
  }
  SweepManifest merged = *first;
  merged.shard = Shard{};
  write_durably(out, text);
  write_durably(manifest_path(out), merged.to_json().dump(2) + "\n");
  return failed;
}

}  // namespace llmsim::sim::sweep
