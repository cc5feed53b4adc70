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
    roots << app_dir + "/../share/loralab/resources" << app_dir + "/resources";
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
      if (info.isDir() || suffix == "jsonl" || suffix == "txt" || suffix == "csv" || suffix == "ndjson")
        out << QDir::cleanPath(info.absoluteFilePath());
    }
    if (!out.isEmpty()) return out;
  }
  return {};
}

QString default_dataset() {
  const QStringList sets = bundled_datasets();
  for (const QString& path : sets) {
    const QString name = QFileInfo(path).fileName().toLower();
    if (name.contains("fairy")) return path;
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
