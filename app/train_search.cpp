#include "app/train_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "app/commands.hpp"
#include "sim/process_pool.hpp"
#include "sim/training/trainer.hpp"

namespace llmsim::cli {

namespace {

struct Candidate {
  sim::training::TrainRequest request;
  std::string name;
};

// Layouts over `gpus` devices keeping `global` sequences per step: tp and pp powers of two
// (tp up to 8, one node's NVLink domain in the catalog's clusters), dp the rest, ZeRO 0, 1, 3.
std::vector<Candidate> layouts(const sim::training::TrainRequest& base, int gpus, int64_t global) {
  std::vector<Candidate> out;
  for (int tp : {1, 2, 4, 8}) {
    for (int pp : {1, 2, 4, 8, 16}) {
      if (gpus % (tp * pp) != 0) continue;
      const int dp = gpus / (tp * pp);
      if (global % (static_cast<int64_t>(dp) * base.batch) != 0) continue;
      for (int zero : {0, 1, 3}) {
        if (zero > 0 && dp == 1) continue;
        Candidate c;
        c.request = base;
        c.request.devices.clear();
        c.request.tp = tp, c.request.pp = pp, c.request.dp = dp, c.request.zero = zero;
        c.request.accumulation = global / (static_cast<int64_t>(dp) * base.batch);
        c.name = fmt::format("tp{}-pp{}-dp{}-zero{}", tp, pp, dp, zero);
        out.push_back(c);
      }
    }
  }
  return out;
}

}  // namespace

int run_train_search(const sim::DataPaths& paths, const sim::training::TrainRequest& base, const std::string& dir,
                     bool quiet) {
  const auto system = hwmodels::Catalog(paths.catalog()).load(base.hardware);
  const int gpus = static_cast<int>(system.devices_of(hwmodels::DeviceKind::gpu).size());
  if (gpus == 0) throw InputError("--search", fmt::format("system '{}' has no GPU to lay a model out on", system.id));
  const int64_t global = base.batch * base.accumulation * base.dp;
  const auto candidates = layouts(base, gpus, global);
  if (!quiet) {
    fmt::print("searching {} layouts of {} on {} GPUs of {} at {} sequences of {} tokens per step\n",
               candidates.size(), base.model, gpus, system.id, global, base.seq_len);
  }
  std::size_t done = 0;
  const auto outcomes = sim::run_in_children(candidates.size(), 2, [&](std::size_t i) {
    const std::string sub = dir + "/" + candidates[i].name;
    try {
      const auto result = sim::training::simulate_training(paths, candidates[i].request);
      write_file_atomically(sub + "/train.json", sim::training::to_json(result).dump(2) + "\n");
      return static_cast<int>(kOk);
    } catch (const InputError& e) {
      write_file_atomically(sub + "/error.txt", std::string(e.what()) + "\n");
      return static_cast<int>(kInputError);
    }
  }, [&](std::size_t, const sim::ChildOutcome&) {
    if (!quiet) fmt::print(stderr, "\r{}/{} layouts", ++done, candidates.size());
  });
  if (!quiet) fmt::print(stderr, "\n");
  struct Row {
    std::string name;
    double tokens_per_s = 0, mfu = 0, memory = 0, bubble = 0, step = 0;
    bool fits = false;
    std::string error;
  };
  std::vector<Row> rows;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    Row row;
    row.name = candidates[i].name;
    std::ifstream in(dir + "/" + row.name + "/train.json");
    if (!in) {
      std::ifstream err(dir + "/" + row.name + "/error.txt");
      std::getline(err, row.error);
      if (row.error.empty()) row.error = fmt::format("failed (exit {})", outcomes[i].exit_code);
      rows.push_back(row);
      continue;
    }
    const auto j = nlohmann::json::parse(in);
    row.tokens_per_s = j["tokens_per_s"];
    row.mfu = j["mfu"];
    row.memory = j["memory"]["per_device_bytes"];
    row.fits = j["fits"];
    row.step = j["step_s"];
    row.bubble = j["layout"]["bubble_fraction"];
    rows.push_back(row);
  }
  // Fitting layouts first, fastest first; then the ones that do not fit; refused ones last.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    const int ra = a.error.empty() ? (a.fits ? 0 : 1) : 2, rb = b.error.empty() ? (b.fits ? 0 : 1) : 2;
    return ra != rb ? ra < rb : a.tokens_per_s > b.tokens_per_s;
  });
  std::string csv = "layout,fits,step_s,tokens_per_s,tokens_per_s_per_gpu,mfu,memory_bytes,bubble_fraction,error\n";
  std::string table = fmt::format("{:<24} {:>9} {:>12} {:>8} {:>11} {:>7}  {}\n", "layout", "step s", "tokens/s/GPU",
                                  "MFU %", "memory GB", "bubble", "");
  for (const auto& r : rows) {
    csv += csv_record({r.name, r.fits ? "true" : "false", fmt::format("{}", r.step), fmt::format("{}", r.tokens_per_s),
                       fmt::format("{}", r.tokens_per_s / gpus), fmt::format("{}", r.mfu), fmt::format("{}", r.memory),
                       fmt::format("{}", r.bubble), r.error});
    if (!r.error.empty()) {
      table += fmt::format("{:<24} refused: {}\n", r.name, r.error);
    } else {
      table += fmt::format("{:<24} {:>9.3f} {:>12.0f} {:>8.1f} {:>11.1f} {:>6.0f}%  {}\n", r.name, r.step,
                           r.tokens_per_s / gpus, 100 * r.mfu, r.memory / 1e9, 100 * r.bubble,
                           r.fits ? "" : "does not fit");
    }
  }
  write_file_atomically(dir + "/search.csv", csv);
  if (!quiet) {
    fmt::print("{}\n", table);
    if (!rows.empty() && rows.front().error.empty() && rows.front().fits) {
      fmt::print("best: {} at {:.0f} tokens/s ({:.1f}% MFU)\n", rows.front().name, rows.front().tokens_per_s,
                 100 * rows.front().mfu);
    } else {
      fmt::print("no layout fits\n");
    }
    fmt::print("wrote {}/search.csv and one train.json per layout\n", dir);
  }
  const bool any = !rows.empty() && rows.front().error.empty() && rows.front().fits;
  return any ? kOk : kDoesNotFit;
}

}  // namespace llmsim::cli
