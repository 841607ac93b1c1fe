// The one CSV reader (common/csv_reader.hpp): RFC 4180 quoting, blank lines, CRLF, and the
// errors that name file and line. Expected cells are written out by hand from each text.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/csv_reader.hpp"
#include "common/input_error.hpp"

using llmsim::CsvHeader;
using llmsim::CsvReader;
using llmsim::CsvRecord;
using llmsim::InputError;
using Catch::Matchers::Contains;
using Cells = std::vector<std::string>;

namespace {

std::vector<CsvRecord> all(const std::string& text) {
  CsvReader csv("t.csv", text);
  std::vector<CsvRecord> out;
  CsvRecord r;
  while (csv.next(r)) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("CSV cells: quotes hold commas, doubled quotes and line breaks, and blanks around cells go") {
  const auto rows = all("a, b ,c\r\n\n  \r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\n2,, \" kept \" \n");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].cells == Cells{"a", "b", "c"});
  CHECK(rows[0].line == 1);
  CHECK(rows[1].cells == Cells{"1", "x, \"y\"", "two\nlines"});
  CHECK(rows[1].line == 4);  // lines 2 and 3 are blank
  CHECK(rows[2].cells == Cells{"2", "", " kept "});
  CHECK(rows[2].line == 6);  // the quoted line break moved the count on
}

TEST_CASE("CSV: a trailing comma is an empty last cell, and no final newline is needed") {
  const auto rows = all("a,b,\n1,2,3");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].cells == Cells{"a", "b", ""});
  CHECK(rows[1].cells == Cells{"1", "2", "3"});
}

TEST_CASE("CSV errors name the file and the line") {
  CHECK_THROWS_WITH(all("a,b\n1,\"open\n2,3\n"), Contains("t.csv:2") && Contains("never closed"));
  CHECK_THROWS_WITH(all("a,b\n\"x\"y,2\n"), Contains("t.csv:2") && Contains("after a closing quote"));
}

TEST_CASE("CSV header: columns by name, repeats and ragged rows refused") {
  const auto rows = all("id,value\n1,2\n3\n");
  const CsvHeader header(rows[0], "t.csv");
  CHECK(header.require("value") == 1);
  CHECK_FALSE(header.find("unit"));
  CHECK(header.cell(rows[1], "value") == "2");
  CHECK(header.cell(rows[1], "unit").empty());
  CHECK_THROWS_WITH(header.require("unit"), Contains("t.csv:1") && Contains("no column 'unit'"));
  CHECK_NOTHROW(header.check_width(rows[1]));
  CHECK_THROWS_WITH(header.check_width(rows[2]), Contains("t.csv:3") && Contains("1 cells, but the header has 2"));
  CHECK_THROWS_AS(CsvHeader(all("id,value,id\n")[0], "t.csv"), InputError);
  CHECK_THROWS_WITH(CsvHeader(all("id,,x\n")[0], "t.csv"), Contains("column 2 has no name"));
}

TEST_CASE("split_csv_line undoes csv_field's quoting and keeps blanks") {
  CHECK(llmsim::split_csv_line("1,\"a,b\",, x ") == Cells{"1", "a,b", "", " x "});
}
