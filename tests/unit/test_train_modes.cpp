// The trainer's other modes on the tiny fixture model, through the public API: bf16 compute
// (loss falls, the adapter is saved in float32 and finite), full fine-tuning (the written model
// folder loads and gives the trained logits), prompt/completion data (the first step's loss is
// the mean over completion tokens only, computed independently from the base logits), and the
// forgetting figure (reference loss before and after, equal to evaluate_loss on the same set),
// activation checkpointing (--recompute) giving the very same run in every mode, and rehearsal (a
// general set mixed into the training rows) keeping the loss on that set down.
#include "train_fixture.h"

#include <cstring>

#include "loralab/lora.h"
#include "loralab/safetensors.h"

using namespace train_fixture;

namespace {

double mean(const std::vector<double>& v, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += v[i];
  return sum / double(end - begin);
}

// Mean of -log p(ids[t+1] | ids[..t]) over the targets t + 1 >= first_target, from full logits.
double next_token_loss(const std::vector<float>& logits, const std::vector<int32_t>& ids,
                       int64_t vocab, size_t first_target) {
  double sum = 0;
  int count = 0;
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    if (t + 1 < first_target) continue;
    const float* row = logits.data() + t * size_t(vocab);
    double top = row[0];
    for (int64_t v = 1; v < vocab; ++v) top = std::max(top, double(row[v]));
    double z = 0;
    for (int64_t v = 0; v < vocab; ++v) z += std::exp(double(row[v]) - top);
    sum += -(double(row[ids[t + 1]]) - top - std::log(z));
    ++count;
  }
  return sum / count;
}

}  // namespace

class TestTrainModes : public QObject {
  Q_OBJECT
 private slots:
  void bf16_training_lowers_the_loss_and_saves_float32() {
    Fixture f;
    auto spec = f.spec();
    spec.precision = loralab::Precision::BF16;
    spec.steps = 30;
    spec.eval_every = 0;
    spec.validation.reset();  // evaluation in bf16 has its own test below
    spec.validation_ratio = 0;
    auto model = loralab::Model::load(f.model_dir);
    Recorder rec;
    auto result = loralab::train(*model, spec, &rec);
    QCOMPARE(result.status, std::string("done"));
    for (double loss : rec.losses) QVERIFY(std::isfinite(loss));
    const double first = rec.losses.front(), last = mean(rec.losses, 27, 30);
    QVERIFY2(last < 0.6 * first, qPrintable(QString("loss %1 → %2").arg(first).arg(last)));
    QVERIFY(!result.reference_loss_before && !result.reference_loss_after);  // no reference set

    auto file = loralab::st::File::open(f.out + "/adapter_model.safetensors");
    QVERIFY(!file.names().empty());
    double b_sum = 0;
    for (const auto& name : file.names()) {
      auto view = file.tensor(name);
      QVERIFY2(view.info->dtype == loralab::st::DType::F32, name.c_str());
      std::vector<float> values(view.bytes.size() / sizeof(float));
      std::memcpy(values.data(), view.bytes.data(), view.bytes.size());
      for (float v : values) {
        QVERIFY2(std::isfinite(v), name.c_str());
        if (name.find("lora_B") != std::string::npos) b_sum += std::abs(v);
      }
    }
    QVERIFY(b_sum > 1e-3);  // B started at zero: it trained
  }

  // Evaluation runs without gradients in eval mode, where the LoRA layers take their in-place
  // inference path; under bf16 autocast its operands must agree in dtype.
  void bf16_validation_and_reference_losses_are_computed() {
    Fixture f;
    auto spec = f.spec();
    spec.precision = loralab::Precision::BF16;
    spec.steps = 10;
    spec.eval_every = 5;
    spec.reference = loralab::DatasetSpec{};
    spec.reference->path = f.val;
    auto model = loralab::Model::load(f.model_dir);
    Recorder rec;
    loralab::TrainResult result;
    try {
      result = loralab::train(*model, spec, &rec);
    } catch (const std::exception& e) {
      const auto what = QString(e.what());
      QFAIL(qPrintable("bf16 training with evaluation threw: " + what.left(what.indexOf('\n'))));
    }
    QCOMPARE(result.status, std::string("done"));
    QCOMPARE(rec.evals.size(), size_t(2));
    for (const auto& eval : rec.evals) QVERIFY(std::isfinite(eval.val_loss) && eval.val_loss > 0);
    QVERIFY(rec.evals.back().val_loss < *result.reference_loss_before);  // val is the reference set
    QVERIFY(result.reference_loss_after && std::isfinite(*result.reference_loss_after));
  }

