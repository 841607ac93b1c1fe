// Sweeps: grid expansion order, sharding, the CSV row format and resume bookkeeping, against
// values worked out by hand.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/input_error.hpp"
#include "sim/sweep/point_evaluator.hpp"
#include "sim/sweep/sweep_grid.hpp"
#include "sim/sweep/sweep_manifest.hpp"
#include "sim/sweep/sweep_scenario.hpp"
#include "sim/sweep/sweep_store.hpp"
#include "sim/sweep/sweep_table.hpp"
#include "test_paths.hpp"

using namespace llmsim::sim::sweep;
using llmsim::split_csv_line;
namespace fs = std::filesystem;

namespace {

SweepGrid batch_by_hardware() {
  SweepGrid grid;
  grid.add_axis(SweepGrid::parse_set("batch=1,2,4"));
  grid.add_axis(SweepGrid::parse_set("hardware=a,b"));
  return grid;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("a grid expands like nested loops, the first --set outermost", "[sweep]") {
  const SweepGrid grid = batch_by_hardware();
  REQUIRE(grid.size() == 6);
  CHECK(grid.point(0) == SweepPoint{{"batch", "1"}, {"hardware", "a"}});
  CHECK(grid.point(1) == SweepPoint{{"batch", "1"}, {"hardware", "b"}});
  CHECK(grid.point(2) == SweepPoint{{"batch", "2"}, {"hardware", "a"}});
  CHECK(grid.point(5) == SweepPoint{{"batch", "4"}, {"hardware", "b"}});
  CHECK(grid.canonical() == "batch=1,2,4\nhardware=a,b\n");
  CHECK(SweepGrid().size() == 1);  // no axis: the scenario itself
}

TEST_CASE("values of --set are parsed strictly", "[sweep]") {
  const SweepAxis axis = SweepGrid::parse_set("workload.rate= 5, 10");
  CHECK(axis.key == "workload.rate");
  CHECK(axis.values == std::vector<std::string>{"5", "10"});
  CHECK_THROWS_AS(SweepGrid::parse_set("batch"), llmsim::InputError);
  CHECK_THROWS_AS(SweepGrid::parse_set("=1,2"), llmsim::InputError);
  CHECK_THROWS_AS(SweepGrid::parse_set("batch=1,,2"), llmsim::InputError);
  SweepGrid grid = batch_by_hardware();
  CHECK_THROWS_AS(grid.add_axis(SweepGrid::parse_set("batch=8")), llmsim::InputError);
}

TEST_CASE("shard I/N takes every N-th point from I, and the shards partition the grid", "[sweep]") {
  CHECK(Shard::parse("1/3").points(7) == std::vector<std::size_t>{1, 4});
  CHECK(Shard::parse("0/3").points(7) == std::vector<std::size_t>{0, 3, 6});
  CHECK(Shard::parse("0/1").points(3) == std::vector<std::size_t>{0, 1, 2});
  CHECK(Shard::parse("4/5").points(3).empty());
  CHECK_THROWS_AS(Shard::parse("3/3"), llmsim::InputError);
  CHECK_THROWS_AS(Shard::parse("1"), llmsim::InputError);
  CHECK_THROWS_AS(Shard::parse("a/2"), llmsim::InputError);
  CHECK_THROWS_AS(Shard::parse("0/0"), llmsim::InputError);
  std::multiset<std::size_t> all;
  for (std::size_t i = 0; i < 4; ++i) {
    for (auto p : Shard{i, 4}.points(11)) all.insert(p);
  }
  CHECK(all.size() == 11);
  CHECK(std::set<std::size_t>(all.begin(), all.end()).size() == 11);
}

TEST_CASE("a CSV line written with quotes splits back into its cells", "[sweep]") {
  CHECK(split_csv_line("1,\"a,b\",,\"say \"\"hi\"\"\"") == std::vector<std::string>{"1", "a,b", "", "say \"hi\""});
}

TEST_CASE("a row has the index, the swept values, the status, the metrics and the error", "[sweep]") {
  const SweepGrid grid = batch_by_hardware();
  const SweepTable table(grid, {"ttft_s", "fits"});
  CHECK(table.header() == "index,batch,hardware,status,ttft_s,fits,error\n");
  PointOutcome ok{kStatusOk, {"0.125", "true"}, ""};
  const std::string row = table.row(3, grid.point(3), ok);
  CHECK(row == "3,2,b,ok,0.125,true,\n");
  PointOutcome failed{kStatusFailed, {"ignored", "ignored"}, "models: no model 'x', known: a, b"};
  CHECK(table.row(3, grid.point(3), failed) == "3,2,b,failed,,,\"models: no model 'x', known: a, b\"\n");

  CHECK(table.row_matches(row, 3, grid.point(3)));
  CHECK(table.row_status(row) == "ok");
  CHECK_FALSE(table.row_matches(row, 2, grid.point(2)));                     // another point
  CHECK_FALSE(table.row_matches(row, 3, grid.point(1)));                     // index right, values wrong
  CHECK_FALSE(table.row_matches("3,2,b,ok,0.125,true,", 3, grid.point(3)));  // cut before its newline
  CHECK_FALSE(table.row_matches("3,2,b,ok,0.125,\n", 3, grid.point(3)));     // a column short
  CHECK_FALSE(table.row_matches("3,2,b,done,0.125,true,\n", 3, grid.point(3)));
}

TEST_CASE("resume keeps whole rows of the same grid and drops the rest", "[sweep]") {
  const std::string scenario_path = llmsim::test::write_temp("sweep-resume.yaml", "hardware: a\nmodel: m\nbatch: 1\n");
  const SweepScenario scenario(scenario_path, "auto");
  CHECK(scenario.kind() == ScenarioKind::kRun);
  const SweepGrid grid = batch_by_hardware();
  const SweepTable table(grid, {"ttft_s"});
  const std::string csv = (fs::path(scenario_path).parent_path() / "resume-out" / "sweep.csv").string();
  fs::remove_all(fs::path(csv).parent_path());
  SweepStore store(csv);
  const SweepManifest manifest = SweepManifest::of(scenario, grid, Shard{});
  store.start(manifest);
  store.save_row(4, table.row(4, grid.point(4), {kStatusOk, {"0.5"}, ""}));
  store.save_row(0, table.row(0, grid.point(0), {kStatusDoesNotFit, {"0.25"}, ""}));
  store.save_row(2, table.row(2, grid.point(2), {kStatusFailed, {}, "boom"}));
  store.save_row(3, "3,2,b,ok,0.7");                                       // torn row
  store.save_row(5, table.row(1, grid.point(1), {kStatusOk, {"1"}, ""}));  // another point's row

  store.check_resumable(manifest);
  std::vector<std::string> dropped;
  const auto rows = store.load_rows(table, grid, Shard{}.points(grid.size()), dropped);
  REQUIRE(rows.size() == 2);  // 0 and 4; 2 failed (runs again), 3 and 5 are not rows of theirs
  CHECK(rows.at(0) == "0,1,a,does_not_fit,0.25,\n");
  CHECK(rows.at(4) == "4,4,a,ok,0.5,\n");
  CHECK(dropped.size() == 2);

  store.write_csv(table, rows);
  CHECK(slurp(csv) == "index,batch,hardware,status,ttft_s,error\n0,1,a,does_not_fit,0.25,\n4,4,a,ok,0.5,\n");

  // Another grid, another scenario text or another shard is not resumed.
  SweepGrid other = grid;
  other.add_axis(SweepGrid::parse_set("gen=1"));
  CHECK_THROWS_AS(store.check_resumable(SweepManifest::of(scenario, other, Shard{})), llmsim::InputError);
  CHECK_THROWS_AS(store.check_resumable(SweepManifest::of(scenario, grid, Shard{0, 2})), llmsim::InputError);
  const SweepScenario edited(llmsim::test::write_temp("sweep-resume.yaml", "hardware: a\nmodel: m\nbatch: 2\n"),
                             "auto");
  CHECK(sweep_hash(edited, grid) != sweep_hash(scenario, grid));
  CHECK_THROWS_AS(store.check_resumable(SweepManifest::of(edited, grid, Shard{})), llmsim::InputError);
  CHECK(sweep_hash(scenario, grid) == manifest.hash);
  CHECK(manifest.hash.size() == 16);
}

TEST_CASE("merging shards needs every point of one grid", "[sweep]") {
  const std::string scenario_path = llmsim::test::write_temp("sweep-merge.yaml", "hardware: a\nmodel: m\n");
  const SweepScenario scenario(scenario_path, "run");
  SweepGrid grid;
  grid.add_axis(SweepGrid::parse_set("batch=1,2,3"));
  const SweepTable table(grid, metric_columns(ScenarioKind::kRun));
  const auto dir = fs::path(scenario_path).parent_path() / "merge";
  fs::remove_all(dir);
  std::vector<std::string> shards;
  for (std::size_t s = 0; s < 2; ++s) {
    const std::string csv = (dir / ("shard" + std::to_string(s) + ".csv")).string();
    SweepStore store(csv);
    store.start(SweepManifest::of(scenario, grid, Shard{s, 2}));
    std::map<std::size_t, std::string> rows;
    for (auto i : Shard{s, 2}.points(3)) rows[i] = table.row(i, grid.point(i), {kStatusFailed, {}, "e"});
    store.write_csv(table, rows);
    shards.push_back(csv);
  }
  const std::string merged = (dir / "merged.csv").string();
  CHECK(merge_shards(merged, shards) == 3);  // all three rows are failed ones
  const std::string text = slurp(merged);
  CHECK(text.substr(text.find('\n') + 1) ==
        "0,1,failed,,,,,,,,,,,,,e\n1,2,failed,,,,,,,,,,,,,e\n2,3,failed,,,,,,,,,,,,,e\n");
  CHECK_THROWS_AS(merge_shards(merged, {shards[0]}), llmsim::InputError);  // point 1 missing
}

TEST_CASE("overrides are written into the YAML tree, a variant folded into the top level", "[sweep]") {
  const std::string path =
      llmsim::test::write_temp("sweep-variants.yaml",
                               "hardware: a\nmodel: m\nbatch: 4\ntp: 1\n"
                               "variants:\n  - name: one\n  - name: two\n    tp: 2\n    batch: 8\n");
  const SweepScenario scenario(path, "auto");
  CHECK(scenario.variant_names() == std::vector<std::string>{"one", "two"});
  const YAML::Node two = scenario.tree_for({{"variant", "two"}, {"batch", "16"}});
  CHECK(two["tp"].as<int>() == 2);
  CHECK(two["batch"].as<int>() == 16);  // the override wins over the variant
  CHECK_FALSE(two["variants"]);
  CHECK(scenario.tree_for({{"variant", "one"}})["tp"].as<int>() == 1);
  CHECK_THROWS_AS(scenario.tree_for({{"variant", "three"}}), llmsim::InputError);

  YAML::Node root = YAML::Load("scheduler: {policy: static}\nbatch: 1\n");
  set_dotted(root, "scheduler.max_batch", "64", "f.yaml");
  set_dotted(root, "kv.block_tokens", "32", "f.yaml");
  CHECK(root["scheduler"]["max_batch"].as<int>() == 64);
  CHECK(root["scheduler"]["policy"].as<std::string>() == "static");
  CHECK(root["kv"]["block_tokens"].as<int>() == 32);
  CHECK_THROWS_AS(set_dotted(root, "batch.x", "1", "f.yaml"), llmsim::InputError);

  // A key the format does not have gets the loader's unknown-key error.
  try {
    check_point(scenario, {{"variant", "one"}, {"batchh", "2"}});
    FAIL("an unknown key was accepted");
  } catch (const llmsim::InputError& e) {
    CHECK(std::string(e.what()).find("batchh") != std::string::npos);
  }
}
