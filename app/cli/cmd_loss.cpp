// `loralab-cli loss`: mean next-token loss of a model (with adapters blended in) on a dataset,
// computed the way the trainer's validation does (packed rows of --seq tokens).
#include <algorithm>
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "lora_flags.h"
#include "loralab/error.h"
#include "loralab/model.h"
#include "loralab/runtime.h"
#include "loralab/train.h"

namespace loralab::cli {
namespace {

int run_loss(const std::vector<std::string>& argv) {
  Args args(argv, {"no-pack"});
  args.reject_unknown({"model", "adapter", "data", "format", "field", "seq", "max-rows",
                       "precision", "threads", "no-pack"});
  ModelLoadOptions options;
  options.precision = parse_precision(args.get_or("precision", "fp32"), "--precision");
  if (auto threads = args.get_int("threads", 0); threads < 0)
    throw Error("--threads: expected a count >= 0, got " + std::to_string(threads));
  else if (threads > 0)
    set_compute_threads(static_cast<int>(threads));
  DatasetSpec data;
  data.path = args.required("data");
  data.format = args.get_or("format", "auto");
  data.field = args.get_or("field", "text");
  const long long max_rows = args.get_int("max-rows", 0);
  if (max_rows < 0) throw Error("--max-rows: expected 0 (all) or more, got " + std::to_string(max_rows));

  auto model = Model::load(args.required("model"), options);
  const auto adapters = load_adapter_flags(*model, args);
  const long long seq = args.get_int("seq", std::min<int64_t>(256, model->config().max_position_embeddings));
  if (seq < 2 || seq > model->config().max_position_embeddings)
    throw Error("--seq: expected 2 to " + std::to_string(model->config().max_position_embeddings) +
                " (max_position_embeddings), got " + std::to_string(seq));
  const bool pack = !args.has("no-pack");
  const double loss = evaluate_loss(*model, data, seq, max_rows, pack);
  std::cout << nlohmann::json({{"model", args.required("model")}, {"adapters", adapters},
                               {"data", data.path}, {"seq", seq}, {"pack", pack}, {"loss", loss},
                               {"perplexity", std::exp(loss)}})
                   .dump()
            << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "loss",
    {"mean next-token loss of a model (with adapters) on a dataset",
     "usage: loralab-cli loss --model DIR --data PATH [--adapter DIR[:WEIGHT]]... [--seq 256]\n"
     "         [--max-rows 0] [--no-pack] [--format auto] [--field text] [--precision fp32|bf16]\n"
     "         [--threads N]\n"
     "Packs the dataset into rows of --seq tokens as training does (--no-pack: one example per\n"
     "row from position 0, as train --no-pack does) and prints the mean loss over every counted\n"
     "token (natural log) and its perplexity as JSON.",
     run_loss});

}  // namespace
}  // namespace loralab::cli