  void full_fine_tuning_writes_a_model_with_the_trained_logits() {
    Fixture f;
    auto spec = f.spec();
    spec.full = true;
    spec.lr = 3e-3;
    spec.steps = 30;
    spec.eval_every = 0;
    auto model = loralab::Model::load(f.model_dir);
    const auto base = model->logits(kProbe);
    Recorder rec;
    auto result = loralab::train(*model, spec, &rec);
    QCOMPARE(result.status, std::string("done"));
    const double first = rec.losses.front(), last = mean(rec.losses, 27, 30);
    QVERIFY2(last < 0.6 * first, qPrintable(QString("loss %1 → %2").arg(first).arg(last)));
    QVERIFY(!QFileInfo::exists(QString::fromStdString(f.out) + "/adapter_config.json"));

    const auto trained = model->logits(kProbe);  // no adapter, no dropout: deterministic
    auto written = loralab::Model::load(f.out + "/model");
    QCOMPARE(written->config().hidden_size, model->config().hidden_size);
    const auto reloaded = written->logits(kProbe);
    QVERIFY2(max_abs_diff(trained, base) > 1e-2, "full fine-tuning did not change the model");
    const double diff = max_abs_diff(trained, reloaded);
    QVERIFY2(diff < 1e-5, qPrintable(QString("written model differs by %1").arg(diff)));
  }

  void prompt_tokens_do_not_count_in_the_loss() {
    Fixture f;
    const std::string prompt = "the cat sat", completion = " on the mat.";
    QByteArray pairs, plain;
    for (int i = 0; i < 8; ++i) {
      pairs += R"({"prompt": "the cat sat", "completion": " on the mat."})" "\n";
      plain += R"({"text": "the cat sat on the mat."})" "\n";
    }
    write_file(f.dir.path() + "/pairs.jsonl", pairs);
    write_file(f.dir.path() + "/plain.jsonl", plain);

    // Every row is the same example, so the first step's loss (before any update, with B = 0:
    // the base model) is that example's mean loss over the counted targets.
    auto first_loss = [&](const std::string& data, const std::string& format) {
      auto spec = f.spec();
      spec.data.path = data;
      spec.data.format = format;
      spec.validation.reset();
      spec.validation_ratio = 0;
      spec.pack = false;
      spec.steps = 1;
      spec.eval_every = 0;
      spec.out_dir = f.out + "-" + format;
      auto model = loralab::Model::load(f.model_dir);
      Recorder rec;
      auto result = loralab::train(*model, spec, &rec);
      return result.status == "done" && rec.losses.size() == 1 ? rec.losses.front() : NAN;
    };
    std::vector<int32_t> ids = {kBos};
    for (int32_t id : char_ids(prompt + completion)) ids.push_back(id);
    ids.push_back(kEos);
    auto base = loralab::Model::load(f.model_dir);
    const std::vector<int32_t> inputs(ids.begin(), ids.end() - 1);
    const auto logits = base->logits(inputs);
    const int64_t vocab = base->config().vocab_size;
    const size_t first_completion = 1 + prompt.size();  // after bos and the prompt's characters
    const double completion_only = next_token_loss(logits, ids, vocab, first_completion);
    const double every_token = next_token_loss(logits, ids, vocab, 1);
    QVERIFY(std::abs(completion_only - every_token) > 0.01);  // the check below can tell them apart

    const double masked = first_loss(f.path("pairs.jsonl"), "prompt-completion");
    QVERIFY2(std::abs(masked - completion_only) < 1e-4,
             qPrintable(QString("trainer %1, completion-only reference %2, all tokens %3")
                            .arg(masked).arg(completion_only).arg(every_token)));
    const double unmasked = first_loss(f.path("plain.jsonl"), "jsonl");
    QVERIFY2(std::abs(unmasked - every_token) < 1e-4,
             qPrintable(QString("trainer %1, all-token reference %2").arg(unmasked).arg(every_token)));
  }

