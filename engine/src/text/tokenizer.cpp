// loralab::Tokenizer: loading, encode/decode and the special ids; see loralab/tokenizer.h.
#include "loralab/tokenizer.h"

#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "loralab/error.h"
#include "text/byte_level.h"
#include "text/tokenizer_impl.h"
#include "text/utf8.h"

namespace loralab {

namespace text {

namespace {

constexpr const char* kBosNames[] = {"<|begin_of_text|>", "<s>", "<|startoftext|>", "<bos>",
                                     "<|endoftext|>"};
constexpr const char* kEosNames[] = {"<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>"};
constexpr const char* kPadNames[] = {"<pad>", "<|pad|>", "[PAD]", "<|padding|>"};

template <size_t N>
std::optional<int32_t> first_found(const TokenizerCore& core, const char* const (&names)[N]) {
  for (const char* name : names)
    if (auto id = core.find(name)) return id;
  return std::nullopt;
}

}  // namespace

std::optional<int32_t> TokenizerCore::find(const std::string& token) const {
  if (auto it = added_by_content.find(token); it != added_by_content.end()) return it->second;
  if (auto it = model->vocab().find(token); it != model->vocab().end()) return it->second;
  return std::nullopt;
}

void TokenizerCore::finish() {
  int32_t max_id = -1;
  for (const auto& [token, id] : model->vocab()) max_id = std::max(max_id, id);
  for (const auto& token : added_tokens) max_id = std::max(max_id, token.id);
  const auto size = static_cast<size_t>(max_id + 1);
  token_text.assign(size, {});
  token_raw.assign(size, {});
  known.assign(size, false);
  special.assign(size, false);

  for (const auto& [token, id] : model->vocab()) {
    if (known[id])
      throw Error(source + ": model.vocab: id " + std::to_string(id) + " is used by both '" +
                  token_text[id] + "' and '" + token + "'");
    known[id] = true;
    token_text[id] = token;
    // A token outside the byte alphabet decodes to its own UTF-8, as Hugging Face's does.
    token_raw[id] = token_text_to_bytes(token).value_or(token);
  }
  for (size_t i = 0; i < added_tokens.size(); ++i) {
    const AddedToken& token = added_tokens[i];
    const std::string where = source + ": added_tokens[" + std::to_string(i) + "]";
    if (known[token.id] && token_text[token.id] != token.content)
      throw Error(where + ": id " + std::to_string(token.id) + " is '" + token.content +
                  "' here but '" + token_text[token.id] + "' elsewhere");
    if (auto in_vocab = model->vocab().find(token.content);
        in_vocab != model->vocab().end() && in_vocab->second != token.id)
      throw Error(where + ": '" + token.content + "' has id " + std::to_string(token.id) +
                  " here but " + std::to_string(in_vocab->second) + " in model.vocab");
    known[token.id] = true;
    token_text[token.id] = token.content;
    token_raw[token.id] = token.content;  // matched in the raw text, so it stands for itself
    special[token.id] = token.special;
    added_by_content[token.content] = token.id;
  }
  added_matcher = std::make_unique<AddedTokenMatcher>(added_tokens);

  for (auto* side : {&special_template.prefix, &special_template.suffix})
    for (int32_t id : *side)
      if (id >= static_cast<int32_t>(size) || !known[id])
        throw Error(source + ": post_processor: special token id " + std::to_string(id) +
                    " is not in the vocabulary");
  default_bos = !special_template.prefix.empty() ? special_template.prefix.front()
                                                 : first_found(*this, kBosNames);
  default_eos = !special_template.suffix.empty() ? special_template.suffix.back()
                                                 : first_found(*this, kEosNames);
  if (default_pad && (*default_pad >= static_cast<int32_t>(size) || !known[*default_pad]))
    throw Error(source + ": padding.pad_id: " + std::to_string(*default_pad) +
                " is not in the vocabulary");
  if (!default_pad) default_pad = first_found(*this, kPadNames);
}

}  // namespace text

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error");
  return buffer.str();
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->bos = impl_->core->default_bos;
  impl_->eos = impl_->core->default_eos;
  impl_->pad = impl_->core->default_pad;
}

