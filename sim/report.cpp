#include "sim/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace llmsim::sim {

namespace {

nlohmann::ordered_json phase_json(const PhaseResult& phase) {
  nlohmann::ordered_json j;
  j["seconds"] = phase.seconds;
  j["steps"] = phase.steps;
  j["ops"] = phase.ops;
  j["flops"] = phase.flops;
  j["bytes"] = phase.bytes;
  j["bound"] = phase.bound();
  j["bound_share"] = phase.bound_share();
  j["seconds_by_bound"] = phase.seconds_by_bound;
  j["seconds_by_group"] = phase.seconds_by_group;
  j["seconds_by_link"] = phase.seconds_by_link;
  nlohmann::ordered_json devices = nlohmann::ordered_json::object();
  for (const auto& [id, d] : phase.devices) {
    devices[id] = {{"busy_s", d.busy}, {"idle_s", std::max(0.0, phase.seconds - d.busy)}, {"by_bound", d.by_bound}};
  }
  j["devices"] = devices;
  j["ceiling_seconds"] = phase.ceiling_seconds;
  j["ceiling_basis"] = phase.ceiling_basis;
  j["fraction_of_ceiling"] = phase.seconds > 0 ? phase.ceiling_seconds / phase.seconds : 0.0;
  return j;
}

std::string gb(double bytes) { return fmt::format("{:.2f} GB", bytes / 1e9); }

std::string describe_bound(const std::string& bound) {
  if (bound == "launch") return "launch overhead (per-kernel cost)";
  if (bound == "compute") return "compute";
  if (bound == "contention") return "contention with other ops";
  if (bound.rfind("memory:", 0) == 0) return "memory bandwidth (" + bound.substr(7) + ")";
  return bound;
}

std::string phase_text(const char* title, const PhaseResult& phase) {
  if (phase.steps == 0) return "";
  std::string out = fmt::format("{}: {:.4f} s over {} step(s), {:.0f} ops\n", title, phase.seconds, phase.steps,
                                phase.ops);
  out += fmt::format("  bound by {} ({:.0f}% of op time)", describe_bound(phase.bound()), phase.bound_share() * 100);
  std::string others;
  double total = 0;
  for (const auto& [name, s] : phase.seconds_by_bound) total += s;
  // Per-memory bounds of many devices read better summed ("memory" over hbm0..hbm7).
  std::map<std::string, double> merged;
  for (const auto& [name, s] : phase.seconds_by_bound) {
    merged[phase.devices.size() > 2 && name.rfind("memory:", 0) == 0 ? "memory (all)" : name] += s;
  }
  for (const auto& [name, s] : merged) {
    if (name != phase.bound() && s > 0.005 * total) others += fmt::format(", {} {:.0f}%", name, 100 * s / total);
  }
  out += others + "\n";
  if (phase.ceiling_seconds > 0) {
    out += fmt::format("  roofline floor {:.4f} s ({}); the prediction runs at {:.0f}% of that speed\n",
                       phase.ceiling_seconds, phase.ceiling_basis, 100 * phase.ceiling_seconds / phase.seconds);
  }
  double group_total = 0;
  for (const auto& [name, s] : phase.seconds_by_group) group_total += s;
  std::string groups;
  for (const auto& [name, s] : phase.seconds_by_group) {
    groups += fmt::format("{}{} {:.0f}%", groups.empty() ? "" : ", ", name, 100 * s / group_total);
  }
  out += "  time by op class: " + groups + "\n";
  double link_total = 0;
  for (const auto& [kind, s] : phase.seconds_by_link) link_total += s;
  if (link_total > 0) {
    std::vector<std::pair<double, std::string>> kinds;
    for (const auto& [kind, s] : phase.seconds_by_link) kinds.push_back({s, kind});
    std::sort(kinds.rbegin(), kinds.rend());
    std::string links;
    for (const auto& [s, kind] : kinds) links += fmt::format("{}{} {:.0f}%", links.empty() ? "" : ", ", kind, 100 * s / link_total);
    out += fmt::format("  collective time by the link of its slowest copy: {}\n", links);
  }
  if (phase.devices.size() > 1) {
    for (const auto& [id, d] : phase.devices) {
      std::string parts;
      for (const auto& [name, s] : d.by_bound) {
        if (s > 0.005 * phase.seconds) parts += fmt::format(", {} {:.0f}%", name, 100 * s / phase.seconds);
      }
      out += fmt::format("  device {}: busy {:.0f}% of the phase{}; idle {:.0f}%\n", id, 100 * d.busy / phase.seconds,
                         parts, 100 * std::max(0.0, phase.seconds - d.busy) / phase.seconds);
    }
  }
  return out;
}

nlohmann::ordered_json energy_cost_json(const EnergyCost& e) {
  nlohmann::ordered_json j;
  j["item"] = e.item_name;
  j["items"] = e.items;
  j["output_tokens"] = e.output_tokens;
  j["has_energy"] = e.has_energy;
  j["energy_j"] = e.energy_j;
  j["energy_at_tdp_j"] = e.energy_at_tdp_j;
  j["average_power_w"] = e.average_power_w;
  j["joules_per_item"] = e.joules_per_item();
  j["joules_per_output_token"] = e.joules_per_output_token();
  nlohmann::ordered_json budgets = nlohmann::ordered_json::array();
  for (const auto& b : e.budgets) {
    budgets.push_back({{"devices", b.devices}, {"idle_w", b.idle_w}, {"tdp_w", b.tdp_w}, {"active_s", b.active_s},
                       {"energy_j", b.energy_j}});
  }
  j["power_budgets"] = budgets;
  j["has_cost"] = e.has_cost;
  j["usd_per_hour"] = e.usd_per_hour;
  j["usd_per_hour_basis"] = e.usd_per_hour_basis;
  j["usd"] = e.usd;
  j["usd_per_item"] = e.usd_per_item();
  j["usd_per_million_output_tokens"] = e.usd_per_million_output_tokens();
  return j;
}

std::string energy_cost_text(const EnergyCost& e, double seconds) {
  std::string out;
  if (e.has_energy) {
    out += fmt::format("energy               {:10.2f} J per {} ({:.1f} J per request, average {:.0f} W over {:.4g} s; "
                       "at TDP throughout {:.1f} J)\n",
                       e.joules_per_item(), e.item_name, e.energy_j, e.average_power_w, seconds, e.energy_at_tdp_j);
  }
  if (e.has_cost) {
    out += fmt::format("cost                 {:10.6f} USD per {} (${:.2f}/hour; {:.4f} USD per million output tokens)\n",
                       e.usd_per_item(), e.item_name, e.usd_per_hour, e.usd_per_million_output_tokens());
  }
  return out;
}

}  // namespace

