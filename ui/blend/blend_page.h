// BlendPage: the adapter blend playground. Left: the base model, the adapter list (store runs and
// PEFT folders, each with λ slider, spin box, enable box and style-affinity bar), the sampling
// settings with a seed lock, Generate / Stop, and Save blend / Export merged. Right: the streaming
// story, Compare (two blends side by side), the blend strip (λ = 0 … 1 between two adapters) and
// the history of samples, each reproducible from its stored blend spec.
//
// Sampling runs on the page's BlendController (own worker thread, own model instance), so it works
// while the Train page trains. With the seed locked, releasing a slider regenerates at once; a
// slider released during generation restarts it.
#pragma once
#include <QElapsedTimer>
#include <QWidget>
#include <optional>

#include "loralab/store.h"
#include "ui/blend/blend_controller.h"
#include "ui/blend/blend_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTimer;

namespace loralab::ui {

class AdapterPanel;
class HistoryModel;
class Settings;

// Clears `view` and writes `prompt` in bold; streamed text follows it in the normal weight.
void begin_story_view(QPlainTextEdit* view, const QString& prompt);

class BlendPage : public QWidget {
  Q_OBJECT
 public:
  // `settings` must outlive the page; the base model and store are taken from it when the page is
  // first shown (or when set_model_dir / set_store_path are called).
  explicit BlendPage(Settings& settings, QWidget* parent = nullptr);
  ~BlendPage() override;

  // Loads the base model on the sampling worker; the adapters are checked again against it.
  void set_model_dir(const QString& dir);
  // Lists the store's finished runs with an adapter and the blend history; "" = no store.
  void set_store_path(const QString& path);
  // Adds a PEFT adapter folder to the list (checked against the base); returns the row's name.
  QString add_adapter_folder(const QString& dir, const QString& preferred_name = {});
  void refresh_store();

  enum class Mode { Idle, Story, Compare, Strip, Regenerate };
  Mode mode() const { return mode_; }
  QString model_dir() const { return model_dir_; }
  bool base_ready() const { return base_ready_; }

  // Actions (the buttons call these; tests too).
  void generate();
  void stop();
  void run_compare();
  void run_strip();
  void set_compare_blend(int side, const Blend& blend);  // side 0 = A, 1 = B
  void regenerate(int history_row);
  void restore_blend(int history_row);
  void save_blend_as_adapter(const QString& method, qint64 rank, const QString& out_dir);
  void export_merged(const QString& out_dir, const QString& dtype);

  SampleSpec sample_spec() const;  // from the form (the seed spin box's seed)
  Blend current_blend() const;

  BlendController* controller() const { return controller_; }
  AdapterPanel* adapters() const { return adapters_; }
  QLineEdit* prompt_edit() const { return prompt_; }
  QSpinBox* max_tokens_box() const { return max_tokens_; }
  QDoubleSpinBox* temperature_box() const { return temperature_; }
  QSpinBox* top_k_box() const { return top_k_; }
  QDoubleSpinBox* top_p_box() const { return top_p_; }
  QDoubleSpinBox* repetition_box() const { return repetition_; }
  QSpinBox* seed_box() const { return seed_; }
  QCheckBox* seed_lock() const { return seed_lock_; }
  QPushButton* generate_button() const { return generate_; }
  QPushButton* stop_button() const { return stop_; }
  QTabWidget* tabs() const { return tabs_; }
  QString story_text() const;
  QString compare_text(int side) const;
  QString strip_text(int cell) const;
  QComboBox* strip_x() const { return strip_x_; }
  QComboBox* strip_y() const { return strip_y_; }
  QTableView* history_view() const { return history_view_; }
  HistoryModel* history() const { return history_model_; }
  QString regenerated_text() const;
  QString status_text() const;
  QString stats_text() const;

  static constexpr int kStripCells = 5;  // λ = 0, 0.25, 0.5, 0.75, 1

