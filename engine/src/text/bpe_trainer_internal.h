// Private pieces of the BPE trainer shared by its two files: the learned vocabulary and merges,
// and their tokenizer.json rendering.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "loralab/bpe_trainer.h"

namespace loralab::text {

struct LearnedBpe {
  std::vector<std::string> token_raw;                 // by id; specials hold their content
  std::vector<std::pair<int32_t, int32_t>> merges;    // (left id, right id), in rank order
};

// tokenizer.json text for the learned tables: ByteLevel pre-tokenizer with GPT-2's regex,
// ByteLevel decoder, the special tokens as added tokens, a template post-processor that puts BOS
// in front (as Llama's tokenizers do) and PAD as padding token. Checked by loading it back.
std::string learned_bpe_json(const BpeTrainOptions& options, const LearnedBpe& learned);

}  // namespace loralab::text
