// Blend samples across runs; see loralab/blend_history.h.
#include "loralab/blend_history.h"

#include <filesystem>

#include "loralab/error.h"
#include "store/sqlite_handle.h"

namespace loralab {

std::vector<SampleRecord> blend_samples(const std::string& store_path, int64_t limit) {
  if (!std::filesystem::exists(store_path))
    throw Error(store_path + ": experiment store not found");
  if (limit <= 0) throw Error("blend_samples: limit must be > 0, got " + std::to_string(limit));
  store_detail::Database db;
  db.open(store_path, /*create=*/false, /*busy_timeout_ms=*/2000);
  if (db.query_int(
          "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'samples'") == 0)
    throw Error(store_path + ": not a LoRA Lab experiment store (no samples table)");
  std::vector<SampleRecord> out;
  auto select = db.cached(
      "SELECT id, run_id, blend_json, prompt, settings_json, seed, text, created_at FROM samples "
      "WHERE blend_json IS NOT NULL ORDER BY id DESC LIMIT ?1");
  select->bind(1, limit);
  while (select->step()) {
    SampleRecord sample;
    sample.id = select->int64(0);
    sample.run_id = select->opt_int64(1);
    sample.blend_json = select->text(2);
    sample.prompt = select->text(3);
    sample.settings_json = select->text(4);
    sample.seed = select->opt_int64(5);
    sample.text = select->text(6);
    sample.created_at = select->real(7);
    out.push_back(std::move(sample));
  }
  return out;
}

}  // namespace loralab
