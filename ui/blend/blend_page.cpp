// The blend playground page: layout and wiring; the actions live in blend_page_actions.cpp.
#include "ui/blend/blend_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "loralab/store.h"
#include "ui/app_paths.h"
#include "ui/blend/adapter_panel.h"
#include "ui/blend/history_model.h"
#include "ui/settings.h"

namespace loralab::ui {

namespace {

QPlainTextEdit* story_view(QWidget* parent) {
  auto* view = new QPlainTextEdit(parent);
  view->setReadOnly(true);
  view->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  QFont font = view->font();
  font.setPointSizeF(font.pointSizeF() * 1.1);
  view->setFont(font);
  return view;
}

}  // namespace

BlendPage::BlendPage(Settings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
  setObjectName("blend_page");
  controller_ = new BlendController(this);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->addWidget(build_left());
  tabs_ = new QTabWidget(splitter);
  tabs_->addTab(build_story_tab(), tr("Story"));
  tabs_->addTab(build_compare_tab(), tr("Compare"));
  tabs_->addTab(build_strip_tab(), tr("Blend strip"));
  tabs_->addTab(build_history_tab(), tr("History"));
  splitter->addWidget(tabs_);
  splitter->setStretchFactor(0, 0);
  splitter->setStretchFactor(1, 1);
  splitter->setSizes({470, 820});
  layout->addWidget(splitter);
  flush_timer_ = new QTimer(this);
  flush_timer_->setSingleShot(true);
  connect(flush_timer_, &QTimer::timeout, this, &BlendPage::flush_pieces);
  connect_controller();
  update_buttons();
}

BlendPage::~BlendPage() = default;

QWidget* BlendPage::build_left() {
  auto* left = new QWidget(this);
  auto* column = new QVBoxLayout(left);
  column->setContentsMargins(0, 0, 0, 0);

  auto* base_box = new QGroupBox(tr("Base model"), left);
  auto* base_row = new QHBoxLayout(base_box);
  base_row->setContentsMargins(6, 4, 6, 4);
  base_label_ = new QLabel(tr("Not loaded"), base_box);
  base_label_->setWordWrap(true);
  base_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* change = new QPushButton(tr("Change…"), base_box);
  change->setToolTip(tr("Load another Hugging Face model folder as the playground's base"));
  connect(change, &QPushButton::clicked, this, &BlendPage::choose_base);
  base_row->addWidget(base_label_, 1);
  base_row->addWidget(change);
  column->addWidget(base_box);

  auto* adapter_box = new QGroupBox(tr("Adapters"), left);
  auto* adapter_column = new QVBoxLayout(adapter_box);
  adapter_column->setContentsMargins(6, 4, 6, 4);
  adapters_ = new AdapterPanel(adapter_box);
  adapters_->setMinimumHeight(220);
  adapter_column->addWidget(adapters_, 1);
  auto* adapter_buttons = new QHBoxLayout;
  auto* add_folder = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon),
                                     tr("Add folder…"), adapter_box);
  add_folder->setToolTip(
      tr("Add a PEFT adapter folder (adapter_config.json + "
         "adapter_model.safetensors)"));
  connect(add_folder, &QPushButton::clicked, this, &BlendPage::choose_folder);
  auto* refresh = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Store runs"),
                                  adapter_box);
  refresh->setToolTip(
      tr("List again the finished runs of the experiment store that saved an "
         "adapter"));
  connect(refresh, &QPushButton::clicked, this, &BlendPage::refresh_store);
  save_blend_ = new QPushButton(tr("Save blend as adapter…"), adapter_box);
  save_blend_->setToolTip(
      tr("Write the enabled adapters at their λ as one PEFT adapter (cat, "
         "svd to a rank, or linear)"));
  connect(save_blend_, &QPushButton::clicked, this, &BlendPage::open_save_dialog);
  export_merged_ = new QPushButton(tr("Export merged model…"), adapter_box);
  export_merged_->setToolTip(
      tr("Write the base with the blend folded into its weights as a new "
         "Hugging Face model folder"));
  connect(export_merged_, &QPushButton::clicked, this, &BlendPage::open_export_dialog);
  adapter_buttons->addWidget(add_folder);
  adapter_buttons->addWidget(refresh);
  adapter_buttons->addStretch(1);
  adapter_column->addLayout(adapter_buttons);
  auto* file_buttons = new QHBoxLayout;
  file_buttons->addWidget(save_blend_);
  file_buttons->addWidget(export_merged_);
  file_buttons->addStretch(1);
  adapter_column->addLayout(file_buttons);
  column->addWidget(adapter_box, 1);

  column->addWidget(build_sampling());
  status_ = new QLabel(left);
  status_->setObjectName("blend_status");
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  column->addWidget(status_);

  connect(adapters_, &AdapterPanel::weight_changed, this, &BlendPage::on_weight_changed);
  connect(adapters_, &AdapterPanel::weight_committed, this, &BlendPage::on_weight_committed);
  connect(adapters_, &AdapterPanel::remove_requested, this, [this](const QString& name) {
    adapters_->remove(name);
    controller_->remove_adapter(name);
    update_strip_choices();
    remember_folders();
  });
  return left;
}

