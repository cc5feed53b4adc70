// The training flags shared by `loralab-cli train` and `loralab-cli sweep` (--lr --steps --batch
// ... and the LoRA flags), read into a TrainSpec the same way for both.
#pragma once
#include <set>
#include <string>

#include "args.h"
#include "loralab/train.h"

namespace loralab::cli {

// Every flag train_spec_from_args reads (LoRA flags included).
std::set<std::string> train_flag_names();
// Switch flags (no value) among them.
std::set<std::string> train_switch_names();

// Builds and validates the spec (--data and --out are required). Errors name the flag.
TrainSpec train_spec_from_args(const Args& args);

}  // namespace loralab::cli
