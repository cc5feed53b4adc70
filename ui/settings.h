// Typed access to the app's persistent preferences and window layout. Every key lives here, so a
// misspelt key cannot silently create a second setting; the rest of the UI never touches QSettings.
#pragma once
#include <QByteArray>
#include <QSettings>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>

namespace loralab::ui {

class Settings {
 public:
  // The application's default settings store (organisation / application name of the QApplication).
  Settings();
  // An INI file at `path` (tests, portable installs).
  explicit Settings(const QString& ini_path);

  enum class Theme { System, Light, Dark };
  static QString theme_name(Theme theme);
  static Theme parse_theme(const QString& name);  // unknown names mean System

  QByteArray window_geometry() const;
  void set_window_geometry(const QByteArray& geometry);
  QByteArray window_state() const;
  void set_window_state(const QByteArray& state);
  int current_page() const;
  void set_current_page(int page);

  Theme theme() const;
  void set_theme(Theme theme);
  int compute_threads() const;  // 0 = one per core
  void set_compute_threads(int threads);
  QString output_root() const;  // where new adapters are written; default in the user data folder
  void set_output_root(const QString& dir);
  QString store_path() const;   // experiment store; "" = the engine's default
  void set_store_path(const QString& path);
  bool record_runs() const;
  void set_record_runs(bool record);

  QString model_dir() const;    // "" = the bundled model
  void set_model_dir(const QString& dir);
  QString dataset_path() const; // "" = the bundled fairy-tale set
  void set_dataset_path(const QString& path);
  QString train_spec_json() const;  // the last training form, as TrainSpec JSON
  void set_train_spec_json(const QString& json);

  // The Train page's general text (path "" = none), its rehearsal share and the share with
  // scored openings ("" = all), as typed; nullopt = what the page suggests for the model.
  struct GeneralText {
    QString path, share, openings;
    bool operator==(const GeneralText&) const = default;
  };
  std::optional<GeneralText> general_text() const;
  void set_general_text(const std::optional<GeneralText>& text);

  QString sample_prompt() const;  // "" = the page's default
  void set_sample_prompt(const QString& prompt);
  // Blend playground: the PEFT folders added to it (store runs are listed anew) and its prompt.
  QStringList blend_adapter_dirs() const;
  void set_blend_adapter_dirs(const QStringList& dirs);
  QString blend_prompt() const;  // "" = the page's default
  void set_blend_prompt(const QString& prompt);

  bool plot_by_tokens() const;
  QString report_folder() const;  // where the last report was exported; "" = the home folder
  void set_report_folder(const QString& dir);

  void set_plot_by_tokens(bool by_tokens);
  bool plot_log_scale() const;
  void set_plot_log_scale(bool log_scale);

  // Sweeps & compare page: hidden run-table columns (keys), the sweep form, the queue runner.
  QStringList compare_hidden_columns() const;
  bool has_compare_hidden_columns() const;
  void set_compare_hidden_columns(const QStringList& keys);
  QString compare_sweep_form() const;
  void set_compare_sweep_form(const QString& form);
  bool compare_queue_working() const;
  void set_compare_queue_working(bool working);
  qint64 compare_queue_run() const;
  void set_compare_queue_run(qint64 run_id);

  void sync();

 private:
  std::unique_ptr<QSettings> settings_;
};

}  // namespace loralab::ui
