// The input and output layers of common/ (docs/reliability.md): what kind of path is refused
// or written how, checked on real files, links, FIFOs and devices in a temporary directory.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "common/output_files.hpp"
#include "common/yaml_fields.hpp"

namespace fs = std::filesystem;
using llmsim::InputError;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/llmsim-io-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void put(const std::string& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }
std::string get(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("inputs: only regular files within the size limit are read", "[io]") {
  TempDir dir;
  put(dir / "ok.yaml", "\xEF\xBB\xBFname: x\n");
  CHECK(llmsim::read_input_file(dir / "ok.yaml", 1000) == "name: x\n");  // BOM dropped
  CHECK_THROWS_WITH(llmsim::read_input_file(dir / "ok.yaml", 4), Catch::Contains("limited to"));
  CHECK_THROWS_WITH(llmsim::read_input_file(dir / "missing", 1000), Catch::Contains("file not found"));
  CHECK_THROWS_WITH(llmsim::read_input_file(dir.path.string(), 1000), Catch::Contains("is a directory"));
  REQUIRE(::mkfifo((dir / "pipe").c_str(), 0600) == 0);
  // Opening a FIFO would block this test forever: the layer must refuse it before opening.
  CHECK_THROWS_WITH(llmsim::read_input_file(dir / "pipe", 1000), Catch::Contains("named pipe"));
  CHECK_THROWS_WITH(llmsim::read_input_file("/dev/zero", 1000), Catch::Contains("is a device"));
  fs::create_symlink(dir / "loop-b", dir / "loop-a");
  fs::create_symlink(dir / "loop-a", dir / "loop-b");
  CHECK_THROWS_WITH(llmsim::read_input_file(dir / "loop-a", 1000), Catch::Contains("symlink loop"));
  CHECK_THROWS_WITH(llmsim::read_input_file(dir / std::string(300, 'n'), 1000), Catch::Contains("too long"));
}

TEST_CASE("inputs: JSON nested past the limit is refused before parsing; strings do not count", "[io]") {
  CHECK_NOTHROW(llmsim::refuse_deep_json("{\"a\": \"[[[[[[[[[[\"}", "f", 2));
  CHECK_NOTHROW(llmsim::refuse_deep_json("[[1]]", "f", 2));
  CHECK_THROWS_WITH(llmsim::refuse_deep_json("[[[1]]]", "f", 2), Catch::Contains("nested more than 2"));
  CHECK_THROWS_AS(llmsim::refuse_deep_json(std::string(50000, '[') + std::string(50000, ']'), "f"), InputError);
}

TEST_CASE("inputs: YAML with a repeated key, a second document or deep nesting is refused", "[io]") {
  TempDir dir;
  put(dir / "dup.yaml", "a:\n  b: 1\n  c: 2\n  b: 3\n");
  CHECK_THROWS_WITH(llmsim::load_yaml_file(dir / "dup.yaml"), Catch::Contains(":4") && Catch::Contains("first at line 2"));
  put(dir / "two.yaml", "a: 1\n---\na: 2\n");
  CHECK_THROWS_WITH(llmsim::load_yaml_file(dir / "two.yaml"), Catch::Contains("second YAML document"));
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += std::string(static_cast<std::size_t>(2 * i), ' ') + "k:\n";
  put(dir / "deep.yaml", deep + std::string(80, ' ') + "v: 1\n");
  CHECK_THROWS_WITH(llmsim::load_yaml_file(dir / "deep.yaml"), Catch::Contains("nested more than 32"));
}

TEST_CASE("outputs: a file is replaced whole; a symlink stays and its target gets the content", "[io]") {
  TempDir dir;
  llmsim::write_file_atomically(dir / "sub/out.txt", "one");
  CHECK(get(dir / "sub/out.txt") == "one");
  put(dir / "real.txt", "old");
  fs::create_symlink(dir / "real.txt", dir / "link.txt");
  llmsim::write_file_atomically(dir / "link.txt", "new");
  CHECK(fs::is_symlink(dir / "link.txt"));
  CHECK(get(dir / "real.txt") == "new");
  fs::create_symlink(dir / "nowhere", dir / "dangling");
  CHECK_THROWS_WITH(llmsim::write_file_atomically(dir / "dangling", "x"), Catch::Contains("symbolic link"));
  CHECK_FALSE(fs::exists(dir / "nowhere"));
  CHECK_THROWS_WITH(llmsim::write_file_atomically(dir / "sub", "x"), Catch::Contains("is a directory"));
  // A character device is written in place: /dev/null stays a device node.
  llmsim::write_file_atomically("/dev/null", "discarded");
  struct stat info {};
  REQUIRE(::stat("/dev/null", &info) == 0);
  CHECK(S_ISCHR(info.st_mode));
}

TEST_CASE("outputs: user names become safe file names and collisions are refused", "[io]") {
  CHECK(llmsim::safe_file_name("h100 tp=2", "v") == "h100_tp=2");
  CHECK(llmsim::safe_file_name("../..", "v") == "_._..");
  CHECK(llmsim::safe_file_name("a/b", "v") == "a_b");
  CHECK(llmsim::safe_file_name(".hidden", "v") == "_hidden");
  CHECK(llmsim::safe_file_name("q\"u,o'te", "v") == "q_u_o_te");
  CHECK(llmsim::safe_file_name(std::string(300, 'x'), "v").size() == 120);
  CHECK_THROWS_WITH(llmsim::safe_file_name("", "variants"), Catch::Contains("variants"));
  llmsim::FileNames names("variants");
  CHECK(names.claim("a b") == "a_b");
  CHECK_THROWS_WITH(names.claim("a/b"), Catch::Contains("'a/b' and 'a b' would both write to 'a_b'"));
}

TEST_CASE("outputs: a result set whose later file cannot be written leaves none of its files", "[io]") {
  TempDir dir;
  put(dir / "first.json", "previous run");
  fs::create_directories(dir / "second.csv");  // a directory where the second file must go
  llmsim::ResultSet set(dir.path.string());
  set.add("first.json", "this run");
  set.add("second.csv", "x");
  CHECK_THROWS_WITH(set.commit(), Catch::Contains("is a directory"));
  CHECK(get(dir / "first.json") == "previous run");
  CHECK_THROWS_WITH(set.add("../escape.txt", "x"), Catch::Contains("inside the output directory"));
  llmsim::ResultSet good(dir.path.string());
  good.add("first.json", "this run");
  good.add("more/third.txt", "3");
  good.commit();
  CHECK(get(dir / "first.json") == "this run");
  CHECK(get(dir / "more/third.txt") == "3");
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    CHECK(entry.path().filename().string().find("staging") == std::string::npos);  // cleaned up
  }
}

TEST_CASE("CSV fields are quoted only when they must be, one record per line", "[io]") {
  CHECK(llmsim::csv_field("h100-sxm5-80gb") == "h100-sxm5-80gb");
  CHECK(llmsim::csv_field("a,b") == "\"a,b\"");
  CHECK(llmsim::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(llmsim::csv_field("two\nlines") == "\"two lines\"");
  CHECK(llmsim::csv_record({"x", "1,5", ""}) == "x,\"1,5\",\n");
}
