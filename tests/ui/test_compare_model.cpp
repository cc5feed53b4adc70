// The runs table's model and proxy: refreshes keep rows (and so the selection) by run id, sorting
// is numeric with unset values last, the text filter's words and column conditions, tags and notes
// edited in place, the column keys; and the config diff of two runs.
#include <QCheckBox>
#include <QSignalSpy>
#include <QTableWidget>
#include <QtTest>

#include "ui/compare/config_diff.h"
#include "ui/compare/runs_model.h"

using namespace loralab;
using namespace loralab::ui;

namespace {

RunRecord run(int64_t id, const std::string& name, int64_t rank, double alpha,
              std::optional<double> loss, RunStatus status = RunStatus::Done) {
  RunRecord r;
  r.id = id;
  r.name = name;
  r.status = status;
  r.config.rank = rank;
  r.config.alpha = alpha;
  r.config.targets = rank > 4 ? "all-linear" : "q_proj+v_proj";
  r.config.lr = 3e-4;
  r.best_val_loss = loss;
  r.trainable_params = rank * 1000;
  r.created_at = 1.7e9 + double(id);
  return r;
}

std::vector<int64_t> proxy_ids(const RunsFilterProxy& proxy) {
  std::vector<int64_t> ids;
  for (int row = 0; row < proxy.rowCount(); ++row)
    ids.push_back(proxy.index(row, 0).data(RunsTableModel::kRunIdRole).toLongLong());
  return ids;
}

}  // namespace

class TestCompareModel : public QObject {
  Q_OBJECT
 private slots:
  void refresh_updates_in_place_by_id() {
    RunsTableModel model;
    model.set_runs({run(1, "a", 4, 8, 2.5), run(2, "b", 8, 16, std::nullopt, RunStatus::Running)});
    QCOMPARE(model.rowCount(), 2);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QPersistentModelIndex keep(model.index(1, RunsTableModel::kName));

    // Run 2 finished, run 3 appeared; run 1 is unchanged.
    model.set_runs({run(1, "a", 4, 8, 2.5), run(2, "b", 8, 16, 2.1), run(3, "c", 16, 32, 2.0)});
    QCOMPARE(reset.count(), 0);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(changed.count(), 1);  // only run 2's row
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 1);
    QVERIFY(keep.isValid());
    QCOMPARE(keep.data().toString(), QString("b"));
    QCOMPARE(model.index(1, RunsTableModel::kBestValLoss).data().toString(), QString("2.1000"));
    QCOMPARE(model.index(1, RunsTableModel::kStatus).data().toString(), QString("done"));

