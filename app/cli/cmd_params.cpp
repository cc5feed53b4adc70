// `loralab-cli params`: trainable parameters and memory of a LoRA spec on a model, per module.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "lora_flags.h"
#include "loralab/error.h"

namespace loralab::cli {
namespace {

int run_params(const std::vector<std::string>& argv) {
  Args args(argv, {"alpha-equals-rank", "rslora", "modules"});
  auto known = lora_flag_names();
  known.insert({"model", "modules"});
  args.reject_unknown(known);
  const auto spec = lora_spec_from_args(args);
  const auto folder = ModelFolder::discover(args.required("model"));
  const auto config = ModelConfig::load(folder.config_path);
  const auto account = account_parameters(config, spec);
  nlohmann::json out = {
      {"trainable", account.trainable},
      {"base_total", account.base_total},
      {"share_of_base", account.share_of_base},
      {"adapted_modules", account.modules.size()},
      {"adapted_full_parameters", account.adapted_full},
      {"reduction", static_cast<double>(account.adapted_full) / static_cast<double>(account.trainable)},
      {"bytes", {{"weights_fp32", account.weight_bytes_fp32},
                 {"gradients_fp32", account.gradient_bytes_fp32},
                 {"adamw_state_fp32", account.adam_bytes_fp32},
                 {"weights_bf16", account.weight_bytes_bf16},
                 {"gradients_bf16", account.gradient_bytes_bf16},
                 {"base_weights_fp32", account.base_weight_bytes_fp32},
                 {"base_weights_bf16", account.base_weight_bytes_bf16}}},
  };
  if (args.has("modules")) {
    out["modules"] = nlohmann::json::array();
    for (const auto& m : account.modules)
      out["modules"].push_back({{"module", m.module}, {"in", m.in_features}, {"out", m.out_features},
                                {"rank", m.rank}, {"lora", m.lora_parameters},
                                {"full", m.full_parameters}});
  }
  std::cout << out.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "params",
    {"parameter and memory accounting of a LoRA spec (JSON)",
     "usage: loralab-cli params --model DIR [--rank R] [--alpha A | --alpha-equals-rank]\n"
     "         [--targets q_proj,v_proj|attention-qv|attention-qkvo|all-linear] [--target-regex RE]\n"
     "         [--layers 0,3] [--rank-pattern KEY=R,...] [--alpha-pattern KEY=A,...] [--modules]\n"
     "Prints trainable parameters ((d+k)·r per module), their share of the base, and the bytes for\n"
     "weights, gradients and AdamW state; --modules lists every adapted module.",
     run_params});

}  // namespace
}  // namespace loralab::cli
