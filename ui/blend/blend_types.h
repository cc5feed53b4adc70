// Value types of the blend playground: which adapters at which λ (a blend), one sampling job and
// its outcome, and their JSON form in the experiment store (samples.blend_json / settings_json).
#pragma once
#include <QMetaType>
#include <QString>
#include <QVector>
#include <optional>

#include "loralab/sampler.h"

namespace loralab::ui {

inline constexpr double kLambdaMin = -1.0;
inline constexpr double kLambdaMax = 2.0;
inline constexpr double kLambdaStep = 0.01;

// One adapter's place in a blend. `name` is the playground's key for the adapter (unique per page).
struct BlendEntry {
  QString name;
  QString dir;                   // PEFT folder
  std::optional<qint64> run_id;  // the store run it came from, when it did
  double weight = 1.0;           // λ
  bool enabled = true;
};
using Blend = QVector<BlendEntry>;

// "fairy 0.70 · scifi 0.50" (enabled entries only), or "base only".
QString blend_summary(const Blend& blend);

// What the sampling worker runs: a prompt under a blend. A live job also takes λ changes made while
// it streams (the slider being dragged); a fixed one (compare, strip, regenerate) never does.
struct SampleJob {
  QString prompt;
  SampleSpec spec;
  Blend blend;
  bool live = false;
  bool affinity = true;  // score the text under each adapter alone against the base
};

struct AffinityScore {
  QString name;
  double delta = 0;  // mean log-likelihood per token: adapter alone at λ 1 minus the base
};

struct SampleOutcome {
  QString text;
  int tokens = 0;
  double first_token_ms = 0;
  double total_ms = 0;
  QString stop_reason;  // "max_tokens", "eos", "cancelled", ...
  bool cancelled = false;
  QString error;  // non-empty when the job failed
  QVector<AffinityScore> affinity;
  double tokens_per_second() const { return total_ms > 0 ? tokens * 1000.0 / total_ms : 0; }
};

// Adapter facts from adapter_config.json, read without a model, and the outcome of loading it on
// the playground's base model.
struct AdapterFacts {
  QString name;
  QString dir;
  std::optional<qint64> run_id;
  QString run_label;  // "run 12 · fairy r8" for store runs, "" for folders
  qint64 rank = 0;
  double alpha = 0;
  QStringList targets;
  bool compatible = false;
  QString reason;  // why it cannot be enabled (also config errors)
};

// Reads rank (r), lora_alpha and target_modules from DIR/adapter_config.json; a file that is
// missing or malformed leaves compatible false and says why in `reason` (naming the file).
AdapterFacts read_adapter_facts(const QString& dir);

// JSON of the store's samples table: blend_json {"base": dir, "adapters":[{name, dir, run, weight,
// enabled}]}; settings_json {max_new_tokens, temperature, top_k, top_p, repetition_penalty}.
QString blend_to_json(const QString& base_dir, const Blend& blend);
// Throws loralab::Error naming the field when the JSON is not a blend spec.
Blend blend_from_json(const QString& json, QString* base_dir = nullptr);
QString settings_to_json(const SampleSpec& spec);
// Fields missing from the JSON keep `defaults`' values; wrong types throw naming the field.
SampleSpec settings_from_json(const QString& json, const SampleSpec& defaults = {});

void register_blend_metatypes();

}  // namespace loralab::ui

Q_DECLARE_METATYPE(loralab::ui::SampleOutcome)
Q_DECLARE_METATYPE(loralab::ui::AdapterFacts)
