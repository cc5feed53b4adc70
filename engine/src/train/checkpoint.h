// Training checkpoints: trainable tensors, AdamW state, the dropout RNG state and the trainer's
// counters, written as one folder (state.safetensors + trainer_state.json) that replaces the
// previous checkpoint atomically. No pickles.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace loralab::training {

struct CheckpointData {
  std::map<std::string, torch::Tensor> tensors;  // "param.NAME", "opt.KEY", "rng"
  nlohmann::json state;                          // counters, spec, run hash
};

void write_checkpoint(const std::string& dir, const CheckpointData& data);
CheckpointData read_checkpoint(const std::string& dir);

}  // namespace loralab::training
