// Blend playground value types and their JSON; see blend_types.h.
#include "ui/blend/blend_types.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include "loralab/error.h"

namespace loralab::ui {

QString blend_summary(const Blend& blend) {
  QStringList parts;
  for (const auto& entry : blend)
    if (entry.enabled) parts << QString("%1 %2").arg(entry.name).arg(entry.weight, 0, 'f', 2);
  return parts.isEmpty() ? QObject::tr("base only") : parts.join(QStringLiteral(" · "));
}

AdapterFacts read_adapter_facts(const QString& dir) {
  AdapterFacts facts;
  facts.dir = dir;
  facts.name = QFileInfo(dir).fileName();
  const QString path = dir + "/adapter_config.json";
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    facts.reason = QObject::tr("%1: cannot be read (%2)").arg(path, file.errorString());
    return facts;
  }
  QJsonParseError parse_error;
  const auto doc = QJsonDocument::fromJson(file.readAll(), &parse_error);
  if (!doc.isObject()) {
    facts.reason = QObject::tr("%1: not a JSON object (%2)").arg(path, parse_error.errorString());
    return facts;
  }
  const QJsonObject config = doc.object();
  facts.rank = config.value("r").toInteger(0);
  facts.alpha = config.value("lora_alpha").toDouble(0);
  const QJsonValue targets = config.value("target_modules");
  if (targets.isArray()) {
    for (const auto& value : targets.toArray()) facts.targets << value.toString();
  } else if (targets.isString()) {
    facts.targets << targets.toString();  // PEFT's regex form
  }
  if (facts.rank <= 0) facts.reason = QObject::tr("%1: \"r\" must be a positive integer").arg(path);
  return facts;
}

QString blend_to_json(const QString& base_dir, const Blend& blend) {
  QJsonArray adapters;
  for (const auto& entry : blend) {
    QJsonObject item{{"name", entry.name},
                     {"dir", entry.dir},
                     {"weight", entry.weight},
                     {"enabled", entry.enabled}};
    if (entry.run_id) item["run"] = double(*entry.run_id);
    adapters.append(item);
  }
  const QJsonObject root{{"base", base_dir}, {"adapters", adapters}};
  return QString::fromUtf8(QJsonDocument(root).toJson(QJsonDocument::Compact));
}

namespace {

QJsonObject parse_object(const QString& json, const char* what) {
  QJsonParseError parse_error;
  const auto doc = QJsonDocument::fromJson(json.toUtf8(), &parse_error);
  if (!doc.isObject())
    throw Error(std::string(what) + ": expected a JSON object (" +
                parse_error.errorString().toStdString() + ")");
  return doc.object();
}

[[noreturn]] void wrong_type(const QString& field, const char* expected) {
  throw Error(field.toStdString() + ": expected " + expected);
}

}  // namespace

Blend blend_from_json(const QString& json, QString* base_dir) {
  const QJsonObject root = parse_object(json, "blend_json");
  if (base_dir) *base_dir = root.value("base").toString();
  const QJsonValue adapters = root.value("adapters");
  if (!adapters.isArray()) wrong_type("blend_json.adapters", "an array");
  Blend blend;
  int index = 0;
  for (const auto& value : adapters.toArray()) {
    const QString where = QString("blend_json.adapters[%1]").arg(index++);
    if (!value.isObject()) wrong_type(where, "an object");
    const QJsonObject item = value.toObject();
    BlendEntry entry;
    if (!item.value("name").isString()) wrong_type(where + ".name", "a string");
    if (!item.value("weight").isDouble()) wrong_type(where + ".weight", "a number");
    entry.name = item.value("name").toString();
    entry.dir = item.value("dir").toString();
    entry.weight = item.value("weight").toDouble();
    entry.enabled = item.value("enabled").toBool(true);
    if (item.contains("run")) entry.run_id = item.value("run").toInteger();
    blend.push_back(entry);
  }
  return blend;
}

QString settings_to_json(const SampleSpec& spec) {
  const QJsonObject root{{"max_new_tokens", spec.max_new_tokens},
                         {"temperature", spec.temperature},
                         {"top_k", spec.top_k},
                         {"top_p", spec.top_p},
                         {"repetition_penalty", spec.repetition_penalty}};
  return QString::fromUtf8(QJsonDocument(root).toJson(QJsonDocument::Compact));
}

SampleSpec settings_from_json(const QString& json, const SampleSpec& defaults) {
  const QJsonObject root = parse_object(json, "settings_json");
  SampleSpec spec = defaults;
  auto number = [&](const char* key, auto& field) {
    if (!root.contains(key)) return;
    if (!root.value(key).isDouble()) wrong_type(QString("settings_json.") + key, "a number");
    field = static_cast<std::decay_t<decltype(field)>>(root.value(key).toDouble());
  };
  number("max_new_tokens", spec.max_new_tokens);
  number("temperature", spec.temperature);
  number("top_k", spec.top_k);
  number("top_p", spec.top_p);
  number("repetition_penalty", spec.repetition_penalty);
  return spec;
}

void register_blend_metatypes() {
  qRegisterMetaType<SampleOutcome>();
  qRegisterMetaType<AdapterFacts>();
}

}  // namespace loralab::ui
