// Preferences behind typed accessors; see settings.h.
#include "ui/settings.h"

#include <QDir>
#include <QStandardPaths>

namespace loralab::ui {
namespace {

constexpr const char* kGeometry = "window/geometry";
constexpr const char* kState = "window/state";
constexpr const char* kPage = "window/page";
constexpr const char* kTheme = "appearance/theme";
constexpr const char* kThreads = "engine/threads";
constexpr const char* kOutputRoot = "train/output_root";
constexpr const char* kStorePath = "store/path";
constexpr const char* kRecordRuns = "store/record_runs";
constexpr const char* kModelDir = "train/model_dir";
constexpr const char* kDatasetPath = "train/dataset_path";
constexpr const char* kTrainSpec = "train/spec_json";
constexpr const char* kSamplePrompt = "train/sample_prompt";
constexpr const char* kGeneralText = "train/general_text";
constexpr const char* kBlendDirs = "blend/adapter_dirs";
constexpr const char* kBlendPrompt = "blend/prompt";
constexpr const char* kReportFolder = "report/folder";
constexpr const char* kPlotByTokens = "plot/by_tokens";
constexpr const char* kPlotLog = "plot/log_scale";
constexpr const char* kCompareHidden = "compare/hidden_columns";
constexpr const char* kCompareSweepForm = "compare/sweep_form";
constexpr const char* kCompareQueueWorking = "compare/queue_working";
constexpr const char* kCompareQueueRun = "compare/queue_run";

}  // namespace

Settings::Settings() : settings_(std::make_unique<QSettings>()) {}

Settings::Settings(const QString& ini_path)
    : settings_(std::make_unique<QSettings>(ini_path, QSettings::IniFormat)) {}

QString Settings::theme_name(Theme theme) {
  switch (theme) {
    case Theme::Light: return "light";
    case Theme::Dark: return "dark";
    case Theme::System: break;
  }
  return "system";
}

Settings::Theme Settings::parse_theme(const QString& name) {
  if (name == "light") return Theme::Light;
  if (name == "dark") return Theme::Dark;
  return Theme::System;
}

QByteArray Settings::window_geometry() const { return settings_->value(kGeometry).toByteArray(); }
void Settings::set_window_geometry(const QByteArray& g) { settings_->setValue(kGeometry, g); }
QByteArray Settings::window_state() const { return settings_->value(kState).toByteArray(); }
void Settings::set_window_state(const QByteArray& s) { settings_->setValue(kState, s); }
int Settings::current_page() const { return settings_->value(kPage, 0).toInt(); }
void Settings::set_current_page(int page) { settings_->setValue(kPage, page); }

Settings::Theme Settings::theme() const {
  return parse_theme(settings_->value(kTheme, "system").toString());
}
void Settings::set_theme(Theme theme) { settings_->setValue(kTheme, theme_name(theme)); }

int Settings::compute_threads() const {
  return std::max(0, settings_->value(kThreads, 0).toInt());
}
void Settings::set_compute_threads(int threads) { settings_->setValue(kThreads, std::max(0, threads)); }

QString Settings::output_root() const {
  const QString fallback =
      QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/adapters";
  return settings_->value(kOutputRoot, QDir::cleanPath(fallback)).toString();
}
void Settings::set_output_root(const QString& dir) { settings_->setValue(kOutputRoot, dir); }
QString Settings::store_path() const { return settings_->value(kStorePath).toString(); }
void Settings::set_store_path(const QString& path) { settings_->setValue(kStorePath, path); }
bool Settings::record_runs() const { return settings_->value(kRecordRuns, true).toBool(); }
void Settings::set_record_runs(bool record) { settings_->setValue(kRecordRuns, record); }

QString Settings::model_dir() const { return settings_->value(kModelDir).toString(); }
void Settings::set_model_dir(const QString& dir) { settings_->setValue(kModelDir, dir); }
QString Settings::dataset_path() const { return settings_->value(kDatasetPath).toString(); }
void Settings::set_dataset_path(const QString& path) { settings_->setValue(kDatasetPath, path); }
QString Settings::train_spec_json() const { return settings_->value(kTrainSpec).toString(); }
void Settings::set_train_spec_json(const QString& json) { settings_->setValue(kTrainSpec, json); }

std::optional<Settings::GeneralText> Settings::general_text() const {
  if (!settings_->contains(kGeneralText)) return std::nullopt;
  const QStringList parts = settings_->value(kGeneralText).toStringList();
  if (parts.size() != 2 && parts.size() != 3) return std::nullopt;  // 2: before openings
  return GeneralText{parts[0], parts[1], parts.value(2)};
}
void Settings::set_general_text(const std::optional<GeneralText>& text) {
  if (text)
    settings_->setValue(kGeneralText, QStringList{text->path, text->share, text->openings});
  else
    settings_->remove(kGeneralText);
}

QString Settings::sample_prompt() const { return settings_->value(kSamplePrompt).toString(); }
void Settings::set_sample_prompt(const QString& prompt) { settings_->setValue(kSamplePrompt, prompt); }
QStringList Settings::blend_adapter_dirs() const {
  return settings_->value(kBlendDirs).toStringList();
}
void Settings::set_blend_adapter_dirs(const QStringList& dirs) { settings_->setValue(kBlendDirs, dirs); }
QString Settings::blend_prompt() const { return settings_->value(kBlendPrompt).toString(); }
void Settings::set_blend_prompt(const QString& prompt) { settings_->setValue(kBlendPrompt, prompt); }
QString Settings::report_folder() const { return settings_->value(kReportFolder).toString(); }
void Settings::set_report_folder(const QString& dir) { settings_->setValue(kReportFolder, dir); }

bool Settings::plot_by_tokens() const { return settings_->value(kPlotByTokens, false).toBool(); }
void Settings::set_plot_by_tokens(bool by_tokens) { settings_->setValue(kPlotByTokens, by_tokens); }
bool Settings::plot_log_scale() const { return settings_->value(kPlotLog, false).toBool(); }
void Settings::set_plot_log_scale(bool log_scale) { settings_->setValue(kPlotLog, log_scale); }

QStringList Settings::compare_hidden_columns() const {
  return settings_->value(kCompareHidden).toString().split(',', Qt::SkipEmptyParts);
}
bool Settings::has_compare_hidden_columns() const { return settings_->contains(kCompareHidden); }
void Settings::set_compare_hidden_columns(const QStringList& keys) {
  settings_->setValue(kCompareHidden, keys.join(','));
}
QString Settings::compare_sweep_form() const { return settings_->value(kCompareSweepForm).toString(); }
void Settings::set_compare_sweep_form(const QString& form) { settings_->setValue(kCompareSweepForm, form); }
bool Settings::compare_queue_working() const {
  return settings_->value(kCompareQueueWorking, false).toBool();
}
void Settings::set_compare_queue_working(bool working) {
  settings_->setValue(kCompareQueueWorking, working);
}
qint64 Settings::compare_queue_run() const { return settings_->value(kCompareQueueRun, 0).toLongLong(); }
void Settings::set_compare_queue_run(qint64 run_id) { settings_->setValue(kCompareQueueRun, run_id); }

void Settings::sync() { settings_->sync(); }

}  // namespace loralab::ui
