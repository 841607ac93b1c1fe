// A CLI11 check for a finite number in [lower, upper]. CLI11's NonNegativeNumber and Range let
// NaN through and print refused values garbled; this one names the value it refused.
#pragma once

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace llmsim::cli {

/// `what` completes "must be ...", e.g. "a price from 0 to 1e6 USD per hour".
inline CLI::Validator finite_number_in(double lower, double upper, const std::string& what, const std::string& name) {
  return CLI::Validator(
      [=](const std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < lower || v > upper) {
          return "must be " + what + ", got '" + text + "'";
        }
        return "";
      },
      name, name);
}

}  // namespace llmsim::cli
