// `loralab-cli logits`: logits at the last position (or every position) of a token sequence.
#include <iostream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "lora_flags.h"
#include "loralab/error.h"
#include "loralab/model.h"
#include "loralab/runtime.h"

namespace loralab::cli {
namespace {

int run_logits(const std::vector<std::string>& argv) {
  Args args(argv, {"all", "merged"});
  args.reject_unknown({"model", "tokens", "precision", "threads", "all", "adapter", "merged"});
  ModelLoadOptions options;
  options.precision = parse_precision(args.get_or("precision", "fp32"), "--precision");
  if (auto threads = args.get_int("threads", 0); threads < 0)
    throw Error("--threads: expected a count ≥ 0, got " + std::to_string(threads));
  else if (threads > 0)
    set_compute_threads(static_cast<int>(threads));
  std::vector<int32_t> tokens;
  for (long long id : parse_int_list(args.required("tokens"), "--tokens")) {
    if (id < 0 || id > INT32_MAX) throw Error("--tokens: id " + std::to_string(id) + " is out of range");
    tokens.push_back(static_cast<int32_t>(id));
  }
  auto model = Model::load(args.required("model"), options);
  if (load_adapter_flags(*model, args) == 0 && args.has("merged"))
    throw Error("--merged needs at least one --adapter");
  if (args.has("merged")) merge_adapters(*model);
  const auto vocab = static_cast<size_t>(model->config().vocab_size);
  nlohmann::json out;
  if (args.has("all")) {
    auto all = model->logits(tokens);
    out = nlohmann::json::array();
    for (size_t t = 0; t < tokens.size(); ++t)
      out.push_back(std::vector<float>(all.begin() + t * vocab, all.begin() + (t + 1) * vocab));
  } else {
    out = model->last_logits(tokens);
  }
  std::cout << out.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "logits",
    {"logits of a token sequence (JSON array)",
     "usage: loralab-cli logits --model DIR --tokens 1,2,3 [--adapter DIR[:WEIGHT]]...\n"
     "                          [--merged] [--precision fp32|bf16] [--threads N] [--all]\n"
     "Prints the float logits at the last position as a JSON array; --all prints one array per\n"
     "position. Each --adapter (PEFT folder) is applied live with its weight (default 1.0);\n"
     "--merged folds them into the weights first.",
     run_logits});

}  // namespace
}  // namespace loralab::cli
