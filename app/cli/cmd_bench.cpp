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

BenchModelShape parse_shape(const Args& args) {
  BenchModelShape shape;
  shape.hidden = positive_flag(args, "hidden", shape.hidden);
  shape.layers = positive_flag(args, "layers", shape.layers);
  shape.heads = positive_flag(args, "heads", shape.heads);
  shape.kv_heads = positive_flag(args, "kv-heads", shape.kv_heads);
  shape.intermediate = positive_flag(args, "intermediate", shape.intermediate);
  shape.vocab = positive_flag(args, "vocab", shape.vocab);
  return shape;
}

nlohmann::json shape_json(const BenchModelShape& shape) {
  return {{"hidden", shape.hidden},     {"layers", shape.layers},
          {"heads", shape.heads},       {"kv_heads", shape.kv_heads},
          {"intermediate", shape.intermediate}, {"vocab", shape.vocab}};
}

uint64_t seed_flag(const Args& args) {
  const long long n = args.get_int("seed", 0);
  if (n < 0) throw Error("--seed: expected a whole number ≥ 0, got " + std::to_string(n));
  return static_cast<uint64_t>(n);
}

int64_t count_flag(const Args& args, const std::string& flag, int64_t fallback) {
  const long long n = args.get_int(flag, fallback);
  if (n < 0) throw Error("--" + flag + ": expected a count ≥ 0, got " + std::to_string(n));
  return n;
}

int run_bench_sample(const std::vector<std::string>& argv) {
  Args args(argv, {"json", "merged"});
  args.reject_unknown({"json", "hidden", "layers", "heads", "kv-heads", "intermediate", "vocab",
                       "new", "adapters", "rank", "weight", "merged", "threads", "precision",
                       "seed", "warmup", "repeats", "decode-threads"});
  SampleBenchSpec spec;
  const auto shape = parse_shape(args);
  spec.hidden = shape.hidden;
  spec.layers = shape.layers;
  spec.heads = shape.heads;
  spec.kv_heads = shape.kv_heads;
  spec.intermediate = shape.intermediate;
  spec.vocab = shape.vocab;
  spec.new_tokens = static_cast<int>(positive_flag(args, "new", spec.new_tokens));
  spec.rank = positive_flag(args, "rank", spec.rank);
  spec.threads = static_cast<int>(positive_flag(args, "threads", spec.threads));
  spec.repeats = static_cast<int>(positive_flag(args, "repeats", spec.repeats));
  if (const long long n = args.get_int("adapters", 0); n < 0 || n > 64)
    throw Error("--adapters: expected a count in [0, 64], got " + std::to_string(n));
  else
    spec.adapters = static_cast<int>(n);
  spec.warmup = static_cast<int>(count_flag(args, "warmup", spec.warmup));
  spec.seed = seed_flag(args);
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
       {{"prompt_tokens", spec.prompt_tokens}, {"new_tokens", spec.new_tokens},
        {"adapters", spec.adapters}, {"rank", spec.rank}, {"adapter_weight", spec.adapter_weight},
        {"merged", spec.merged}, {"precision", precision_name(spec.precision)},
        {"temperature", 0.8}, {"top_k", 40}, {"seed", spec.seed}, {"warmup", spec.warmup},
        {"repeats", spec.repeats}}},
      {"threads", r.threads},
      {"decode_threads", r.decode_threads},
      {"decode_path", r.decode_path},
      {"tokens_per_s", r.tokens_per_s},
      {"first_token_ms", r.first_token_ms},
      {"step_ms", r.step_ms},
      {"cpu_tokens_per_s", r.cpu_tokens_per_s},
      {"runs_tokens_per_s", r.runs_tokens_per_s},
      {"generated_tokens", r.generated_tokens},
      {"base_parameters", r.base_parameters},
      {"adapter_parameters", r.adapter_parameters},
  };
  out["config"].update(shape_json(shape));
  if (args.has("json")) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "sample: " << r.tokens_per_s << " tokens/s, first token " << r.first_token_ms
              << " ms, " << r.step_ms << " ms/token (" << spec.adapters << " adapters"
              << (spec.merged ? ", merged" : "") << ", " << r.threads << " threads, decoding on "
              << r.decode_threads << ", " << r.decode_path << ")\n";
  }
  return 0;
}

