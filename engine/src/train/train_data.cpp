// Training data for a run: read, split, tokenize with the model's tokenizer and pack into rows.
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>

#include "loralab/error.h"
#include "loralab/tokenizer.h"
#include "train/train_internal.h"

namespace loralab::training {
namespace {

std::vector<TokenizedExample> tokenize_all(const std::vector<Example>& examples,
                                           const Tokenizer& tokenizer) {
  std::vector<TokenizedExample> tokenized;
  tokenized.reserve(examples.size());
  auto encode = [&](const std::string& text) { return tokenizer.encode(text); };
  for (const auto& example : examples) tokenized.push_back(tokenize_example(example, encode));
  return tokenized;
}

// The first `count` tokens of each example carry no loss (rehearsal; see TrainSpec).
void unscore_openings(std::vector<TokenizedExample>& tokenized, int64_t count) {
  for (auto& t : tokenized) {
    if (t.loss_mask.empty()) t.loss_mask.assign(t.ids.size(), 1);
    const auto end = std::min<size_t>(t.loss_mask.size(), size_t(count));
    std::fill(t.loss_mask.begin(), t.loss_mask.begin() + std::ptrdiff_t(end), uint8_t(0));
  }
}

// Rows of tokenized examples; the layout depends on the ids, the spec and the seed only, never
// on the loss masks.
PackedBatchSet pack_tokenized(const std::vector<TokenizedExample>& tokenized,
                              const Tokenizer& tokenizer, const ModelConfig& config,
                              const TrainSpec& spec, bool shuffle) {
  PackOptions options;
  options.seq_len = spec.seq_len;
  options.bos = tokenizer.bos_id();
  if (!options.bos && !config.bos_token_ids.empty()) options.bos = int32_t(config.bos_token_ids.front());
  options.eos = tokenizer.eos_id();
  if (!options.eos && !config.eos_token_ids.empty()) options.eos = int32_t(config.eos_token_ids.front());
  options.pad = tokenizer.pad_id();
  options.pack = spec.pack;
  options.shuffle = shuffle;
  options.seed = spec.seed;
  options.vocab_size = config.vocab_size;
  return pack_examples(tokenized, options);
}

PackedBatchSet pack(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                    const ModelConfig& config, const TrainSpec& spec, bool shuffle) {
  return pack_tokenized(tokenize_all(examples, tokenizer), tokenizer, config, spec, shuffle);
}

// Appends rows first .. first + count - 1 of `from` to `to`, in from's order, starting over when
// from runs out.
void append_rows(PackedBatchSet& to, const PackedBatchSet& from, int64_t first, int64_t count) {
  const int64_t t = to.seq_len;
  for (int64_t i = first; i < first + count; ++i) {
    const int64_t row = i % from.rows();
    const auto input = from.input_row(row), target = from.target_row(row);
    const auto mask = from.mask_row(row);
    to.inputs.insert(to.inputs.end(), input.begin(), input.end());
    to.targets.insert(to.targets.end(), target.begin(), target.end());
    to.target_mask.insert(to.target_mask.end(), mask.begin(), mask.end());
    for (int64_t j = 0; j < t; ++j) to.target_tokens += mask[j];
  }
}

}  // namespace

Tokenizer model_tokenizer(const Model& model) {
  const auto& folder = model.folder();
  if (!folder.tokenizer_path)
    throw Error("model folder " + folder.dir + " has no tokenizer.json (or vocab.json + merges.txt); "
                "training needs one to read text data");
  return Tokenizer::load(*folder.tokenizer_path);
}

PackedBatchSet prepare_evaluation_rows(const Model& model, const DatasetSpec& data,
                                       const TrainSpec& spec) {
  // In file order, as the trainer packs its validation and reference sets, so that a loss
  // measured here matches the forgetting figure of a run.
  return pack(read_dataset(data), model_tokenizer(model), model.config(), spec, /*shuffle=*/false);
}

PreparedData prepare_data(const Model& model, const TrainSpec& spec) {
  const auto& folder = model.folder();
  auto tokenizer = model_tokenizer(model);
  PreparedData data;
  auto split = load_train_validation(spec.data, spec.validation, spec.validation_ratio, spec.seed);
  data.train = pack(split.train, tokenizer, model.config(), spec, /*shuffle=*/true);
  if (!split.validation.empty())
    data.validation = pack(split.validation, tokenizer, model.config(), spec, /*shuffle=*/false);
  if (spec.reference)
    data.reference = pack(read_dataset(*spec.reference), tokenizer, model.config(), spec, false);
  std::string settings = "seq=" + std::to_string(spec.seq_len) + ";pack=" +
                         std::to_string(spec.pack) + ";tokenizer=" + *folder.tokenizer_path;
  if (spec.rehearsal) {
    // Shuffled by the seed before the share is taken, so a large general set gives a fair draw;
    // the trainer's own shuffle then spreads these rows over the batches.
    std::vector<TokenizedExample> general;
    const double share = spec.rehearsal_share;
    data.rehearsal_rows =
        std::max<int64_t>(1, std::llround(double(data.train.rows()) * share / (1 - share)));
    // The first rows keep their openings scored (opening share / share of them), the rest do not.
    // Both packings have the same layout, so together they hold each general row once.
    const double opening = spec.effective_rehearsal_opening_share();
    const int64_t scored = std::min<int64_t>(
        data.rehearsal_rows, std::llround(double(data.rehearsal_rows) * opening / share));
    try {
      general = tokenize_all(read_dataset(*spec.rehearsal), tokenizer);
      if (scored > 0) {
        append_rows(data.train, pack_tokenized(general, tokenizer, model.config(), spec, true), 0,
                    scored);
      }
      if (scored < data.rehearsal_rows) {
        unscore_openings(general, spec.rehearsal_unscored_opening);
        append_rows(data.train, pack_tokenized(general, tokenizer, model.config(), spec, true),
                    scored, data.rehearsal_rows - scored);
      }
    } catch (const Error& e) {
      throw Error("rehearsal set " + spec.rehearsal->path + ": " + e.what());
    }
    data.rehearsal_opening_rows = scored;
    settings += ";rehearsal=" + dataset_fingerprint(*spec.rehearsal, settings) +
                ";share=" + std::to_string(share) +
                ";unscored=" + std::to_string(spec.rehearsal_unscored_opening);
    // Only when it departs from the old rule, so that earlier fingerprints stay as they were.
    if (spec.rehearsal_opening_share) settings += ";openings=" + std::to_string(opening);
  }
  data.fingerprint = dataset_fingerprint(spec.data, settings);
  return data;
}

BatchTensors batch_tensors(const PackedBatchSet& set, const std::vector<int64_t>& rows) {
  const int64_t t = set.seq_len, b = static_cast<int64_t>(rows.size());
  BatchTensors out;
  out.inputs = torch::empty({b, t}, torch::kInt64);
  out.targets = torch::empty({b, t}, torch::kInt64);
  out.mask = torch::empty({b, t}, torch::kFloat32);
  auto* in = out.inputs.data_ptr<int64_t>();
  auto* tg = out.targets.data_ptr<int64_t>();
  auto* mk = out.mask.data_ptr<float>();
  for (int64_t r = 0; r < b; ++r) {
    auto input = set.input_row(rows[r]);
    auto target = set.target_row(rows[r]);
    auto mask = set.mask_row(rows[r]);
    for (int64_t i = 0; i < t; ++i) {
      in[r * t + i] = input[i];
      tg[r * t + i] = target[i];
      mk[r * t + i] = mask[i];
      out.counted += mask[i];
    }
  }
  return out;
}

std::pair<torch::Tensor, int64_t> masked_loss_sum(model::LlamaImpl& net, const torch::Tensor& inputs,
                                                  const torch::Tensor& targets,
                                                  const torch::Tensor& mask) {
  auto flat_mask = mask.view({-1});
  return {net.masked_loss_sum(inputs, targets, mask),
          static_cast<int64_t>(flat_mask.sum().item<float>())};
}

AutocastScope::AutocastScope(bool enabled) : enabled_(enabled), previous_(at::autocast::is_cpu_enabled()) {
  if (!enabled_) return;
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  at::autocast::set_cpu_enabled(previous_);
  at::autocast::clear_cache();
}

double mean_loss(model::LlamaImpl& net, const PackedBatchSet& set, int64_t batch, int64_t max_rows,
                 Precision precision) {
  torch::NoGradGuard no_grad;
  AutocastScope autocast(precision == Precision::BF16);
  const bool was_training = net.is_training();
  net.eval();
  const int64_t rows = max_rows > 0 ? std::min(max_rows, set.rows()) : set.rows();
  double sum = 0;
  int64_t counted = 0;
  for (int64_t start = 0; start < rows; start += batch) {
    std::vector<int64_t> chosen;
    for (int64_t r = start; r < std::min(rows, start + batch); ++r) chosen.push_back(r);
    auto tensors = batch_tensors(set, chosen);
    auto [loss, n] = masked_loss_sum(net, tensors.inputs, tensors.targets, tensors.mask);
    sum += loss.item<double>();
    counted += n;
  }
  if (was_training) net.train();
  return counted > 0 ? sum / double(counted) : 0.0;
}

}  // namespace loralab::training
