// ReportContent → blocks and figures; see report_document.h.
#include "ui/report/report_document.h"

#include <QBuffer>
#include <QLocale>
#include <algorithm>
#include <cmath>
#include <map>
#include <qcustomplot.h>

#include "ui/plots/plot_data.h"
#include "ui/plots/run_plots.h"
#include "ui/report/rerun_command.h"
#include "ui/train/accounting_view.h"

namespace loralab::ui {
namespace {

// Figures are laid out at this logical size and rendered at kFigureScale: 2250 px wide, ~330 dpi
// across the 170 mm text width of an A4 page.
constexpr int kFigureWidth = 900;
constexpr int kFigureHeight = 480;
constexpr double kFigureScale = 2.5;
// The scale of the document being built (build_report_document's argument); figures are drawn on
// the GUI thread only, one document at a time.
thread_local double figure_scale = kFigureScale;

QString q(const std::string& text) { return QString::fromStdString(text); }

QString opt_int(const std::optional<int64_t>& value) {
  return value ? QString::number(*value) : QString("–");
}
QString opt_num(const std::optional<double>& value, int precision = 4) {
  return value ? QString::number(*value, 'g', precision) : QString("–");
}
QString time_text(double seconds) {
  return QDateTime::fromMSecsSinceEpoch(qint64(seconds * 1000), QTimeZone::utc())
      .toString("yyyy-MM-dd HH:mm 'UTC'");
}

ReportFigure render(QCustomPlot& plot, const QString& name, const QString& caption) {
  ReportFigure figure;
  figure.name = name;
  figure.caption = caption;
  figure.image = plot.toPixmap(kFigureWidth, kFigureHeight, figure_scale).toImage();
  QBuffer buffer(&figure.png);
  buffer.open(QIODevice::WriteOnly);
  figure.image.save(&buffer, "PNG");
  return figure;
}

void add_curve_figures(const ReportContent& content, std::vector<ReportFigure>& figures) {
  std::vector<RunRecord> records;
  for (const auto& run : content.runs) records.push_back(run.record);
  // Up to ten runs get a colour each; a bigger sweep is coloured by rank so it stays readable.
  const QString color_by = records.size() > 10 ? "rank" : QString();
  const auto curves =
      plots::curve_runs(records, content.train_curves, content.val_curves, color_by);
  const bool any_train = std::any_of(curves.begin(), curves.end(),
                                     [](const plots::CurveRun& c) { return !c.train_y.isEmpty(); });
  const bool any_val = std::any_of(curves.begin(), curves.end(),
                                   [](const plots::CurveRun& c) { return !c.val_y.isEmpty(); });
  QCustomPlot plot;
  plot.resize(kFigureWidth, kFigureHeight);
  if (any_train) {
    plots::CurveOptions options;
    options.smoothing = 0.6;
    options.show_validation = false;
    options.color_by = color_by;
    plots::draw_curves(&plot, curves, options);
    figures.push_back(render(
        plot, "train-loss", "Training loss by step, EMA-smoothed (weight 0.6), one line per run."));
  }
  if (any_val) {
    plots::CurveOptions options;
    options.show_train = false;
    options.color_by = color_by;
    plots::draw_curves(&plot, curves, options);
    figures.push_back(
        render(plot, "validation-loss", "Validation loss at each evaluation, one line per run."));
  }
}

QString kv_list(const QVector<int64_t>& ids) {
  QStringList parts;
  for (int64_t id : ids) parts << QString("#%1").arg(id);
  return parts.join(", ");
}

ReportBlock heading(int level, const QString& text, const QString& anchor) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Heading;
  b.level = level;
  b.text = text;
  b.anchor = anchor;
  return b;
}
ReportBlock paragraph(const QString& text, bool small = false) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Paragraph;
  b.text = text;
  b.small = small;
  return b;
}
ReportBlock key_values(std::vector<QStringList> pairs) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::KeyValues;
  b.rows = std::move(pairs);
  return b;
}
ReportBlock table(QStringList header, std::vector<bool> numeric, const QString& caption = {}) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Table;
  b.header = std::move(header);
  b.numeric = std::move(numeric);
  b.text = caption;
  return b;
}
ReportBlock figure_block(int index) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Figure;
  b.figure = index;
  return b;
}

class Builder {
 public:
  Builder(const ReportContent& content, ReportDocument& doc) : c_(content), doc_(doc) {}

  void build() {
    doc_.title = c_.title;
    add(heading(1, c_.title, "top"));
    add(paragraph(c_.subtitle));
    add(paragraph(QString("Generated %1 from the experiment store %2.")
                      .arg(c_.generated_at.toString("yyyy-MM-dd HH:mm:ss 'UTC'"), c_.store_path),
                  true));
    summary();
    environment();
    provenance();
    runs_table();
    curves();
    grids();
    pareto();
    accounting();
    samples();
    blend_strips();
    reproducibility();
  }

