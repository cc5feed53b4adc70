// Gathering a report's content from the store; see report_content.h.
#include "ui/report/report_content.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSysInfo>
#include <algorithm>
#include <dlfcn.h>
#include <map>
#include <set>

#include "loralab/error.h"
#include "loralab/hash.h"
#include "loralab/runtime.h"
#include "loralab/blend_history.h"
#include "ui/report/rerun_command.h"

namespace loralab::ui {
namespace {

constexpr int64_t kCurvePoints = 400;  // per run; enough for a print-width plot
constexpr int64_t kMaxBlendSamples = 2000;

QString q(const std::string& text) { return QString::fromStdString(text); }

QString cpu_model() {
  QFile file("/proc/cpuinfo");
  if (!file.open(QIODevice::ReadOnly)) return QSysInfo::currentCpuArchitecture();
  for (const QByteArray& line : file.readAll().split('\n'))
    if (line.startsWith("model name"))
      return QString::fromUtf8(line.mid(line.indexOf(':') + 1)).trimmed();
  return QSysInfo::currentCpuArchitecture();
}

// OpenBLAS's own description ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"),
// looked up at run time: LibTorch loads it through the libblas alternative, so no header is needed.
QString blas_description() {
  using GetConfig = const char* (*)();
  auto get_config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  QString text = get_config ? QString::fromLatin1(get_config()).trimmed() : QString();
  const QString core = q(blas_core_name());
  if (text.isEmpty()) return core.isEmpty() ? "not OpenBLAS (reference or other BLAS)" : core;
  if (!core.isEmpty() && !text.contains(core)) text += ", kernels " + core;
  return text;
}

// The store keeps no fingerprint of validation and reference sets: the SHA-256 of the file as it
// is now, marked so, when it is a file that still exists (once per path).
QString file_hash(const QString& path) {
  static thread_local std::map<QString, QString> cache;
  if (auto it = cache.find(path); it != cache.end()) return it->second;
  QString hash;
  if (QFileInfo(path).isFile()) {
    try {
      hash = q(sha256_file(path.toStdString())) + " (SHA-256 of the file at report time)";
    } catch (const Error&) {
    }
  }
  return cache[path] = hash;
}

std::optional<int64_t> file_size(const QString& path) {
  QFileInfo info(path);
  if (!info.isFile()) return std::nullopt;
  return info.size();
}

// Blend spec as the playground stores it: {"base": dir, "adapters": [{"name", "dir", "run",
// "weight", "enabled"}, ...]}. Unknown shapes give no adapters (the sample still shows).
std::vector<BlendAdapter> parse_blend(const std::string& json, const ReportContent& content) {
  std::vector<BlendAdapter> adapters;
  const QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
  for (const QJsonValue& value : root.value("adapters").toArray()) {
    const QJsonObject item = value.toObject();
    BlendAdapter adapter;
    adapter.weight = item.value("weight").toDouble(1.0);
    if (item.value("enabled").toBool(true) == false) adapter.weight = 0;  // off: no effect
    if (item.contains("run") && item.value("run").isDouble()) {
      adapter.run_id = item.value("run").toInteger();
      adapter.label = content.run_label(*adapter.run_id);
    } else {
      adapter.label = item.value("name").toString(item.value("dir").toString("adapter"));
    }
    adapters.push_back(adapter);
  }
  return adapters;
}

void add_blend_strips(const ExperimentStore& store, ReportContent& content) {
  std::set<int64_t> selected;
  for (const auto& run : content.runs) selected.insert(run.record.id);
  std::map<QString, BlendStrip> strips;  // key: prompt, seed and adapter labels
  auto samples = blend_samples(store.path(), kMaxBlendSamples);
  std::reverse(samples.begin(), samples.end());  // oldest first
  for (const SampleRecord& sample : samples) {
    BlendSample blend{sample, parse_blend(sample.blend_json, content)};
    const bool uses_selected =
        std::any_of(blend.adapters.begin(), blend.adapters.end(),
                    [&](const BlendAdapter& a) { return a.run_id && selected.count(*a.run_id); }) ||
        (sample.run_id && selected.count(*sample.run_id));
    if (!uses_selected) continue;
    QStringList labels;
    for (const auto& adapter : blend.adapters) labels << adapter.label;
    const QString key = q(sample.prompt) + '\x1f' +
                        (sample.seed ? QString::number(*sample.seed) : "-") + '\x1f' +
                        labels.join('\x1e');
    BlendStrip& strip = strips[key];
    strip.prompt = q(sample.prompt);
    strip.seed = sample.seed;
    strip.adapter_labels = labels;
    strip.samples.push_back(blend);
  }
  for (auto& [key, strip] : strips) {
    std::stable_sort(strip.samples.begin(), strip.samples.end(),
                     [](const BlendSample& a, const BlendSample& b) {
                       const double wa = a.adapters.empty() ? 0 : a.adapters.front().weight;
                       const double wb = b.adapters.empty() ? 0 : b.adapters.front().weight;
                       return wa < wb;
                     });
    content.blend_strips.push_back(std::move(strip));
  }
}

void add_models_and_datasets(ReportContent& content) {
  for (const auto& run : content.runs) {
    const RunRecord& r = run.record;
    if (!r.base_model_path.empty() || !r.base_model_hash.empty()) {
      auto it =
          std::find_if(content.models.begin(), content.models.end(), [&](const ReportModel& m) {
            return m.path == q(r.base_model_path) && m.hash == q(r.base_model_hash);
          });
      if (it == content.models.end())
        it = content.models.insert(content.models.end(),
                                   {q(r.base_model_path), q(r.base_model_hash), {}});
      it->run_ids << r.id;
    }
    auto add_set = [&](const QString& role, const QString& path, const QString& fingerprint) {
      if (path.isEmpty()) return;
      auto it = std::find_if(
          content.datasets.begin(), content.datasets.end(), [&](const ReportDataset& d) {
            return d.role == role && d.path == path && d.fingerprint == fingerprint;
          });
      if (it == content.datasets.end())
        it = content.datasets.insert(content.datasets.end(), {role, path, fingerprint, {}});
      it->run_ids << r.id;
    };
    add_set("train", q(r.dataset_path), q(r.dataset_fingerprint));
    const QJsonObject config =
        QJsonDocument::fromJson(QByteArray::fromStdString(r.config_json)).object();
    for (const auto& [role, key] :
         {std::pair{"validation", "validation"}, {"reference", "reference"}}) {
      const QJsonObject set = config.value(key).toObject();
      if (!set.isEmpty())
        add_set(role, set.value("path").toString(), file_hash(set.value("path").toString()));
    }
  }
}

void add_grids_and_pareto(ReportContent& content) {
  std::map<QString, std::map<std::pair<int64_t, double>, RankAlphaCell>> grids;
  for (const auto& run : content.runs) {
    const RunRecord& r = run.record;
    if (r.best_val_loss && r.trainable_params)
      content.points.push_back({r.id, r.name, *r.trainable_params, *r.best_val_loss});
    if (!r.config.rank || !r.config.alpha || !r.best_val_loss) continue;
    RankAlphaCell& cell = grids[q(r.config.targets)][{*r.config.rank, *r.config.alpha}];
    ++cell.runs;
    if (cell.runs == 1 || *r.best_val_loss < cell.best_val_loss) {
      cell.rank = *r.config.rank;
      cell.alpha = *r.config.alpha;
      cell.best_val_loss = *r.best_val_loss;
      cell.best_run_id = r.id;
    }
  }
  for (auto& [targets, cells] : grids) {
    ReportContent::Grid grid{targets, {}};
    for (auto& [key, cell] : cells) grid.cells.push_back(cell);
    content.grids.push_back(std::move(grid));
  }
  content.pareto_front = pareto_front_of(content.points);
}

}  // namespace

const ReportRun* ReportContent::find_run(int64_t id) const {
  for (const auto& run : runs)
    if (run.record.id == id) return &run;
  return nullptr;
}

QString ReportContent::run_label(int64_t id) const {
  const ReportRun* run = find_run(id);
  return run ? QString("#%1 %2").arg(id).arg(q(run->record.name)) : QString("#%1").arg(id);
}

int ReportContent::sample_count() const {
  int count = 0;
  for (const auto& run : runs) count += int(run.samples.size());
  for (const auto& strip : blend_strips) count += int(strip.samples.size());
  return count;
}

std::vector<int64_t> pareto_front_of(const std::vector<ParetoPoint>& points) {
  std::vector<ParetoPoint> sorted = points;
  std::sort(sorted.begin(), sorted.end(), [](const ParetoPoint& a, const ParetoPoint& b) {
    if (a.trainable_params != b.trainable_params) return a.trainable_params < b.trainable_params;
    return a.best_val_loss < b.best_val_loss;
  });
  std::vector<int64_t> front;
  double best = 0;
  for (const auto& point : sorted)
    if (front.empty() || point.best_val_loss < best) {
      front.push_back(point.run_id);
      best = point.best_val_loss;
    }
  return front;
}

ReportEnvironment current_environment() {
  ReportEnvironment env;
  env.cpu = cpu_model();
  env.cores = hardware_cores();
  env.threads = compute_threads();
  env.libtorch = q(libtorch_version());
  env.qt = QString("%1 (built with %2)").arg(qVersion(), QT_VERSION_STR);
  env.blas = blas_description();
  env.engine = q(engine_version());
  env.os = QSysInfo::prettyProductName() + ", kernel " + QSysInfo::kernelVersion();
  env.host = QSysInfo::machineHostName();
  return env;
}

ReportContent load_report_content(const ExperimentStore& store, const ReportSelection& selection) {
  ReportContent content;
  content.generated_at = QDateTime::currentDateTimeUtc();
  content.store_path = QFileInfo(q(store.path())).absoluteFilePath();
  content.environment = current_environment();

  std::vector<RunRecord> records;
  if (selection.sweep_id) {
    content.sweep = store.sweep(*selection.sweep_id);  // throws naming a missing sweep
    RunQuery query;
    query.sweep_id = selection.sweep_id;
    records = store.list_runs(query);
    if (records.empty())
      throw Error(store.path() + ": sweep " + std::to_string(*selection.sweep_id) +
                  " has no runs to report");
  } else {
    for (int64_t id : selection.run_ids) {
      auto run = store.find_run(id);
      if (!run) throw Error(store.path() + ": no run with id " + std::to_string(id));
      records.push_back(*run);
    }
    if (records.empty()) throw Error("nothing to report: choose a sweep or at least one run");
  }

  std::vector<int64_t> ids;
  for (RunRecord& record : records) {
    ReportRun run;
    ids.push_back(record.id);
    if (!record.adapter_path.empty()) {
      const QString file = q(record.adapter_path) + "/adapter_model.safetensors";
      run.adapter_bytes = file_size(file);
      if (run.adapter_bytes) run.adapter_file = file;
    }
    run.samples = store.samples(record.id);
    if (selection.metric_rows) run.metrics = store.metrics(record.id);
    run.rerun = rerun_command(record, content.store_path);
    run.record = std::move(record);
    content.runs.push_back(std::move(run));
  }
  content.train_curves = store.curves(ids, CurveMetric::TrainLoss, kCurvePoints);
  content.val_curves = store.curves(ids, CurveMetric::ValLoss, kCurvePoints);
  add_models_and_datasets(content);
  add_grids_and_pareto(content);
  if (selection.blend_samples) add_blend_strips(store, content);

  if (content.sweep) {
    content.title = selection.title.isEmpty()
                        ? QString("Sweep report: %1").arg(q(content.sweep->name))
                        : selection.title;
    content.subtitle = QString("Sweep #%1 · %2 search over %3 · %4 runs")
                           .arg(content.sweep->id)
                           .arg(q(content.sweep->search), q(content.sweep->grid))
                           .arg(content.runs.size());
  } else {
    content.title = selection.title.isEmpty()
                        ? (content.runs.size() == 1
                               ? QString("Run report: %1").arg(q(content.runs[0].record.name))
                               : QString("Report on %1 runs").arg(content.runs.size()))
                        : selection.title;
    QStringList labels;
    for (const auto& run : content.runs) labels << QString("#%1").arg(run.record.id);
    content.subtitle =
        QString("%1 chosen runs (%2)").arg(content.runs.size()).arg(labels.join(", "));
  }
  return content;
}

}  // namespace loralab::ui