Tokenizer::Tokenizer(const Tokenizer& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Tokenizer& Tokenizer::operator=(const Tokenizer& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path location(path);
  if (fs::is_directory(location, ec)) {
    const fs::path json = location / "tokenizer.json";
    if (fs::exists(json, ec)) return from_json(read_file(json), json.string());
    const fs::path vocab = location / "vocab.json", merges = location / "merges.txt";
    if (fs::exists(vocab, ec) && fs::exists(merges, ec))
      return from_vocab_merges(read_file(vocab), read_file(merges), path);
    throw Error(path + ": no tokenizer.json, and no vocab.json + merges.txt");
  }
  if (!fs::exists(location, ec)) throw Error(path + ": no such file or folder");
  return from_json(read_file(location), path);
}

Tokenizer Tokenizer::from_json(const std::string& json_text, const std::string& source) {
  auto impl = std::make_unique<Impl>();
  impl->core = text::parse_tokenizer_json(json_text, source);
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_vocab_merges(const std::string& vocab_json_text,
                                       const std::string& merges_text, const std::string& source) {
  auto impl = std::make_unique<Impl>();
  impl->core = text::parse_vocab_merges(vocab_json_text, merges_text, source);
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::encode(std::string_view utf8, bool add_special_tokens) const {
  const text::TokenizerCore& core = *impl_->core;
  if (auto bad = text::find_invalid_utf8(utf8)) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<uint8_t>(utf8[*bad]));
    throw Error("tokenizer " + core.source + ": input text is not valid UTF-8 at byte offset " +
                std::to_string(*bad) + " (byte " + hex + ")");
  }
  std::vector<int32_t> ids;
  ids.reserve(utf8.size() / 3 + 4);
  if (add_special_tokens) {
    if (core.special_template.present)
      ids = core.special_template.prefix;
    else if (impl_->bos)
      ids.push_back(*impl_->bos);
  }
  std::deque<std::string> storage;
  std::vector<std::string_view> words;
  for (const auto& piece : core.added_matcher->split(utf8)) {
    if (piece.id >= 0) {
      ids.push_back(piece.id);
      continue;
    }
    words.clear();
    core.pre_tokenizer.split(utf8.substr(piece.begin, piece.end - piece.begin), storage, words);
    for (std::string_view word : words) core.model->encode_word(word, ids);
  }
  if (add_special_tokens) {
    if (core.special_template.present)
      ids.insert(ids.end(), core.special_template.suffix.begin(), core.special_template.suffix.end());
    else if (impl_->eos)
      ids.push_back(*impl_->eos);
  }
  return ids;
}

namespace {

void check_id(const text::TokenizerCore& core, int32_t id) {
  if (id < 0 || id >= static_cast<int32_t>(core.known.size()) || !core.known[id])
    throw Error("tokenizer " + core.source + ": token id " + std::to_string(id) +
                " is not in the vocabulary (size " + std::to_string(core.known.size()) + ")");
}

}  // namespace

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  const text::TokenizerCore& core = *impl_->core;
  std::string bytes;
  for (int32_t id : ids) {
    check_id(core, id);
    if (skip_special_tokens && core.special[id]) continue;
    bytes += core.token_raw[id];
  }
  return text::utf8_repair(bytes);
}

std::string Tokenizer::token_bytes(int32_t id) const {
  check_id(*impl_->core, id);
  return impl_->core->token_raw[id];
}

int32_t Tokenizer::vocab_size() const {
  return static_cast<int32_t>(impl_->core->known.size());
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  return impl_->core->find(std::string(token));
}

std::string Tokenizer::id_to_token(int32_t id) const {
  check_id(*impl_->core, id);
  return impl_->core->token_text[id];
}

bool Tokenizer::is_special(int32_t id) const {
  check_id(*impl_->core, id);
  return impl_->core->special[id];
}

std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos; }
std::optional<int32_t> Tokenizer::pad_id() const { return impl_->pad; }

void Tokenizer::set_special_ids(std::optional<int32_t> bos, std::optional<int32_t> eos,
                                std::optional<int32_t> pad) {
  for (auto id : {bos, eos, pad})
    if (id) check_id(*impl_->core, *id);
  if (bos) impl_->bos = bos;
  if (eos) impl_->eos = eos;
  if (pad) impl_->pad = pad;
}

std::string Tokenizer::to_json() const { return text::write_tokenizer_json(*impl_->core); }

}  // namespace loralab
