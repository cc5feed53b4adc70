// Engine errors. Everything inside the engine throws loralab::Error with a message that names the
// file, the key or the flag and what was expected; the boundaries (CLI main, UI workers) catch it.
#pragma once
#include <stdexcept>
#include <string>

namespace loralab {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace loralab
