// Training data: dataset readers (txt, folder of txt, JSONL, CSV column, prompt/completion JSONL),
// the dataset fingerprint, train/validation split, packing of tokenized examples into
// next-token-prediction rows, and a seeded, resumable walk over those rows.
// Tokenizer-independent: packing takes ids that the caller's tokenizer produced.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loralab/random.h"

namespace loralab {

// ---- reading -----------------------------------------------------------------------------------

struct Example {
  std::string text;    // the text to learn; for prompt/completion, the completion
  std::string prompt;  // non-empty only for prompt/completion; context that is not learned
  std::string source;  // "file:line" where the example starts (line is 1-based)
};

// Formats (resolved by "auto" from the path):
//   txt     one example per block of lines separated by blank (whitespace-only) lines; each block
//           is trimmed of surrounding whitespace; CRLF and lone CR become LF.
//   folder  the .txt files of a folder (case-insensitive extension), sorted by their relative
//           path (byte order), skipping hidden files and folders (name starts with '.');
//           top level only unless `recursive`. Each file is one example (a story per file) unless
//           `one_example_per_file` is false, then each file is split into blocks like txt.
//   jsonl   one JSON object per line, the string field `field`; blank lines are skipped.
//   csv     RFC 4180 with a required header row; the column named `field`.
//   prompt-completion  JSONL with string fields `prompt_field` and `completion_field`; the loss
//           counts only on the completion. Prompt and completion are joined as-is (no separator
//           is added: put one in the data if the model needs it).
// "auto": a folder -> folder; .txt -> txt; .csv -> csv; .jsonl/.ndjson -> prompt-completion when
// the first non-blank line is an object holding both prompt fields, else jsonl.
// For every format: a leading UTF-8 BOM is ignored, the bytes must be valid UTF-8, and examples
// whose text is empty or whitespace-only are skipped (jsonl/csv/prompt-completion text is kept
// verbatim otherwise; a prompt/completion example is skipped when its completion is blank).
struct DatasetSpec {
  std::string path;
  std::string format = "auto";  // auto|txt|folder|jsonl|csv|prompt-completion
  std::string field = "text";   // JSONL field / CSV column
  std::string prompt_field = "prompt";
  std::string completion_field = "completion";
  bool recursive = false;            // folder: descend into sub-folders
  bool one_example_per_file = true;  // folder: false = split each file into blank-line blocks
};

// Throws loralab::Error naming the file (and line, and byte offset for bad UTF-8) on: a missing
// or unreadable path, an unknown format or extension, invalid UTF-8, a JSONL line that is not a
// JSON object or lacks the field or holds a non-string, a CSV without the column (the message lists
// the columns present), a CSV field with an unterminated quote or a record with the wrong number of
// fields, and a dataset that yields no examples.
std::vector<Example> read_dataset(const DatasetSpec& spec);

// The concrete format "auto" resolves to (reads the first line of a JSONL file).
std::string resolve_dataset_format(const DatasetSpec& spec);

// The files read_dataset reads, in the order it reads them (absolute or as given in spec.path).
std::vector<std::string> dataset_files(const DatasetSpec& spec);

// SHA-256 (hex) over, in order: the resolved format and field names, then for each file read its
// name relative to the dataset (the file name for a single file, the path under the folder for a
// folder), its size and its bytes, then settings_json. Moving the dataset elsewhere keeps the
// fingerprint; changing any byte, file name, field or the settings changes it.
std::string dataset_fingerprint(const DatasetSpec& spec, const std::string& settings_json);

// ---- train / validation split ------------------------------------------------------------------

struct DatasetSplit {
  std::vector<Example> train;
  std::vector<Example> validation;
};

// Splits whole examples (never one example across both sides), chosen by seed; each side keeps the
// original order. validation count = round(n * ratio), at least 1 when ratio > 0, and at least one
// example stays in train. ratio must be in [0, 1); ratio > 0 needs at least 2 examples.
DatasetSplit split_dataset(const std::vector<Example>& examples, double validation_ratio,
                           uint64_t seed);

// Validation from a separate dataset when `validation` is set (no split), else by ratio.
DatasetSplit load_train_validation(const DatasetSpec& train,
                                   const std::optional<DatasetSpec>& validation,
                                   double validation_ratio, uint64_t seed);

// ---- tokenized examples and packing ------------------------------------------------------------

struct TokenizedExample {
  std::vector<int32_t> ids;
  std::vector<uint8_t> loss_mask;  // 1 = counts in the loss; same size as ids, or empty = all 1
};

// Encodes prompt and text separately (so every prompt token is known exactly) and concatenates:
// prompt tokens get mask 0, text tokens mask 1. `encode` must not add BOS/EOS; packing does that.
TokenizedExample tokenize_example(const Example& example,
                                  const std::function<std::vector<int32_t>(const std::string&)>& encode);

struct PackOptions {
  int64_t seq_len = 0;
  std::optional<int32_t> bos, eos;  // wrapped around every example when set
  std::optional<int32_t> pad;       // unset: eos, else 0 (pad positions are always masked out)
  bool pack = true;     // false = one example per row, padded with a zero mask
  bool shuffle = true;  // shuffle examples by seed before packing
  uint64_t seed = 0;
  int64_t vocab_size = 0;  // > 0: every id (and bos/eos/pad) must be below it
};

// Row r holds inputs[r*seq_len .. +seq_len) and targets likewise; inputs[t] predicts targets[t]
// (targets are the inputs shifted by one). target_mask[t] = 1 when targets[t] counts in the loss.
//
// Each example becomes the stream [bos] ids [eos]. Masked targets (0):
//   - the first token of every example (bos, or the first id without bos): it is never predicted
//     across a document boundary, so the previous document does not leak into its loss;
//   - tokens whose loss_mask is 0 (prompt tokens), and padding.
//   eos counts (the model learns where a text ends). Attention is not blocked across documents.
// pack = true: the streams are concatenated and cut into rows of seq_len + 1 tokens that overlap by
//   one token, so every token after the first is a target exactly once. The tail shorter than a
//   row is padded into a last row when `pad` is set, else dropped (counted in dropped_tokens).
//   The whole stream must hold at least seq_len + 1 tokens.
// pack = false: one example per row, padded; an example longer than a row continues in further
//   rows (overlapping by one token), so no token is lost.
// Rows whose targets are all masked are dropped (they would contribute 0/0 to a mean loss).
struct PackedBatchSet {
  int64_t seq_len = 0;
  std::vector<int32_t> inputs;
  std::vector<int32_t> targets;
  std::vector<uint8_t> target_mask;
  int64_t stream_tokens = 0;   // tokens in the example streams (with bos/eos)
  int64_t target_tokens = 0;   // targets with mask 1
  int64_t dropped_tokens = 0;  // stream tokens left out of every row (unpadded tail)