QWidget* BlendPage::build_sampling() {
  auto* box = new QGroupBox(tr("Sampling"), this);
  auto* form = new QFormLayout(box);
  form->setContentsMargins(6, 4, 6, 4);
  prompt_ = new QLineEdit(box);
  prompt_->setText(tr("Once upon a time"));
  prompt_->setPlaceholderText(tr("The story's first words"));
  form->addRow(tr("Prompt"), prompt_);

  max_tokens_ = new QSpinBox(box);
  max_tokens_->setRange(1, 4096);
  max_tokens_->setValue(160);
  temperature_ = new QDoubleSpinBox(box);
  temperature_->setRange(0, 2);
  temperature_->setSingleStep(0.05);
  temperature_->setValue(0.8);
  temperature_->setToolTip(tr("0 = always the most likely token"));
  top_k_ = new QSpinBox(box);
  top_k_->setRange(0, 100000);
  top_k_->setValue(40);
  top_k_->setSpecialValueText(tr("off"));
  top_p_ = new QDoubleSpinBox(box);
  top_p_->setRange(0.01, 1);
  top_p_->setSingleStep(0.05);
  top_p_->setValue(0.95);
  repetition_ = new QDoubleSpinBox(box);
  repetition_->setRange(0.5, 3);
  repetition_->setSingleStep(0.05);
  repetition_->setValue(1.1);
  repetition_->setToolTip(tr("1 = off; above 1 makes repeated tokens less likely"));
  auto* numbers = new QGridLayout;
  numbers->setHorizontalSpacing(6);
  const std::pair<QString, QWidget*> fields[] = {{tr("Max tokens"), max_tokens_},
                                                 {tr("Temperature"), temperature_},
                                                 {tr("Top-k"), top_k_},
                                                 {tr("Top-p"), top_p_},
                                                 {tr("Repetition"), repetition_}};
  int index = 0;
  for (const auto& [label, widget] : fields) {
    numbers->addWidget(new QLabel(label, box), index / 3 * 2, index % 3);
    numbers->addWidget(widget, index / 3 * 2 + 1, index % 3);
    ++index;
  }
  form->addRow(numbers);

  auto* seed_row = new QHBoxLayout;
  seed_ = new QSpinBox(box);
  seed_->setRange(0, std::numeric_limits<int>::max());
  seed_->setValue(1);
  seed_lock_ = new QCheckBox(tr("Lock"), box);
  seed_lock_->setChecked(true);
  seed_lock_->setToolTip(
      tr("Locked: every generation uses this seed, and releasing a slider "
         "regenerates at once. Unlocked: each Generate draws a new seed."));
  auto* dice = new QToolButton(box);
  dice->setText(tr("New"));
  dice->setToolTip(tr("Draw a new seed"));
  connect(dice, &QToolButton::clicked, this,
          [this] { seed_->setValue(int(QRandomGenerator::global()->bounded(1 << 30))); });
  seed_row->addWidget(seed_, 1);
  seed_row->addWidget(dice);
  seed_row->addWidget(seed_lock_);
  form->addRow(tr("Seed"), seed_row);

  auto* buttons = new QHBoxLayout;
  generate_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Generate"), box);
  generate_->setToolTip(tr("Sample a story with the current blend (Ctrl+Return)"));
  generate_->setDefault(true);
  stop_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"), box);
  connect(generate_, &QPushButton::clicked, this, &BlendPage::generate);
  connect(stop_, &QPushButton::clicked, this, &BlendPage::stop);
  connect(prompt_, &QLineEdit::returnPressed, this, &BlendPage::generate);
  connect(prompt_, &QLineEdit::editingFinished, this,
          [this] { settings_.set_blend_prompt(prompt_->text()); });
  auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
  shortcut->setContext(Qt::WidgetWithChildrenShortcut);
  connect(shortcut, &QShortcut::activated, this, &BlendPage::generate);
  buttons->addWidget(generate_);
  buttons->addWidget(stop_);
  buttons->addStretch(1);
  form->addRow(buttons);
  return box;
}

