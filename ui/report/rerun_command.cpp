// Stored run → `loralab-cli train` command; see rerun_command.h.
#include "ui/report/rerun_command.h"

#include <charconv>

#include "loralab/error.h"
#include "loralab/train.h"

namespace loralab::ui {
namespace {

QString q(const std::string& text) { return QString::fromStdString(text); }
QString n(int64_t value) { return QString::number(value); }

QString join_pattern_int(const std::map<std::string, int64_t>& pattern) {
  QStringList items;
  for (const auto& [key, value] : pattern) items << q(key) + "=" + n(value);
  return items.join(',');
}

QString join_pattern_double(const std::map<std::string, double>& pattern) {
  QStringList items;
  for (const auto& [key, value] : pattern) items << q(key) + "=" + exact_number(value);
  return items.join(',');
}

QString stages_text(const std::vector<TrainStage>& stages) {
  QStringList parts;
  for (const auto& stage : stages) {
    QStringList fields{"steps=" + n(stage.steps)};
    if (stage.lr) fields << "lr=" + exact_number(*stage.lr);
    if (stage.rank) fields << "rank=" + n(*stage.rank);
    if (stage.alpha) fields << "alpha=" + exact_number(*stage.alpha);
    if (stage.schedule) fields << "schedule=" + q(*stage.schedule);
    if (stage.warmup) fields << "warmup=" + n(*stage.warmup);
    parts << fields.join(',');
  }
  return parts.join(';');
}

// Settings with no flag: each must sit at its default, else the command would train differently.
QStringList unflaggable_differences(const TrainSpec& spec) {
  const TrainSpec defaults;
  const DatasetSpec data_defaults;
  QStringList caveats;
  auto check = [&](bool differs, const QString& what) {
    if (differs) caveats << what;
  };
  check(spec.beta1 != defaults.beta1 || spec.beta2 != defaults.beta2,
        QString("AdamW betas (%1, %2) have no flag; the command trains with (%3, %4)")
            .arg(exact_number(spec.beta1), exact_number(spec.beta2), exact_number(defaults.beta1),
                 exact_number(defaults.beta2)));
  check(spec.adam_eps != defaults.adam_eps,
        QString("AdamW eps %1 has no flag (the command uses %2)")
            .arg(exact_number(spec.adam_eps), exact_number(defaults.adam_eps)));
  check(spec.min_delta != defaults.min_delta,
        QString("early-stop min_delta %1 has no flag").arg(exact_number(spec.min_delta)));
  check(spec.ema_decay != defaults.ema_decay,
        QString("loss smoothing (EMA decay %1) has no flag; it changes only the displayed curve")
            .arg(exact_number(spec.ema_decay)));
  check(spec.lora.seed != spec.seed && !spec.full,
        QString("the adapter init seed %1 differs from the run seed %2; --seed sets both")
            .arg(spec.lora.seed)
            .arg(spec.seed));
  std::vector<const DatasetSpec*> sets{&spec.data};
  if (spec.validation) sets.push_back(&*spec.validation);
  if (spec.reference) sets.push_back(&*spec.reference);
  for (const DatasetSpec* set : sets) {
    check(set->format != spec.data.format || set->field != spec.data.field,
          QString("%1 is read as %2/%3 but --format/--field apply to every set")
              .arg(q(set->path), q(set->format), q(set->field)));
    check(set->prompt_field != data_defaults.prompt_field ||
              set->completion_field != data_defaults.completion_field,
          QString("%1: prompt/completion fields %2/%3 have no flag")
              .arg(q(set->path), q(set->prompt_field), q(set->completion_field)));
    check(set->recursive != data_defaults.recursive ||
              set->one_example_per_file != data_defaults.one_example_per_file,
          QString("%1: folder reading options (recursive, one example per file) have no flag")
              .arg(q(set->path)));
  }
  return caveats;
}

}  // namespace

void append_exact_number(std::string& out, double value) {
  // Shortest text that reads back exactly; plain decimals ("0.0003") while they stay short, else
  // the exponent form with its leading zeros dropped ("1e-12").
  char text[400];
  auto [end, error] = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
  if (error == std::errc() && end - text <= 12) {
    out.append(text, end);
    return;
  }
  auto [end2, error2] = std::to_chars(text, text + sizeof text, value);
  if (error2 != std::errc()) {
    out += QString::number(value, 'g', 17).toStdString();
    return;
  }
  for (const char* c = text; c < end2; ++c) {
    out += *c;
    if (*c != 'e') continue;
    if (c + 1 < end2 && (c[1] == '+' || c[1] == '-')) {
      if (c[1] == '-') out += '-';
      ++c;
    }
    while (c + 2 < end2 && c[1] == '0') ++c;  // keep the last digit
  }
}

QString exact_number(double value) {
  std::string text;
  append_exact_number(text, value);
  return QString::fromStdString(text);
}

QString shell_quote(const QString& argument) {
  if (argument.isEmpty()) return "''";
  bool safe = true;
  for (QChar c : argument) {
    const char16_t u = c.unicode();
    if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
          QStringLiteral("-_./=,:+@%").contains(c))) {
      safe = false;
      break;
    }
  }
  if (safe) return argument;
  QString quoted = argument;
  quoted.replace("'", "'\\''");
  return "'" + quoted + "'";
}

