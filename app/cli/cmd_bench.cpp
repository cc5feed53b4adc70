// `loralab-cli bench MODE`: engine benchmarks on random models (shared/design/PERFORMANCE.md).
// Each mode parses its own flags and prints one JSON object; new modes (e.g. `train`) are added to
// kModes.
#include <iostream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/bench.h"
#include "loralab/error.h"

namespace loralab::cli {
namespace {

int64_t positive_flag(const Args& args, const std::string& flag, int64_t fallback) {
  const long long value = args.get_int(flag, fallback);
  if (value <= 0)
    throw Error("--" + flag + ": expected a whole number > 0, got " + std::to_string(value));
  return value;
}

int run_bench_sample(const std::vector<std::string>& argv) {
  Args args(argv, {"json", "merged"});
  args.reject_unknown({"json", "hidden", "layers", "heads", "kv-heads", "intermediate", "vocab",
                       "new", "adapters", "rank", "weight", "merged", "threads", "precision",
                       "seed", "warmup", "repeats", "decode-threads"});
  SampleBenchSpec spec;
  spec.hidden = positive_flag(args, "hidden", spec.hidden);
  spec.layers = positive_flag(args, "layers", spec.layers);
  spec.heads = positive_flag(args, "heads", spec.heads);
  spec.kv_heads = positive_flag(args, "kv-heads", spec.kv_heads);
  spec.intermediate = positive_flag(args, "intermediate", spec.intermediate);
  spec.vocab = positive_flag(args, "vocab", spec.vocab);
  spec.new_tokens = static_cast<int>(positive_flag(args, "new", spec.new_tokens));
  spec.rank = positive_flag(args, "rank", spec.rank);
  spec.threads = static_cast<int>(positive_flag(args, "threads", spec.threads));
  spec.repeats = static_cast<int>(positive_flag(args, "repeats", spec.repeats));
  if (const long long n = args.get_int("adapters", 0); n < 0 || n > 64)
    throw Error("--adapters: expected a count in [0, 64], got " + std::to_string(n));
  else
    spec.adapters = static_cast<int>(n);
  if (const long long n = args.get_int("warmup", spec.warmup); n < 0)
    throw Error("--warmup: expected a count ≥ 0, got " + std::to_string(n));
  else
    spec.warmup = static_cast<int>(n);
  if (const long long n = args.get_int("seed", 0); n < 0)
    throw Error("--seed: expected a whole number ≥ 0, got " + std::to_string(n));
  else
    spec.seed = static_cast<uint64_t>(n);
  if (const long long n = args.get_int("decode-threads", 0); n < 0)
    throw Error("--decode-threads: expected 0 (automatic) or a count > 0, got " + std::to_string(n));
  else
    spec.decode_threads = static_cast<int>(n);
  spec.adapter_weight = args.get_double("weight", spec.adapter_weight);
  spec.merged = args.has("merged");
  spec.precision = parse_precision(args.get_or("precision", "fp32"), "--precision");
  if (spec.merged && spec.adapters == 0)
    throw Error("--merged: needs --adapters N with N > 0 (there is nothing to merge)");

  const auto r = run_sample_bench(spec);
  nlohmann::json out = {
      {"mode", "sample"},
      {"config",
       {{"hidden", spec.hidden}, {"layers", spec.layers}, {"heads", spec.heads},
        {"kv_heads", spec.kv_heads}, {"intermediate", spec.intermediate}, {"vocab", spec.vocab},
        {"prompt_tokens", spec.prompt_tokens}, {"new_tokens", spec.new_tokens},
        {"adapters", spec.adapters}, {"rank", spec.rank}, {"adapter_weight", spec.adapter_weight},
        {"merged", spec.merged}, {"precision", precision_name(spec.precision)},
        {"temperature", 0.8}, {"top_k", 40}, {"seed", spec.seed}, {"warmup", spec.warmup},
        {"repeats", spec.repeats}}},
      {"threads", r.threads},
      {"decode_threads", r.decode_threads},
      {"tokens_per_s", r.tokens_per_s},
      {"first_token_ms", r.first_token_ms},
      {"step_ms", r.step_ms},
      {"cpu_tokens_per_s", r.cpu_tokens_per_s},
      {"runs_tokens_per_s", r.runs_tokens_per_s},
      {"generated_tokens", r.generated_tokens},
      {"base_parameters", r.base_parameters},
      {"adapter_parameters", r.adapter_parameters},
  };
  if (args.has("json")) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "sample: " << r.tokens_per_s << " tokens/s, first token " << r.first_token_ms
              << " ms, " << r.step_ms << " ms/token (" << spec.adapters << " adapters"
              << (spec.merged ? ", merged" : "") << ", " << r.threads << " threads, decoding on "
              << r.decode_threads << ")\n";
  }
  return 0;
}

struct Mode {
  const char* name;
  int (*run)(const std::vector<std::string>&);
};
const Mode kModes[] = {{"sample", run_bench_sample}};

int run_bench(const std::vector<std::string>& argv) {
  std::string names;
  for (const auto& mode : kModes) names += (names.empty() ? "" : ", ") + std::string(mode.name);
  if (argv.empty() || argv[0].starts_with("-"))
    throw Error("bench: expected a mode first (one of: " + names + ")");
  for (const auto& mode : kModes)
    if (argv[0] == mode.name) return mode.run({argv.begin() + 1, argv.end()});
  throw Error("bench: unknown mode '" + argv[0] + "' (modes: " + names + ")");
}

const CommandRegistrar kRegistrar(
    "bench",
    {"engine benchmarks on random models (JSON)",
     "usage: loralab-cli bench sample [--json] [--hidden 256 --layers 4 --heads 8 --kv-heads 4\n"
     "                          --intermediate 688 --vocab 4096] [--new 256] [--adapters N]\n"
     "                          [--rank 16] [--weight 0.5] [--merged] [--threads 2]\n"
     "                          [--precision fp32|bf16] [--seed S] [--warmup 2] [--repeats 7]\n"
     "                          [--decode-threads N]\n"
     "Batch-1 sampling from a 3-token prompt with a KV cache (temperature 0.8, top-k 40) on a\n"
     "random model; N random adapters (rank r on q,k,v,o) blended live at --weight each, or\n"
     "merged first with --merged. Prints the median tokens_per_s over --repeats runs.\n"
     "--threads sets the process's intra-op threads; the sampler decodes small models on one of\n"
     "them unless --decode-threads N says otherwise (0 = automatic).",
     run_bench});

}  // namespace
}  // namespace loralab::cli
