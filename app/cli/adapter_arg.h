// `--adapter DIR[:WEIGHT]` values, shared by the commands that take adapters (logits, merge,
// blend). The weight is whatever follows the last ':' when it reads as a number; a folder whose
// own name contains ':' still works when it exists.
#pragma once
#include <string>

namespace loralab::cli {

struct AdapterArg {
  std::string dir;
  double weight = 1.0;  // any finite real, negative and above 1 included
};

// Throws loralab::Error ("--adapter: weight 'abc' is not a number") for a suffix that is neither a
// number nor part of an existing folder's name, and for an empty folder.
AdapterArg parse_adapter_arg(const std::string& text);

}  // namespace loralab::cli