  void recompute_gives_the_same_run_data() {
    QTest::addColumn<bool>("full");
    QTest::addColumn<bool>("bf16");
    QTest::addColumn<int>("only_layer");  // -1: adapters on every layer
    QTest::newRow("LoRA, all linear layers, dropout 0.1") << false << false << -1;
    QTest::newRow("LoRA on layer 1 only (layer 0 has nothing to train)") << false << false << 1;
    QTest::newRow("LoRA, bf16") << false << true << -1;
    QTest::newRow("full fine-tuning") << true << false << -1;
  }

  // Each layer computed again in backward from its input, with the dropout seeds it drew the
  // first time, gives the same gradients to the bit: the same losses at every step, the same
  // gradient norms and the same trained weights.
  void recompute_gives_the_same_run() {
    QFETCH(bool, full);
    QFETCH(bool, bf16);
    QFETCH(int, only_layer);
    Fixture f;
    auto spec = f.spec();
    spec.full = full;
    spec.precision = bf16 ? loralab::Precision::BF16 : loralab::Precision::F32;
    spec.steps = 8;
    spec.eval_every = 4;
    spec.accum = 2;
    spec.lora.dropout = 0.1;
    if (only_layer >= 0) spec.lora.layers_to_transform = {only_layer};
    const std::vector<int32_t> probe = {1, 22, 10, 7, 29, 5, 3, 22};
    auto run = [&](bool recompute, Recorder& rec, std::string& status) {
      auto s = spec;
      s.recompute = recompute;
      s.out_dir = f.out + (recompute ? "-recompute" : "-kept");
      auto model = loralab::Model::load(f.model_dir);
      status = loralab::train(*model, s, &rec).status;
      return model->logits(probe);
    };
    Recorder kept, recomputed;
    std::string kept_status, recomputed_status;
    const auto kept_logits = run(false, kept, kept_status);
    const auto recomputed_logits = run(true, recomputed, recomputed_status);
    QCOMPARE(kept_status, std::string("done"));
    QCOMPARE(recomputed_status, std::string("done"));
    QCOMPARE(recomputed.losses.size(), size_t(8));
    for (size_t i = 0; i < kept.steps.size(); ++i) {
      QCOMPARE(recomputed.losses[i], kept.losses[i]);  // bit-identical, not approximately
      QCOMPARE(recomputed.steps[i].grad_norm, kept.steps[i].grad_norm);
    }
    QCOMPARE(recomputed.evals.size(), kept.evals.size());
    for (size_t i = 0; i < kept.evals.size(); ++i) QCOMPARE(recomputed.evals[i].val_loss, kept.evals[i].val_loss);
    QVERIFY(kept.losses.back() < kept.losses.front());  // the runs trained something
    QCOMPARE(recomputed_logits, kept_logits);
  }

