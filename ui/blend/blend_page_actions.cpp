// The blend playground page: sampling, history, compare, strip and file actions; see blend_page.h.
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>

#include "loralab/blend_history.h"
#include "ui/blend/adapter_panel.h"
#include "ui/blend/blend_page.h"
#include "ui/blend/history_model.h"
#include "ui/settings.h"

namespace loralab::ui {

namespace {
constexpr int kFlushIntervalMs = 33;
}

// ---- model, store and adapters ---------------------------------------------------------------

void BlendPage::set_model_dir(const QString& dir) {
  model_dir_ = dir;
  base_ready_ = false;
  if (dir.isEmpty()) {
    base_label_->setText(
        tr("No base model: the bundled model was not found and none is set in "
           "the preferences."));
    update_buttons();
    return;
  }
  base_label_->setText(tr("Loading %1…").arg(dir.toHtmlEscaped()));
  controller_->load_base(dir);
  update_buttons();
}

void BlendPage::set_store_path(const QString& path) {
  store_path_ = path;
  store_.reset();
  if (!path.isEmpty()) {
    try {
      StoreOptions options;
      options.mark_interrupted = false;  // the Train page's recorder owns run states
      store_.emplace(path.toStdString(), options);
    } catch (const std::exception& e) {
      show_status(tr("History is kept for this session only: %1").arg(QString::fromUtf8(e.what())),
                  true);
    }
  }
  refresh_store();
  load_history();
}

QString BlendPage::unique_name(const QString& wanted) const {
  QString base = wanted;
  base.replace(QRegularExpression("[^A-Za-z0-9_\\-]+"), "_");
  if (base.isEmpty()) base = "adapter";
  QString name = base;
  for (int n = 2; adapters_->row(name); ++n) name = QString("%1-%2").arg(base).arg(n);
  return name;
}

void BlendPage::add_checked_row(const AdapterFacts& facts) {
  adapters_->add(facts);
  if (base_ready_) controller_->check_adapters({facts});
  // Otherwise the base that is loading checks every row when it is ready.
  update_strip_choices();
}

void BlendPage::refresh_store() {
  if (!store_) return;
  try {
    RunQuery query;
    query.statuses = {RunStatus::Done, RunStatus::Stopped};
    for (const RunRecord& run : store_->list_runs(query)) {
      const QString dir = QString::fromStdString(run.adapter_path);
      if (dir.isEmpty() || !QFileInfo::exists(dir + "/adapter_config.json")) continue;
      const auto rows = adapters_->rows();
      if (std::any_of(rows.begin(), rows.end(),
                      [&](AdapterRow* row) { return QDir(row->facts().dir) == QDir(dir); }))
        continue;
      AdapterFacts facts = read_adapter_facts(dir);
      facts.name = unique_name(run.name.empty() ? QString("run-%1").arg(run.id)
                                                : QString::fromStdString(run.name));
      facts.run_id = run.id;
      facts.run_label = tr("run #%1").arg(run.id);
      if (run.best_val_loss) facts.run_label += tr(", val %1").arg(*run.best_val_loss, 0, 'f', 3);
      add_checked_row(facts);
    }
  } catch (const std::exception& e) {
    show_status(tr("Cannot list the store's runs: %1").arg(QString::fromUtf8(e.what())), true);
  }
}

QString BlendPage::add_adapter_folder(const QString& dir, const QString& preferred_name) {
  for (auto* row : adapters_->rows())
    if (QDir(row->facts().dir) == QDir(dir)) return row->name();
  AdapterFacts facts = read_adapter_facts(QDir(dir).absolutePath());
  facts.name = unique_name(preferred_name.isEmpty() ? facts.name : preferred_name);
  add_checked_row(facts);
  remember_folders();
  return facts.name;
}

void BlendPage::update_strip_choices() {
  QStringList names;
  for (auto* row : adapters_->rows())
    if (row->compatible() && !row->checking()) names << row->name();
  for (auto* box : {strip_x_, strip_y_}) {
    const QString keep = box->currentText();
    box->clear();
    box->addItems(names);
    if (names.contains(keep)) box->setCurrentText(keep);
  }
  if (names.size() >= 2 && strip_x_->currentText() == strip_y_->currentText())
    strip_y_->setCurrentIndex(strip_x_->currentIndex() == 0 ? 1 : 0);
  update_buttons();
}

// ---- sampling ---------------------------------------------------------------------------------

SampleSpec BlendPage::sample_spec() const {
  SampleSpec spec;
  spec.max_new_tokens = max_tokens_->value();
  spec.temperature = temperature_->value();
  spec.top_k = top_k_->value();
  spec.top_p = top_p_->value();
  spec.repetition_penalty = repetition_->value();
  spec.seed = uint64_t(seed_->value());
  return spec;
}

Blend BlendPage::current_blend() const { return adapters_->blend(); }

uint64_t BlendPage::seed_for_run() {
  if (!seed_lock_->isChecked()) seed_->setValue(int(QRandomGenerator::global()->bounded(1 << 30)));
  return uint64_t(seed_->value());
}

SampleJob BlendPage::job_from_form(bool live) {
  SampleJob job;
  job.prompt = prompt_->text();
  job.spec = sample_spec();
  job.blend = current_blend();
  job.live = live;
  return job;
}

void BlendPage::start(Mode mode, const QVector<SampleJob>& jobs) {
  pending_text_.clear();  // pieces of a superseded batch
  pending_view_ = nullptr;
  mode_ = mode;
  controller_->start(jobs);
  update_buttons();
}

void BlendPage::generate() { generate_with_seed(std::nullopt); }

void BlendPage::generate_with_seed(std::optional<uint64_t> seed) {
  if (!base_ready_) {
    show_status(tr("The base model is not loaded yet."), true);
    return;
  }
  SampleJob job = job_from_form(/*live=*/true);
  job.spec.seed = seed ? *seed : seed_for_run();
  story_job_ = job;
  blend_moved_ = false;
  begin_story_view(story_, job.prompt);
  stats_->setText(
      tr("Generating with %1, seed %2…").arg(blend_summary(job.blend)).arg(job.spec.seed));
  adapters_->clear_affinity();
  tabs_->setCurrentIndex(0);
  start(Mode::Story, {job});
}

void BlendPage::stop() { controller_->stop(); }

void BlendPage::on_weight_changed(const QString& name, double weight, bool enabled) {
  controller_->set_live(name, weight, enabled);
  if (mode_ == Mode::Story && controller_->busy()) blend_moved_ = true;
  update_buttons();
}

void BlendPage::on_weight_committed(const QString&) {
  if (applying_blend_ || !base_ready_) return;
  if (mode_ == Mode::Story && controller_->busy()) {
    // Restart cleanly under the new blend, same seed, so the whole story is that blend's.
    generate_with_seed(story_job_.spec.seed);
  } else if (seed_lock_->isChecked() && !controller_->busy()) {
    generate_with_seed(uint64_t(seed_->value()));
  }
}

void BlendPage::on_piece(int index, const QString& text) {
  QPlainTextEdit* view = nullptr;
  switch (mode_) {
    case Mode::Story:
      view = story_;
      break;
    case Mode::Compare:
      view = index < 2 ? compare_view_[index] : nullptr;
      break;
    case Mode::Strip:
      view = index < kStripCells ? strip_view_[index] : nullptr;
      break;
    case Mode::Regenerate:
      view = regenerated_;
      break;
    case Mode::Idle:
      break;
  }
  if (!view) return;
  if (view != pending_view_) flush_pieces();
  pending_view_ = view;
  pending_text_ += text;
  // At once when the view has been quiet for a frame (the first token shows without delay), else
  // with the next frame: a per-token insert would relayout the view hundreds of times a second.
  if (!since_flush_.isValid() || since_flush_.elapsed() >= kFlushIntervalMs)
    flush_pieces();
  else if (!flush_timer_->isActive())
    flush_timer_->start(kFlushIntervalMs - int(since_flush_.elapsed()));
}

void BlendPage::flush_pieces() {
  flush_timer_->stop();
  if (pending_view_ && !pending_text_.isEmpty()) {
    QTextCursor cursor(pending_view_->document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(pending_text_, QTextCharFormat());  // plain, after the bold prompt
    pending_view_->setTextCursor(cursor);
    pending_view_->ensureCursorVisible();
    since_flush_.start();
  }
  pending_text_.clear();
}

void BlendPage::on_job_done(int index, const SampleOutcome& outcome) {
  flush_pieces();
  if (!outcome.error.isEmpty()) {
    show_status(outcome.error, true);
    return;
  }
  const QString figures = tr("%1 tokens · first token %2 ms · %3 tokens/s · %4")
                              .arg(outcome.tokens)
                              .arg(outcome.first_token_ms, 0, 'f', 1)
                              .arg(outcome.tokens_per_second(), 0, 'f', 0)
                              .arg(outcome.stop_reason);
  switch (mode_) {
    case Mode::Story:
      stats_->setText(tr("%1 · seed %2 · %3")
                          .arg(blend_summary(story_job_.blend))
                          .arg(story_job_.spec.seed)
                          .arg(figures));
      if (!outcome.cancelled) {
        adapters_->set_affinity(outcome.affinity);
        if (!blend_moved_) record_sample(story_job_, outcome);
      }
      emit story_finished(outcome);
      break;
    case Mode::Compare:
      if (index < 2) compare_view_[index]->setToolTip(figures);
      break;
    case Mode::Strip:
      if (index < kStripCells) strip_view_[index]->setToolTip(figures);
      break;
    case Mode::Regenerate:
      if (regenerating_ && !outcome.cancelled) {
        const bool identical = outcome.text.toStdString() == regenerating_->text;
        reproduce_label_->setText(
            identical ? tr("✔ Identical to the stored text (sample #%1).").arg(regenerating_->id)
                      : tr("✘ Differs from the stored text (sample #%1): the adapters' files or "
                           "the base model changed since it was stored.")
                            .arg(regenerating_->id));
        reproduce_label_->setStyleSheet(identical ? "color: #2a8040;" : "color: #c03030;");
        emit reproduced(identical);
      }
      break;
    case Mode::Idle:
      break;
  }
}

void BlendPage::on_batch_finished() {
  const Mode finished = mode_;
  mode_ = Mode::Idle;
  update_buttons();
  emit batch_finished(finished);
}

// ---- history ----------------------------------------------------------------------------------

void BlendPage::record_sample(const SampleJob& job, const SampleOutcome& outcome) {
  SampleRecord record;
  record.blend_json = blend_to_json(model_dir_, job.blend).toStdString();
  record.prompt = job.prompt.toStdString();
  record.settings_json = settings_to_json(job.spec).toStdString();
  record.seed = int64_t(job.spec.seed);
  record.text = outcome.text.toStdString();
  record.created_at = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
  if (store_) {
    try {
      record.id = store_->add_sample(record);
    } catch (const std::exception& e) {
      show_status(tr("The sample is not saved in the store: %1").arg(QString::fromUtf8(e.what())),
                  true);
    }
  }
  history_model_->prepend(record);
}

void BlendPage::load_history() {
  if (!store_) {
    history_model_->set_samples({});
    return;
  }
  try {
    const auto samples = blend_samples(store_path_.toStdString());
    history_model_->set_samples(QVector<SampleRecord>(samples.begin(), samples.end()));
  } catch (const std::exception& e) {
    show_status(tr("Cannot read the history: %1").arg(QString::fromUtf8(e.what())), true);
  }
}

Blend BlendPage::map_blend(const Blend& stored, QStringList* missing) const {
  Blend mapped;
  for (BlendEntry entry : stored) {
    AdapterRow* row = adapters_->row(entry.name);
    if (!row || (!entry.dir.isEmpty() && QDir(row->facts().dir) != QDir(entry.dir))) {
      row = nullptr;
      for (auto* candidate : adapters_->rows())
        if (!entry.dir.isEmpty() && QDir(candidate->facts().dir) == QDir(entry.dir))
          row = candidate;
    }
    if (!row || !row->compatible()) {
      if (entry.enabled && missing) missing->push_back(entry.name);
      continue;
    }
    entry.name = row->name();
    mapped.push_back(entry);
  }
  return mapped;
}

void BlendPage::restore_blend(int history_row) {
  if (history_row < 0 || history_row >= history_model_->rowCount()) return;
  const SampleRecord& record = history_model_->sample(history_row);
  try {
    const Blend stored = blend_from_json(QString::fromStdString(record.blend_json));
    QStringList missing;
    const Blend mapped = map_blend(stored, &missing);
    for (const auto& entry : stored)
      if (missing.contains(entry.name) && !entry.dir.isEmpty() && QFileInfo::exists(entry.dir))
        add_adapter_folder(entry.dir, entry.name);
    applying_blend_ = true;
    adapters_->apply(mapped);
    prompt_->setText(QString::fromStdString(record.prompt));
    const SampleSpec spec =
        settings_from_json(QString::fromStdString(record.settings_json), sample_spec());
    max_tokens_->setValue(spec.max_new_tokens);
    temperature_->setValue(spec.temperature);
    top_k_->setValue(spec.top_k);
    top_p_->setValue(spec.top_p);
    repetition_->setValue(spec.repetition_penalty);
    if (record.seed) seed_->setValue(int(*record.seed));
    seed_lock_->setChecked(true);
    applying_blend_ = false;
    if (!missing.isEmpty())
      show_status(tr("Not in the playground (or not compatible): %1. Folders that still exist were "
                     "added; restore again once they are checked.")
                      .arg(missing.join(", ")),
                  true);
    else
      show_status(tr("Restored sample #%1's blend, prompt, settings and seed.").arg(record.id));
  } catch (const std::exception& e) {
    applying_blend_ = false;
    show_status(
        tr("Sample #%1 cannot be restored: %2").arg(record.id).arg(QString::fromUtf8(e.what())),
        true);
  }
}

void BlendPage::regenerate(int history_row) {
  if (history_row < 0 || history_row >= history_model_->rowCount() || !base_ready_) return;
  const SampleRecord record = history_model_->sample(history_row);
  try {
    QStringList missing;
    const Blend mapped =
        map_blend(blend_from_json(QString::fromStdString(record.blend_json)), &missing);
    restore_blend(history_row);
    if (!missing.isEmpty()) return;  // restore_blend said which adapters are missing
    SampleJob job;
    job.prompt = QString::fromStdString(record.prompt);
    job.spec = settings_from_json(QString::fromStdString(record.settings_json), sample_spec());
    job.spec.seed = record.seed ? uint64_t(*record.seed) : 0;
    job.blend = mapped;
    job.live = false;
    job.affinity = false;
    regenerating_ = record;
    begin_story_view(regenerated_, job.prompt);
    reproduce_label_->setText(tr("Regenerating sample #%1…").arg(record.id));
    reproduce_label_->setStyleSheet(QString());
    start(Mode::Regenerate, {job});
  } catch (const std::exception& e) {
    show_status(
        tr("Sample #%1 cannot be regenerated: %2").arg(record.id).arg(QString::fromUtf8(e.what())),
        true);
  }
}

// ---- compare and strip ------------------------------------------------------------------------

void BlendPage::set_compare_blend(int side, const Blend& blend) {
  if (side < 0 || side > 1) return;
  compare_[side] = blend;
  compare_label_[side]->setText(blend_summary(blend));
}

void BlendPage::run_compare() {
  if (!base_ready_) return;
  for (int side = 0; side < 2; ++side)
    if (compare_label_[side]->text() == tr("not set")) set_compare_blend(side, current_blend());
  const uint64_t seed = seed_for_run();
  QVector<SampleJob> jobs;
  for (int side = 0; side < 2; ++side) {
    SampleJob job = job_from_form(/*live=*/false);
    job.spec.seed = seed;
    job.blend = compare_[side];
    job.affinity = false;
    jobs.push_back(job);
    begin_story_view(compare_view_[side], job.prompt);
  }
  tabs_->setCurrentIndex(1);
  start(Mode::Compare, jobs);
}

void BlendPage::run_strip() {
  if (!base_ready_) return;
  const QString x = strip_x_->currentText(), y = strip_y_->currentText();
  if (x.isEmpty() || y.isEmpty() || x == y) {
    show_status(tr("Choose two different adapters for the strip."), true);
    return;
  }
  const AdapterRow* row_x = adapters_->row(x);
  const AdapterRow* row_y = adapters_->row(y);
  if (!row_x || !row_y) return;
  const uint64_t seed = seed_for_run();
  QVector<SampleJob> jobs;
  for (int cell = 0; cell < kStripCells; ++cell) {
    const double t = cell / double(kStripCells - 1);
    BlendEntry from = row_x->entry(), to = row_y->entry();
    from.weight = 1 - t;
    to.weight = t;
    from.enabled = to.enabled = true;
    SampleJob job = job_from_form(/*live=*/false);
    job.spec.seed = seed;
    job.blend = {from, to};
    job.affinity = false;
    jobs.push_back(job);
    strip_label_[cell]->setText(
        tr("λ = %1   (%2)").arg(t, 0, 'f', 2).arg(blend_summary(job.blend)));
    begin_story_view(strip_view_[cell], job.prompt);
  }
  tabs_->setCurrentIndex(2);
  start(Mode::Strip, jobs);
}

// ---- files ------------------------------------------------------------------------------------

void BlendPage::save_blend_as_adapter(const QString& method, qint64 rank, const QString& out_dir) {
  QVector<BlendInput> inputs;
  for (const auto& entry : current_blend())
    if (entry.enabled) inputs.push_back({entry.dir.toStdString(), entry.weight});
  if (inputs.isEmpty()) {
    show_status(tr("Enable at least one adapter to save a blend."), true);
    return;
  }
  show_status(tr("Writing the blend to %1…").arg(out_dir));
  controller_->save_blend(inputs, method, rank, out_dir);
}

void BlendPage::export_merged(const QString& out_dir, const QString& dtype) {
  if (!base_ready_) return;
  show_status(tr("Exporting the merged model to %1…").arg(out_dir));
  controller_->export_merged(current_blend(), out_dir, dtype);
}

namespace {

// A folder line edit with a Browse… button, for the two file dialogs below.
QLineEdit* folder_row(QDialog& dialog, QFormLayout* form, const QString& initial) {
  auto* edit = new QLineEdit(initial, &dialog);
  edit->setMinimumWidth(360);
  auto* browse = new QPushButton(QObject::tr("Browse…"), &dialog);
  QObject::connect(browse, &QPushButton::clicked, &dialog, [&dialog, edit] {
    const QString dir = QFileDialog::getExistingDirectory(&dialog, QObject::tr("Parent folder"),
                                                          QFileInfo(edit->text()).path());
    if (!dir.isEmpty()) edit->setText(dir + "/" + QFileInfo(edit->text()).fileName());
  });
  auto* row = new QHBoxLayout;
  row->addWidget(edit, 1);
  row->addWidget(browse);
  form->addRow(QObject::tr("Folder"), row);
  return edit;
}

bool confirm_folder(QWidget* parent, const QString& dir) {
  if (dir.trimmed().isEmpty()) {
    QMessageBox::warning(parent, QObject::tr("No folder"),
                         QObject::tr("Choose a folder to write."));
    return false;
  }
  const QDir folder(dir);
  if (folder.exists() && !folder.isEmpty())
    return QMessageBox::question(parent, QObject::tr("Folder not empty"),
                                 QObject::tr("%1 already holds files; files of the same name will "
                                             "be replaced. Continue?")
                                     .arg(dir)) == QMessageBox::Yes;
  return true;
}

QString stamped(const QString& root, const QString& stem) {
  return root + "/" + stem + "-" + QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss");
}

}  // namespace

void BlendPage::open_save_dialog() {
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Save blend as adapter"));
  auto* form = new QFormLayout(&dialog);
  form->addRow(new QLabel(tr("Blend: %1").arg(blend_summary(current_blend())), &dialog));
  auto* method = new QComboBox(&dialog);
  method->addItem(tr("cat — ranks concatenated (exact)"), "cat");
  method->addItem(tr("svd — truncated to a rank (reports the error)"), "svd");
  method->addItem(tr("linear — weighted sum of A and of B (same ranks; not exact)"), "linear");
  auto* rank = new QSpinBox(&dialog);
  rank->setRange(1, 4096);
  rank->setValue(16);
  rank->setEnabled(false);
  connect(method, &QComboBox::currentIndexChanged, rank,
          [method, rank] { rank->setEnabled(method->currentData().toString() == "svd"); });
  form->addRow(tr("Method"), method);
  form->addRow(tr("Rank (svd)"), rank);
  QLineEdit* folder = folder_row(dialog, form, stamped(settings_.output_root(), "blend"));
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, &dialog);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  form->addRow(buttons);
  if (dialog.exec() != QDialog::Accepted || !confirm_folder(this, folder->text())) return;
  save_blend_as_adapter(method->currentData().toString(), rank->value(), folder->text());
}

void BlendPage::open_export_dialog() {
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Export merged model"));
  auto* form = new QFormLayout(&dialog);
  form->addRow(new QLabel(
      tr("Base + %1, folded into the weights.").arg(blend_summary(current_blend())), &dialog));
  auto* dtype = new QComboBox(&dialog);
  dtype->addItem(tr("As the base model is stored"), "");
  dtype->addItem("float32", "f32");
  dtype->addItem("bfloat16", "bf16");
  dtype->addItem("float16", "f16");
  form->addRow(tr("Weights"), dtype);
  QLineEdit* folder = folder_row(dialog, form, stamped(settings_.output_root(), "merged"));
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, &dialog);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  form->addRow(buttons);
  if (dialog.exec() != QDialog::Accepted || !confirm_folder(this, folder->text())) return;
  export_merged(folder->text(), dtype->currentData().toString());
}

}  // namespace loralab::ui