 private:
  void add(ReportBlock block) { doc_.blocks.push_back(std::move(block)); }
  int add_figure(ReportFigure figure) {
    doc_.figures.push_back(std::move(figure));
    return int(doc_.figures.size()) - 1;
  }

  void summary() {
    add(heading(2, "Summary", "summary"));
    std::map<std::string, int> statuses;
    const ReportRun* best = nullptr;
    for (const auto& run : c_.runs) {
      ++statuses[run_status_name(run.record.status)];
      if (run.record.best_val_loss &&
          (!best || *run.record.best_val_loss < *best->record.best_val_loss))
        best = &run;
    }
    QStringList status_text;
    for (const auto& [name, count] : statuses)
      status_text << QString("%1 %2").arg(count).arg(q(name));
    std::vector<QStringList> pairs{{"Runs", QString::number(c_.runs.size())},
                                   {"Status", status_text.join(", ")}};
    if (c_.sweep)
      pairs.push_back(
          {"Sweep", QString("#%1 %2 (%3 search, grid %4)")
                        .arg(c_.sweep->id)
                        .arg(q(c_.sweep->name), q(c_.sweep->search), q(c_.sweep->grid))});
    if (best)
      pairs.push_back({"Best validation loss", QString("%1 by %2 at step %3")
                                                   .arg(format_loss(best->record.best_val_loss),
                                                        c_.run_label(best->record.id),
                                                        opt_int(best->record.best_val_step))});
    if (!c_.pareto_front.empty()) {
      QStringList front;
      for (int64_t id : c_.pareto_front) front << QString("#%1").arg(id);
      pairs.push_back({"Pareto front (params vs loss)", front.join(", ")});
    }
    pairs.push_back({"Samples", QString::number(c_.sample_count())});
    add(key_values(std::move(pairs)));
  }

  void environment() {
    add(heading(2, "Environment", "environment"));
    add(
        paragraph("The machine this report was generated on; each run's own host is in the run "
                  "table's JSON and CSV exports.",
                  true));
    const auto& e = c_.environment;
    add(key_values({{"CPU", QString("%1 (%2 cores)").arg(e.cpu).arg(e.cores)},
                    {"LibTorch threads", QString::number(e.threads)},
                    {"LibTorch", e.libtorch},
                    {"Qt", e.qt},
                    {"BLAS", e.blas},
                    {"LoRA Lab engine", e.engine},
                    {"System", e.os},
                    {"Host", e.host}}));
  }

  void provenance() {
    add(heading(2, "Base models and datasets", "provenance"));
    ReportBlock t =
        table({"Role", "Path", "SHA-256 / fingerprint", "Runs"}, {false, false, false, false});
    for (const auto& m : c_.models)
      t.rows.push_back({"base model", m.path, m.hash.isEmpty() ? "–" : m.hash, kv_list(m.run_ids)});
    for (const auto& d : c_.datasets)
      t.rows.push_back({d.role + " set", d.path, d.fingerprint.isEmpty() ? "–" : d.fingerprint,
                        kv_list(d.run_ids)});
    add(std::move(t));
  }

  void runs_table() {
    add(heading(2, "Runs", "runs"));
    ReportBlock t =
        table({"ID", "Name", "Status", "Rank", "Alpha", "Targets", "LR", "Steps", "Best val (step)",
               "Final train", "Trainable", "Tokens/s"},
              {true, false, false, true, true, false, true, true, true, true, true, true});
    for (const auto& run : c_.runs) {
      const RunRecord& r = run.record;
      QString best = format_loss(r.best_val_loss);
      if (r.best_val_step) best += QString(" (%1)").arg(*r.best_val_step);
      t.rows.push_back({QString::number(r.id), q(r.name), q(run_status_name(r.status)),
                        opt_int(r.config.rank), opt_num(r.config.alpha),
                        r.config.targets.empty() ? "–" : q(r.config.targets), opt_num(r.config.lr),
                        opt_int(r.config.steps), best, format_loss(r.final_train_loss),
                        r.trainable_params ? compact_count(*r.trainable_params) : "–",
                        r.tokens_per_second ? QString::number(*r.tokens_per_second, 'f', 0) : "–"});
    }
    add(std::move(t));
    ReportBlock notes = table({"ID", "Tags", "Notes", "Error"}, {true, false, false, false},
                              "Tags, notes and errors");
    for (const auto& run : c_.runs) {
      const RunRecord& r = run.record;
      if (r.tags.empty() && r.notes.empty() && r.error_message.empty()) continue;
      QStringList tags;
      for (const auto& tag : r.tags) tags << q(tag);
      notes.rows.push_back(
          {QString::number(r.id), tags.join(", "), q(r.notes), q(r.error_message)});
    }
    if (!notes.rows.empty()) add(std::move(notes));
  }