  // A share of the training rows comes from a general set: the plan counts them, and the model
  // trained with them keeps a far lower loss on that set than one trained on the task alone.
  void rehearsal_mixes_a_general_set_in() {
    Fixture f;
    QByteArray general;
    const QStringList lines = {"birds fly high over green hills.", "old men fish by the river.",
                               "snow fell on the quiet town."};
    for (int i = 0; i < 30; ++i) general += (lines[i % 3] + "\n\n").toUtf8();
    write_file(f.dir.path() + "/general.txt", general);
    loralab::DatasetSpec set;
    set.path = f.path("general.txt");
    auto spec = f.spec();
    spec.reference = set;
    spec.eval_every = 0;
    auto run = [&](std::optional<loralab::DatasetSpec> rehearsal, Recorder& rec, int64_t unscored = 0) {
      auto s = spec;
      s.rehearsal = rehearsal;
      s.rehearsal_share = 0.5;
      s.rehearsal_unscored_opening = unscored;
      s.out_dir = f.out + (rehearsal ? "-rehearsal" : "-plain") + std::to_string(unscored);
      auto model = loralab::Model::load(f.model_dir);
      return loralab::train(*model, s, &rec);
    };
    Recorder plain_rec, mixed_rec;
    const auto plain = run(std::nullopt, plain_rec);
    const auto mixed = run(set, mixed_rec);
    QCOMPARE(plain.status, std::string("done"));
    QCOMPARE(mixed.status, std::string("done"));
    QVERIFY(plain_rec.plan && mixed_rec.plan);
    QCOMPARE(plain_rec.plan->rehearsal_rows, int64_t(0));
    // Share 0.5: as many general rows as task rows.
    QCOMPARE(mixed_rec.plan->rehearsal_rows, plain_rec.plan->train_rows);
    QCOMPARE(mixed_rec.plan->train_rows, 2 * plain_rec.plan->train_rows);
    QVERIFY(mixed_rec.plan->dataset_fingerprint != plain_rec.plan->dataset_fingerprint);
    QCOMPARE(*mixed.reference_loss_before, *plain.reference_loss_before);
    qInfo("general-set loss %.3f before, %.3f after the task alone, %.3f with rehearsal",
          *plain.reference_loss_before, *plain.reference_loss_after, *mixed.reference_loss_after);
    QVERIFY2(*mixed.reference_loss_after < 0.7 * *plain.reference_loss_after,
             qPrintable(QString("general-set loss: before %1, after training on the task alone %2, "
                                "with rehearsal %3")
                            .arg(*plain.reference_loss_before)
                            .arg(*plain.reference_loss_after)
                            .arg(*mixed.reference_loss_after)));

    // Unscored openings: the same rows, and 5 fewer targets that count per general example (each
    // of the 30 has 10 or more tokens; the rows hold every example at least once).
    Recorder opening_rec;
    const auto opening = run(set, opening_rec, 5);
    QCOMPARE(opening.status, std::string("done"));
    QCOMPARE(opening_rec.plan->train_rows, mixed_rec.plan->train_rows);
    const int64_t fewer = mixed_rec.plan->train_tokens - opening_rec.plan->train_tokens;
    QVERIFY2(fewer >= 5 * 30, qPrintable(QString::number(fewer)));
    QVERIFY(opening_rec.plan->dataset_fingerprint != mixed_rec.plan->dataset_fingerprint);

    // An opening share: one example per row (seq 48 holds each whole), share 0.5 and openings
    // 0.2, so 2/5 of the general rows keep their openings scored and the other 3/5 lose 5
    // targets each.
    {
      auto rows = spec;
      rows.pack = false;
      rows.seq_len = 48;
      rows.rehearsal = set;
      rows.rehearsal_share = 0.5;
      auto run_rows = [&](std::optional<double> opening, int64_t unscored, Recorder& rec) {
        auto s = rows;
        s.rehearsal_opening_share = opening;
        s.rehearsal_unscored_opening = unscored;
        s.steps = 2;
        s.out_dir = f.out + "-rows" + std::to_string(unscored) + (opening ? "-opening" : "");
        auto model = loralab::Model::load(f.model_dir);
        return loralab::train(*model, s, &rec);
      };
      Recorder all_rec, split_rec, none_rec;
      QCOMPARE(run_rows(std::nullopt, 0, all_rec).status, std::string("done"));
      QCOMPARE(run_rows(0.2, 5, split_rec).status, std::string("done"));
      QCOMPARE(run_rows(std::nullopt, 5, none_rec).status, std::string("done"));
      const int64_t general_rows = all_rec.plan->rehearsal_rows;
      QVERIFY(general_rows >= 10);
      QCOMPARE(all_rec.plan->rehearsal_opening_rows, general_rows);
      QCOMPARE(none_rec.plan->rehearsal_opening_rows, int64_t(0));
      const int64_t scored = std::llround(double(general_rows) * 0.2 / 0.5);
      QCOMPARE(split_rec.plan->rehearsal_opening_rows, scored);
      QCOMPARE(split_rec.plan->train_rows, all_rec.plan->train_rows);
      QCOMPARE(all_rec.plan->train_tokens - split_rec.plan->train_tokens,
               5 * (general_rows - scored));
      QCOMPARE(all_rec.plan->train_tokens - none_rec.plan->train_tokens, 5 * general_rows);
      QVERIFY(split_rec.plan->dataset_fingerprint != none_rec.plan->dataset_fingerprint);
      QVERIFY(split_rec.plan->dataset_fingerprint != all_rec.plan->dataset_fingerprint);

      // Refused: an opening share above the share, or below it with no opening to leave unscored.
      auto over = rows;
      over.rehearsal_opening_share = 0.6;
      over.rehearsal_unscored_opening = 5;
      auto no_opening = rows;
      no_opening.rehearsal_opening_share = 0.2;
      for (const auto& wrong : {over, no_opening}) {
        try {
          wrong.validate();
          QFAIL("a wrong opening share was accepted");
        } catch (const loralab::Error& e) {
          QVERIFY2(QString(e.what()).contains("rehearsal_opening_share"), e.what());
        }
      }
    }

    // Refused before training: a share outside (0, 0.9], a general set that is not there.
    auto bad = spec;
    bad.rehearsal = set;
    bad.rehearsal_share = 0.95;
    try {
      bad.validate();
      QFAIL("share 0.95 was accepted");
    } catch (const loralab::Error& e) {
      QVERIFY2(QString(e.what()).contains("rehearsal_share"), e.what());
    }
    bad.rehearsal_share = 0.2;
    bad.rehearsal->path = f.path("no-such-general.txt");
    auto model = loralab::Model::load(f.model_dir);
    try {
      loralab::train(*model, bad);
      QFAIL("a missing rehearsal set was accepted");
    } catch (const loralab::Error& e) {
      QVERIFY2(QString(e.what()).contains("no-such-general.txt"), e.what());
    }
  }

