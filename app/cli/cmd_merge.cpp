// `loralab-cli merge`: base model + weighted adapters → a new Hugging Face model folder.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "lora_flags.h"
#include "loralab/error.h"

namespace loralab::cli {
namespace {

int run_merge(const std::vector<std::string>& argv) {
  Args args(argv);
  args.reject_unknown({"model", "adapter", "dtype", "out"});
  const std::string out = args.required("out");
  if (args.all("adapter").empty()) throw Error("missing required option --adapter DIR[:WEIGHT]");
  // fp32 compute keeps the stored weights exact before the delta is added.
  auto model = Model::load(args.required("model"));
  load_adapter_flags(*model, args);
  export_merged_model(*model, out, args.get_or("dtype", ""));
  nlohmann::json result = {{"out", out}, {"adapters", nlohmann::json::array()}};
  for (const auto& info : list_adapters(*model))
    result["adapters"].push_back({{"source", info.source}, {"weight", info.weight},
                                  {"modules", info.modules.size()}});
  std::cout << result.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "merge",
    {"write base + weighted adapters as a new model folder",
     "usage: loralab-cli merge --model DIR --adapter DIR[:WEIGHT]... [--dtype f32|bf16|f16] --out DIR\n"
     "Writes W0 + Σ λ·(alpha/r)·B·A as a Hugging Face folder (config, weights, tokenizer copied).\n"
     "--dtype defaults to the base model's stored dtype.",
     run_merge});

}  // namespace
}  // namespace loralab::cli
