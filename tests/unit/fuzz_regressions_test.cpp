// Replays every input of tests/fuzz/regressions/<target>/ through the parser that crashed on
// it when fuzzing found it (docs/reliability.md lists them): each must now be read or refused
// with InputError, never another exception, a crash or a sanitizer report.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/fuzz/parse_targets.hpp"
#include "test_paths.hpp"

using namespace llmsim;

TEST_CASE("inputs that crashed a parser under fuzzing are now read or refused", "[fuzz][regression]") {
  const std::filesystem::path root = test::source_dir() + "/tests/fuzz/regressions";
  std::size_t replayed = 0;
  for (const auto& folder : std::filesystem::directory_iterator(root)) {
    if (!folder.is_directory()) continue;
    const auto name = folder.path().filename().string();
    const auto target = fuzz::targets().find(name);
    INFO("regressions folder " << name << " names no target of tests/fuzz/parse_targets.hpp");
    REQUIRE(target != fuzz::targets().end());
    for (const auto& file : std::filesystem::directory_iterator(folder.path())) {
      std::ifstream in(file.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      INFO(file.path().string());
      CHECK_NOTHROW(target->second(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      ++replayed;
    }
  }
  CHECK(replayed > 0);
}
