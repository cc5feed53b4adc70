// Value types that cross from the training thread to the GUI thread in queued signals, and the
// request the Train page hands to its controller.
#pragma once
#include <QMetaType>
#include <QString>

#include "loralab/train.h"

namespace loralab::ui {

struct TrainRequest {
  QString model_dir;
  TrainSpec spec;
  QString store_path;  // experiment store to record the run in; "" = do not record
};

// Registers the engine value structs for queued connections; idempotent.
void register_train_metatypes();

}  // namespace loralab::ui

Q_DECLARE_METATYPE(loralab::StepMetrics)
Q_DECLARE_METATYPE(loralab::EvalMetrics)
Q_DECLARE_METATYPE(loralab::TrainPlan)
Q_DECLARE_METATYPE(loralab::TrainResult)
