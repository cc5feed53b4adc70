// BlendWorker: the blend playground's sampling worker. Lives on its own QThread with its own model
// instance (loaded from the base folder, independent of any training), the adapters loaded on it
// unmerged, and one Sampler. Every call that touches the model runs on the worker thread; λ changes
// from the sliders arrive through set_live() from any thread and are applied between tokens.
#pragma once
#include <QObject>
#include <QString>
#include <QVector>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "loralab/lora.h"
#include "ui/blend/blend_types.h"

namespace loralab {
class Model;
class Sampler;
class Tokenizer;
}  // namespace loralab

namespace loralab::ui {

class BlendWorker : public QObject {
  Q_OBJECT
 public:
  explicit BlendWorker(QObject* parent = nullptr);
  ~BlendWorker() override;

  // ---- worker thread only (the controller queues them)
  void load_base(const QString& dir);
  // Loads each candidate on the base; incompatible ones come back with the engine's reason.
  void check_adapters(const QVector<AdapterFacts>& candidates);
  void remove_adapter(const QString& name);
  // Runs the jobs in order unless the batch is superseded (wanted_batch() changed) or cancelled.
  void run_batch(qint64 batch, const QVector<SampleJob>& jobs);
  void export_merged(const Blend& blend, const QString& out_dir, const QString& dtype);
  void save_blend(const QVector<BlendInput>& inputs, const QString& method, qint64 rank,
                  const QString& out_dir);

  // ---- any thread
  // The slider's value: applied at once when idle, between tokens while a live job streams.
  void set_live(const QString& name, double weight, bool enabled);
  // Which batch may run; anything else stops at its next token. 0 = none.
  void want_batch(qint64 batch);
  // λ and enable state as last applied to the worker's model.
  struct Applied {
    double weight = 1;
    bool enabled = false;
  };
  std::optional<Applied> applied(const QString& name) const;

 signals:
  void base_loaded(const QString& dir, const QString& summary);
  void base_failed(const QString& dir, const QString& error);
  void adapter_checked(const loralab::ui::AdapterFacts& facts);
  void piece(qint64 batch, int index, const QString& text);
  void job_done(qint64 batch, int index, const loralab::ui::SampleOutcome& outcome);
  void batch_done(qint64 batch);
  void file_written(const QString& what, const QString& dir, const QString& details,
                    const QString& error);

 private:
  SampleOutcome run_job(qint64 batch, int index, const SampleJob& job);
  std::vector<int32_t> prompt_ids(const std::string& prompt) const;
  QVector<AffinityScore> affinity(const std::vector<int32_t>& ids, size_t score_from, qint64 batch);
  void apply_blend(const Blend& blend);
  void apply_live_if_changed();
  void set_adapter(const std::string& name, double weight, bool enabled);
  bool superseded(qint64 batch) const { return wanted_batch_.load() != batch; }

  std::shared_ptr<Model> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::unique_ptr<Sampler> sampler_;
  QString base_dir_;
  QStringList loaded_;  // adapter names on the model, in load order

  std::atomic<qint64> wanted_batch_{0};
  std::atomic<bool> cancel_{false};
  mutable std::mutex state_mutex_;
  std::map<QString, Applied> live_;  // latest slider state per adapter
  bool live_changed_ = false;
  std::map<QString, Applied> applied_;  // what the model holds now
};

}  // namespace loralab::ui
