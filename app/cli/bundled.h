// The bundled story model and datasets, for loralab-cli. They are looked up, in order, under
// $LORALAB_RESOURCES, <exe>/../share/loralab (an installed package: /usr/bin →
// /usr/share/loralab), <exe>/resources, and the source tree the program was built from — the same
// order as the desktop app (ui/app_paths.h).
//
// On the command line the word `bundled` stands for them:
//   --model bundled (and `info bundled`)   the bundled base model folder
//   --data bundled:STYLE                   datasets/STYLE/train.jsonl
//   --val bundled:STYLE                    datasets/STYLE/validation.jsonl
//   --reference bundled:STYLE              datasets/STYLE/reference.jsonl
//   --data bundled:PATH                    any file under datasets/, e.g. bundled:mystery/validation.jsonl
#pragma once
#include <string>
#include <vector>

namespace loralab::cli {

// The candidate resource folders in lookup order (existing or not), for messages.
std::vector<std::string> resource_candidates();
// The first candidate holding models/base/config.json or a datasets folder; "" when none does.
std::string resources_dir();
// The bundled base model folder; throws loralab::Error naming where it was looked for.
std::string bundled_model_dir();
// `value` of --data / --val / --reference: "bundled:STYLE" or "bundled:PATH" → the file; throws
// naming the flag and the styles there are. Other values come back unchanged.
std::string resolve_bundled_data(const std::string& flag, const std::string& value);
// Rewrites the values of --model, --data, --val and --reference (and `info`'s MODEL_DIR) that
// name bundled resources into their paths, so every command accepts them.
void expand_bundled_args(const std::string& command, std::vector<std::string>& args);

}  // namespace loralab::cli
