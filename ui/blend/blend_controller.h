// BlendController: owns the blend playground's sampling worker and its QThread. The page hands it
// batches of sampling jobs; starting a batch supersedes the one running (it stops at its next
// token), so a slider released mid-story restarts cleanly. Only the current batch's pieces and
// results are passed on. Quits and waits for the thread when destroyed.
#pragma once
#include <QObject>
#include <QSet>
#include <QThread>

#include "ui/blend/blend_types.h"
#include "ui/blend/blend_worker.h"

namespace loralab::ui {

class BlendController : public QObject {
  Q_OBJECT
 public:
  explicit BlendController(QObject* parent = nullptr);
  ~BlendController() override;

  BlendWorker* worker() const { return worker_; }
  bool busy() const { return !running_.isEmpty(); }
  qint64 current_batch() const { return current_; }

  void load_base(const QString& dir);
  void check_adapters(const QVector<AdapterFacts>& candidates);
  void remove_adapter(const QString& name);
  void set_live(const QString& name, double weight, bool enabled);
  // Supersedes whatever runs and queues `jobs`; returns the batch id.
  qint64 start(const QVector<SampleJob>& jobs);
  void stop();
  void export_merged(const Blend& blend, const QString& out_dir, const QString& dtype);
  void save_blend(const QVector<BlendInput>& inputs, const QString& method, qint64 rank,
                  const QString& out_dir);

 signals:
  void base_loaded(const QString& dir, const QString& summary);
  void base_failed(const QString& dir, const QString& error);
  void adapter_checked(const loralab::ui::AdapterFacts& facts);
  void piece(int index, const QString& text);
  void job_done(int index, const loralab::ui::SampleOutcome& outcome);
  void batch_finished(qint64 batch);
  void busy_changed(bool busy);
  void file_written(const QString& what, const QString& dir, const QString& details,
                    const QString& error);

 private:
  QThread thread_;
  BlendWorker* worker_ = nullptr;
  qint64 next_batch_ = 0;
  qint64 current_ = 0;
  QSet<qint64> running_;
};

}  // namespace loralab::ui
