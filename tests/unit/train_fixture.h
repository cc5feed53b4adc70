// Shared by the trainer tests: a copy of the llama_f32 golden fixture with a small character
// tokenizer, a learnable toy dataset, a TrainSpec that trains on it in seconds, and an observer
// that records what the trainer reports.
#pragma once
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "loralab/error.h"
#include "loralab/model.h"
#include "loralab/train.h"

namespace train_fixture {

// A byte-level BPE vocabulary of single characters: enough for lowercase stories.
// Ids: <pad> 0, <s> 1, </s> 2, a-z 3..28, space (Ġ) 29, newline (Ċ) 30, '.' 31, ',' 32.
inline QByteArray tokenizer_json() {
  QJsonObject vocab;
  vocab["<pad>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  int id = 3;
  for (char c = 'a'; c <= 'z'; ++c) vocab[QString(QChar(c))] = id++;
  for (const char* s : {"\u0120", "\u010A", ".", ","}) vocab[QString::fromUtf8(s)] = id++;
  QJsonArray added;
  for (int i = 0; i < 3; ++i)
    added.append(QJsonObject{{"id", i}, {"content", QStringList{"<pad>", "<s>", "</s>"}[i]},
                             {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                             {"normalized", false}, {"special", true}});
  QJsonObject byte_level{{"type", "ByteLevel"}, {"add_prefix_space", false},
                         {"trim_offsets", true}, {"use_regex", true}};
  QJsonObject root{{"version", "1.0"}, {"added_tokens", added}, {"normalizer", QJsonValue()},
                   {"pre_tokenizer", byte_level}, {"post_processor", QJsonValue()},
                   {"decoder", byte_level},
                   {"model", QJsonObject{{"type", "BPE"}, {"vocab", vocab}, {"merges", QJsonArray()},
                                         {"unk_token", QJsonValue()}}}};
  return QJsonDocument(root).toJson();
}

constexpr int32_t kBos = 1, kEos = 2;

// The ids the character tokenizer above gives `text` (lowercase letters, space, '.', ',').
inline std::vector<int32_t> char_ids(const std::string& text) {
  std::vector<int32_t> ids;
  for (char c : text) {
    if (c >= 'a' && c <= 'z') ids.push_back(3 + (c - 'a'));
    else if (c == ' ') ids.push_back(29);
    else if (c == '\n') ids.push_back(30);
    else if (c == '.') ids.push_back(31);
    else if (c == ',') ids.push_back(32);
  }
  return ids;
}

inline void write_file(const QString& path, const QByteArray& bytes) {
  QFile file(path);
  QVERIFY(file.open(QIODevice::WriteOnly));
  file.write(bytes);
}

struct Fixture {
  QTemporaryDir dir;
  std::string model_dir, data, val, out;
  Fixture() {
    const QString src = QString(LORALAB_TEST_DATA) + "/models/llama_f32/";
    const QString model = dir.path() + "/model/";
    QDir().mkpath(model);
    QFile::copy(src + "config.json", model + "config.json");
    QFile::copy(src + "model.safetensors", model + "model.safetensors");
    write_file(model + "tokenizer.json", tokenizer_json());
    model_dir = model.toStdString();
    // A learnable set: a few sentences repeated in varied order.
    const QStringList lines = {"the cat sat on the mat.", "a dog ran to the park.",
                               "the sun is warm, the sea is blue.", "we like to read a book."};
    QByteArray train, valid;
    for (int i = 0; i < 120; ++i) train += (lines[(i * 7) % 4] + "\n\n").toUtf8();
    for (int i = 0; i < 12; ++i) valid += (lines[i % 4] + "\n\n").toUtf8();
    write_file(dir.path() + "/train.txt", train);
    write_file(dir.path() + "/val.txt", valid);
    data = (dir.path() + "/train.txt").toStdString();
    val = (dir.path() + "/val.txt").toStdString();
    out = (dir.path() + "/out").toStdString();
  }
  std::string path(const QString& name) const { return (dir.path() + "/" + name).toStdString(); }
  loralab::TrainSpec spec() const {
    loralab::TrainSpec s;
    s.data.path = data;
    s.validation = loralab::DatasetSpec{};
    s.validation->path = val;
    s.out_dir = out;
    s.seq_len = 32;
    s.batch = 4;
    s.steps = 40;
    s.lr = 1e-2;
    s.warmup = 2;
    s.eval_every = 10;
    s.lora.rank = 8;
    s.lora.alpha = 16;
    s.lora.target_modules = {"all-linear"};
    s.threads = 1;
    return s;
  }
};

struct Recorder : loralab::TrainObserver {
  std::vector<double> losses;
  std::vector<loralab::StepMetrics> steps;
  std::vector<loralab::EvalMetrics> evals;
  std::vector<std::string> messages;
  loralab::TrainControl* control = nullptr;
  int64_t stop_at = -1;
  std::function<void(const loralab::StepMetrics&)> step_hook;
  std::function<void(const std::string&)> message_hook;
  void on_step(const loralab::StepMetrics& m) override {
    losses.push_back(m.train_loss);
    steps.push_back(m);
    QVERIFY(m.tokens_per_s > 0 && m.gflops > 0 && m.peak_rss_bytes > 0);
    if (control && m.step == stop_at) control->stop = true;
    if (step_hook) step_hook(m);
  }
  void on_eval(const loralab::EvalMetrics& m) override { evals.push_back(m); }
  std::optional<loralab::TrainPlan> plan;
  void on_plan(const loralab::TrainPlan& p) override { plan = p; }
  void on_message(const std::string& text) override {
    messages.push_back(text);
    if (message_hook) message_hook(text);
  }
};

inline QString error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& e) {
    return e.what();
  }
  return {};
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, double(std::abs(a[i] - b[i])));
  return diff;
}

inline const std::vector<int32_t> kProbe = {1, 22, 10, 7, 29, 5, 3, 22};

}  // namespace train_fixture