    // Run 1 deleted: its row goes, the others keep theirs.
    model.set_runs({run(2, "b", 8, 16, 2.1), run(3, "c", 16, 32, 2.0)});
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.row_of(3), 1);
    QCOMPARE(model.row_of(1), -1);
    QVERIFY(keep.isValid());
    QCOMPARE(keep.row(), 0);
  }

  void sorts_numbers_as_numbers_and_unset_last() {
    RunsTableModel model;
    RunsFilterProxy proxy;
    proxy.setSourceModel(&model);
    model.set_runs({run(1, "a", 16, 8, 2.5), run(2, "b", 4, 16, std::nullopt),
                    run(3, "c", 8, 32, 10.0), run(4, "d", 2, 4, 2.25)});
    proxy.sort(RunsTableModel::kRank, Qt::AscendingOrder);
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({4, 2, 3, 1}));  // 2 < 4 < 8 < 16, not "16" < "2"
    proxy.sort(RunsTableModel::kBestValLoss, Qt::AscendingOrder);
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({4, 1, 3, 2}));  // 2.25 < 2.5 < 10; unset last
    proxy.sort(RunsTableModel::kName, Qt::DescendingOrder);
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({4, 3, 2, 1}));
  }

  void filter_words_and_conditions() {
    RunsTableModel model;
    RunsFilterProxy proxy;
    proxy.setSourceModel(&model);
    auto tagged = run(5, "sweep rank=8 alpha=16", 8, 16, 1.9);
    tagged.tags = {"keep", "best"};
    tagged.notes = "Looks promising";
    model.set_runs({run(1, "sweep rank=4 alpha=8", 4, 8, 2.5), run(2, "sweep rank=4 alpha=16", 4, 16, 2.4),
                    run(3, "other", 16, 32, std::nullopt, RunStatus::Failed), tagged});
    proxy.sort(RunsTableModel::kId);

    proxy.set_filter_text("rank>=8");
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({3, 5}));
    proxy.set_filter_text("rank>=8 status=done");
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({5}));
    proxy.set_filter_text("alpha=16");
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({2, 5}));
    proxy.set_filter_text("best_val_loss<2.45");  // unset values match no comparison
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({2, 5}));
    proxy.set_filter_text("lr=0.0003 targets=all-linear");
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({3, 5}));
    proxy.set_filter_text("tags=keep");
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({5}));
    proxy.set_filter_text("PROMISING");  // free text: notes too, any case
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({5}));
    proxy.set_filter_text("sweep alpha=8");
    QCOMPARE(proxy_ids(proxy), std::vector<int64_t>({1}));
    QVERIFY(proxy.filter_error().isEmpty());
    proxy.set_filter_text("rnak>4");
    QVERIFY(proxy.filter_error().contains("unknown column 'rnak'"));
    QVERIFY(proxy.filter_error().contains("rank"));
    QCOMPARE(proxy.rowCount(), 4);  // a word it cannot read filters nothing out
    proxy.set_filter_text("");
    QCOMPARE(proxy.rowCount(), 4);
  }

  void tags_and_notes_edit_in_place() {
    RunsTableModel model;
    model.set_runs({run(1, "a", 4, 8, 2.5)});
    const QModelIndex tags = model.index(0, RunsTableModel::kTags);
    const QModelIndex notes = model.index(0, RunsTableModel::kNotes);
    QVERIFY(model.flags(tags) & Qt::ItemIsEditable);
    QVERIFY(model.flags(notes) & Qt::ItemIsEditable);
    QVERIFY(!(model.flags(model.index(0, RunsTableModel::kRank)) & Qt::ItemIsEditable));
    QSignalSpy tag_spy(&model, &RunsTableModel::tags_edited);
    QSignalSpy note_spy(&model, &RunsTableModel::notes_edited);
    QVERIFY(model.setData(tags, " keep,  baseline ,,keep "));
    QCOMPARE(tag_spy.count(), 1);
    QCOMPARE(tag_spy.at(0).at(0).toLongLong(), 1);
    QCOMPARE(tag_spy.at(0).at(1).toStringList(), QStringList({"keep", "baseline"}));
    QCOMPARE(tags.data().toString(), QString("keep, baseline"));
    QVERIFY(model.setData(tags, "keep, baseline"));  // unchanged: no second write
    QCOMPARE(tag_spy.count(), 1);
    QVERIFY(model.setData(notes, "lr too high"));
    QCOMPARE(note_spy.count(), 1);
    QCOMPARE(note_spy.at(0).at(1).toString(), QString("lr too high"));
    QVERIFY(!model.setData(model.index(0, RunsTableModel::kRank), 99));
    // A refresh that still carries the old tags (the write is on its way) shows the store's.
    model.set_runs({run(1, "a", 4, 8, 2.5)});
    QCOMPARE(tags.data().toString(), QString());
  }

  void column_keys_are_unique() {
    QSet<QString> keys;
    for (int c = 0; c < RunsTableModel::kColumnCount; ++c) keys.insert(RunsTableModel::column_key(c));
    QCOMPARE(keys.size(), int(RunsTableModel::kColumnCount));
    RunsTableModel model;
    QCOMPARE(model.headerData(RunsTableModel::kBestValLoss, Qt::Horizontal, Qt::DisplayRole).toString(),
             QString("Best val loss"));
  }

  void config_diff_lists_differences_first() {
    const auto rows = diff_configs(R"({"lr":0.001,"lora":{"rank":4,"alpha":8},"steps":10,"name":"a"})",
                                   R"({"lr":0.001,"lora":{"rank":8,"alpha":8},"steps":10,"seed":3})");
    QCOMPARE(rows.size(), size_t(6));
    QCOMPARE(rows[0].key, QString("lora.rank"));
    QCOMPARE(rows[0].left, QString("4"));
    QCOMPARE(rows[0].right, QString("8"));
    QVERIFY(rows[0].differs);
    QCOMPARE(rows[1].key, QString("name"));
    QCOMPARE(rows[1].right, QString("—"));
    QCOMPARE(rows[2].key, QString("seed"));
    QVERIFY(!rows[3].differs);
    QCOMPARE(rows[3].key, QString("lora.alpha"));
    const auto same = diff_configs(R"({"a":1})", R"({ "a" : 1 })");
    QCOMPARE(same.size(), size_t(1));
    QVERIFY(!same[0].differs);
    const auto broken = diff_configs("not json", "{}");
    QCOMPARE(broken[0].key, QString("(config)"));

    RunRecord a = run(1, "a", 4, 8, 2.0), b = run(2, "b", 8, 8, 2.0);
    a.config_json = R"({"lora":{"rank":4},"lr":0.001})";
    b.config_json = R"({"lora":{"rank":8},"lr":0.001})";
    ConfigDiffDialog dialog(a, b);
    QCOMPARE(dialog.difference_count(), 1);
    QCOMPARE(dialog.table()->rowCount(), 1);  // identical fields hidden by default
    QCOMPARE(dialog.table()->item(0, 0)->text(), QString("lora.rank"));
    dialog.findChild<QCheckBox*>()->setChecked(true);
    QCOMPARE(dialog.table()->rowCount(), 2);
  }
};

QTEST_MAIN(TestCompareModel)
#include "test_compare_model.moc"
