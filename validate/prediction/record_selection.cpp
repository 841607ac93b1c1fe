#include "validate/prediction/record_selection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"

namespace llmsim::validate {

namespace {

using measurements::Measurement;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string describe(const Measurement& r, std::size_t index) {
  return fmt::format("record {} ({})", index + 1, r.id());
}

// The device of `system` a record ran on: --device, else the first device of the record's kind.
const hwmodels::Device* device_for(const Measurement& r, const hwmodels::System& system, const std::string& flag) {
  if (!flag.empty()) {
    if (const auto* d = system.find_device(flag)) return d;
    for (auto kind : {hwmodels::DeviceKind::cpu, hwmodels::DeviceKind::gpu, hwmodels::DeviceKind::npu})
      if (flag == to_string(kind)) return system.first_device(kind);
    return nullptr;
  }
  const auto kind = r.device().kind() == "cpu" ? hwmodels::DeviceKind::cpu : hwmodels::DeviceKind::gpu;
  return system.first_device(kind);
}

std::vector<std::string> device_names(const hwmodels::System& system) {
  std::vector<std::string> names;
  for (const auto& d : system.devices) names.push_back(d.id + (d.name.empty() ? "" : " '" + d.name + "'"));
  return names;
}

}  // namespace

std::string software_profile_of(const Measurement& r) {
  const std::string s = lower(r.execution().software());
  const std::string first = s.substr(0, s.find(' '));
  return first.empty() ? "llmsim-bench" : first;
}

std::vector<std::string> system_aliases(const hwmodels::System& system) {
  std::vector<std::string> ids{system.id};
  for (const auto& c : system.calibration) {
    if (c.provenance && c.provenance["base_system"]) ids.push_back(c.provenance["base_system"].as<std::string>());
  }
  return ids;
}

std::string measured_hardware(const Measurement& r, const PublicNames& names) {
  if (!r.device().hardware_id().empty()) return r.device().hardware_id();
  if (r.provenance().origin() == measurements::ORIGIN_IMPORTED) return names.hardware_id(r.device().name()).value_or("");
  return "";
}

SelectedRecords select_records(const std::vector<Measurement>& records, const std::string& file,
                               const hwmodels::System& system, const PublicNames& names,
                               const SelectionOptions& options) {
  SelectedRecords out;
  const auto aliases = system_aliases(system);
  std::set<std::string> stacks;
  std::size_t other_hardware = 0, other_software = 0, disturbed = 0;
  std::vector<std::size_t> same_hardware;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Measurement& r = records[i];
    const std::string measured = measured_hardware(r, names);
    const bool ours = std::find(aliases.begin(), aliases.end(), measured) != aliases.end();
    const bool named_device = std::any_of(system.devices.begin(), system.devices.end(),
                                          [&](const auto& d) { return !d.name.empty() && d.name == r.device().name(); });
    if (!ours && !measured.empty()) {
      if (options.skip_other_hardware) {
        ++other_hardware;
        continue;
      }
      throw InputError(file, fmt::format("{} was measured on '{}' ({}), not on --hardware '{}'; give the matching "
                                         "--hardware, or --skip-other-hardware to leave such records out",
                                         describe(r, i), measured, r.device().name(), system.id));
    }
    if (measured.empty() && !named_device && !options.accept_unlabelled) {
      if (options.skip_other_hardware) {
        ++other_hardware;
        continue;
      }
      throw InputError(file, fmt::format("{} does not say which hardware it was measured on (no device.hardware_id; "
                                         "device '{}' is none of {}'s devices: {}); rerun llmsim-bench with "
                                         "--hardware-id {}, or pass --accept-unlabelled",
                                         describe(r, i), r.device().name(), system.id,
                                         join_names(device_names(system)), system.id));
    }
    same_hardware.push_back(i);
    stacks.insert(software_profile_of(r));
  }
  out.software = options.software;
  if (out.software.empty()) {
    if (stacks.size() > 1) {
      throw InputError(file, fmt::format("records come from several software stacks ({}); choose one with --software",
                                         join_names({stacks.begin(), stacks.end()})));
    }
    if (!stacks.empty()) out.software = *stacks.begin();
  }
  for (std::size_t i : same_hardware) {
    const Measurement& r = records[i];
    if (software_profile_of(r) != out.software) {
      ++other_software;
      continue;
    }
    const bool busy = options.max_background_load >= 0 && r.timing().background_load() > options.max_background_load;
    const bool drifting = options.max_drift >= 0 && r.timing().drift() > options.max_drift;
    if (busy || drifting) {
      ++disturbed;
      continue;
    }
    const auto* device = device_for(r, system, options.device);
    if (!device) {
      throw InputError(file, fmt::format("{} ran on a {} device, which system '{}' does not have (devices: {}){}",
                                         describe(r, i), options.device.empty() ? r.device().kind() : options.device,
                                         system.id, join_names(device_names(system)),
                                         options.device.empty() ? "; choose one with --device" : ""));
    }
    out.records.push_back(i);
    out.device_ids.push_back(device->id);
  }
  if (other_hardware) out.notes.push_back(fmt::format("{} record(s) of other hardware left out", other_hardware));
  if (other_software) {
    out.notes.push_back(fmt::format("{} record(s) of software other than '{}' left out", other_software, out.software));
  }
  if (disturbed) {
    std::vector<std::string> limits;
    if (options.max_background_load >= 0) limits.push_back(fmt::format("background_load > {:g}", options.max_background_load));
    if (options.max_drift >= 0) limits.push_back(fmt::format("drift > {:g}", options.max_drift));
    out.notes.push_back(fmt::format("{} record(s) taken on a disturbed machine left out ({})", disturbed,
                                    fmt::join(limits, " or ")));
  }
  if (out.records.empty()) {
    throw InputError(file, fmt::format("no record was measured on '{}'{}", system.id,
                                       out.software.empty() ? "" : " with software '" + out.software + "'"));
  }
  return out;
}

}  // namespace llmsim::validate