RerunCommand rerun_command(const RunRecord& run, const QString& store_path) {
  RerunCommand out;
  TrainSpec spec;
  try {
    spec = TrainSpec::from_json(run.config_json, "run " + std::to_string(run.id) + " config");
  } catch (const Error& error) {
    out.caveats << QString("not reproducible from the store: %1").arg(error.what());
    return out;
  }
  if (run.base_model_path.empty()) {
    out.caveats << "not reproducible from the store: the run has no base model path";
    return out;
  }
  QStringList& a = out.arguments;
  a << "train"
    << "--model" << q(run.base_model_path) << "--data" << q(spec.data.path);
  if (spec.validation)
    a << "--val" << q(spec.validation->path);
  else
    a << "--val-ratio" << exact_number(spec.validation_ratio);
  if (spec.reference) a << "--reference" << q(spec.reference->path);
  if (spec.rehearsal)
    a << "--rehearsal" << q(spec.rehearsal->path) << "--rehearsal-share"
      << exact_number(spec.rehearsal_share) << "--rehearsal-unscored-opening"
      << n(spec.rehearsal_unscored_opening);
  if (spec.rehearsal && spec.rehearsal_opening_share)
    a << "--rehearsal-opening-share" << exact_number(*spec.rehearsal_opening_share);
  a << "--format" << q(spec.data.format) << "--field" << q(spec.data.field);
  if (!spec.pack) a << "--no-pack";
  a << "--out" << q(spec.out_dir) << "--name" << q(spec.name);
  if (spec.full) {
    a << "--full";
  } else {
    const LoraSpec& lora = spec.lora;
    QStringList targets;
    for (const auto& t : lora.target_modules) targets << q(t);
    a << "--rank" << n(lora.rank) << "--alpha" << exact_number(lora.alpha) << "--targets"
      << targets.join(',') << "--dropout" << exact_number(lora.dropout) << "--init" << q(lora.init);
    if (!lora.target_regex.empty()) a << "--target-regex" << q(lora.target_regex);
    if (!lora.layers_to_transform.empty()) {
      QStringList layers;
      for (int64_t layer : lora.layers_to_transform) layers << n(layer);
      a << "--layers" << layers.join(',');
    }
    if (!lora.rank_pattern.empty()) a << "--rank-pattern" << join_pattern_int(lora.rank_pattern);
    if (!lora.alpha_pattern.empty())
      a << "--alpha-pattern" << join_pattern_double(lora.alpha_pattern);
    if (lora.rslora) a << "--rslora";
  }
  if (spec.steps > 0 || !spec.stages.empty())
    a << "--steps" << n(spec.steps);
  else
    a << "--epochs" << exact_number(spec.epochs);
  if (!spec.stages.empty()) a << "--stages" << stages_text(spec.stages);
  a << "--batch" << n(spec.batch) << "--seq" << n(spec.seq_len) << "--accum" << n(spec.accum)
    << "--lr" << exact_number(spec.lr) << "--schedule" << q(spec.schedule) << "--warmup"
    << n(spec.warmup) << "--min-lr-ratio" << exact_number(spec.min_lr_ratio) << "--weight-decay"
    << exact_number(spec.weight_decay) << "--clip" << exact_number(spec.clip) << "--eval-every"
    << n(spec.eval_every) << "--eval-batches" << n(spec.eval_batches) << "--patience"
    << n(spec.patience) << "--seed" << QString::number(spec.seed) << "--precision"
    << precision_name(spec.precision) << "--threads" << QString::number(spec.threads)
    << "--checkpoint-every" << n(spec.checkpoint_every);
  if (spec.recompute) a << "--recompute";
  if (spec.alpha_start) a << "--alpha-start" << exact_number(*spec.alpha_start);
  if (spec.alpha_ramp_steps > 0) a << "--alpha-ramp-steps" << n(spec.alpha_ramp_steps);
  if (!store_path.isEmpty()) a << "--db" << store_path;
  for (const auto& tag : run.tags) a << "--tag" << q(tag);

  QStringList quoted{"loralab-cli"};
  for (const QString& argument : a) quoted << shell_quote(argument);
  out.command = quoted.join(' ');
  out.caveats = unflaggable_differences(spec);
  return out;
}

}  // namespace loralab::ui