  void forgetting_figure_is_reported() {
    Fixture f;
    // One sentence repeated: evaluate_loss shuffles examples before packing and the trainer does
    // not, so only a set whose order cannot matter gives both the same rows.
    QByteArray reference;
    for (int i = 0; i < 12; ++i) reference += "a bird can fly over the hill, quietly.\n\n";
    write_file(f.dir.path() + "/reference.txt", reference);
    loralab::DatasetSpec ref;
    ref.path = f.path("reference.txt");
    auto spec = f.spec();
    spec.reference = ref;
    spec.steps = 20;
    spec.eval_every = 0;

    auto base = loralab::Model::load(f.model_dir);
    const double base_loss = loralab::evaluate_loss(*base, ref, spec.seq_len);
    auto model = loralab::Model::load(f.model_dir);
    auto result = loralab::train(*model, spec);
    QCOMPARE(result.status, std::string("done"));
    QVERIFY(result.reference_loss_before && result.reference_loss_after);
    QVERIFY2(std::abs(*result.reference_loss_before - base_loss) < 1e-5,
             qPrintable(QString("before %1, base %2").arg(*result.reference_loss_before).arg(base_loss)));
    const double adapted_loss = loralab::evaluate_loss(*model, ref, spec.seq_len);
    QVERIFY2(std::abs(*result.reference_loss_after - adapted_loss) < 1e-5,
             qPrintable(QString("after %1, adapted %2").arg(*result.reference_loss_after).arg(adapted_loss)));
    QVERIFY(std::abs(*result.reference_loss_after - *result.reference_loss_before) > 1e-3);
  }
};

QTEST_APPLESS_MAIN(TestTrainModes)
#include "test_train_modes.moc"
