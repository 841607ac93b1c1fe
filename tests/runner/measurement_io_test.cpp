// The record file format: what is written reads back identical; what is not a record file
// is refused with a reason; exports carry the fields.
#include <catch2/catch.hpp>
#include <google/protobuf/util/delimited_message_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_error.hpp"
#include "validate/proto/kernel_class_names.hpp"
#include "validate/proto/measurement_reader.hpp"
#include "validate/proto/measurement_table.hpp"
#include "validate/proto/measurement_writer.hpp"
#include "validate/proto/schema_version.hpp"

using namespace llmsim::measurements;

namespace {

Measurement sample_record(int i) {
  Measurement m;
  m.set_id("cpu/gemm/f32/m=" + std::to_string(i));
  m.set_kernel(KERNEL_CLASS_GEMM);
  m.set_dtype("f32");
  m.mutable_shape()->set_m(i);
  m.mutable_shape()->set_n(4096);
  m.mutable_shape()->set_k(4096);
  m.mutable_timing()->set_median_s(1e-3 * i);
  m.mutable_timing()->add_samples_s(1e-3 * i);
  m.mutable_rates()->set_gflops_per_s(33.5);
  m.mutable_execution()->set_backend("cpu");
  (*m.mutable_environment()->mutable_libraries())["openblas"] = "0.3.21";
  m.mutable_model()->set_op_name("L1.attn_qkv, with a comma");
  return m;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("records round-trip through a file unchanged", "[records]") {
  const std::string path = "records_roundtrip.tmp.pb";
  {
    MeasurementWriter writer(path);
    for (int i = 1; i <= 3; ++i) writer.write(sample_record(i));
    CHECK(writer.written() == 3);
  }
  const auto records = read_measurements(path);
  REQUIRE(records.size() == 3);
  for (int i = 1; i <= 3; ++i) {
    Measurement expected = sample_record(i);
    expected.set_schema_version(kSchemaVersion);  // stamped by the writer
    CHECK(google::protobuf::util::MessageDifferencer::Equals(records[i - 1], expected));
  }
  std::remove(path.c_str());
}

TEST_CASE("empty, corrupt and newer-version files are refused with a reason", "[records]") {
  const std::string path = "records_bad.tmp.pb";
  write_bytes(path, "");
  CHECK_THROWS_WITH(read_measurements(path), Catch::Contains("no measurement records"));
  write_bytes(path, "this is not protobuf at all, just some text\n");
  CHECK_THROWS_AS(read_measurements(path), llmsim::InputError);
  Measurement future = sample_record(1);
  future.set_schema_version(kSchemaVersion + 1);
  {
    std::ofstream out(path, std::ios::binary);
    google::protobuf::util::SerializeDelimitedToOstream(future, &out);
  }
  CHECK_THROWS_WITH(read_measurements(path), Catch::Contains("newer than"));
  CHECK_THROWS_WITH(read_measurements("no_such_file.pb"), Catch::Contains("file not found"));
  std::remove(path.c_str());
}

TEST_CASE("CSV export quotes text and keeps one row per record; JSON keeps every field", "[records]") {
  std::vector<Measurement> records{sample_record(1), sample_record(2)};
  std::ostringstream csv;
  write_csv(records, csv);
  std::istringstream lines(csv.str());
  std::string header, row;
  std::getline(lines, header);
  CHECK(header.rfind("id,kernel,dtype", 0) == 0);
  std::getline(lines, row);
  CHECK(row.rfind("cpu/gemm/f32/m=1,gemm,f32,", 0) == 0);
  CHECK(row.find("\"L1.attn_qkv, with a comma\"") != std::string::npos);

  std::ostringstream json;
  write_json(records, json);
  const auto j = nlohmann::json::parse(json.str());
  REQUIRE(j.size() == 2);
  CHECK(j[1]["kernel"] == "KERNEL_CLASS_GEMM");
  CHECK(j[1]["shape"]["m"] == "2");  // int64 is a string in proto3 JSON
  CHECK(j[0]["environment"]["libraries"]["openblas"] == "0.3.21");
}

TEST_CASE("kernel class short names map both ways", "[records]") {
  CHECK(kernel_class_name(KERNEL_CLASS_ATTENTION_DECODE) == "attention_decode");
  CHECK(kernel_class_from_name("gemv") == KERNEL_CLASS_GEMV);
  CHECK_FALSE(kernel_class_from_name("unspecified").has_value());
  CHECK_FALSE(kernel_class_from_name("matmul").has_value());
  CHECK(kernel_class_from_name("gelu") == KERNEL_CLASS_GELU);
  CHECK(kernel_class_names().size() == 11);
}
