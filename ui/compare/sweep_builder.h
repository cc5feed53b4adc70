// SweepBuilder: the form that turns values per training field into a sweep — rank, alpha (or
// alpha = rank), target presets, learning rate, dropout, seed, and any other sweep key as
// "key=v1,v2" text — over the Train page's settings as the base. As the person types it shows the
// number of runs and an estimated training time from the tokens/s measured on finished runs, and
// names the first value the trainer would refuse. Queueing more than 1,000 runs asks first.
#pragma once
#include <QWidget>
#include <functional>
#include <optional>

#include "loralab/sweep_runs.h"

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace loralab::ui {

// The base every run starts from: the Train page's model, data and settings.
struct SweepBase {
  TrainSpec spec;
  QString model_dir;
  QString summary;  // one line for the form: "model · data · 200 steps × 8 × 256 tokens"
};

struct SweepEstimate {
  int64_t runs = 0;
  int64_t tokens = 0;           // summed over the runs; 0 when a run's length is unknown (epochs)
  bool tokens_known = false;
  double seconds = 0;           // tokens / tokens_per_second; 0 without a measurement
  QString error;                // the spec or a run's settings are refused
};

class SweepBuilder : public QWidget {
  Q_OBJECT
 public:
  static constexpr int64_t kConfirmAbove = 1000;
  explicit SweepBuilder(QWidget* parent = nullptr);

  // Called when the estimate needs the base and when queueing; returns nullopt with `why` set
  // when the Train page's settings cannot be used.
  void set_base_provider(std::function<std::optional<SweepBase>(QString* why)> provider);
  // Asked before queueing more than kConfirmAbove runs; the default shows a question box.
  void set_confirm_large(std::function<bool(int64_t runs)> confirm);
  void set_out_root(const QString& dir) { out_root_ = dir; }
  // The throughput estimates use (median of finished runs); 0 = not measured yet.
  void set_measured_tokens_per_second(double tokens_per_second, int runs_measured);

  // The sweep spec the form describes ("rank=4,8;alpha=rank;targets=attention-qv").
  QString spec_text() const;
  SweepEstimate estimate() const { return estimate_; }
  void update_estimate();  // also runs on a short timer after each edit

  QLineEdit* rank_edit() const { return rank_; }
  QLineEdit* alpha_edit() const { return alpha_; }
  QCheckBox* alpha_equals_rank_box() const { return alpha_is_rank_; }
  QLineEdit* lr_edit() const { return lr_; }
  QLineEdit* dropout_edit() const { return dropout_; }
  QLineEdit* seed_edit() const { return seed_; }
  QLineEdit* extra_edit() const { return extra_; }
  QLineEdit* name_edit() const { return name_; }
  QLineEdit* custom_targets_edit() const { return custom_targets_; }
  QCheckBox* target_box(const QString& preset) const;
  QSpinBox* random_samples() const { return random_; }
  QPushButton* queue_button() const { return queue_; }
  QCheckBox* start_now_box() const { return start_now_; }
  QLabel* count_label() const { return count_; }
  QLabel* estimate_label() const { return estimate_text_; }
  // Restores / reads the form as one line ("spec|alpha=rank|name|samples") for the settings.
  QString form_state() const;
  void set_form_state(const QString& state);

 signals:
  // A validated sweep for the store: the page queues it (and starts the queue when asked).
  void queue_requested(const loralab::SweepRequest& request, const loralab::SweepPlan& plan,
                       bool start_now);
  void edited();

 private:
  void queue_clicked();
  std::optional<SweepRequest> make_request(QString* why, bool allow_large);
  void show_error(const QString& text);

  std::function<std::optional<SweepBase>(QString*)> base_provider_;
  std::function<bool(int64_t)> confirm_large_;
  std::optional<SweepBase> base_;
  QString base_error_;
  QString out_root_;
  double tokens_per_second_ = 0;
  int speed_runs_ = 0;
  SweepEstimate estimate_;

  QLineEdit *rank_ = nullptr, *alpha_ = nullptr, *lr_ = nullptr, *dropout_ = nullptr,
            *seed_ = nullptr, *extra_ = nullptr, *name_ = nullptr, *custom_targets_ = nullptr;
  QCheckBox* alpha_is_rank_ = nullptr;
  QList<QCheckBox*> target_boxes_;
  QSpinBox* random_ = nullptr;
  QLabel *base_label_ = nullptr, *count_ = nullptr, *estimate_text_ = nullptr, *error_ = nullptr;
  QPushButton* queue_ = nullptr;
  QCheckBox* start_now_ = nullptr;
  QTimer* debounce_ = nullptr;
};

QString format_duration(double seconds);  // "45 s", "12 min", "3 h 20 min", "2 d 4 h"

}  // namespace loralab::ui
