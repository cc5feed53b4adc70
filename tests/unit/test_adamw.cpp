// The trainer's AdamW and gradient clipping against torch.optim.AdamW and clip_grad_norm_
// (tests/data/optimizer/adamw_expected.json, made by tests/golden/make_adamw_fixture.py): six steps
// with changing learning rates, weight decay on the 2-D parameter only, some steps clipped, one
// with gradients small enough that eps matters. Tolerances: the pre-clip norms to 1e-6 relative
// (the engine sums squares in float64, PyTorch in float32), the parameters and both moments to
// 1e-6 absolute (all of order 1e-3 to 1; one float32 rounding is ~1e-7), while the parameters
// moved by up to 1e-2 and a wrong bias correction, decay or clip moves them by more than 1e-4.
#include <QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "train/adamw_check.h"

namespace {

std::vector<float> floats(const QJsonValue& v) {
  std::vector<float> out;
  for (const auto& x : v.toArray()) out.push_back(static_cast<float>(x.toDouble()));
  return out;
}

std::map<std::string, std::vector<float>> named(const QJsonValue& v) {
  std::map<std::string, std::vector<float>> out;
  const auto object = v.toObject();
  for (auto it = object.begin(); it != object.end(); ++it) out[it.key().toStdString()] = floats(it.value());
  return out;
}

double max_abs_difference(const std::map<std::string, std::vector<float>>& got,
                          const std::map<std::string, std::vector<float>>& want) {
  double worst = 0;
  for (const auto& [name, values] : want) {
    const auto& mine = got.at(name);
    if (mine.size() != values.size()) return 1e9;
    for (size_t i = 0; i < values.size(); ++i)
      worst = std::max(worst, std::abs(double(mine[i]) - double(values[i])));
  }
  return worst;
}

}  // namespace

class TestAdamW : public QObject {
  Q_OBJECT
 private slots:
  void matches_torch_adamw_with_clipping() {
    QFile file(QStringLiteral(LORALAB_TEST_DATA "/optimizer/adamw_expected.json"));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const auto golden = QJsonDocument::fromJson(file.readAll()).object();
    loralab::training::AdamWCheckInput input;
    const auto betas = golden["betas"].toArray();
    input.beta1 = betas[0].toDouble();
    input.beta2 = betas[1].toDouble();
    input.eps = golden["eps"].toDouble();
    input.weight_decay = golden["weight_decay"].toDouble();
    input.max_norm = golden["max_norm"].toDouble();
    const auto shapes = golden["shapes"].toObject();
    for (auto it = shapes.begin(); it != shapes.end(); ++it) {
      std::vector<int64_t> shape;
      for (const auto& d : it.value().toArray()) shape.push_back(d.toInt());
      input.shapes[it.key().toStdString()] = shape;
    }
    input.initial = named(golden["initial"]);
    for (const auto& step : golden["steps"].toArray()) {
      loralab::training::AdamWCheckInput::Step s;
      s.lr = step.toObject()["lr"].toDouble();
      s.grads = named(step.toObject()["grads"]);
      input.steps.push_back(s);
    }
    QCOMPARE(input.steps.size(), size_t(6));

    const auto result = loralab::training::run_adamw_check(input);
    const auto norms = golden["grad_norms"].toArray();
    QCOMPARE(result.grad_norms.size(), size_t(norms.size()));
    for (qsizetype i = 0; i < norms.size(); ++i) {
      const double want = norms[i].toDouble();
      QVERIFY2(std::abs(result.grad_norms[size_t(i)] - want) <= 1e-6 * want,
               qPrintable(QString("step %1: norm %2, torch %3").arg(i).arg(result.grad_norms[size_t(i)]).arg(want)));
    }
    const double params = max_abs_difference(result.params, named(golden["final"]));
    const double moved = max_abs_difference(input.initial, named(golden["final"]));
    const double m = max_abs_difference(result.exp_avg, named(golden["exp_avg"]));
    const double v = max_abs_difference(result.exp_avg_sq, named(golden["exp_avg_sq"]));
    qInfo("parameters %g (moved %g), exp_avg %g, exp_avg_sq %g", params, moved, m, v);
    QVERIFY(moved > 1e-3);
    QVERIFY2(params < 1e-6, qPrintable(QString::number(params)));
    QVERIFY2(m < 1e-6, qPrintable(QString::number(m)));
    QVERIFY2(v < 1e-6, qPrintable(QString::number(v)));
  }
};

QTEST_GUILESS_MAIN(TestAdamW)
#include "test_adamw.moc"