  void curves() {
    add(heading(2, "Loss curves", "curves"));
    std::vector<ReportFigure> figures;
    add_curve_figures(c_, figures);
    if (figures.empty()) {
      add(paragraph("No run has recorded metrics yet."));
      return;
    }
    for (auto& f : figures) add(figure_block(add_figure(std::move(f))));
  }

  void grids() {
    add(heading(2, "Rank × alpha", "rank-alpha"));
    if (c_.grids.empty()) {
      add(paragraph("No run has a rank, an alpha and a validation loss, so there is no grid."));
      return;
    }
    QCustomPlot plot;
    plot.resize(kFigureWidth, kFigureHeight);
    // A target set tried at one (rank, alpha) only has nothing to map: it goes into a table.
    ReportBlock single =
        table({"Targets", "Rank", "Alpha", "Best val loss", "Run"},
              {false, true, true, true, false}, "Target sets tried at a single rank and alpha");
    for (const auto& grid : c_.grids) {
      if (grid.cells.size() == 1) {
        const RankAlphaCell& cell = grid.cells.front();
        single.rows.push_back({grid.targets.isEmpty() ? QString("–") : grid.targets,
                               QString::number(cell.rank), QString::number(cell.alpha, 'g', 6),
                               format_loss(cell.best_val_loss), c_.run_label(cell.best_run_id)});
        continue;
      }
      plots::HeatmapOptions options;
      options.title = "targets: " + (grid.targets.isEmpty() ? QString("–") : grid.targets);
      plots::draw_rank_alpha_heatmap(&plot, plots::heatmap_cells(grid.cells), options);
      QString slug = grid.targets;
      slug.replace(QRegularExpression("[^A-Za-z0-9]+"), "-");
      add(figure_block(add_figure(
          render(plot, "rank-alpha-" + slug,
                 QString("Best validation loss per rank (x) and alpha (y) for target set %1; "
                         "lower is better, empty cells have no run.")
                     .arg(grid.targets.isEmpty() ? QString("–") : grid.targets)))));
    }
    if (!single.rows.empty()) add(std::move(single));
  }

  void pareto() {
    add(heading(2, "Pareto front", "pareto"));
    if (c_.points.empty()) {
      add(paragraph("No run has both a trainable parameter count and a validation loss."));
      return;
    }
    std::vector<plots::ParetoRun> runs;
    for (const auto& p : c_.points) {
      const bool front = std::find(c_.pareto_front.begin(), c_.pareto_front.end(), p.run_id) !=
                         c_.pareto_front.end();
      runs.push_back({p.run_id, q(p.name), double(p.trainable_params), p.best_val_loss, front});
    }
    QCustomPlot plot;
    plot.resize(kFigureWidth, kFigureHeight);
    plots::draw_pareto(&plot, runs, plots::ParetoOptions{});
    add(figure_block(add_figure(render(
        plot, "pareto",
        "Trainable parameters (log scale) against best validation loss; the front joins the runs "
        "no other run beats on both."))));
    ReportBlock t = table({"ID", "Name", "Trainable params", "Best val loss"},
                          {true, false, true, true}, "Runs on the front, by ascending parameters");
    for (int64_t id : c_.pareto_front)
      for (const auto& p : c_.points)
        if (p.run_id == id)
          t.rows.push_back({QString::number(id), q(p.name),
                            QLocale::c().toString(qlonglong(p.trainable_params)),
                            format_loss(p.best_val_loss)});
    add(std::move(t));
  }

  void accounting() {
    add(heading(2, "Parameter accounting", "accounting"));
    ReportBlock t = table(
        {"ID", "Name", "Rank", "Targets", "Trainable", "Total", "Trainable %", "Adapter file"},
        {true, false, true, false, true, true, true, true});
    for (const auto& run : c_.runs) {
      const RunRecord& r = run.record;
      QString share = "–";
      if (r.trainable_params && r.total_params && *r.total_params > 0)
        share =
            QString::number(100.0 * double(*r.trainable_params) / double(*r.total_params), 'f', 3);
      t.rows.push_back(
          {QString::number(r.id), q(r.name), opt_int(r.config.rank),
           r.config.targets.empty() ? "–" : q(r.config.targets),
           r.trainable_params ? QLocale::c().toString(qlonglong(*r.trainable_params)) : "–",
           r.total_params ? QLocale::c().toString(qlonglong(*r.total_params)) : "–", share,
           run.adapter_bytes ? format_bytes(*run.adapter_bytes) : "–"});
    }
    add(std::move(t));
    add(
        paragraph("Trainable counts the LoRA A and B matrices (every weight for a full fine-tune); "
                  "Total is the base model plus the adapter. The adapter file is "
                  "adapter_model.safetensors in the run's output folder, when it still exists.",
                  true));
  }

