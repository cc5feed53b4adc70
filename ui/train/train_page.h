// TrainPage: the page a person lands on. Model, data, LoRA and training forms on the left (with live
// parameter accounting and inline validation), the run controls, live curves, samples and the run
// log on the right. The page owns its TrainController; it only turns widgets into a TrainRequest
// and engine signals back into widgets.
#pragma once
#include <QWidget>
#include <optional>

#include "loralab/train.h"
#include "ui/settings.h"
#include "ui/train/train_controller.h"
#include "ui/train/train_types.h"

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTimer;

namespace loralab::ui {

class AccountingView;
class DatasetPanel;
class GeneralForm;
class LoraForm;
class LossPlot;
class ModelPanel;

class StallProbe;
class TrainingForm;

class TrainPage : public QWidget {
  Q_OBJECT
 public:
  explicit TrainPage(QWidget* parent = nullptr);
  ~TrainPage() override;

  // Where new adapter folders go, and the experiment store runs are recorded in ("" = none).
  void set_output_root(const QString& dir) { output_root_ = dir; }
  void set_store_path(const QString& path) { store_path_ = path; }
  void restore(const Settings& settings);
  void save(Settings& settings) const;

  // Builds the request from the forms; nullopt (with the reasons shown in the page) when refused.
  std::optional<TrainRequest> build_request();
  TrainController* controller() const { return controller_; }
  ModelPanel* model_panel() const { return model_panel_; }
  DatasetPanel* dataset_panel() const { return dataset_panel_; }
  LoraForm* lora_form() const { return lora_form_; }
  TrainingForm* training_form() const { return training_form_; }
  GeneralForm* general_form() const { return general_form_; }
  AccountingView* accounting() const { return accounting_; }
  LossPlot* plot() const { return plot_; }
  QPushButton* start_button() const { return start_; }
  QPushButton* pause_button() const { return pause_; }
  QPushButton* resume_button() const { return resume_; }
  QPushButton* stop_button() const { return stop_; }
  QPushButton* sample_button() const { return sample_; }
  QLineEdit* prompt_edit() const { return prompt_; }
  QString banner_text() const;
  QString sample_text() const;
  double max_stall_ms() const;  // longest GUI event-loop stall of the current / last run

 signals:
  void progress_changed(int step, int total, const QString& text);
  void run_active_changed(bool active);
  void stall_measured(double max_ms);

 protected:
  void changeEvent(QEvent* event) override;

 private:
  QWidget* build_forms();
  QWidget* build_run_panel();
  void connect_controller();
  void suggest_general_text();
  Settings::GeneralText suggested_general_text() const;
  void show_general_text(const Settings::GeneralText& text);
  void update_accounting();
  void update_buttons();
  void start();
  void sample_now();
  void show_banner(const QString& text, bool error);
  void log(const QString& text);
  void on_step(const StepMetrics& m);
  void show_progress();
  void on_finished(const TrainResult& result, qint64 run_id);

  TrainController* controller_ = nullptr;
  StallProbe* stall_probe_ = nullptr;
  ModelPanel* model_panel_ = nullptr;
  DatasetPanel* dataset_panel_ = nullptr;
  LoraForm* lora_form_ = nullptr;
  TrainingForm* training_form_ = nullptr;
  GeneralForm* general_form_ = nullptr;
  AccountingView* accounting_ = nullptr;
  LossPlot* plot_ = nullptr;
  QPushButton *start_ = nullptr, *pause_ = nullptr, *resume_ = nullptr, *stop_ = nullptr,
              *sample_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* progress_text_ = nullptr;
  QLabel* banner_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QLineEdit* prompt_ = nullptr;
  QPlainTextEdit* sample_view_ = nullptr;
  QPlainTextEdit* log_view_ = nullptr;
  QString output_root_, store_path_;
  TrainRequest current_;
  uint64_t sample_seed_ = 1;
  // Steps can arrive hundreds of times a second; the labels follow at the plot's ~30 Hz.
  std::optional<StepMetrics> pending_progress_;
  QTimer* progress_timer_ = nullptr;
  int64_t total_steps_ = 0;
};

}  // namespace loralab::ui
