// The exact `loralab-cli train ...` command that reruns a stored run: every flag the training spec
// has a value for is written out (not only the ones off their defaults, so a later change of a
// default does not change what the command does), plus --db so the rerun is recorded too.
#pragma once
#include <QString>
#include <QStringList>
#include <string>

#include "loralab/store.h"
#include "ui/report/report_content.h"

namespace loralab::ui {

// Builds the command from the run's config_json (a TrainSpec) and base model path. Settings that no
// CLI flag can set and that differ from their defaults are listed as caveats. A run whose config is
// not a training spec gets an empty command and a caveat saying why.
RerunCommand rerun_command(const RunRecord& run, const QString& store_path);

// POSIX shell quoting: bare when only safe characters, else in single quotes.
QString shell_quote(const QString& argument);

// The shortest decimal text that reads back as the same double ("0.0003", "1e-12").
QString exact_number(double value);
void append_exact_number(std::string& out, double value);

}  // namespace loralab::ui
