// Bundled resource lookup; see app_paths.h.
#include "ui/app_paths.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>

namespace loralab::ui {
namespace {

QStringList candidate_roots() {
  QStringList roots;
  const QString env = qEnvironmentVariable("LORALAB_RESOURCES");
  if (!env.isEmpty()) roots << env;
  if (QCoreApplication::instance()) {
    const QString app_dir = QCoreApplication::applicationDirPath();
    // An installed package: /usr/bin/loralab → /usr/share/loralab/{models,datasets}.
    roots << app_dir + "/../share/loralab" << app_dir + "/resources";
  }
#ifdef LORALAB_SOURCE_RESOURCES
  roots << QStringLiteral(LORALAB_SOURCE_RESOURCES);
#endif
  return roots;
}

}  // namespace

QString resources_dir() {
  for (const QString& root : candidate_roots())
    if (QFileInfo(root).isDir()) return QDir::cleanPath(QFileInfo(root).absoluteFilePath());
  return {};
}

QString bundled_model_expected() {
  const QString root = resources_dir();
  return (root.isEmpty() ? QStringLiteral("resources") : root) + "/models/base";
}

QString bundled_model_dir() {
  // The first root that has the model wins, so a partial install does not hide the source tree's.
  for (const QString& root : candidate_roots()) {
    const QString dir = root + "/models/base";
    if (QFileInfo(dir + "/config.json").isFile()) return QDir::cleanPath(QFileInfo(dir).absoluteFilePath());
  }
  return {};
}

QStringList bundled_datasets() {
  for (const QString& root : candidate_roots()) {
    QDir dir(root + "/datasets");
    if (!dir.exists()) continue;
    QStringList out;
    const auto entries = dir.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo& info : entries) {
      const QString suffix = info.suffix().toLower();
      // A style folder holds train.jsonl (+ validation.jsonl); other folders are not training sets.
      if (info.isDir()) {
        const QString train = info.absoluteFilePath() + "/train.jsonl";
        if (QFileInfo(train).isFile()) out << QDir::cleanPath(train);
      } else if (suffix == "jsonl" || suffix == "txt" || suffix == "csv" || suffix == "ndjson") {
        out << QDir::cleanPath(info.absoluteFilePath());
      }
    }
    if (!out.isEmpty()) return out;
  }
  return {};
}

QString dataset_display_name(const QString& path) {
  const QFileInfo info(path);
  if (info.fileName() != "train.jsonl") return info.fileName();
  // ".../fairy_tale/train.jsonl" reads better as "Fairy tale".
  QString name = info.dir().dirName();
  name.replace('_', ' ');
  if (!name.isEmpty()) name[0] = name[0].toUpper();
  return name;
}

QString sibling_validation(const QString& data_path) {
  const QFileInfo info(data_path);
  if (info.fileName() != "train.jsonl") return {};
  const QString validation = info.absolutePath() + "/validation.jsonl";
  return QFileInfo(validation).isFile() ? QDir::cleanPath(validation) : QString();
}

QString default_dataset() {
  const QStringList sets = bundled_datasets();
  for (const QString& path : sets) {
    if (dataset_display_name(path).toLower().contains("fairy")) return path;
  }
  return sets.isEmpty() ? QString() : sets.front();
}

QString new_run_output_dir(const QString& root, const QString& name) {
  QString safe = name;
  for (QChar& c : safe)
    if (!c.isLetterOrNumber() && c != '-' && c != '_') c = '_';
  if (safe.isEmpty()) safe = "run";
  const QString stamp = QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
  QString dir = root + "/" + safe + "-" + stamp;
  for (int i = 2; QFileInfo::exists(dir); ++i) dir = root + "/" + safe + "-" + stamp + "-" + QString::number(i);
  return dir;
}

}  // namespace loralab::ui
