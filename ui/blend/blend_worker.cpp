// The blend playground's sampling worker; see blend_worker.h.
#include "ui/blend/blend_worker.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include "loralab/error.h"
#include "loralab/model.h"
#include "loralab/sampler.h"
#include "loralab/tokenizer.h"

namespace loralab::ui {

namespace {
constexpr qint64 kCoalesceMs = 15;
}

BlendWorker::BlendWorker(QObject* parent) : QObject(parent) { register_blend_metatypes(); }
BlendWorker::~BlendWorker() = default;

void BlendWorker::load_base(const QString& dir) {
  try {
    auto model = Model::load(dir.toStdString());
    std::shared_ptr<const Tokenizer> tokenizer;
    if (model->folder().tokenizer_path)
      tokenizer = std::make_shared<Tokenizer>(Tokenizer::load(*model->folder().tokenizer_path));
    if (!tokenizer)
      throw Error(dir.toStdString() +
                  ": the model folder has no tokenizer.json (or vocab.json + "
                  "merges.txt), so no text can be sampled");
    sampler_.reset();
    model_ = std::move(model);
    tokenizer_ = std::move(tokenizer);
    sampler_ = std::make_unique<Sampler>(model_);
    base_dir_ = dir;
    loaded_.clear();
    {
      std::lock_guard lock(state_mutex_);
      applied_.clear();
    }
    const auto& config = model_->config();
    emit base_loaded(dir, tr("%1 · %2 layers · hidden %3 · %4 M parameters")
                              .arg(QString::fromUtf8(architecture_name(config.architecture)))
                              .arg(config.num_hidden_layers)
                              .arg(config.hidden_size)
                              .arg(double(model_->parameter_count()) / 1e6, 0, 'f', 2));
  } catch (const std::exception& e) {
    emit base_failed(dir, QString::fromUtf8(e.what()));
  }
}

void BlendWorker::check_adapters(const QVector<AdapterFacts>& candidates) {
  for (AdapterFacts facts : candidates) {
    if (!model_) {
      facts.compatible = false;
      facts.reason = tr("no base model is loaded");
      emit adapter_checked(facts);
      continue;
    }
    if (loaded_.contains(facts.name)) remove_adapter(facts.name);
    if (facts.reason.isEmpty()) {
      try {
        const AdapterInfo info =
            load_adapter(*model_, facts.dir.toStdString(), facts.name.toStdString());
        loaded_ << facts.name;
        set_adapter(info.name, 1.0, false);  // loaded disabled: enabling is the user's choice
        facts.compatible = true;
        facts.rank = info.spec.rank;
        facts.alpha = info.spec.alpha;
        if (!info.spec.target_modules.empty() && info.spec.target_regex.empty()) {
          facts.targets.clear();
          for (const auto& module : info.spec.target_modules)
            facts.targets << QString::fromStdString(module);
        }
      } catch (const std::exception& e) {
        facts.compatible = false;
        facts.reason = QString::fromUtf8(e.what());
      }
    }
    emit adapter_checked(facts);
  }
}

void BlendWorker::remove_adapter(const QString& name) {
  if (!model_ || !loaded_.contains(name)) return;
  try {
    loralab::remove_adapter(*model_, name.toStdString());
  } catch (const std::exception&) {
  }
  loaded_.removeAll(name);
  std::lock_guard lock(state_mutex_);
  applied_.erase(name);
  live_.erase(name);
}

void BlendWorker::set_adapter(const std::string& name, double weight, bool enabled) {
  set_adapter_weight(*model_, name, weight);
  set_adapter_enabled(*model_, name, enabled);
  std::lock_guard lock(state_mutex_);
  applied_[QString::fromStdString(name)] = {weight, enabled};
}

void BlendWorker::apply_blend(const Blend& blend) {
  for (const QString& name : loaded_) {
    const auto it = std::find_if(blend.begin(), blend.end(),
                                 [&](const BlendEntry& entry) { return entry.name == name; });
    if (it == blend.end())
      set_adapter(name.toStdString(), 1.0, false);
    else
      set_adapter(name.toStdString(), it->weight, it->enabled);
  }
}

void BlendWorker::set_live(const QString& name, double weight, bool enabled) {
  {
    std::lock_guard lock(state_mutex_);
    live_[name] = {weight, enabled};
    live_changed_ = true;
  }
  // When idle this applies at once; while a batch runs it waits in the queue, and a live job
  // applies it itself between tokens.
  QMetaObject::invokeMethod(
      this, [this] { apply_live_if_changed(); }, Qt::QueuedConnection);
}

void BlendWorker::apply_live_if_changed() {
  if (!model_) return;
  std::map<QString, Applied> live;
  {
    std::lock_guard lock(state_mutex_);
    if (!live_changed_) return;
    live_changed_ = false;
    live = live_;
  }
  for (const auto& [name, state] : live)
    if (loaded_.contains(name)) set_adapter(name.toStdString(), state.weight, state.enabled);
}

std::optional<BlendWorker::Applied> BlendWorker::applied(const QString& name) const {
  std::lock_guard lock(state_mutex_);
  const auto it = applied_.find(name);
  if (it == applied_.end()) return std::nullopt;
  return it->second;
}

void BlendWorker::want_batch(qint64 batch) {
  wanted_batch_ = batch;
  cancel_ = true;  // whatever runs now stops before its next forward
}

std::vector<int32_t> BlendWorker::prompt_ids(const std::string& prompt) const {
  // As Sampler::generate_text does it, so the scored context is the one that was sampled from.
  std::vector<int32_t> ids;
  if (auto bos = tokenizer_->bos_id())
    ids.push_back(*bos);
  else if (!model_->config().bos_token_ids.empty())
    ids.push_back(static_cast<int32_t>(model_->config().bos_token_ids.front()));
  const auto body = tokenizer_->encode(prompt, /*add_special_tokens=*/false);
  ids.insert(ids.end(), body.begin(), body.end());
  if (ids.empty())
    throw Error(
        "The prompt is empty and the model has no BOS token to start from: type a few "
        "words into the prompt box.");
  return ids;
}

void BlendWorker::run_batch(qint64 batch, const QVector<SampleJob>& jobs) {
  if (!superseded(batch)) {
    cancel_ = false;
    for (int i = 0; i < jobs.size() && !superseded(batch); ++i) {
      const SampleOutcome outcome = run_job(batch, i, jobs[i]);
      emit job_done(batch, i, outcome);
      if (!outcome.error.isEmpty()) break;
    }
  }
  // Fixed blends (compare, strip, history) leave the model as the sliders have it.
  {
    std::lock_guard lock(state_mutex_);
    live_changed_ = true;
  }
  apply_live_if_changed();
  emit batch_done(batch);
}

SampleOutcome BlendWorker::run_job(qint64 batch, int index, const SampleJob& job) {
  SampleOutcome outcome;
  try {
    if (!model_ || !sampler_) throw Error("No base model is loaded.");
    job.spec.validate();
    apply_blend(job.blend);
    const auto ids = prompt_ids(job.prompt.toStdString());
    // Pieces go out at once after a quiet spell (the first token without delay), else gathered
    // for up to kCoalesceMs: one queued signal per token would wake the GUI thread hundreds of
    // times a second, and on a busy machine every wake-up is time the sampler does not get.
    std::string buffered;
    QElapsedTimer since_emit;
    auto send = [&] {
      if (buffered.empty()) return;
      emit piece(batch, index, QString::fromUtf8(buffered.data(), qsizetype(buffered.size())));
      buffered.clear();
      since_emit.start();
    };
    const SampleResult result = sampler_->generate_text(
        *tokenizer_, ids, job.spec,
        [&](std::string_view text) {
          if (superseded(batch)) return false;
          buffered.append(text);
          if (!since_emit.isValid() || since_emit.elapsed() >= kCoalesceMs) send();
          if (job.live) apply_live_if_changed();
          return true;
        },
        &cancel_);
    if (!superseded(batch)) send();
    outcome.text = QString::fromStdString(result.text);
    outcome.tokens = int(result.tokens.size());
    outcome.first_token_ms = result.first_token_ms;
    outcome.total_ms = result.total_ms;
    outcome.cancelled = result.stop_reason == StopReason::Cancelled ||
                        result.stop_reason == StopReason::Callback || superseded(batch);
    outcome.stop_reason = outcome.cancelled ? QStringLiteral("cancelled")
                                            : QString(stop_reason_name(result.stop_reason));
    if (job.affinity && !outcome.cancelled && !result.tokens.empty()) {
      std::vector<int32_t> all = ids;
      all.insert(all.end(), result.tokens.begin(), result.tokens.end());
      outcome.affinity = affinity(all, ids.size(), batch);
      apply_blend(job.blend);
    }
  } catch (const std::exception& e) {
    outcome.error = QString::fromUtf8(e.what());
  }
  return outcome;
}

QVector<AffinityScore> BlendWorker::affinity(const std::vector<int32_t>& ids, size_t score_from,
                                             qint64 batch) {
  // Each adapter alone at λ = 1 against the bare base, on the generated tokens only.
  QVector<AffinityScore> scores;
  for (const QString& name : loaded_) set_adapter(name.toStdString(), 1.0, false);
  const double base = mean_log_likelihood(*model_, ids, score_from);
  for (const QString& name : loaded_) {
    if (superseded(batch)) break;
    set_adapter(name.toStdString(), 1.0, true);
    scores.push_back({name, mean_log_likelihood(*model_, ids, score_from) - base});
    set_adapter(name.toStdString(), 1.0, false);
  }
  return scores;
}

void BlendWorker::export_merged(const Blend& blend, const QString& out_dir, const QString& dtype) {
  QString error, details;
  try {
    if (!model_) throw Error("No base model is loaded.");
    apply_blend(blend);
    export_merged_model(*model_, out_dir.toStdString(), dtype.toStdString());
    details = tr("%1 merged at %2 (%3)")
                  .arg(blend_summary(blend), dtype.isEmpty() ? tr("the base's dtype") : dtype,
                       QDir(out_dir).absolutePath());
  } catch (const std::exception& e) {
    error = QString::fromUtf8(e.what());
  }
  {
    std::lock_guard lock(state_mutex_);
    live_changed_ = true;
  }
  apply_live_if_changed();
  emit file_written(tr("merged model"), out_dir, details, error);
}

void BlendWorker::save_blend(const QVector<BlendInput>& inputs, const QString& method, qint64 rank,
                             const QString& out_dir) {
  QString error, details;
  try {
    const BlendResult result = blend_adapters(std::vector<BlendInput>(inputs.begin(), inputs.end()),
                                              method.toStdString(), rank, out_dir.toStdString());
    details = tr("method %1, rank %2").arg(QString::fromStdString(result.method)).arg(result.rank);
    if (result.method == "svd")
      details += tr(", worst relative error %1 %").arg(result.max_relative_error * 100, 0, 'f', 2);
    details += result.exact ? tr(", exact") : tr(", not exact");
    if (!result.note.empty()) details += " — " + QString::fromStdString(result.note);
  } catch (const std::exception& e) {
    error = QString::fromUtf8(e.what());
  }
  emit file_written(tr("adapter"), out_dir, details, error);
}

}  // namespace loralab::ui
