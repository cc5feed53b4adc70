// QueueView: the run queue at a glance — the runs being trained (with progress for the one this
// app trains), the queued runs in order, and the runs that failed, were interrupted or stopped —
// with Start/Stop for the queue, Cancel, Move up/down/to the top, and Retry for failed runs. It
// shows the page's snapshots and the queue runner's progress; every action goes through signals
// to the page's controller.
#pragma once
#include <QHash>
#include <QWidget>
#include <vector>

#include "loralab/store.h"

class QLabel;
class QPushButton;
class QTableWidget;

namespace loralab::ui {

class QueueView : public QWidget {
  Q_OBJECT
 public:
  enum Column { kPosition, kRun, kName, kStatus, kProgress, kColumnCount };
  explicit QueueView(QWidget* parent = nullptr);

  void set_runs(const std::vector<RunRecord>& active, const std::vector<RunRecord>& queued,
                const std::vector<RunRecord>& attention);
  void set_working(bool working);
  void set_progress(int64_t run_id, int64_t step, int64_t total, double loss, double eta_seconds);
  void clear_progress(int64_t run_id);

  std::vector<int64_t> selected_runs() const;
  void select_runs(const std::vector<int64_t>& ids);
  // Run ids in display order, with their section: "active", "queued", "attention".
  std::vector<std::pair<int64_t, QString>> rows() const;

  QTableWidget* table() const { return table_; }
  QPushButton* start_button() const { return start_; }
  QPushButton* cancel_button() const { return cancel_; }
  QPushButton* up_button() const { return up_; }
  QPushButton* down_button() const { return down_; }
  QPushButton* top_button() const { return top_; }
  QPushButton* retry_button() const { return retry_; }
  QLabel* summary_label() const { return summary_; }

 signals:
  void start_requested();
  void stop_requested();
  void cancel_requested(const std::vector<int64_t>& run_ids);
  void move_requested(qint64 run_id, qint64 index);
  void retry_requested(const std::vector<int64_t>& run_ids);

 private:
  struct Progress {
    int64_t step = 0, total = 0;
    double loss = 0, eta = 0;
  };
  void rebuild();
  void update_buttons();
  void move_selected(int delta);  // delta: -1 up, +1 down, INT_MIN to the top
  QString progress_text(int64_t run_id, const RunRecord& run) const;

  std::vector<RunRecord> active_, queued_, attention_;
  QHash<qint64, Progress> progress_;
  bool working_ = false;
  QTableWidget* table_ = nullptr;
  QPushButton *start_ = nullptr, *cancel_ = nullptr, *up_ = nullptr, *down_ = nullptr,
              *top_ = nullptr, *retry_ = nullptr;
  QLabel* summary_ = nullptr;
};

}  // namespace loralab::ui