QWidget* BlendPage::build_story_tab() {
  auto* tab = new QWidget(this);
  auto* column = new QVBoxLayout(tab);
  story_ = story_view(tab);
  story_->setObjectName("story_view");
  story_->setPlaceholderText(
      tr("Enable one or more adapters, set their λ and press Generate. "
         "With the seed locked, releasing a slider regenerates at once."));
  stats_ = new QLabel(tab);
  stats_->setObjectName("story_stats");
  stats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  column->addWidget(story_, 1);
  column->addWidget(stats_);
  return tab;
}

QWidget* BlendPage::build_compare_tab() {
  auto* tab = new QWidget(this);
  auto* column = new QVBoxLayout(tab);
  auto* top = new QHBoxLayout;
  compare_button_ = new QPushButton(tr("Compare"), tab);
  compare_button_->setToolTip(
      tr("Sample blend A and blend B with the same prompt, settings and "
         "seed"));
  connect(compare_button_, &QPushButton::clicked, this, &BlendPage::run_compare);
  top->addWidget(new QLabel(tr("Same prompt, settings and seed under two blends."), tab), 1);
  top->addWidget(compare_button_);
  column->addLayout(top);
  auto* sides = new QHBoxLayout;
  for (int side = 0; side < 2; ++side) {
    auto* box = new QGroupBox(side == 0 ? tr("Blend A") : tr("Blend B"), tab);
    auto* inner = new QVBoxLayout(box);
    compare_label_[side] = new QLabel(tr("not set"), box);
    compare_label_[side]->setWordWrap(true);
    auto* take = new QPushButton(tr("Set from the sliders"), box);
    connect(take, &QPushButton::clicked, this,
            [this, side] { set_compare_blend(side, current_blend()); });
    auto* header = new QHBoxLayout;
    header->addWidget(compare_label_[side], 1);
    header->addWidget(take);
    inner->addLayout(header);
    compare_view_[side] = story_view(box);
    inner->addWidget(compare_view_[side], 1);
    sides->addWidget(box, 1);
  }
  column->addLayout(sides, 1);
  return tab;
}

QWidget* BlendPage::build_strip_tab() {
  auto* tab = new QWidget(this);
  auto* column = new QVBoxLayout(tab);
  auto* top = new QHBoxLayout;
  strip_x_ = new QComboBox(tab);
  strip_y_ = new QComboBox(tab);
  strip_button_ = new QPushButton(tr("Run strip"), tab);
  strip_button_->setToolTip(
      tr("Sample the same seed at λ = 0, 0.25, 0.5, 0.75 and 1: the first "
         "adapter at 1 − λ, the second at λ"));
  connect(strip_button_, &QPushButton::clicked, this, &BlendPage::run_strip);
  top->addWidget(new QLabel(tr("From"), tab));
  top->addWidget(strip_x_, 1);
  top->addWidget(new QLabel(tr("to"), tab));
  top->addWidget(strip_y_, 1);
  top->addWidget(strip_button_);
  column->addLayout(top);
  for (int cell = 0; cell < kStripCells; ++cell) {
    strip_label_[cell] = new QLabel(QString("λ = %1").arg(cell * 0.25, 0, 'f', 2), tab);
    QFont bold = strip_label_[cell]->font();
    bold.setBold(true);
    strip_label_[cell]->setFont(bold);
    strip_view_[cell] = story_view(tab);
    strip_view_[cell]->setMinimumHeight(60);
    column->addWidget(strip_label_[cell]);
    column->addWidget(strip_view_[cell], 1);
  }
  return tab;
}

