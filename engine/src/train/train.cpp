// train(): checks everything a user can get wrong before the first step, prepares the data,
// runs the loop and writes the adapter (or, for full fine-tuning, the model) with provenance.
#include <filesystem>

#include "loralab/atomic_file.h"
#include "loralab/error.h"
#include "loralab/hash.h"
#include "loralab/runtime.h"
#include "train/train_internal.h"

namespace fs = std::filesystem;

namespace loralab {
namespace {

void check_output_folder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw Error("--out: cannot create output folder " + dir + (ec ? ": " + ec.message() : ""));
  const auto probe = (fs::path(dir) / ".loralab-write-test").string();
  try {
    write_text_file_atomic(probe, "ok");
  } catch (const Error&) {
    throw Error("--out: output folder " + dir + " is not writable");
  }
  fs::remove(probe, ec);
}

std::string model_hash(const Model& model) {
  Sha256 hasher;
  hasher.update(model.config().to_json());
  const auto& weights = model.folder().weights_path;
  if (!weights.empty() && fs::is_regular_file(weights)) hasher.update(sha256_file(weights));
  return hasher.hex_digest();
}

}  // namespace

TrainResult train(Model& model, const TrainSpec& spec, TrainObserver* observer,
                  TrainControl* control, const std::string& resume_checkpoint) {
  spec.validate();
  const auto& config = model.config();
  if (spec.seq_len > config.max_position_embeddings)
    throw Error("seq: " + std::to_string(spec.seq_len) + " is longer than the model's " +
                std::to_string(config.max_position_embeddings) + " positions (max_position_embeddings)");
  if (!spec.full) {
    // Fails early, listing the module names, when the targets match nothing.
    account_parameters(config, spec.lora);
  }
  if (!list_adapters(model).empty() || adapters_merged(model))
    throw Error("the model already carries adapters; train on a freshly loaded model");
  check_output_folder(spec.out_dir);
  if (spec.threads > 0) set_compute_threads(spec.threads);
  // Declared before the data, so it runs after the data and the run's activations are freed:
  // the memory kept for reuse between steps (keep_freed_memory_for_reuse) goes back to the system.
  struct ReleaseAtEnd {
    ~ReleaseAtEnd() { release_free_memory(); }
  } release_at_end;

  auto data = training::prepare_data(model, spec);
  Sha256 run;
  run.update(model_hash(model)).update(data.fingerprint).update(spec.to_json());
  const std::string run_hash = run.hex_digest();

  auto result = training::run_training(model, spec, data, observer, control, resume_checkpoint, run_hash);
  if (result.status == "failed") return result;
  const std::map<std::string, std::string> metadata = {
      {"run_hash", run_hash},
      {"run_name", spec.name},
      {"dataset_fingerprint", data.fingerprint},
      {"train_config", spec.to_json()},
      {"steps", std::to_string(result.steps_done)},
  };
  if (spec.full) {
    const auto model_dir = (fs::path(spec.out_dir) / "model").string();
    std::error_code ec;
    fs::remove_all(model_dir, ec);
    export_merged_model(model, model_dir, "");
  } else {
    save_adapter(model, "train", spec.out_dir, metadata);
  }
  return result;
}

double evaluate_loss(Model& model, const DatasetSpec& data, int64_t seq_len, int64_t max_rows,
                     bool pack) {
  TrainSpec spec;
  spec.data = data;
  spec.seq_len = seq_len;
  spec.pack = pack;
  auto rows = training::prepare_evaluation_rows(model, data, spec);
  std::lock_guard lock(model.impl().forward_mutex);
  return training::mean_loss(*model.impl().net, rows, 8, max_rows, model.precision());
}

}  // namespace loralab