  int64_t rows() const { return seq_len > 0 ? int64_t(inputs.size()) / seq_len : 0; }
  std::span<const int32_t> input_row(int64_t row) const;
  std::span<const int32_t> target_row(int64_t row) const;
  std::span<const uint8_t> mask_row(int64_t row) const;
};

// Throws loralab::Error for seq_len <= 0, a loss_mask of the wrong size, an id out of range, no
// examples, and (pack = true) a stream shorter than one row ("N tokens, one sequence needs M").
PackedBatchSet pack_examples(const std::vector<TokenizedExample>& examples,
                             const PackOptions& options);

// ---- walking the rows --------------------------------------------------------------------------

struct BatchPosition {
  int64_t epoch = 0;
  int64_t index = 0;  // rows of this epoch's order already handed out
};

struct Batch {
  std::vector<int64_t> rows;  // row indices into the PackedBatchSet
  int64_t epoch = 0;
  bool last_in_epoch = false;
};

// Walks 0..rows-1 in an order fixed per epoch by (seed, epoch), batch_size rows at a time. The
// order of epoch e does not depend on earlier epochs, so a saved position restores exactly: a
// resumed run sees the same batches a run without interruption would have seen. The last batch of
// an epoch is short when rows % batch_size != 0, or skipped when drop_last (then the next epoch
// begins).
class BatchIterator {
 public:
  BatchIterator(int64_t rows, int64_t batch_size, uint64_t seed, bool shuffle = true,
                bool drop_last = false);

  Batch next();
  BatchPosition position() const { return position_; }
  void restore(const BatchPosition& position);  // throws if it is outside this dataset
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  int64_t batches_per_epoch() const;
  int64_t rows() const { return rows_; }
  int64_t batch_size() const { return batch_size_; }

 private:
  void begin_epoch(int64_t epoch);

  int64_t rows_;
  int64_t batch_size_;
  uint64_t seed_;
  bool shuffle_;
  bool drop_last_;
  BatchPosition position_;
  std::vector<int64_t> order_;  // order of position_.epoch
};

}  // namespace loralab