int run_bench_train(const std::vector<std::string>& argv) {
  Args args(argv, {"json", "full", "recompute"});
  args.reject_unknown({"json", "hidden", "layers", "heads", "kv-heads", "intermediate", "vocab",
                       "seq", "batch", "rank", "alpha", "dropout", "targets", "full", "lr",
                       "recompute", "weight-decay", "threads", "precision", "seed", "warmup", "steps",
                       "profile"});
  TrainBenchSpec spec;
  spec.shape = parse_shape(args);
  spec.seq = positive_flag(args, "seq", spec.seq);
  spec.batch = positive_flag(args, "batch", spec.batch);
  spec.rank = positive_flag(args, "rank", spec.rank);
  spec.alpha = args.get_double("alpha", static_cast<double>(spec.rank));
  spec.dropout = args.get_double("dropout", spec.dropout);
  if (!(spec.dropout >= 0 && spec.dropout < 1))
    throw Error("--dropout: expected a value in [0, 1), got " + std::to_string(spec.dropout));
  if (args.has("targets")) {
    spec.targets.clear();
    const std::string text = args.get_or("targets", "");
    size_t start = 0;
    while (start <= text.size()) {
      const size_t comma = text.find(',', start);
      const std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (name.empty()) throw Error("--targets: empty module name in '" + text + "'");
      spec.targets.push_back(name);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  spec.full = args.has("full");
  spec.recompute = args.has("recompute");
  spec.lr = args.get_double("lr", spec.lr);
  spec.weight_decay = args.get_double("weight-decay", spec.weight_decay);
  spec.threads = static_cast<int>(positive_flag(args, "threads", spec.threads));
  spec.precision = parse_precision(args.get_or("precision", "fp32"), "--precision");
  spec.seed = seed_flag(args);
  spec.warmup = static_cast<int>(count_flag(args, "warmup", spec.warmup));
  spec.steps = static_cast<int>(positive_flag(args, "steps", spec.steps));
  spec.profile_path = args.get_or("profile", "");

  const auto r = run_train_bench(spec);
  nlohmann::json out = {
      {"mode", "train"},
      {"config",
       {{"seq", spec.seq}, {"batch", spec.batch},
        {"full", spec.full}, {"recompute", spec.recompute}, {"rank", spec.rank}, {"alpha", spec.alpha},
        {"dropout", spec.dropout}, {"targets", spec.targets}, {"lr", spec.lr},
        {"weight_decay", spec.weight_decay}, {"precision", precision_name(spec.precision)},
        {"seed", spec.seed}, {"warmup", spec.warmup}, {"steps", spec.steps}}},
      {"threads", r.threads},
      {"tokens_per_s", r.tokens_per_s},
      {"cpu_tokens_per_s", r.cpu_tokens_per_s},
      {"step_ms", r.step_ms},
      {"steps_ms", r.steps_ms},
      {"gflops", r.gflops},
      {"trainable_parameters", r.trainable_parameters},
      {"total_parameters", r.total_parameters},
      {"peak_rss_bytes", r.peak_rss_bytes},
      {"first_loss", r.first_loss},
      {"last_loss", r.last_loss},
  };
  out["config"].update(shape_json(spec.shape));
  if (args.has("json")) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "train" << (spec.full ? " (full)" : "") << ": " << r.tokens_per_s
              << " tokens/s, " << r.step_ms << " ms/step, " << r.gflops << " GFLOP/s, peak RSS "
              << r.peak_rss_bytes / (1 << 20) << " MiB (" << r.threads << " threads, "
              << precision_name(spec.precision) << ")\n";
  }
  return 0;
}

struct Mode {
  const char* name;
  int (*run)(const std::vector<std::string>&);
};
const Mode kModes[] = {{"sample", run_bench_sample}, {"train", run_bench_train}};

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
     "them unless --decode-threads N says otherwise (0 = automatic).\n\n"
     "usage: loralab-cli bench train [--json] [model shape flags as above] [--seq 256]\n"
     "                          [--batch 8] [--rank 16] [--alpha R] [--dropout 0.05]\n"
     "                          [--targets q_proj,k_proj,v_proj,o_proj] [--full] [--lr 3e-4]\n"
     "                          [--recompute] [--weight-decay 0.01] [--threads 2] [--precision fp32|bf16]\n"
     "                          [--seed S] [--warmup 3] [--steps 20] [--profile TRACE.json]\n"
     "Training steps of the real trainer on random tokens (R1; R1-full with --full). Prints\n"
     "tokens_per_s over the timed steps, step times and the process's peak RSS.",
     run_bench});

}  // namespace
}  // namespace loralab::cli
