// The report's rerun command: a stored run's spec (many fields off their defaults: stages,
// patterns, layers, rsLoRA, separate validation and reference sets, bf16) turned into
// `loralab-cli train` arguments reads back through the CLI's own flag parser as the same spec;
// the one-line command survives a POSIX shell; settings no flag can carry are named; escaping for
// HTML and Markdown leaves no markup through.
#include <QtTest>

#include "args.h"
#include "loralab/train.h"
#include "train_flags.h"
#include "ui/report/report_writers.h"
#include "ui/report/rerun_command.h"

using loralab::RunRecord;
using loralab::TrainSpec;

namespace {

TrainSpec unusual_spec() {
  TrainSpec spec;
  spec.name = "it's a \"run\" <b>";
  spec.data.path = "/data/my stories/train.jsonl";
  spec.data.format = "jsonl";
  spec.data.field = "story";
  spec.validation = spec.data;
  spec.validation->path = "/data/my stories/val.jsonl";
  spec.reference = spec.data;
  spec.reference->path = "/data/general.jsonl";
  spec.pack = false;
  spec.seq_len = 96;
  spec.batch = 3;
  spec.accum = 2;
  spec.lr = 1.0 / 3.0 * 1e-3;  // not short in decimal: must still read back exactly
  spec.schedule = "linear";
  spec.warmup = 7;
  spec.min_lr_ratio = 0.1;
  spec.weight_decay = 0.02;
  spec.clip = 0.5;
  spec.eval_every = 11;
  spec.eval_batches = 4;
  spec.patience = 3;
  spec.seed = 1234;
  spec.lora.seed = 1234;
  spec.precision = loralab::Precision::BF16;
  spec.threads = 2;
  spec.checkpoint_every = 20;
  spec.alpha_start = 0.5;
  spec.alpha_ramp_steps = 9;
  spec.rehearsal = spec.data;
  spec.rehearsal->path = "/data/every day.jsonl";
  spec.rehearsal_share = 0.125;
  spec.rehearsal_unscored_opening = 6;
  spec.rehearsal_opening_share = 0.0625;
  spec.lora.rank = 6;
  spec.lora.alpha = 12.5;
  spec.lora.dropout = 0.05;
  spec.lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
  spec.lora.layers_to_transform = {0, 1};
  spec.lora.rank_pattern = {{"q_proj", 4}, {"layers.1.self_attn.v_proj", 8}};
  spec.lora.alpha_pattern = {{"k_proj", 3.25}};
  spec.lora.rslora = true;
  spec.lora.init = "gaussian";
  spec.stages = {{40, 2e-4, 6, std::nullopt, std::nullopt, std::nullopt},
                 {60, 4e-4, std::nullopt, 24.0, std::string("constant"), int64_t(5)}};
  spec.steps = 100;
  spec.out_dir = "/out/run 1";
  return spec;
}

RunRecord run_for(const TrainSpec& spec) {
  RunRecord run;
  run.id = 7;
  run.name = spec.name;
  run.base_model_path = "/models/base model";
  run.config_json = spec.to_json();
  run.tags = {"first tag", "<x>"};
  return run;
}

TrainSpec parse_back(const QStringList& arguments) {
  std::vector<std::string> argv;
  for (int i = 1; i < arguments.size(); ++i) argv.push_back(arguments[i].toStdString());
  auto switches = loralab::cli::train_switch_names();
  loralab::cli::Args args(argv, switches);
  auto known = loralab::cli::train_flag_names();
  known.insert({"db", "tag"});
  args.reject_unknown(known);
  return loralab::cli::train_spec_from_args(args);
}

}  // namespace

class TestReportRerun : public QObject {
  Q_OBJECT

 private slots:
  void arguments_read_back_as_the_same_spec() {
    const TrainSpec spec = unusual_spec();
    spec.validate();
    const auto rerun = loralab::ui::rerun_command(run_for(spec), "/stores/exp one.sqlite");
    QVERIFY2(rerun.caveats.isEmpty(), qPrintable(rerun.caveats.join("; ")));
    QCOMPARE(rerun.arguments.value(0), QString("train"));
    QCOMPARE(rerun.arguments.value(rerun.arguments.indexOf("--model") + 1),
             QString("/models/base model"));
    QCOMPARE(rerun.arguments.value(rerun.arguments.indexOf("--db") + 1),
             QString("/stores/exp one.sqlite"));
    QCOMPARE(rerun.arguments.count("--tag"), 2);
    const TrainSpec back = parse_back(rerun.arguments);
    QCOMPARE(QString::fromStdString(back.to_json()), QString::fromStdString(spec.to_json()));
  }

