#include "app/measurement_inputs.hpp"

#include "app/number_validator.hpp"

#include "hwmodels/catalog.hpp"
#include "hwmodels/software_profile.hpp"
#include "validate/proto/measurement_reader.hpp"

namespace llmsim::cli {

void add_measurement_flags(CLI::App& cmd, MeasurementFlags& f, bool required) {
  cmd.add_option("--measurements", f.measurements, "Measurement records (llmsim-bench run / import-csv)")
      ->required(required);
  cmd.add_option("--hardware", f.hardware, "catalog id or system YAML file the records were measured on")
      ->required(required);
  cmd.add_option("--software", f.software, "software profile id or file (default: the records' own stack)");
  cmd.add_option("--device", f.device, "device id or kind (default: the device of each record's kind)");
  cmd.add_flag("--skip-other-hardware", f.skip_other_hardware, "leave out records of other hardware instead of failing");
  cmd.add_flag("--accept-unlabelled", f.accept_unlabelled,
               "take records that do not say their hardware (no --hardware-id) as measured on --hardware");
  cmd.add_option("--statistic", f.statistic, "the figure of each record: median, or min (fastest sample)")
      ->check(CLI::IsMember({"median", "min"}))
      ->capture_default_str();
  cmd.add_option("--max-background-load", f.max_background_load,
                 "leave out records taken while other processes used more than this share of the CPU (0-1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--max-drift", f.max_drift,
                 "leave out records whose own time moved more than this within the case (Timing.drift, e.g. 0.1)")
      ->check(CLI::Range(0.0, 100.0));
}

void add_fit_weight_flags(CLI::App& cmd, double& prior, double& robust_scale) {
  // A NaN weight would make every cost NaN.
  const CLI::Validator weight = finite_number_in(0, 1e6, "a number from 0 to 1e6", "WEIGHT");
  cmd.add_option("--prior", prior, "weight pulling parameters back to the profile's values")
      ->check(weight)
      ->capture_default_str();
  cmd.add_option("--robust-scale", robust_scale, "Cauchy loss scale on log errors; 0 = plain least squares")
      ->check(weight)
      ->capture_default_str();
}

std::unique_ptr<MeasurementInputs> load_measurement_inputs(const sim::DataPaths& paths, const MeasurementFlags& f) {
  auto in = std::make_unique<MeasurementInputs>();
  in->records = measurements::read_measurements(f.measurements);
  in->system = hwmodels::Catalog(paths.catalog()).load(f.hardware);
  in->names = validate::PublicNames::load(paths.root() + "/validate/data/public_names.yaml");
  validate::SelectionOptions options;
  // A profile file selects the records of the stack it describes.
  options.software = f.software.empty() ? "" : hwmodels::ProfileSet(paths.profiles()).load(f.software).id;
  options.device = f.device;
  options.skip_other_hardware = f.skip_other_hardware;
  options.accept_unlabelled = f.accept_unlabelled;
  options.max_background_load = f.max_background_load;
  options.max_drift = f.max_drift;
  in->selected = validate::select_records(in->records, f.measurements, in->system, in->names, options);
  in->software = f.software.empty() ? in->selected.software : f.software;
  in->cases = std::make_unique<validate::CaseSet>(paths, in->system, in->software);
  in->cases->add(in->records, in->selected, in->names, f.statistic == "min");
  return in;
}

}  // namespace llmsim::cli
