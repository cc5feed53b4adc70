// `loralab-cli sample`: stories sampled from a model folder, optionally with adapters blended in
// at given weights; with --json, one object with every sample and its signature-word counts per
// style (the figures of the style quality bar).
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "lora_flags.h"
#include "loralab/error.h"
#include "loralab/model.h"
#include "loralab/runtime.h"
#include "loralab/sampler.h"
#include "loralab/stories.h"
#include "loralab/tokenizer.h"

namespace loralab::cli {
namespace {

int run_sample(const std::vector<std::string>& argv) {
  Args args(argv, {"json"});
  args.reject_unknown({"model", "adapter", "prompt", "temperature", "top-k", "top-p",
                       "repetition-penalty", "max-tokens", "count", "seed", "threads", "json"});
  const std::string dir = args.required("model");
  SampleSpec spec;
  spec.temperature = args.get_double("temperature", spec.temperature);
  spec.top_k = static_cast<int>(args.get_int("top-k", spec.top_k));
  spec.top_p = args.get_double("top-p", spec.top_p);
  spec.repetition_penalty = args.get_double("repetition-penalty", spec.repetition_penalty);
  spec.max_new_tokens = static_cast<int>(args.get_int("max-tokens", 256));
  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error(std::string("--temperature/--top-k/--top-p/--repetition-penalty/--max-tokens: ") + e.what());
  }
  const long long count = args.get_int("count", 1);
  if (count < 1 || count > 10000) throw Error("--count: expected 1 to 10000, got " + std::to_string(count));
  const auto seed = static_cast<uint64_t>(args.get_int("seed", 0));
  if (auto threads = args.get_int("threads", 0); threads < 0)
    throw Error("--threads: expected a count >= 0, got " + std::to_string(threads));
  else if (threads > 0)
    set_compute_threads(static_cast<int>(threads));
  const std::string prompt = args.get_or("prompt", "");

  auto model = Model::load(dir);
  load_adapter_flags(*model, args);
  if (!model->folder().tokenizer_path)
    throw Error("--model: " + dir + " has no tokenizer.json (or vocab.json + merges.txt)");
  const auto tokenizer = Tokenizer::load(*model->folder().tokenizer_path);
  Sampler sampler(model);

  nlohmann::json samples = nlohmann::json::array();
  std::map<std::string, long long> with_words;
  for (long long i = 0; i < count; ++i) {
    spec.seed = seed + static_cast<uint64_t>(i);
    const auto result = sampler.generate_text(tokenizer, prompt, spec);
    const std::string text = prompt + result.text;
    nlohmann::json words = nlohmann::json::object();
    for (const auto& style : story_styles()) {
      const auto n = count_signature_words(text, style);
      words[style] = n;
      if (n > 0) ++with_words[style];
    }
    samples.push_back({{"seed", spec.seed}, {"text", text}, {"tokens", result.tokens.size()},
                       {"stop_reason", stop_reason_name(result.stop_reason)},
                       {"signature_words", words}});
    if (!args.has("json")) std::cout << text << "\n\n";
  }
  if (args.has("json")) {
    nlohmann::json share = nlohmann::json::object();
    for (const auto& style : story_styles())
      share[style] = static_cast<double>(with_words[style]) / static_cast<double>(count);
    std::cout << nlohmann::json({{"model", dir}, {"prompt", prompt}, {"temperature", spec.temperature},
                                 {"top_k", spec.top_k}, {"top_p", spec.top_p},
                                 {"samples", samples},
                                 {"share_with_signature_words", share}})
                     .dump()
              << "\n";
  }
  return 0;
}

const CommandRegistrar kRegistrar(
    "sample",
    {"sample stories from a model (with adapters blended in)",
     "usage: loralab-cli sample --model DIR [--adapter DIR[:WEIGHT]]... [--prompt TEXT]\n"
     "         [--temperature 0.8] [--top-k 40] [--top-p 1.0] [--repetition-penalty 1.0]\n"
     "         [--max-tokens 256] [--count 1] [--seed 0] [--threads N] [--json]\n"
     "Sample i uses seed + i; generation starts after BOS and the prompt and stops at EOS.\n"
     "Without --json the texts are printed separated by blank lines; with --json one object:\n"
     "samples (text, tokens, stop_reason, signature_words per style) and\n"
     "share_with_signature_words (per style, the share of samples holding at least one).",
     run_sample});

}  // namespace
}  // namespace loralab::cli