 signals:
  void story_finished(const loralab::ui::SampleOutcome& outcome);
  void batch_finished(loralab::ui::BlendPage::Mode mode);
  // After regenerate(): whether the text equals the stored sample's.
  void reproduced(bool identical);
  void base_changed(bool ready);
  void adapters_checked();
  void file_written(const QString& dir, const QString& error);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  QWidget* build_left();
  QWidget* build_sampling();
  QWidget* build_story_tab();
  QWidget* build_compare_tab();
  QWidget* build_strip_tab();
  QWidget* build_history_tab();
  void connect_controller();
  void on_weight_changed(const QString& name, double weight, bool enabled);
  void on_weight_committed(const QString& name);
  void on_piece(int index, const QString& text);
  void flush_pieces();
  void on_job_done(int index, const SampleOutcome& outcome);
  void on_batch_finished();
  void start(Mode mode, const QVector<SampleJob>& jobs);
  SampleJob job_from_form(bool live);
  uint64_t seed_for_run();
  void generate_with_seed(std::optional<uint64_t> seed);
  // The stored blend with names mapped onto this page's rows (by name, else by folder); the
  // entries that match no row are listed in `missing`.
  Blend map_blend(const Blend& stored, QStringList* missing) const;
  void add_checked_row(const AdapterFacts& facts);
  void record_sample(const SampleJob& job, const SampleOutcome& outcome);
  void load_history();
  void update_strip_choices();
  void update_buttons();
  void show_status(const QString& text, bool error = false);
  QString unique_name(const QString& wanted) const;
  void open_save_dialog();
  void open_export_dialog();
  void choose_base();
  void choose_folder();
  // Saves the folders added by hand (not store runs) for the next start.
  void remember_folders();

  Settings& settings_;
  BlendController* controller_ = nullptr;
  bool initialized_ = false;
  QString model_dir_;
  bool base_ready_ = false;
  QString store_path_;
  std::optional<ExperimentStore> store_;
  bool applying_blend_ = false;  // restoring a stored blend: slider commits do not regenerate

  Mode mode_ = Mode::Idle;
  SampleJob story_job_;       // the live job being streamed (for the history record)
  bool blend_moved_ = false;  // the blend changed mid-story without a restart: do not record it
  std::optional<SampleRecord> regenerating_;
  Blend compare_[2];

  AdapterPanel* adapters_ = nullptr;
  QLabel* base_label_ = nullptr;
  QLineEdit* prompt_ = nullptr;
  QSpinBox* max_tokens_ = nullptr;
  QDoubleSpinBox* temperature_ = nullptr;
  QSpinBox* top_k_ = nullptr;
  QDoubleSpinBox* top_p_ = nullptr;
  QDoubleSpinBox* repetition_ = nullptr;
  QSpinBox* seed_ = nullptr;
  QCheckBox* seed_lock_ = nullptr;
  QPushButton *generate_ = nullptr, *stop_ = nullptr, *save_blend_ = nullptr,
              *export_merged_ = nullptr, *compare_button_ = nullptr, *strip_button_ = nullptr,
              *regenerate_button_ = nullptr, *restore_button_ = nullptr;
  QLabel* status_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QPlainTextEdit* story_ = nullptr;
  QLabel* stats_ = nullptr;
  QPlainTextEdit* compare_view_[2] = {nullptr, nullptr};
  QLabel* compare_label_[2] = {nullptr, nullptr};
  QComboBox *strip_x_ = nullptr, *strip_y_ = nullptr;
  QPlainTextEdit* strip_view_[kStripCells] = {};
  QLabel* strip_label_[kStripCells] = {};
  QTableView* history_view_ = nullptr;
  HistoryModel* history_model_ = nullptr;
  QPlainTextEdit* regenerated_ = nullptr;
  QLabel* reproduce_label_ = nullptr;
  // Streamed text reaches the views at most ~30 times a second (the first piece at once).
  QPlainTextEdit* pending_view_ = nullptr;
  QString pending_text_;
  QTimer* flush_timer_ = nullptr;
  QElapsedTimer since_flush_;
};

}  // namespace loralab::ui