  void samples() {
    add(heading(2, "Sample stories", "samples"));
    int shown = 0;
    for (const auto& run : c_.runs)
      for (const auto& s : run.samples) {
        if (!s.blend_json.empty()) continue;  // shown with the blend strips
        ReportBlock b;
        b.kind = ReportBlock::Kind::Sample;
        QString title = c_.run_label(run.record.id);
        if (s.seed) title += QString(" · seed %1").arg(*s.seed);
        title += " · prompt: " + q(s.prompt);
        b.title = title;
        b.text = q(s.text);
        add(std::move(b));
        ++shown;
      }
    if (shown == 0) add(paragraph("No samples are stored for these runs."));
  }

  void blend_strips() {
    if (c_.blend_strips.empty()) return;
    add(heading(2, "Blend strips", "blends"));
    add(
        paragraph("Stories sampled from the base model with several adapters at once; each strip "
                  "keeps the prompt and seed and changes the adapter weights (λ).",
                  true));
    int index = 0;
    for (const auto& strip : c_.blend_strips) {
      ++index;
      QString title = QString("Blend %1: %2").arg(index).arg(strip.adapter_labels.join(" + "));
      if (strip.seed) title += QString(" · seed %1").arg(*strip.seed);
      add(heading(3, title, QString("blend-%1").arg(index)));
      add(paragraph("Prompt: " + strip.prompt));
      QStringList header;
      std::vector<bool> numeric;
      for (const auto& label : strip.adapter_labels) {
        header << "λ " + label;
        numeric.push_back(true);
      }
      header << "Story";
      numeric.push_back(false);
      ReportBlock t = table(header, numeric);
      for (const auto& sample : strip.samples) {
        QStringList row;
        for (int i = 0; i < strip.adapter_labels.size(); ++i)
          row << (size_t(i) < sample.adapters.size()
                      ? QString::number(sample.adapters[i].weight, 'g', 3)
                      : QString("–"));
        row << q(sample.record.text);
        t.rows.push_back(row);
      }
      add(std::move(t));
    }
  }

  void reproducibility() {
    add(heading(2, "Reproducibility", "reproducibility"));
    add(
        paragraph("Each run's configuration hash (the training config, keys sorted), its base "
                  "model and dataset hashes, and the exact command that trains it again. The "
                  "commands record the rerun in the same store; change --out to keep the "
                  "original adapter."));
    ReportBlock t = table({"ID", "Name", "Config hash", "Base model hash", "Dataset fingerprint"},
                          {true, false, false, false, false});
    for (const auto& run : c_.runs) {
      const RunRecord& r = run.record;
      t.rows.push_back({QString::number(r.id), q(r.name),
                        r.config_hash.empty() ? "–" : q(r.config_hash),
                        r.base_model_hash.empty() ? "–" : q(r.base_model_hash),
                        r.dataset_fingerprint.empty() ? "–" : q(r.dataset_fingerprint)});
    }
    add(std::move(t));
    for (const auto& run : c_.runs) {
      ReportBlock b;
      b.kind = ReportBlock::Kind::Command;
      b.title = c_.run_label(run.record.id);
      if (run.record.started_at) b.title += " · trained " + time_text(*run.record.started_at);
      b.text = run.rerun.command;
      if (b.text.isEmpty()) b.text = "(no command: see below)";
      add(std::move(b));
      for (const auto& caveat : run.rerun.caveats) add(paragraph("Note: " + caveat, true));
    }
  }

  const ReportContent& c_;
  ReportDocument& doc_;
};

}  // namespace

QString compact_count(int64_t value) {
  const double v = double(value);
  if (std::abs(v) >= 1e9) return QString::number(v / 1e9, 'f', 2) + "G";
  if (std::abs(v) >= 1e6) return QString::number(v / 1e6, 'f', 2) + "M";
  if (std::abs(v) >= 1e4) return QString::number(v / 1e3, 'f', 1) + "k";
  return QString::number(value);
}

QString format_loss(const std::optional<double>& loss) {
  return loss ? QString::number(*loss, 'f', 4) : QString("–");
}

ReportDocument build_report_document(const ReportContent& content, FigureResolution resolution) {
  figure_scale = resolution == FigureResolution::Print ? kFigureScale : 1.0;
  ReportDocument doc;
  Builder(content, doc).build();
  return doc;
}

}  // namespace loralab::ui
