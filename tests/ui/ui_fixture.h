// Shared fixture of the UI tests: a tiny real model folder (the llama_f32 golden fixture plus a
// character-level tokenizer written here) and a small learnable story file, in a temporary folder.
#pragma once
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

namespace ui_test {

// A byte-level BPE vocabulary of single characters: enough for the lowercase sentences below.
inline QByteArray char_tokenizer_json() {
  QJsonObject vocab;
  const QStringList specials = {"<pad>", "<s>", "</s>"};
  for (int i = 0; i < 3; ++i) vocab[specials[i]] = i;
  int id = 3;
  for (char c = 'a'; c <= 'z'; ++c) vocab[QString(QChar(c))] = id++;
  for (const char* s : {"\u0120", "\u010A", ".", ","}) vocab[QString::fromUtf8(s)] = id++;
  QJsonArray added;
  for (int i = 0; i < 3; ++i)
    added.append(QJsonObject{{"id", i}, {"content", specials[i]}, {"single_word", false},
                             {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                             {"special", true}});
  const QJsonObject byte_level{{"type", "ByteLevel"}, {"add_prefix_space", false},
                               {"trim_offsets", true}, {"use_regex", true}};
  const QJsonObject model{{"type", "BPE"}, {"vocab", vocab}, {"merges", QJsonArray()},
                          {"unk_token", QJsonValue()}};
  const QJsonObject root{{"version", "1.0"},          {"added_tokens", added},
                         {"normalizer", QJsonValue()}, {"pre_tokenizer", byte_level},
                         {"post_processor", QJsonValue()}, {"decoder", byte_level},
                         {"model", model}};
  return QJsonDocument(root).toJson();
}

struct Fixture {
  QTemporaryDir dir;
  QString model_dir, data, out_root, store, settings_ini;

  Fixture() {
    const QString src = QString(LORALAB_TEST_DATA) + "/models/llama_f32/";
    model_dir = dir.path() + "/model";
    QDir().mkpath(model_dir);
    QFile::copy(src + "config.json", model_dir + "/config.json");
    QFile::copy(src + "model.safetensors", model_dir + "/model.safetensors");
    write(model_dir + "/tokenizer.json", char_tokenizer_json());
    const QStringList lines = {"the cat sat on the mat.", "a dog ran to the park.",
                               "the sun is warm, the sea is blue.", "we like to read a book."};
    QByteArray text;
    for (int i = 0; i < 120; ++i) text += (lines[(i * 7) % 4] + "\n\n").toUtf8();
    data = dir.path() + "/stories.txt";
    write(data, text);
    out_root = dir.path() + "/adapters";
    store = dir.path() + "/experiments.sqlite";
    settings_ini = dir.path() + "/settings.ini";
  }

  static void write(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    file.write(bytes);
  }
};

}  // namespace ui_test
