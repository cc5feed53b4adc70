// Where the app finds its bundled resources (the tiny story model, the story datasets) and where it
// writes new adapters. The bundled files are looked up, in order, under $LORALAB_RESOURCES, the
// installed share folder next to the executable (<prefix>/bin/../share/loralab), <exe>/resources,
// and the source tree the app was built from. loralab-cli looks in the same places.
#pragma once
#include <QString>
#include <QStringList>

namespace loralab::ui {

QString resources_dir();           // "" when no candidate exists
QString bundled_model_dir();       // resources/models/base when it holds a config.json, else ""
QString bundled_model_expected();  // the path the bundled model is looked for at (for messages)
// The bundled training sets, sorted by name: <style>/train.jsonl for each style folder under
// resources/datasets, and data files lying directly in it.
QStringList bundled_datasets();
// "Fairy tale" for .../fairy_tale/train.jsonl, else the file name.
QString dataset_display_name(const QString& path);
// The validation.jsonl next to a train.jsonl, when there is one; else "".
QString sibling_validation(const QString& data_path);
// The fairy-tale set among bundled_datasets(), else the first one, else "".
QString default_dataset();
// A fresh folder name under `root` for a run called `name` (not created).
QString new_run_output_dir(const QString& root, const QString& name);

}  // namespace loralab::ui
