// Engine-internal pieces of the trainer shared by train(), the benchmark and the tests.
#pragma once
#include <torch/torch.h>

#include <functional>

#include "loralab/train.h"
#include "model/model_impl.h"

namespace loralab::training {

// Rows ready for training: packed train and validation sets plus provenance.
struct PreparedData {
  PackedBatchSet train;
  PackedBatchSet validation;  // rows() == 0 when there is none
  std::optional<PackedBatchSet> reference;
  int64_t rehearsal_rows = 0;  // the last rows of train came from TrainSpec::rehearsal
  int64_t rehearsal_opening_rows = 0;  // the first of those, with their openings scored
  std::string fingerprint;
};

PreparedData prepare_data(const Model& model, const TrainSpec& spec);

// All rows of one dataset in file order (no split, no shuffle), packed with spec's settings.
PackedBatchSet prepare_evaluation_rows(const Model& model, const DatasetSpec& data,
                                       const TrainSpec& spec);

// Loss over masked targets: logits of `inputs` (B, T) against `targets`, mean over mask == 1.
// Returns (sum of token losses, number of counted tokens).
std::pair<torch::Tensor, int64_t> masked_loss_sum(model::LlamaImpl& net, const torch::Tensor& inputs,
                                                  const torch::Tensor& targets,
                                                  const torch::Tensor& mask);

// (B, T) tensors of the given rows.
struct BatchTensors {
  torch::Tensor inputs, targets, mask;
  int64_t counted = 0;
};
BatchTensors batch_tensors(const PackedBatchSet& set, const std::vector<int64_t>& rows);

double mean_loss(model::LlamaImpl& net, const PackedBatchSet& set, int64_t batch, int64_t max_rows,
                 Precision precision);

double learning_rate(const TrainSpec& spec, int64_t step, int64_t total_steps);

// Approximate matmul FLOPs of one training token (forward + backward).
double flops_per_token(const ModelConfig& config, int64_t seq_len, int64_t lora_parameters, bool full);

// The core loop on prepared rows; train() wraps it with data loading and output writing.
TrainResult run_training(Model& model, const TrainSpec& spec, PreparedData& data,
                         TrainObserver* observer, TrainControl* control,
                         const std::string& resume_checkpoint, const std::string& run_hash);

// Enables CPU bf16 autocast for its lifetime (bf16 matmuls on fp32 master weights).
class AutocastScope {
 public:
  explicit AutocastScope(bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  bool previous_;
};

}  // namespace loralab::training