  void defaults_and_epochs_read_back() {
    TrainSpec spec;
    spec.data.path = "train.txt";
    spec.out_dir = "out";
    spec.steps = 0;
    spec.epochs = 2.5;
    const auto rerun = loralab::ui::rerun_command(run_for(spec), "");
    QVERIFY(!rerun.arguments.contains("--db"));
    QVERIFY(rerun.arguments.contains("--epochs"));
    QCOMPARE(QString::fromStdString(parse_back(rerun.arguments).to_json()),
             QString::fromStdString(spec.to_json()));
  }

  void full_fine_tune_reads_back() {
    TrainSpec spec;
    spec.full = true;
    spec.recompute = true;
    spec.data.path = "train.txt";
    spec.out_dir = "out";
    spec.steps = 10;
    const auto rerun = loralab::ui::rerun_command(run_for(spec), "");
    QVERIFY(rerun.arguments.contains("--full"));
    QVERIFY(rerun.arguments.contains("--recompute"));
    QVERIFY(!rerun.arguments.contains("--rank"));
    QCOMPARE(QString::fromStdString(parse_back(rerun.arguments).to_json()),
             QString::fromStdString(spec.to_json()));
  }

  void the_shell_gives_back_every_argument() {
    const auto rerun = loralab::ui::rerun_command(run_for(unusual_spec()), "/a b/it's.sqlite");
    // printf prints each argument the shell parsed on its own line.
    QProcess shell;
    shell.start("/bin/sh",
                {"-c", "printf '%s\\n' " + rerun.command.mid(QString("loralab-cli ").size())});
    QVERIFY(shell.waitForFinished(10000));
    const QStringList parsed =
        QString::fromUtf8(shell.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(parsed, rerun.arguments);
  }

  void settings_without_a_flag_are_named() {
    TrainSpec spec = unusual_spec();
    spec.beta2 = 0.95;
    spec.lora.seed = 99;
    spec.validation->field = "text";
    const auto rerun = loralab::ui::rerun_command(run_for(spec), "");
    QVERIFY(!rerun.command.isEmpty());
    const QString all = rerun.caveats.join('\n');
    QVERIFY2(all.contains("betas"), qPrintable(all));
    QVERIFY2(all.contains("init seed 99"), qPrintable(all));
    QVERIFY2(all.contains("val.jsonl"), qPrintable(all));
  }

  void a_config_that_is_not_a_spec_gets_no_command() {
    RunRecord run;
    run.id = 3;
    run.base_model_path = "/m";
    run.config_json = R"({"imported": true})";
    const auto rerun = loralab::ui::rerun_command(run, "");
    QVERIFY(rerun.command.isEmpty());
    QVERIFY(rerun.caveats.value(0).contains("not reproducible"));
  }

  void numbers_are_exact() {
    for (double v : {0.1, 1.0 / 3.0, 3e-4, 1e-300, 12345678.901234567, -0.0})
      QCOMPARE(loralab::ui::exact_number(v).toDouble(), v);
    QCOMPARE(loralab::ui::exact_number(0.0003), QString("0.0003"));
  }

  void html_and_markdown_escaping() {
    using loralab::ui::html_escape;
    using loralab::ui::markdown_escape;
    QCOMPARE(html_escape("<script>alert('x')</script> & \"q\""),
             QString("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"));
    QCOMPARE(html_escape(QString("a") + QChar(0x01) + "b"), QString("a") + QChar(0xfffd) + "b");
    const QString md = markdown_escape("<b>x</b> *y* _z_ [l](http://e) `c` | # h");
    QVERIFY(!md.contains('<'));
    QVERIFY(md.contains("\\*y\\*"));
    QVERIFY(md.contains("\\[l\\]"));
    QVERIFY(md.contains("\\`c\\`"));
    QCOMPARE(markdown_escape("# title\n- item\n1. one"), QString("\\# title\n\\- item\n1\\. one"));
    QCOMPARE(markdown_escape("a | b\nc", true), QString("a \\| b c"));
  }
};

QTEST_GUILESS_MAIN(TestReportRerun)
#include "test_report_rerun.moc"
