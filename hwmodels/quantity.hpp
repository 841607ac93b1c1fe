// A number taken from a datasheet, paper or spec, with the citation it came from.
#pragma once

#include <string>

namespace llmsim::hwmodels {

struct Quantity {
  double value = 0.0;
  std::string source;  // key into System::sources; the citation text lives there
  std::string note;    // derivation or caveat, may be empty
};

}  // namespace llmsim::hwmodels