nlohmann::ordered_json to_json(const Prediction& p) {
  nlohmann::ordered_json j;
  j["hardware"] = p.hardware_id;
  j["hardware_name"] = p.hardware_name;
  j["device"] = p.device_id;
  j["device_kind"] = p.device_kind;
  j["model"] = p.model_id;
  j["architecture"] = p.architecture;
  j["parameters"] = p.parameters;
  j["dtype"] = p.request.dtype;
  j["kv_dtype"] = p.request.kv_dtype;
  j["software"] = p.request.software;
  j["batch"] = p.request.batch;
  j["prompt"] = p.request.prompt;
  j["gen"] = p.request.gen;
  j["ttft_s"] = p.ttft_s;
  j["vision_s"] = p.vision.seconds;
  j["request_s"] = p.request_s;
  j["prefill_s"] = p.prefill.seconds;
  j["prefill_tokens_per_s"] = p.prefill_tokens_per_s;
  j["tpot_s"] = p.tpot_s;
  j["decode_s"] = p.decode.seconds;
  j["decode_tokens_per_s"] = p.decode_tokens_per_s;
  j["output_tokens_per_s"] = p.output_tokens_per_s;
  j["replicas"] = p.request.replicas;
  j["threads"] = p.request.threads;
  j["ubatch"] = p.request.ubatch;
  j["aggregate_output_tokens_per_s"] = p.aggregate_output_tokens_per_s;
  j["images"] = p.request.images;
  j["peak_memory_bytes"] = p.memory.total();
  j["memory"] = {{"weights_bytes", p.memory.weights},
                 {"kv_cache_bytes", p.memory.kv_cache},
                 {"activations_bytes", p.memory.activations},
                 {"capacity_bytes", p.memory_capacity_bytes},
                 {"memory", p.memory_id}};
  nlohmann::ordered_json memories = nlohmann::ordered_json::array();
  for (const auto& m : p.memories) {
    memories.push_back({{"memory", m.memory},
                        {"weights_bytes", m.weights},
                        {"kv_cache_bytes", m.kv_cache},
                        {"activations_bytes", m.activations},
                        {"staging_bytes", m.staging},
                        {"total_bytes", m.total()},
                        {"capacity_bytes", m.capacity},
                        {"fits", m.fits()}});
  }
  j["memories"] = memories;
  j["fits"] = p.fits;
  j["placement"] = p.placement;
  j["tp"] = p.request.tp;
  j["pp"] = p.request.pp;
  j["offloaded_layers"] = p.offloaded_layers;
  j["bound"] = p.bound();
  j["energy_cost"] = energy_cost_json(p.energy_cost);
  j["vision"] = phase_json(p.vision);
  j["prefill"] = phase_json(p.prefill);
  j["decode"] = phase_json(p.decode);
  j["assumptions"] = p.assumptions;
  return j;
}

