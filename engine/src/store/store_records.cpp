// Samples (generated stories, from a run or a blend) and artifacts (files exported from runs and
// sweeps) in the experiment store.
#include "store/store_internal.h"

namespace loralab {

namespace {

SampleRecord read_sample(const store_detail::Statement& row) {
  SampleRecord sample;
  sample.id = row.int64(0);
  sample.run_id = row.opt_int64(1);
  sample.blend_json = row.text(2);
  sample.prompt = row.text(3);
  sample.settings_json = row.text(4);
  sample.seed = row.opt_int64(5);
  sample.text = row.text(6);
  sample.created_at = row.real(7);
  return sample;
}

ArtifactRecord read_artifact(const store_detail::Statement& row) {
  ArtifactRecord artifact;
  artifact.id = row.int64(0);
  artifact.run_id = row.opt_int64(1);
  artifact.sweep_id = row.opt_int64(2);
  artifact.kind = row.text(3);
  artifact.path = row.text(4);
  artifact.created_at = row.real(5);
  return artifact;
}

}  // namespace

int64_t ExperimentStore::add_sample(const SampleRecord& sample) {
  if (!sample.run_id && sample.blend_json.empty())
    throw Error(path() + ": sample: needs a run id or a blend spec");
  if (!sample.blend_json.empty())
    store_detail::require_json_object(sample.blend_json, path() + ": sample blend_json");
  store_detail::require_json_object(sample.settings_json, path() + ": sample settings_json");
  if (sample.run_id) run(*sample.run_id);  // names a missing run
  auto insert = impl_->db.cached(
      "INSERT INTO samples (run_id, blend_json, prompt, settings_json, seed, text, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  insert->bind(1, sample.run_id)
      .bind_text_or_null(2, sample.blend_json)
      .bind(3, sample.prompt)
      .bind(4, sample.settings_json)
      .bind(5, sample.seed)
      .bind(6, sample.text)
      .bind(7, store_detail::now_seconds())
      .run();
  return sqlite3_last_insert_rowid(impl_->db.get());
}

std::vector<SampleRecord> ExperimentStore::samples(int64_t run_id) const {
  std::vector<SampleRecord> out;
  auto select = impl_->db.cached(
      "SELECT id, run_id, blend_json, prompt, settings_json, seed, text, created_at FROM samples "
      "WHERE run_id = ?1 ORDER BY id");
  select->bind(1, run_id);
  while (select->step()) out.push_back(read_sample(*select));
  return out;
}

int64_t ExperimentStore::add_artifact(const ArtifactRecord& artifact) {
  if (!artifact.run_id && !artifact.sweep_id)
    throw Error(path() + ": artifact " + artifact.path + ": needs a run id or a sweep id");
  if (artifact.kind.empty() || artifact.path.empty())
    throw Error(path() + ": artifact: kind and path must not be empty (kind '" + artifact.kind +
                "', path '" + artifact.path + "')");
  if (artifact.run_id) run(*artifact.run_id);
  if (artifact.sweep_id) sweep(*artifact.sweep_id);
  auto insert = impl_->db.cached(
      "INSERT INTO artifacts (run_id, sweep_id, kind, path, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  insert->bind(1, artifact.run_id)
      .bind(2, artifact.sweep_id)
      .bind(3, artifact.kind)
      .bind(4, artifact.path)
      .bind(5, store_detail::now_seconds())
      .run();
  return sqlite3_last_insert_rowid(impl_->db.get());
}

std::vector<ArtifactRecord> ExperimentStore::artifacts_for_run(int64_t run_id) const {
  std::vector<ArtifactRecord> out;
  auto select = impl_->db.cached(
      "SELECT id, run_id, sweep_id, kind, path, created_at FROM artifacts WHERE run_id = ?1 "
      "ORDER BY id");
  select->bind(1, run_id);
  while (select->step()) out.push_back(read_artifact(*select));
  return out;
}

std::vector<ArtifactRecord> ExperimentStore::artifacts_for_sweep(int64_t sweep_id) const {
  std::vector<ArtifactRecord> out;
  auto select = impl_->db.cached(
      "SELECT id, run_id, sweep_id, kind, path, created_at FROM artifacts WHERE sweep_id = ?1 "
      "ORDER BY id");
  select->bind(1, sweep_id);
  while (select->step()) out.push_back(read_artifact(*select));
  return out;
}

}  // namespace loralab
