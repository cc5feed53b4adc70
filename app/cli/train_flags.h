// The training flags shared by `loralab-cli train` and `loralab-cli sweep` (--lr --steps --batch
// ... and the LoRA flags), read into a TrainSpec the same way for both.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "args.h"
#include "loralab/train.h"

namespace loralab::cli {

// Every flag train_spec_from_args reads (LoRA flags included).
std::set<std::string> train_flag_names();
// Switch flags (no value) among them.
std::set<std::string> train_switch_names();

// Builds and validates the spec (--data and --out are required). Errors name the flag.
TrainSpec train_spec_from_args(const Args& args);

// --stages "steps=100,lr=2e-4,rank=8;steps=100,lr=4e-4,rank=16": stages separated by ';', each a
// comma-separated list of KEY=VALUE with keys steps (required), lr, rank, alpha, schedule, warmup.
// Throws naming the stage as --stages[INDEX] (0-based, as TrainSpec::validate does) and the key.
std::vector<TrainStage> parse_stages(const std::string& text);

}  // namespace loralab::cli