std::string to_text(const Prediction& p) {
  const auto& r = p.request;
  std::string out = fmt::format("{} on {} ({}), device {} [{}]\n", p.model_id, p.hardware_name, p.hardware_id,
                                p.device_id, p.device_kind);
  out += fmt::format("{} parameters ({:.2f} B), weights {}, KV {}, software {}, batch {}, prompt {}, gen {}\n\n",
                     p.architecture, p.parameters / 1e9, r.dtype, r.kv_dtype, r.software, r.batch, r.prompt, r.gen);
  if (r.images > 0) out += fmt::format("image encoder        {:10.4f} s   ({} image(s) per sequence)\n", p.vision.seconds, r.images);
  if (r.prompt > 0) {
    out += fmt::format("time to first token  {:10.4f} s   prefill {:10.1f} tokens/s\n", p.ttft_s,
                       p.prefill_tokens_per_s);
  }
  if (r.gen > 0) {
    out += fmt::format("time per output tok  {:10.5f} s   decode  {:10.1f} tokens/s   end-to-end output {:.1f} tokens/s\n",
                       p.tpot_s, p.decode_tokens_per_s, p.output_tokens_per_s);
  }
  out += fmt::format("one request          {:10.4f} s end to end\n", p.request_s);
  if (r.replicas > 1) {
    out += fmt::format("{} replicas           {:10.1f} output tokens/s together\n", r.replicas,
                       p.aggregate_output_tokens_per_s);
  }
  out += energy_cost_text(p.energy_cost, p.request_s);
  out += "placement            " + p.placement + "\n";
  for (const auto& m : p.memories) {
    out += fmt::format("memory {:<13} {} (weights {}, KV cache {}, activations {}{}) of {}: {}\n", m.memory,
                       gb(m.total()), gb(m.weights), gb(m.kv_cache), gb(m.activations),
                       m.staging > 0 ? ", offload staging " + gb(m.staging) : "", gb(m.capacity),
                       m.fits() ? "fits" : fmt::format("DOES NOT FIT (short by {})", gb(m.total() - m.capacity)));
  }
  out += "\n";
  out += phase_text("image encoder", p.vision);
  out += phase_text("prefill", p.prefill);
  out += phase_text("decode", p.decode);
  out += "\nassumptions:\n";
  for (const auto& a : p.assumptions) out += "  - " + a + "\n";
  return out;
}

}  // namespace llmsim::sim
