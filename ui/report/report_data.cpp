// CSV (runs, metrics) and JSON exports of a report's content; see report_writers.h.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include "ui/report/rerun_command.h"
#include "ui/report/report_writers.h"

namespace loralab::ui {
namespace {

QString q(const std::string& text) { return QString::fromStdString(text); }

// RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled. Numbers
// are written so that they read back exactly.
QString csv_field(const QString& text) {
  bool quote = !text.isEmpty() && (text.front() == ' ' || text.back() == ' ');
  for (QChar c : text)
    if (c == '"' || c == ',' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  if (!quote) return text;
  QString quoted = text;
  quoted.replace("\"", "\"\"");
  return "\"" + quoted + "\"";
}
QString csv(const std::optional<double>& v) { return v ? exact_number(*v) : QString(); }
QString csv(const std::optional<int64_t>& v) { return v ? QString::number(*v) : QString(); }

class CsvWriter {
 public:
  void row(const QStringList& fields) {
    QStringList escaped;
    for (const auto& f : fields) escaped << csv_field(f);
    text_ += escaped.join(',') + "\r\n";
  }
  QByteArray bytes() const { return text_.toUtf8(); }

 private:
  QString text_;
};

QJsonValue json(const std::optional<double>& v) { return v ? QJsonValue(*v) : QJsonValue(); }
QJsonValue json(const std::optional<int64_t>& v) {
  return v ? QJsonValue(qint64(*v)) : QJsonValue();
}
QJsonValue json(const std::string& s) { return s.empty() ? QJsonValue() : QJsonValue(q(s)); }

QJsonArray ids_json(const QVector<int64_t>& ids) {
  QJsonArray out;
  for (int64_t id : ids) out.append(qint64(id));
  return out;
}

QJsonObject sample_json(const SampleRecord& s) {
  QJsonObject o{{"id", qint64(s.id)},   {"run_id", json(s.run_id)}, {"prompt", q(s.prompt)},
                {"seed", json(s.seed)}, {"text", q(s.text)},        {"created_at", s.created_at}};
  o["settings"] = QJsonDocument::fromJson(QByteArray::fromStdString(s.settings_json)).object();
  if (!s.blend_json.empty())
    o["blend"] = QJsonDocument::fromJson(QByteArray::fromStdString(s.blend_json)).object();
  return o;
}

QJsonObject run_json(const ReportRun& run, bool with_metrics) {
  const RunRecord& r = run.record;
  QJsonArray tags;
  for (const auto& t : r.tags) tags.append(q(t));
  QJsonObject o{{"id", qint64(r.id)},
                {"name", q(r.name)},
                {"status", run_status_name(r.status)},
                {"sweep_id", json(r.sweep_id)},
                {"created_at", r.created_at},
                {"started_at", json(r.started_at)},
                {"finished_at", json(r.finished_at)},
                {"base_model_path", json(r.base_model_path)},
                {"base_model_hash", json(r.base_model_hash)},
                {"dataset_path", json(r.dataset_path)},
                {"dataset_fingerprint", json(r.dataset_fingerprint)},
                {"config_hash", json(r.config_hash)},
                {"rank", json(r.config.rank)},
                {"alpha", json(r.config.alpha)},
                {"targets", json(r.config.targets)},
                {"lr", json(r.config.lr)},
                {"dropout", json(r.config.dropout)},
                {"seed", json(r.config.seed)},
                {"precision", json(r.config.precision)},
                {"steps", json(r.config.steps)},
                {"trainable_params", json(r.trainable_params)},
                {"total_params", json(r.total_params)},
                {"best_val_loss", json(r.best_val_loss)},
                {"best_val_step", json(r.best_val_step)},
                {"final_train_loss", json(r.final_train_loss)},
                {"tokens_per_second", json(r.tokens_per_second)},
                {"peak_rss_bytes", json(r.peak_rss_bytes)},
                {"adapter_path", json(r.adapter_path)},
                {"adapter_bytes", json(run.adapter_bytes)},
                {"error_message", json(r.error_message)},
                {"owner_host", json(r.owner_host)},
                {"tags", tags},
                {"notes", json(r.notes)}};
  const QJsonDocument config = QJsonDocument::fromJson(QByteArray::fromStdString(r.config_json));
  o["config"] = config.isObject() ? QJsonValue(config.object()) : QJsonValue(q(r.config_json));
  QJsonArray caveats;
  for (const auto& c : run.rerun.caveats) caveats.append(c);
  o["rerun"] = QJsonObject{
      {"command", run.rerun.command.isEmpty() ? QJsonValue() : QJsonValue(run.rerun.command)},
      {"arguments", QJsonArray::fromStringList(run.rerun.arguments)},
      {"caveats", caveats}};
  QJsonArray samples;
  for (const auto& s : run.samples)
    if (s.blend_json.empty()) samples.append(sample_json(s));
  o["samples"] = samples;
  if (with_metrics) {
    QJsonArray metrics;
    for (const MetricRow& m : run.metrics)
      metrics.append(QJsonObject{{"step", qint64(m.step)},
                                 {"tokens_seen", json(m.tokens_seen)},
                                 {"wall_time", json(m.wall_time)},
                                 {"train_loss", json(m.train_loss)},
                                 {"val_loss", json(m.val_loss)},
                                 {"lr", json(m.lr)},
                                 {"grad_norm", json(m.grad_norm)},
                                 {"tokens_per_second", json(m.tokens_per_second)}});
    o["metrics"] = metrics;
  }
  return o;
}

}  // namespace

QByteArray runs_csv(const ReportContent& content) {
  CsvWriter w;
  w.row({"id",
         "name",
         "status",
         "sweep_id",
         "rank",
         "alpha",
         "targets",
         "lr",
         "dropout",
         "seed",
         "precision",
         "steps",
         "trainable_params",
         "total_params",
         "best_val_loss",
         "best_val_step",
         "final_train_loss",
         "tokens_per_second",
         "peak_rss_bytes",
         "adapter_bytes",
         "base_model_path",
         "base_model_hash",
         "dataset_path",
         "dataset_fingerprint",
         "config_hash",
         "adapter_path",
         "tags",
         "notes",
         "created_at",
         "started_at",
         "finished_at",
         "rerun_command"});
  for (const auto& run : content.runs) {
    const RunRecord& r = run.record;
    QStringList tags;
    for (const auto& t : r.tags) tags << q(t);
    w.row({QString::number(r.id),
           q(r.name),
           run_status_name(r.status),
           csv(r.sweep_id),
           csv(r.config.rank),
           csv(r.config.alpha),
           q(r.config.targets),
           csv(r.config.lr),
           csv(r.config.dropout),
           csv(r.config.seed),
           q(r.config.precision),
           csv(r.config.steps),
           csv(r.trainable_params),
           csv(r.total_params),
           csv(r.best_val_loss),
           csv(r.best_val_step),
           csv(r.final_train_loss),
           csv(r.tokens_per_second),
           csv(r.peak_rss_bytes),
           csv(run.adapter_bytes),
           q(r.base_model_path),
           q(r.base_model_hash),
           q(r.dataset_path),
           q(r.dataset_fingerprint),
           q(r.config_hash),
           q(r.adapter_path),
           tags.join(';'),
           q(r.notes),
           exact_number(r.created_at),
           csv(r.started_at),
           csv(r.finished_at),
           run.rerun.command});
  }
  return w.bytes();
}

QByteArray metrics_csv(const ReportContent& content) {
  // Numbers only (no field needs quoting): written straight into one buffer, as a sweep's rows
  // run into the hundreds of thousands.
  std::string out =
      "run_id,step,tokens_seen,wall_time,train_loss,val_loss,lr,grad_norm,"
      "tokens_per_second\r\n";
  auto add = [&out](const std::optional<double>& v) {
    out += ',';
    if (v) append_exact_number(out, *v);
  };
  for (const auto& run : content.runs) {
    const std::string id = std::to_string(run.record.id);
    for (const MetricRow& m : run.metrics) {
      out += id;
      out += ',';
      out += std::to_string(m.step);
      out += ',';
      if (m.tokens_seen) out += std::to_string(*m.tokens_seen);
      add(m.wall_time);
      add(m.train_loss);
      add(m.val_loss);
      add(m.lr);
      add(m.grad_norm);
      add(m.tokens_per_second);
      out += "\r\n";
    }
  }
  return QByteArray::fromStdString(out);
}

QByteArray report_json(const ReportContent& content) {
  const auto& e = content.environment;
  QJsonObject root{{"title", content.title},
                   {"subtitle", content.subtitle},
                   {"generated_at", content.generated_at.toString(Qt::ISODate)},
                   {"store", content.store_path},
                   {"environment", QJsonObject{{"cpu", e.cpu},
                                               {"cores", e.cores},
                                               {"threads", e.threads},
                                               {"libtorch", e.libtorch},
                                               {"qt", e.qt},
                                               {"blas", e.blas},
                                               {"engine", e.engine},
                                               {"os", e.os},
                                               {"host", e.host}}}};
  if (content.sweep)
    root["sweep"] = QJsonObject{{"id", qint64(content.sweep->id)},
                                {"name", q(content.sweep->name)},
                                {"grid", q(content.sweep->grid)},
                                {"search", q(content.sweep->search)}};
  QJsonArray models, datasets, runs, grids, pareto, strips;
  for (const auto& m : content.models)
    models.append(QJsonObject{{"path", m.path}, {"hash", m.hash}, {"runs", ids_json(m.run_ids)}});
  for (const auto& d : content.datasets)
    datasets.append(QJsonObject{
        {"role", d.role},
        {"path", d.path},
        {"fingerprint", d.fingerprint.isEmpty() ? QJsonValue() : QJsonValue(d.fingerprint)},
        {"runs", ids_json(d.run_ids)}});
  bool with_metrics = false;
  for (const auto& run : content.runs) with_metrics = with_metrics || !run.metrics.empty();
  for (const auto& run : content.runs) runs.append(run_json(run, with_metrics));
  for (const auto& grid : content.grids) {
    QJsonArray cells;
    for (const auto& c : grid.cells)
      cells.append(QJsonObject{{"rank", qint64(c.rank)},
                               {"alpha", c.alpha},
                               {"best_val_loss", c.best_val_loss},
                               {"best_run_id", qint64(c.best_run_id)},
                               {"runs", qint64(c.runs)}});
    grids.append(QJsonObject{{"targets", grid.targets}, {"cells", cells}});
  }
  for (const auto& p : content.points) {
    const bool front = std::find(content.pareto_front.begin(), content.pareto_front.end(),
                                 p.run_id) != content.pareto_front.end();
    pareto.append(QJsonObject{{"run_id", qint64(p.run_id)},
                              {"trainable_params", qint64(p.trainable_params)},
                              {"best_val_loss", p.best_val_loss},
                              {"on_front", front}});
  }
  for (const auto& strip : content.blend_strips) {
    QJsonArray samples;
    for (const auto& s : strip.samples) samples.append(sample_json(s.record));
    strips.append(QJsonObject{{"prompt", strip.prompt},
                              {"seed", json(strip.seed)},
                              {"adapters", QJsonArray::fromStringList(strip.adapter_labels)},
                              {"samples", samples}});
  }
  root["models"] = models;
  root["datasets"] = datasets;
  root["runs"] = runs;
  root["rank_alpha"] = grids;
  root["pareto"] = pareto;
  root["blend_strips"] = strips;
  return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

}  // namespace loralab::ui
