// Shared by the end-to-end tests of the training commands with an experiment store: a tiny real
// model folder (the llama_f32 fixture plus a character-level tokenizer written here), a small
// learnable text set, and a way to run the real loralab-cli.
#pragma once
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>

namespace cli_fixture {

// A byte-level BPE vocabulary of single characters: enough for lowercase stories.
inline QByteArray tokenizer_json() {
  QJsonObject vocab;
  vocab["<pad>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  int id = 3;
  for (char c = 'a'; c <= 'z'; ++c) vocab[QString(QChar(c))] = id++;
  for (const char* s : {"\u0120", "\u010A", ".", ","}) vocab[QString::fromUtf8(s)] = id++;
  QJsonArray added;
  const QStringList names = {"<pad>", "<s>", "</s>"};
  for (int i = 0; i < 3; ++i)
    added.append(QJsonObject{{"id", i},
                             {"content", names[i]},
                             {"single_word", false},
                             {"lstrip", false},
                             {"rstrip", false},
                             {"normalized", false},
                             {"special", true}});
  QJsonObject byte_level{{"type", "ByteLevel"},
                         {"add_prefix_space", false},
                         {"trim_offsets", true},
                         {"use_regex", true}};
  QJsonObject model{
      {"type", "BPE"}, {"vocab", vocab}, {"merges", QJsonArray()}, {"unk_token", QJsonValue()}};
  QJsonObject root{{"version", "1.0"},
                   {"added_tokens", added},
                   {"normalizer", QJsonValue()},
                   {"pre_tokenizer", byte_level},
                   {"post_processor", QJsonValue()},
                   {"decoder", byte_level},
                   {"model", model}};
  return QJsonDocument(root).toJson();
}

struct Fixture {
  QTemporaryDir dir;
  QString model, train, val;
  bool ok = false;

  Fixture() {
    if (!dir.isValid()) return;
    const QString src = QString(LORALAB_TEST_DATA) + "/models/llama_f32/";
    model = dir.filePath("model");
    QDir().mkpath(model);
    QFile tok(model + "/tokenizer.json");
    ok = QFile::copy(src + "config.json", model + "/config.json") &&
         QFile::copy(src + "model.safetensors", model + "/model.safetensors") &&
         tok.open(QIODevice::WriteOnly) && tok.write(tokenizer_json()) > 0;
    tok.close();
    const QStringList lines = {"the cat sat on the mat.", "a dog ran to the park.",
                               "the sun is warm, the sea is blue.", "we like to read a book."};
    train = dir.filePath("train.txt");
    val = dir.filePath("val.txt");
    QFile t(train), v(val);
    ok = ok && t.open(QIODevice::WriteOnly) && v.open(QIODevice::WriteOnly);
    for (int i = 0; i < 120; ++i) t.write((lines[(i * 7) % 4] + "\n\n").toUtf8());
    for (int i = 0; i < 12; ++i) v.write((lines[i % 4] + "\n\n").toUtf8());
  }
  QString path(const QString& name) const { return dir.filePath(name); }

  // Flags of a small, fast training run on the fixture.
  QStringList train_flags(int steps, int eval_every) const {
    return {"--model",      model,
            "--data",       train,
            "--val",        val,
            "--seq",        "32",
            "--batch",      "4",
            "--steps",      QString::number(steps),
            "--eval-every", QString::number(eval_every),
            "--lr",         "1e-2",
            "--threads",    "1"};
  }
};

struct CliResult {
  int exit_code = -1;  // -1: crashed or timed out
  QString out;
  QString err;
  // The last line of stdout as a JSON object (every command ends with one).
  QJsonObject last_json() const {
    const QStringList lines = out.split('\n', Qt::SkipEmptyParts);
    if (lines.isEmpty()) return {};
    return QJsonDocument::fromJson(lines.last().toUtf8()).object();
  }
};

inline QProcessEnvironment cli_environment() {
  auto env = QProcessEnvironment::systemEnvironment();
  env.insert("OPENBLAS_CORETYPE", "SKYLAKEX");  // see the README: misdetected CPU
  return env;
}

inline CliResult run_cli(const QStringList& args, int timeout_ms = 60000) {
  QProcess process;
  process.setProcessEnvironment(cli_environment());
  process.start(LORALAB_CLI, args);
  CliResult result;
  if (!process.waitForFinished(timeout_ms)) {
    process.kill();
    process.waitForFinished();
    return result;
  }
  result.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.out = QString::fromUtf8(process.readAllStandardOutput());
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

}  // namespace cli_fixture