QWidget* BlendPage::build_history_tab() {
  auto* tab = new QWidget(this);
  auto* column = new QVBoxLayout(tab);
  history_model_ = new HistoryModel(this);
  history_view_ = new QTableView(tab);
  history_view_->setModel(history_model_);
  history_view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  history_view_->setSelectionMode(QAbstractItemView::SingleSelection);
  auto* header = history_view_->horizontalHeader();
  header->setStretchLastSection(true);
  header->setSectionResizeMode(HistoryModel::When, QHeaderView::ResizeToContents);
  header->setSectionResizeMode(HistoryModel::Seed, QHeaderView::ResizeToContents);
  header->resizeSection(HistoryModel::BlendColumn, 260);
  header->resizeSection(HistoryModel::Prompt, 160);
  history_view_->verticalHeader()->setVisible(false);
  history_view_->setWordWrap(false);
  auto* buttons = new QHBoxLayout;
  restore_button_ = new QPushButton(tr("Restore blend"), tab);
  restore_button_->setToolTip(tr("Set the sliders, prompt, settings and seed to the sample's"));
  regenerate_button_ = new QPushButton(tr("Regenerate"), tab);
  regenerate_button_->setToolTip(
      tr("Sample again from the stored blend spec and compare the text "
         "with the stored one"));
  auto selected_row = [this] {
    const auto rows = history_view_->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.first().row();
  };
  connect(restore_button_, &QPushButton::clicked, this, [this, selected_row] {
    if (selected_row() >= 0) restore_blend(selected_row());
  });
  connect(regenerate_button_, &QPushButton::clicked, this, [this, selected_row] {
    if (selected_row() >= 0) regenerate(selected_row());
  });
  connect(history_view_, &QTableView::doubleClicked, this,
          [this](const QModelIndex& index) { restore_blend(index.row()); });
  connect(history_view_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &BlendPage::update_buttons);
  buttons->addWidget(restore_button_);
  buttons->addWidget(regenerate_button_);
  buttons->addStretch(1);
  reproduce_label_ = new QLabel(tab);
  reproduce_label_->setObjectName("reproduce_label");
  regenerated_ = story_view(tab);
  regenerated_->setPlaceholderText(tr("Regenerated text appears here."));
  auto* splitter = new QSplitter(Qt::Vertical, tab);
  splitter->addWidget(history_view_);
  splitter->addWidget(regenerated_);
  splitter->setSizes({300, 160});
  column->addWidget(splitter, 1);
  column->addLayout(buttons);
  column->addWidget(reproduce_label_);
  return tab;
}

void BlendPage::connect_controller() {
  connect(controller_, &BlendController::base_loaded, this,
          [this](const QString& dir, const QString& summary) {
            base_ready_ = true;
            base_label_->setText(
                QString("<b>%1</b><br>%2")
                    .arg(QFileInfo(dir).fileName().toHtmlEscaped(), summary.toHtmlEscaped()));
            base_label_->setToolTip(dir);
            show_status(tr("Base model loaded."));
            // Every adapter is checked again against the new base.
            QVector<AdapterFacts> facts;
            for (auto* row : adapters_->rows()) {
              AdapterFacts again = read_adapter_facts(row->facts().dir);
              again.name = row->name();
              again.run_id = row->facts().run_id;
              again.run_label = row->facts().run_label;
              facts.push_back(again);
            }
            if (!facts.isEmpty()) controller_->check_adapters(facts);
            update_buttons();
            emit base_changed(true);
          });
  connect(controller_, &BlendController::base_failed, this,
          [this](const QString& dir, const QString& error) {
            base_ready_ = false;
            base_label_->setText(
                tr("<span style='color:#c03030'>Cannot load %1</span>").arg(dir.toHtmlEscaped()));
            show_status(error, true);
            // Rows waiting for this base would say "checking…" for ever.
            for (auto* row : adapters_->rows()) {
              if (!row->checking()) continue;
              AdapterFacts facts = row->facts();
              facts.compatible = false;
              facts.reason = tr("no base model is loaded");
              row->set_facts(facts);
            }
            update_strip_choices();
            emit base_changed(false);
          });
  connect(controller_, &BlendController::adapter_checked, this, [this](const AdapterFacts& facts) {
    if (auto* row = adapters_->row(facts.name)) {
      row->set_facts(facts);
      if (facts.compatible) controller_->set_live(facts.name, row->weight(), row->enabled());
    }
    update_strip_choices();
    update_buttons();
    const auto rows = adapters_->rows();
    if (std::none_of(rows.begin(), rows.end(), [](AdapterRow* row) { return row->checking(); }))
      emit adapters_checked();
  });
  connect(controller_, &BlendController::piece, this, &BlendPage::on_piece);
  connect(controller_, &BlendController::job_done, this, &BlendPage::on_job_done);
  connect(controller_, &BlendController::batch_finished, this, &BlendPage::on_batch_finished);
  connect(controller_, &BlendController::busy_changed, this, &BlendPage::update_buttons);
  connect(controller_, &BlendController::file_written, this,
          [this](const QString& what, const QString& dir, const QString& details,
                 const QString& error) {
            if (!error.isEmpty()) {
              show_status(tr("Could not write the %1: %2").arg(what, error), true);
            } else {
              show_status(tr("Wrote the %1 to %2 (%3).").arg(what, dir, details));
              if (what == tr("adapter")) add_adapter_folder(dir);
            }
            emit file_written(dir, error);
          });
}

