// The Train page; see train_page.h.
#include "ui/train/train_page.h"

#include <QDir>
#include <QEvent>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "loralab/error.h"
#include "loralab/lora.h"
#include "ui/app_paths.h"
#include "ui/settings.h"
#include "ui/stall_probe.h"
#include "ui/theme.h"
#include "ui/train/accounting_view.h"
#include "ui/train/dataset_panel.h"
#include "ui/train/field_set.h"
#include "ui/train/general_form.h"
#include "ui/train/lora_form.h"
#include "ui/train/loss_plot.h"
#include "ui/train/model_panel.h"
#include "ui/train/training_form.h"

namespace loralab::ui {
namespace {

QString format_eta(double seconds) {
  const qint64 s = qint64(seconds + 0.5);
  return s >= 3600 ? QString("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'))
                   : QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

QGroupBox* group(const QString& title, QWidget* content, QWidget* parent) {
  auto* box = new QGroupBox(title, parent);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(content);
  return box;
}

}  // namespace

TrainPage::TrainPage(QWidget* parent) : QWidget(parent) {
  controller_ = new TrainController(this);
  stall_probe_ = new StallProbe(this);
  output_root_ = QDir::tempPath() + "/loralab-adapters";
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->addWidget(build_forms());
  splitter->addWidget(build_run_panel());
  splitter->setStretchFactor(0, 0);
  splitter->setStretchFactor(1, 1);
  splitter->setSizes({490, 800});
  layout->addWidget(splitter);
  connect_controller();
  progress_timer_ = new QTimer(this);
  progress_timer_->setInterval(LossPlot::kReplotIntervalMs);
  connect(progress_timer_, &QTimer::timeout, this, &TrainPage::show_progress);
  progress_timer_->start();

  connect(model_panel_, &ModelPanel::model_changed, this, [this] {
    lora_form_->set_model_config(model_panel_->config());
    training_form_->set_model_config(model_panel_->config());
    dataset_panel_->set_tokenizer_path(model_panel_->tokenizer_path());
    suggest_general_text();
    update_accounting();
  });
  // Story sets train one story per row, as a story is sampled from position 0; other data packs.
  connect(dataset_panel_, &DatasetPanel::dataset_changed, this, [this] {
    training_form_->set_packed(!bundled_datasets().contains(dataset_panel_->dataset_path()));
  });
  connect(lora_form_, &LoraForm::changed, this, &TrainPage::update_accounting);
  connect(training_form_, &TrainingForm::changed, this, &TrainPage::update_accounting);
  connect(stall_probe_, &StallProbe::max_stall_changed, this, &TrainPage::stall_measured);
  lora_form_->set_model_config(model_panel_->config());
  training_form_->set_model_config(model_panel_->config());
  dataset_panel_->set_tokenizer_path(model_panel_->tokenizer_path());
  training_form_->set_packed(!bundled_datasets().contains(dataset_panel_->dataset_path()));
  suggest_general_text();
  update_accounting();
  update_buttons();
  plot_->set_dark(is_dark_palette(palette()));
}

TrainPage::~TrainPage() = default;

QWidget* TrainPage::build_forms() {
  auto* content = new QWidget;
  auto* column = new QVBoxLayout(content);
  column->setContentsMargins(2, 2, 2, 2);
  model_panel_ = new ModelPanel(content);
  column->addWidget(group(tr("Base model"), model_panel_, content));
  dataset_panel_ = new DatasetPanel(content);
  column->addWidget(group(tr("Training data"), dataset_panel_, content));
  general_form_ = new GeneralForm(content);
  column->addWidget(group(tr("General text (forgetting)"), general_form_, content));
  lora_form_ = new LoraForm(content);
  column->addWidget(group(tr("LoRA"), lora_form_, content));
  accounting_ = new AccountingView(content);
  column->addWidget(group(tr("Cost"), accounting_, content));
  training_form_ = new TrainingForm(content);
  column->addWidget(group(tr("Training"), training_form_, content));
  column->addStretch();
  auto* scroll = new QScrollArea;
  scroll->setWidget(content);
  scroll->setWidgetResizable(true);
  scroll->setMinimumWidth(420);
  return scroll;
}

QWidget* TrainPage::build_run_panel() {
  auto* panel = new QWidget;
  auto* column = new QVBoxLayout(panel);
  column->setContentsMargins(2, 2, 2, 2);
  auto* bar = new QHBoxLayout;
  start_ = new QPushButton(tr("Train"), panel);
  start_->setObjectName("start");
  start_->setDefault(true);
  start_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
  pause_ = new QPushButton(tr("Pause"), panel);
  pause_->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
  resume_ = new QPushButton(tr("Resume"), panel);
  resume_->setIcon(style()->standardIcon(QStyle::SP_MediaSeekForward));
  stop_ = new QPushButton(tr("Stop"), panel);
  stop_->setIcon(style()->standardIcon(QStyle::SP_MediaStop));
  for (auto* button : {start_, pause_, resume_, stop_}) bar->addWidget(button);
  progress_ = new QProgressBar(panel);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progress_->setFormat("%v / %m");
  bar->addWidget(progress_, 1);
  column->addLayout(bar);
  progress_text_ = new QLabel(tr("Ready. Press Train to start."), panel);
  progress_text_->setObjectName("progress_text");
  column->addWidget(progress_text_);
  banner_ = new QLabel(panel);
  banner_->setObjectName("banner");
  banner_->setWordWrap(true);
  banner_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  banner_->setVisible(false);
  column->addWidget(banner_);
  plot_ = new LossPlot(panel);
  auto* split = new QSplitter(Qt::Vertical, panel);
  split->addWidget(plot_);
  tabs_ = new QTabWidget(panel);
  auto* sample_tab = new QWidget(tabs_);
  auto* sample_layout = new QVBoxLayout(sample_tab);
  auto* prompt_row = new QHBoxLayout;
  prompt_ = new QLineEdit(tr("Once upon a time"), sample_tab);
  prompt_->setObjectName("prompt");
  sample_ = new QPushButton(tr("Sample now"), sample_tab);
  sample_->setObjectName("sample_now");
  sample_->setToolTip(tr("Pause the run, then draw a story from the adapter as it is now"));
  prompt_row->addWidget(new QLabel(tr("Prompt:"), sample_tab));
  prompt_row->addWidget(prompt_, 1);
  prompt_row->addWidget(sample_);
  sample_layout->addLayout(prompt_row);
  sample_view_ = new QPlainTextEdit(sample_tab);
  sample_view_->setReadOnly(true);
  sample_view_->setPlaceholderText(tr("Pause a run and press Sample now to read what the adapter "
                                      "writes at this point of training."));
  sample_layout->addWidget(sample_view_);
  tabs_->addTab(sample_tab, tr("Sample"));
  log_view_ = new QPlainTextEdit(tabs_);
  log_view_->setReadOnly(true);
  log_view_->setMaximumBlockCount(2000);
  tabs_->addTab(log_view_, tr("Log"));
  split->addWidget(tabs_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 1);
  column->addWidget(split, 1);

  connect(start_, &QPushButton::clicked, this, &TrainPage::start);
  connect(pause_, &QPushButton::clicked, controller_, &TrainController::pause);
  connect(resume_, &QPushButton::clicked, controller_, &TrainController::resume);
  connect(stop_, &QPushButton::clicked, controller_, &TrainController::stop);
  connect(sample_, &QPushButton::clicked, this, &TrainPage::sample_now);
  return panel;
}

void TrainPage::connect_controller() {
  connect(controller_, &TrainController::state_changed, this, [this](TrainController::State state) {
    update_buttons();
    const bool active = state != TrainController::State::Idle;
    if (state == TrainController::State::Paused && !progress_text_->text().endsWith(tr(" · paused"))) {
      progress_text_->setText(progress_text_->text() + tr(" · paused"));
      emit progress_changed(progress_->value(), progress_->maximum(), progress_text_->text());
    }
    emit run_active_changed(active);
  });
  connect(controller_, &TrainController::planned, this, [this](const TrainPlan& plan) {
    total_steps_ = plan.total_steps;
    plot_->set_total_steps(plan.total_steps);
    progress_->setRange(0, int(plan.total_steps));
    log(tr("Plan: %1 steps · %2 training rows, %3 validation rows · %4 trainable of %5 parameters")
            .arg(plan.total_steps)
            .arg(plan.train_rows)
            .arg(plan.validation_rows)
            .arg(plan.trainable_parameters)
            .arg(plan.total_parameters));
    if (plan.rehearsal_rows > 0 && plan.rehearsal_opening_rows < plan.rehearsal_rows)
      log(tr("Rehearsal: %1 of the %2 training rows come from the general text, %3 of them "
             "with their openings scored")
              .arg(plan.rehearsal_rows)
              .arg(plan.train_rows)
              .arg(plan.rehearsal_opening_rows));
    else if (plan.rehearsal_rows > 0)
      log(tr("Rehearsal: %1 of the %2 training rows come from the general text")
              .arg(plan.rehearsal_rows)
              .arg(plan.train_rows));
  });
  connect(controller_, &TrainController::stepped, this, &TrainPage::on_step);
  connect(controller_, &TrainController::evaluated, this, [this](const EvalMetrics& m) {
    plot_->append_eval(m);
    log(tr("step %1: validation loss %2 (perplexity %3)%4")
            .arg(m.step)
            .arg(m.val_loss, 0, 'f', 4)
            .arg(m.perplexity, 0, 'f', 2)
            .arg(m.best ? tr(" — best so far") : QString()));
  });
  connect(controller_, &TrainController::message, this, &TrainPage::log);
  connect(controller_, &TrainController::finished, this, &TrainPage::on_finished);
  connect(controller_, &TrainController::failed, this, [this](const QString& error) {
    stall_probe_->stop();
    show_banner(tr("Training failed: %1").arg(error), true);
    log(tr("Error: %1").arg(error));
    progress_text_->setText(tr("Failed."));
  });
  connect(controller_, &TrainController::sample_started, this, [this] {
    sample_view_->clear();
    sample_view_->insertPlainText(prompt_->text());
    tabs_->setCurrentIndex(0);
    update_buttons();
  });
  connect(controller_, &TrainController::sample_text, this, [this](const QString& piece) {
    sample_view_->moveCursor(QTextCursor::End);
    sample_view_->insertPlainText(piece);
  });
  connect(controller_, &TrainController::sample_finished, this, [this](const QString& error) {
    if (!error.isEmpty()) sample_view_->appendPlainText(tr("\n[sampling failed: %1]").arg(error));
    update_buttons();
  });
}

Settings::GeneralText TrainPage::suggested_general_text() const {
  // The bundled base model knows everyday stories: measure forgetting on them and make 45% of the
  // rows of them, 15.5% with their openings scored, so that the adapter begins an everyday story
  // about a fifth of the time (the setting bench/quality/run_quality.sh measures). Another
  // model's general text is unknown to the app until the user picks one.
  const QString everyday = GeneralForm::bundled_general_set();
  const bool bundled_model = !model_panel_->model_dir().isEmpty() && !everyday.isEmpty() &&
                             QDir::cleanPath(model_panel_->model_dir()) == bundled_model_dir();
  return bundled_model ? Settings::GeneralText{everyday, "0.45", "0.155"} : Settings::GeneralText{{}, "0"};
}

void TrainPage::suggest_general_text() { show_general_text(suggested_general_text()); }

void TrainPage::show_general_text(const Settings::GeneralText& text) {
  general_form_->set_general_path(text.path);
  general_form_->set_share_text(text.share);
  general_form_->set_openings_text(text.openings);
}

void TrainPage::update_accounting() {
  TrainSpec spec = FieldSet::probe_base();
  const bool lora_ok = lora_form_->apply(spec);
  training_form_->apply(spec);  // refreshes its inline messages too
  if (!model_panel_->config()) {
    accounting_->show_account(std::nullopt, tr("Choose a model to see what the adapter costs."));
    return;
  }
  if (!lora_ok) {
    accounting_->show_account(std::nullopt, tr("Fix the LoRA settings marked in red."));
    return;
  }
  try {
    accounting_->show_account(account_parameters(*model_panel_->config(), spec.lora));
  } catch (const std::exception& e) {
    accounting_->show_account(std::nullopt, QString::fromUtf8(e.what()));
  }
}

void TrainPage::update_buttons() {
  using State = TrainController::State;
  const State state = controller_->state();
  const bool sampling = controller_->sampling();
  start_->setEnabled(state == State::Idle);
  pause_->setEnabled(state == State::Running);
  resume_->setEnabled(state == State::Paused || state == State::Pausing);
  stop_->setEnabled(state != State::Idle && state != State::Stopping);
  // LoRA dropout draws from the global RNG the trainer also uses: a sample would shift the run.
  const bool dropout = current_.spec.lora.dropout > 0 && !current_.spec.full;
  sample_->setEnabled(state == State::Paused && !sampling && !dropout);
  sample_->setToolTip(dropout && state == State::Paused
                          ? tr("Not available with LoRA dropout: sampling would change the "
                               "random numbers the run continues with")
                          : tr("Pause the run, then draw a story from the adapter as it is now"));
  sample_->setText(sampling ? tr("Sampling…") : tr("Sample now"));
  for (QWidget* form : {static_cast<QWidget*>(model_panel_), static_cast<QWidget*>(dataset_panel_),
                        static_cast<QWidget*>(general_form_), static_cast<QWidget*>(lora_form_),
                        static_cast<QWidget*>(training_form_)})
    form->setEnabled(state == State::Idle);
}

std::optional<TrainRequest> TrainPage::build_request() {
  TrainRequest request;
  TrainSpec& spec = request.spec;
  const bool lora_ok = lora_form_->apply(spec);
  const bool training_ok = training_form_->apply(spec);
  const bool general_ok = general_form_->apply(spec);
  QStringList problems;
  if (!lora_ok || !training_ok || !general_ok) problems << tr("Some settings are refused; see the messages in red.");
  if (model_panel_->model_dir().isEmpty() || !model_panel_->config())
    problems << (model_panel_->error().isEmpty() ? tr("Choose a base model.") : model_panel_->error());
  else if (model_panel_->tokenizer_path().isEmpty())
    problems << tr("The model folder has no tokenizer (tokenizer.json or vocab.json + merges.txt).");
  if (dataset_panel_->dataset_path().isEmpty()) problems << tr("Choose the training data.");
  else if (!dataset_panel_->preview().error.isEmpty() &&
           dataset_panel_->preview().path == dataset_panel_->dataset_path())
    problems << dataset_panel_->preview().error;
  if (problems.isEmpty()) {
    spec.data = DatasetSpec{};
    spec.data.path = dataset_panel_->dataset_path().toStdString();
    spec.validation.reset();
    const QString validation = sibling_validation(dataset_panel_->dataset_path());
    if (!validation.isEmpty()) {
      spec.validation = DatasetSpec{};
      spec.validation->path = validation.toStdString();
    }
    if (spec.out_dir == "auto")
      spec.out_dir = new_run_output_dir(output_root_, QString::fromStdString(spec.name)).toStdString();
    spec.lora.base_model_name_or_path = model_panel_->model_dir().toStdString();
    try {
      spec.validate();
    } catch (const std::exception& e) {
      problems << QString::fromUtf8(e.what());
    }
  }
  if (!problems.isEmpty()) {
    show_banner(problems.join("\n"), true);
    return std::nullopt;
  }
  request.model_dir = model_panel_->model_dir();
  request.store_path = store_path_;
  return request;
}

void TrainPage::start() {
  auto request = build_request();
  if (!request) return;
  current_ = *request;
  banner_->setVisible(false);
  plot_->clear();
  total_steps_ = 0;
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progress_text_->setText(tr("Loading the model and the data…"));
  log(tr("Starting %1 → %2").arg(QString::fromStdString(current_.spec.name),
                                  QString::fromStdString(current_.spec.out_dir)));
  stall_probe_->start();
  controller_->start(current_);
}

void TrainPage::on_step(const StepMetrics& m) {
  plot_->append_step(m);
  pending_progress_ = m;
}

void TrainPage::show_progress() {
  if (!pending_progress_) return;
  const StepMetrics m = *pending_progress_;
  pending_progress_.reset();
  if (m.total_steps != progress_->maximum()) progress_->setRange(0, int(m.total_steps));
  progress_->setValue(int(m.step));
  QString text = tr("step %1 / %2 · loss %3 (EMA %4) · %5 tokens/s · ETA %6")
                     .arg(m.step)
                     .arg(m.total_steps)
                     .arg(m.train_loss, 0, 'f', 4)
                     .arg(m.smoothed_loss, 0, 'f', 4)
                     .arg(m.tokens_per_s, 0, 'f', 0)
                     .arg(format_eta(m.eta_s));
  if (controller_->state() == TrainController::State::Paused) text += tr(" · paused");
  progress_text_->setText(text);
  emit progress_changed(int(m.step), int(m.total_steps), text);
}

void TrainPage::on_finished(const TrainResult& r, qint64 run_id) {
  show_progress();
  stall_probe_->stop();
  plot_->flush();
  QString text;
  if (r.status == "failed") {
    show_banner(tr("Training failed: %1").arg(QString::fromStdString(r.message)), true);
  } else {
    text = tr("%1: %2 steps, final train loss %3")
               .arg(r.status == "done" ? tr("Done") : r.status == "stopped" ? tr("Stopped") : tr("Stopped early"))
               .arg(r.steps_done)
               .arg(r.final_train_loss, 0, 'f', 4);
    if (r.best_val_loss) text += tr(", best validation loss %1 at step %2").arg(*r.best_val_loss, 0, 'f', 4).arg(r.best_step);
    if (r.reference_loss_before && r.reference_loss_after && *r.reference_loss_before > 0)
      text += tr(".\nForgetting: general-text loss %1 → %2 (%3%4%)")
                  .arg(*r.reference_loss_before, 0, 'f', 4)
                  .arg(*r.reference_loss_after, 0, 'f', 4)
                  .arg(*r.reference_loss_after >= *r.reference_loss_before ? "+" : "")
                  .arg(100.0 * (*r.reference_loss_after / *r.reference_loss_before - 1.0), 0, 'f', 1);
    text += tr(".\nAdapter saved to %1").arg(QString::fromStdString(r.out_dir));
    if (run_id > 0) text += tr(" · recorded as run #%1").arg(run_id);
    if (r.status == "stopped") text += tr(" · resumable from %1").arg(QString::fromStdString(r.checkpoint_dir));
    show_banner(text, false);
  }
  log(QString::fromStdString(r.message));
  const QString stall = tr("Longest GUI stall during the run: %1 ms (longest plot redraw %2 ms)")
                            .arg(stall_probe_->max_stall_ms(), 0, 'f', 1)
                            .arg(plot_->max_replot_ms(), 0, 'f', 1);
  log(stall);
  qInfo("%s", qPrintable(stall));  // developers read it on the terminal too
  progress_text_->setText(r.status == "done" ? tr("Finished.") : QString::fromStdString(r.message));
  emit progress_changed(int(r.steps_done), int(std::max<int64_t>(total_steps_, r.steps_done)),
                        progress_text_->text());
}

void TrainPage::sample_now() {
  SampleSpec spec;
  spec.max_new_tokens = 160;
  spec.temperature = 0.8;
  spec.top_k = 40;
  spec.seed = sample_seed_++;
  controller_->sample_now(prompt_->text(), spec);
}

void TrainPage::show_banner(const QString& text, bool error) {
  banner_->setText(text);
  banner_->setStyleSheet(error ? "QLabel { background: #fbe3e3; color: #8a1010; border: 1px solid #d03030; padding: 6px; }"
                               : "QLabel { background: #e3f4e3; color: #155a15; border: 1px solid #3a9a3a; padding: 6px; }");
  banner_->setVisible(true);
}

QString TrainPage::banner_text() const { return banner_->isHidden() ? QString() : banner_->text(); }
QString TrainPage::sample_text() const { return sample_view_->toPlainText(); }
double TrainPage::max_stall_ms() const { return stall_probe_->max_stall_ms(); }

void TrainPage::log(const QString& text) {
  if (!text.isEmpty()) log_view_->appendPlainText(text);
}

void TrainPage::changeEvent(QEvent* event) {
  if (event->type() == QEvent::PaletteChange) plot_->set_dark(is_dark_palette(palette()));
  QWidget::changeEvent(event);
}

void TrainPage::restore(const Settings& settings) {
  if (!settings.model_dir().isEmpty()) model_panel_->set_model_dir(settings.model_dir());
  if (!settings.dataset_path().isEmpty()) dataset_panel_->set_dataset_path(settings.dataset_path());
  else if (!default_dataset().isEmpty()) dataset_panel_->set_dataset_path(default_dataset());
  const QString json = settings.train_spec_json();
  if (!json.isEmpty()) {
    try {
      const TrainSpec spec = TrainSpec::from_json(json.toStdString(), "settings");
      lora_form_->load(spec.lora);
      training_form_->load(spec);
    } catch (const std::exception&) {
      // A spec saved by another version: the form keeps its defaults.
    }
  }
  if (const auto general = settings.general_text()) show_general_text(*general);
  plot_->set_x_by_tokens(settings.plot_by_tokens());
  plot_->set_log_scale(settings.plot_log_scale());
  output_root_ = settings.output_root();
  if (!settings.sample_prompt().isEmpty()) prompt_->setText(settings.sample_prompt());
  update_accounting();
}

void TrainPage::save(Settings& settings) const {
  settings.set_model_dir(model_panel_->model_dir() == bundled_model_dir() ? QString() : model_panel_->model_dir());
  settings.set_dataset_path(dataset_panel_->dataset_path() == default_dataset() ? QString()
                                                                                : dataset_panel_->dataset_path());
  TrainSpec spec = FieldSet::probe_base();
  lora_form_->fields()->apply(spec);
  training_form_->fields()->apply(spec);
  settings.set_train_spec_json(QString::fromStdString(spec.to_json()));
  // Only a choice that differs from the model's suggestion is kept, so that the suggestion (and
  // the bundled set's path, wherever the app is installed) follows the model otherwise.
  const Settings::GeneralText general{general_form_->general_path(), general_form_->share_text(),
                                      general_form_->openings_text()};
  settings.set_general_text(general == suggested_general_text() ? std::nullopt
                                                                : std::optional(general));
  settings.set_plot_by_tokens(plot_->x_by_tokens());
  settings.set_plot_log_scale(plot_->log_scale());
  settings.set_sample_prompt(prompt_->text());
}

}  // namespace loralab::ui
