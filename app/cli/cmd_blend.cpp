// `loralab-cli blend`: weighted PEFT adapter folders combined into one PEFT adapter folder.
#include <iostream>

#include <nlohmann/json.hpp>

#include "adapter_arg.h"
#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/lora.h"

namespace loralab::cli {
namespace {

int run_blend(const std::vector<std::string>& argv) {
  Args args(argv);
  args.reject_unknown({"adapter", "method", "rank", "out"});
  if (!args.positionals().empty())
    throw Error("unexpected argument '" + args.positionals().front() + "' (adapters go after --adapter)");
  std::vector<BlendInput> inputs;
  for (const auto& value : args.all("adapter")) {
    auto parsed = parse_adapter_arg(value);
    inputs.push_back({parsed.dir, parsed.weight});
  }
  if (inputs.empty()) throw Error("--adapter: give at least one adapter folder (DIR[:WEIGHT])");
  const std::string method = args.required("method");
  if (method != "cat" && method != "svd" && method != "linear")
    throw Error("--method: expected cat, svd or linear, got '" + method + "'");
  long long rank = 0;
  if (args.has("rank")) {
    if (method != "svd") throw Error("--rank: only --method svd takes a rank");
    rank = parse_int(*args.get("rank"), "--rank");
    if (rank <= 0) throw Error("--rank: expected a rank > 0, got " + std::to_string(rank));
  }
  const std::string out = args.required("out");
  auto result = blend_adapters(inputs, method, rank, out);
  nlohmann::json json = {{"method", result.method},
                         {"rank", result.rank},
                         {"exact", result.exact},
                         {"max_relative_error", result.max_relative_error},
                         {"note", result.note},
                         {"out", out}};
  std::cout << json.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "blend",
    {"combine weighted LoRA adapters into one PEFT adapter (cat, svd, linear)",
     "usage: loralab-cli blend --adapter DIR[:WEIGHT] [--adapter ...] --method cat|svd|linear\n"
     "                         [--rank K] --out DIR\n"
     "Blends PEFT adapter folders with weights λ (default 1, any real) into one adapter folder:\n"
     "  cat     ranks concatenated; exactly Σ λ_i s_i B_i A_i\n"
     "  svd     that sum truncated to rank K per module (default: the largest input rank);\n"
     "          reports the worst relative Frobenius error\n"
     "  linear  PEFT's same-rank weighted sums of A and of B; not exact\n"
     "Prints {method, rank, exact, max_relative_error, note, out} as JSON.",
     run_blend});

}  // namespace
}  // namespace loralab::cli
