// `loralab-cli tokenizer-train`: trains a byte-level BPE tokenizer on text datasets and writes a
// Hugging Face tokenizer.json (atomically).
#include <iostream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/atomic_file.h"
#include "loralab/bpe_trainer.h"
#include "loralab/dataset.h"
#include "loralab/error.h"

namespace loralab::cli {
namespace {

int run_tokenizer_train(const std::vector<std::string>& argv) {
  Args args(argv);
  args.reject_unknown({"data", "vocab", "out", "format", "field", "min-frequency"});
  const auto paths = args.all("data");
  if (paths.empty()) throw Error("--data: expected at least one dataset file (JSONL or txt)");
  const std::string out = args.required("out");
  if (out.empty()) throw Error("--out: expected the path of the tokenizer.json to write, got ''");

  BpeTrainOptions options;
  const long long vocab = args.get_int("vocab", options.vocab_size);
  const long long minimum = 256 + options.special_count();
  if (vocab < minimum || vocab > 1000000)
    throw Error("--vocab: expected a whole number from " + std::to_string(minimum) +
                " (256 bytes + " + std::to_string(options.special_count()) +
                " special tokens) to 1000000, got " + std::to_string(vocab));
  options.vocab_size = static_cast<int32_t>(vocab);
  options.min_frequency = args.get_int("min-frequency", options.min_frequency);
  if (options.min_frequency < 1)
    throw Error("--min-frequency: expected a whole number >= 1, got " +
                std::to_string(options.min_frequency));

  BpeTrainer trainer(options);
  for (const auto& path : paths) {
    DatasetSpec spec;
    spec.path = path;
    spec.format = args.get_or("format", "auto");
    spec.field = args.get_or("field", "text");
    for (const auto& example : read_dataset(spec)) {
      if (!example.prompt.empty()) trainer.add_text(example.prompt, example.source);
      trainer.add_text(example.text, example.source);
    }
  }
  const auto result = trainer.train();
  write_text_file_atomic(out, result.tokenizer_json);

  nlohmann::json summary = {
      {"out", out},
      {"vocab_size", result.vocab_size},
      {"requested_vocab_size", options.vocab_size},
      {"merges", result.merges},
      {"special_tokens",
       {{"bos", {{"id", result.bos_id}, {"content", options.bos_token}}},
        {"eos", {{"id", result.eos_id}, {"content", options.eos_token}}},
        {"pad", {{"id", result.pad_id}, {"content", options.pad_token}}}}},
      {"texts", result.texts},
      {"bytes", result.bytes},
      {"words", result.words},
      {"unique_words", result.unique_words},
      {"seconds", result.seconds},
  };
  std::cout << summary.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "tokenizer-train",
    {"train a byte-level BPE tokenizer and write tokenizer.json",
     "usage: loralab-cli tokenizer-train --data FILE [--data FILE]... [--vocab 4096]\n"
     "         [--min-frequency 2] [--format auto|txt|jsonl|csv|folder] [--field text]\n"
     "         --out tokenizer.json\n"
     "Byte-level BPE with GPT-2's pre-tokenizer split. Ids 0, 1, 2 are the special tokens\n"
     "<|begin_of_text|> (BOS), <|end_of_text|> (EOS) and <|pad|>; then the 256 bytes; then one\n"
     "token per merge. The most frequent pair is merged first; ties go to the smaller left id,\n"
     "then the smaller right id, so the same data always gives the same file. A pair seen fewer\n"
     "than --min-frequency times is not merged (the vocabulary may then stay smaller). The\n"
     "file loads in Hugging Face tokenizers; it is written to a temporary file and renamed.",
     run_tokenizer_train});

}  // namespace
}  // namespace loralab::cli
