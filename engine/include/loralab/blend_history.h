// The blend playground's history: samples stored with a blend spec (blend_json set), newest first,
// whatever run (if any) they belong to. ExperimentStore::samples() lists one run's samples only.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "loralab/store.h"

namespace loralab {

// Opens `store_path` read-only (it must exist and be a LoRA Lab store) and returns at most `limit`
// samples that carry a blend spec, newest first. Throws loralab::Error naming the file.
std::vector<SampleRecord> blend_samples(const std::string& store_path, int64_t limit = 500);

}  // namespace loralab
