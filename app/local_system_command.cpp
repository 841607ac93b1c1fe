// llmsim local-system: a system file for the machine llmsim-bench ran on, from its records.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "validate/calibration/local_system.hpp"
#include "app/validation_commands.hpp"
#include "validate/proto/measurement_reader.hpp"

namespace llmsim::cli {

void add_local_system_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("local-system", "describe the machine llmsim-bench measured as a system YAML");
  auto measurements = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd->add_option("--measurements", *measurements, "llmsim-bench CPU records of this machine")->required();
  cmd->add_option("-o,--output", *output, "system YAML to write; its stem is the system id (local.yaml)")->required();
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      if (std::filesystem::path(*output).extension() != ".yaml") {
        throw InputError("-o", fmt::format("must name a .yaml file, got '{}'", *output));
      }
      validate::LocalSystemOptions options;
      options.id = std::filesystem::path(*output).stem().string();
      options.source_file = *measurements;
      const auto records = measurements::read_measurements(*measurements);
      write_file_atomically(*output, validate::local_system_yaml(records, options));
      const auto system = hwmodels::Catalog(paths.catalog()).load(*output);
      const auto& d = system.devices.front();
      const auto& m = system.memories.front();
      fmt::print("wrote {}: {} ({} cores, f32 peak {} TFLOP/s, {} with {} GB/s measured)\n", *output, d.name,
                 d.compute_units.value, d.peak_tflops.at("f32").value, m.id, m.measured_bandwidth_gbs->value);
      return kOk;
    };
  });
}

}  // namespace llmsim::cli