void BlendPage::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (initialized_) return;
  initialized_ = true;
  if (model_dir_.isEmpty())
    set_model_dir(settings_.model_dir().isEmpty() ? bundled_model_dir() : settings_.model_dir());
  if (store_path_.isEmpty())
    set_store_path(settings_.store_path().isEmpty() ? QString::fromStdString(default_store_path())
                                                    : settings_.store_path());
  if (!settings_.blend_prompt().isEmpty()) prompt_->setText(settings_.blend_prompt());
  QStringList gone;
  for (const QString& dir : settings_.blend_adapter_dirs()) {
    if (QFileInfo::exists(dir + "/adapter_config.json"))
      add_adapter_folder(dir);
    else
      gone << dir;
  }
  if (!gone.isEmpty())
    show_status(tr("Adapter folders no longer there, left out: %1").arg(gone.join(", ")), true);
  remember_folders();
}

void BlendPage::remember_folders() {
  if (!initialized_) return;  // before the first show the saved list has not been read yet
  QStringList dirs;
  for (auto* row : adapters_->rows())
    if (!row->facts().run_id) dirs << row->facts().dir;
  settings_.set_blend_adapter_dirs(dirs);
}

void BlendPage::update_buttons() {
  const bool busy = controller_->busy();
  const bool ready = base_ready_;
  generate_->setEnabled(ready);
  stop_->setEnabled(busy);
  compare_button_->setEnabled(ready);
  strip_button_->setEnabled(ready && strip_x_->count() >= 2);
  const Blend blend = current_blend();
  const bool any_enabled =
      std::any_of(blend.begin(), blend.end(), [](const BlendEntry& e) { return e.enabled; });
  save_blend_->setEnabled(any_enabled);
  export_merged_->setEnabled(ready);
  const bool selected = history_view_ && history_view_->selectionModel()->hasSelection();
  regenerate_button_->setEnabled(ready && selected);
  restore_button_->setEnabled(selected);
}

void BlendPage::show_status(const QString& text, bool error) {
  status_->setText(text);
  status_->setStyleSheet(error ? "color: #c03030;" : QString());
}

QString BlendPage::status_text() const { return status_->text(); }
QString BlendPage::stats_text() const { return stats_->text(); }
namespace {

// The views show the prompt in bold before the generated text; these return the generated text.
QString generated_part(const QPlainTextEdit* view) {
  return view->toPlainText().mid(view->property("prompt_chars").toInt());
}

}  // namespace

void begin_story_view(QPlainTextEdit* view, const QString& prompt) {
  view->clear();
  QTextCursor cursor(view->document());
  QTextCharFormat bold;
  bold.setFontWeight(QFont::Bold);
  cursor.insertText(prompt, bold);
  cursor.setCharFormat(QTextCharFormat());
  view->setTextCursor(cursor);
  view->setCurrentCharFormat(QTextCharFormat());
  view->setProperty("prompt_chars", int(view->toPlainText().size()));
}

QString BlendPage::story_text() const { return generated_part(story_); }
QString BlendPage::compare_text(int side) const { return generated_part(compare_view_[side]); }
QString BlendPage::strip_text(int cell) const { return generated_part(strip_view_[cell]); }
QString BlendPage::regenerated_text() const { return generated_part(regenerated_); }

void BlendPage::choose_base() {
  const QString dir = QFileDialog::getExistingDirectory(
      this, tr("Base model folder (config.json, model.safetensors, tokenizer.json)"), model_dir_);
  if (!dir.isEmpty()) set_model_dir(dir);
}

void BlendPage::choose_folder() {
  const QString dir = QFileDialog::getExistingDirectory(
      this, tr("PEFT adapter folder (adapter_config.json, adapter_model.safetensors)"),
      settings_.output_root());
  if (!dir.isEmpty()) add_adapter_folder(dir);
}

}  // namespace loralab::ui
