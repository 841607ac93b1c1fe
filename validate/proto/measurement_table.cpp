#include "validate/proto/measurement_table.hpp"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "common/output_files.hpp"
#include "validate/proto/kernel_class_names.hpp"

namespace llmsim::measurements {

namespace {

std::string number(double value) { return value == 0 ? "0" : fmt::format("{:.6g}", value); }
std::string integer(std::int64_t value) { return std::to_string(value); }

using Column = std::pair<const char*, std::function<std::string(const Measurement&)>>;

const std::vector<Column>& columns() {
  static const std::vector<Column> table = {
      {"id", [](const Measurement& r) { return r.id(); }},
      {"kernel", [](const Measurement& r) { return kernel_class_name(r.kernel()); }},
      {"dtype", [](const Measurement& r) { return r.dtype(); }},
      {"compute_dtype", [](const Measurement& r) { return r.compute_dtype(); }},
      {"backend", [](const Measurement& r) { return r.execution().backend(); }},
      {"device", [](const Measurement& r) { return r.device().name(); }},
      {"threads", [](const Measurement& r) { return integer(r.execution().threads()); }},
      {"m", [](const Measurement& r) { return integer(r.shape().m()); }},
      {"n", [](const Measurement& r) { return integer(r.shape().n()); }},
      {"k", [](const Measurement& r) { return integer(r.shape().k()); }},
      {"batch", [](const Measurement& r) { return integer(r.shape().batch()); }},
      {"context", [](const Measurement& r) { return integer(r.shape().context()); }},
      {"heads", [](const Measurement& r) { return integer(r.shape().heads()); }},
      {"kv_heads", [](const Measurement& r) { return integer(r.shape().kv_heads()); }},
      {"head_dim", [](const Measurement& r) { return integer(r.shape().head_dim()); }},
      {"elements", [](const Measurement& r) { return integer(r.shape().elements()); }},
      {"bytes", [](const Measurement& r) { return integer(r.shape().bytes()); }},
      {"flops", [](const Measurement& r) { return number(r.work().flops()); }},
      {"bytes_moved", [](const Measurement& r) { return number(r.work().bytes_moved()); }},
      {"min_s", [](const Measurement& r) { return number(r.timing().min_s()); }},
      {"median_s", [](const Measurement& r) { return number(r.timing().median_s()); }},
      {"p90_s", [](const Measurement& r) { return number(r.timing().p90_s()); }},
      {"cv", [](const Measurement& r) { return number(r.timing().cv()); }},
      {"samples", [](const Measurement& r) { return integer(r.timing().samples()); }},
      {"stable", [](const Measurement& r) { return std::string(r.timing().stable() ? "true" : "false"); }},
      {"background_load", [](const Measurement& r) { return number(r.timing().background_load()); }},
      {"drift", [](const Measurement& r) { return number(r.timing().drift()); }},
      {"gflops_per_s", [](const Measurement& r) { return number(r.rates().gflops_per_s()); }},
      {"gbytes_per_s", [](const Measurement& r) { return number(r.rates().gbytes_per_s()); }},
      {"tokens_per_s", [](const Measurement& r) { return number(r.rates().tokens_per_s()); }},
      {"model", [](const Measurement& r) { return r.model().model(); }},
      {"op_name", [](const Measurement& r) { return r.model().op_name(); }},
      {"op_kind", [](const Measurement& r) { return r.model().op_kind(); }},
      {"past_tokens", [](const Measurement& r) { return integer(r.model().past_tokens()); }},
      {"implementation", [](const Measurement& r) { return r.execution().implementation(); }},
      {"software", [](const Measurement& r) { return r.execution().software(); }},
      {"verified", [](const Measurement& r) { return std::string(r.verification().verified() ? "true" : "false"); }},
      {"origin", [](const Measurement& r) { return Origin_Name(r.provenance().origin()); }},
      {"source", [](const Measurement& r) { return r.provenance().source(); }},
      {"runner_version", [](const Measurement& r) { return r.environment().runner_version(); }},
      {"run_id", [](const Measurement& r) { return r.environment().run_id(); }},
  };
  return table;
}

}  // namespace

void write_csv(const std::vector<Measurement>& records, std::ostream& out) {
  const auto& cols = columns();
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i].first;
  out << "\n";
  for (const Measurement& record : records) {
    for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << csv_field(cols[i].second(record));
    out << "\n";
  }
}

void write_json(const std::vector<Measurement>& records, std::ostream& out) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  nlohmann::json array = nlohmann::json::array();
  for (const Measurement& record : records) {
    std::string text;
    const auto status = google::protobuf::util::MessageToJsonString(record, &text, options);
    if (!status.ok()) throw std::runtime_error("converting a measurement to JSON failed: " + status.ToString());
    array.push_back(nlohmann::json::parse(text));
  }
  out << array.dump(2) << "\n";
}

}  // namespace llmsim::measurements
