// Reading tokenizer.json and vocab.json + merges.txt into a TokenizerCore, and writing
// tokenizer.json back (shared/design/FORMATS.md, "tokenizer.json (byte-level BPE)").
#include <algorithm>

#include "loralab/error.h"
#include "text/byte_level.h"
#include "text/json_access.h"
#include "text/tokenizer_impl.h"
#include "text/utf8.h"

namespace loralab::text {

namespace {

// Ids above this are refused: the id tables are dense and real vocabularies stay far below.
constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

nlohmann::json parse_document(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(source + ": not valid JSON: " + error.what());
  }
}

int32_t token_id(const JsonAt& node) {
  const int64_t id = node.integer();
  if (id < 0 || id > kMaxTokenId)
    throw Error(node.where() + ": id " + std::to_string(id) + " is out of range (expected 0.." +
                std::to_string(kMaxTokenId) + ")");
  return static_cast<int32_t>(id);
}

std::unordered_map<std::string, int32_t> parse_vocab(const JsonAt& vocab) {
  if (!vocab.node.is_object()) vocab.fail("an object {token: id}");
  std::unordered_map<std::string, int32_t> result;
  result.reserve(vocab.node.size());
  for (const auto& [token, id] : vocab.node.items())
    result.emplace(token, token_id(vocab.child(token, id)));
  return result;
}

// "a b" must split on its one space into two non-empty parts (Hugging Face's rule).
std::optional<std::pair<std::string, std::string>> split_merge_line(std::string_view line) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
      line.find(' ', space + 1) != std::string_view::npos)
    return std::nullopt;
  return std::make_pair(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
}

std::vector<std::pair<std::string, std::string>> parse_merges(const JsonAt& merges) {
  if (!merges.node.is_array()) merges.fail("an array of \"a b\" strings or [\"a\", \"b\"] pairs");
  std::vector<std::pair<std::string, std::string>> result;
  result.reserve(merges.node.size());
  for (size_t i = 0; i < merges.node.size(); ++i) {
    const JsonAt item = merges.element(i);
    if (item.node.is_string()) {
      auto pair = split_merge_line(item.node.get_ref<const std::string&>());
      if (!pair) item.fail("\"a b\" (two tokens separated by one space)");
      result.push_back(std::move(*pair));
    } else if (item.node.is_array() && item.node.size() == 2 && item.node[0].is_string() &&
               item.node[1].is_string()) {
      result.emplace_back(item.node[0].get<std::string>(), item.node[1].get<std::string>());
    } else {
      item.fail("\"a b\" or [\"a\", \"b\"]");
    }
  }
  return result;
}

void check_normalizer(const JsonAt& root) {
  if (!root.has("normalizer")) return;
  const JsonAt normalizer = root.at("normalizer");
  const std::string type = normalizer.at("type").string();
  if (type == "Sequence" && normalizer.has("normalizers") &&
      normalizer.at("normalizers").node.is_array() && normalizer.at("normalizers").node.empty())
    return;
  throw Error(normalizer.where() + ": normalizer " + type +
              " is not supported (byte-level BPE here runs on the raw text; expected null)");
}

void check_decoder(const JsonAt& decoder) {
  const std::string type = decoder.at("type").string();
  if (type == "ByteLevel") return;
  if (type == "Sequence") {
    const JsonAt list = decoder.at("decoders");
    if (!list.node.is_array()) list.fail("an array");
    for (size_t i = 0; i < list.node.size(); ++i) check_decoder(list.element(i));
    return;
  }
  throw Error(decoder.where() + ": decoder " + type +
              " is not supported (byte-level BPE decodes with ByteLevel)");
}

void parse_model(const JsonAt& model, TokenizerCore& core) {
  if (model.has("type") && model.at("type").string() != "BPE")
    throw Error(model.where() + ".type: model type " + model.at("type").string() +
                " is not supported (only BPE)");
  if (model.has("dropout") &&
      !(model.at("dropout").node.is_number() && model.at("dropout").node.get<double>() == 0.0))
    throw Error(model.where() + ".dropout: BPE dropout is not supported (expected null)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (auto value = model.optional_string(key); value && !value->empty())
      throw Error(model.where() + "." + key + ": '" + *value +
                  "' is not supported for byte-level BPE (expected null)");
  if (model.boolean_or("byte_fallback", false))
    throw Error(model.where() + ".byte_fallback: true is not supported (SentencePiece-style "
                "byte fallback; expected false)");
  BpeOptions options;
  options.unk_token = model.optional_string("unk_token");
  options.fuse_unk = model.boolean_or("fuse_unk", false);
  options.ignore_merges = model.boolean_or("ignore_merges", false);
  auto vocab = parse_vocab(model.at("vocab"));
  auto merges = parse_merges(model.at("merges"));
  const std::string where = model.where();
  core.model = std::make_unique<BpeModel>(
      std::move(vocab), std::move(merges), std::move(options), where,
      [&](size_t rank) { return where + ".merges[" + std::to_string(rank) + "]"; });
}

void parse_added_tokens(const JsonAt& root, TokenizerCore& core) {
  if (!root.has("added_tokens")) return;
  const JsonAt list = root.at("added_tokens");
  if (!list.node.is_array()) list.fail("an array");
  for (size_t i = 0; i < list.node.size(); ++i) {
    const JsonAt item = list.element(i);
    AddedToken token;
    token.id = token_id(item.at("id"));
    token.content = item.at("content").string();
    if (token.content.empty()) throw Error(item.where() + ".content: empty");
    token.special = item.boolean_or("special", false);
    token.single_word = item.boolean_or("single_word", false);
    token.lstrip = item.boolean_or("lstrip", false);
    token.rstrip = item.boolean_or("rstrip", false);
    token.normalized = item.boolean_or("normalized", !token.special);
    core.added_tokens.push_back(std::move(token));
  }
}

std::vector<int32_t> special_token_ids(const JsonAt& special_tokens, const std::string& name,
                                       const std::string& item_where) {
  if (!special_tokens.has(name.c_str()))
    throw Error(item_where + ": special token " + name + " is not in special_tokens");
  const JsonAt entry = special_tokens.at(name.c_str()).at("ids");
  if (!entry.node.is_array()) entry.fail("an array of ids");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < entry.node.size(); ++i) ids.push_back(token_id(entry.element(i)));
  return ids;
}

void parse_post_processor(const JsonAt& node, SpecialTemplate& result) {
  const std::string type = node.at("type").string();
  if (type == "ByteLevel") return;  // it only adjusts offsets
  if (type == "Sequence") {
    const JsonAt list = node.at("processors");
    if (!list.node.is_array()) list.fail("an array");
    for (size_t i = 0; i < list.node.size(); ++i) parse_post_processor(list.element(i), result);
    return;
  }
  if (result.present)
    throw Error(node.where() + ": more than one template post-processor is not supported");
  result.present = true;
  if (type == "TemplateProcessing") {
    const JsonAt single = node.at("single");
    if (!single.node.is_array()) single.fail("an array");
    bool seen_sequence = false;
    for (size_t i = 0; i < single.node.size(); ++i) {
      const JsonAt item = single.element(i);
      if (item.has("Sequence")) {
        const std::string id = item.at("Sequence").at("id").string();
        if (id != "A" || seen_sequence)
          throw Error(item.where() + ": the single template must name sequence A once");
        seen_sequence = true;
      } else if (item.has("SpecialToken")) {
        const std::string name = item.at("SpecialToken").at("id").string();
        auto ids = special_token_ids(node.at("special_tokens"), name, item.where());
        auto& side = seen_sequence ? result.suffix : result.prefix;
        side.insert(side.end(), ids.begin(), ids.end());
      } else {
        item.fail("{\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
    if (!seen_sequence) throw Error(single.where() + ": the template has no sequence A");
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    for (const char* key : {"cls", "sep"}) {
      const JsonAt pair = node.at(key);
      if (!pair.node.is_array() || pair.node.size() != 2) pair.fail("[token, id]");
      const int32_t id = token_id(pair.element(1));
      (std::string(key) == "cls" ? result.prefix : result.suffix).push_back(id);
    }
  } else {
    throw Error(node.where() + ": post-processor " + type + " is not supported (supported: "
                "ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing, Sequence)");
  }
}

// A section written back with "type" first and the other keys sorted, so that an export reads
// well and exporting a re-loaded export gives the same text.
nlohmann::ordered_json type_first(const nlohmann::json& node) {
  if (node.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& item : node) out.push_back(type_first(item));
    return out;
  }
  if (!node.is_object()) return nlohmann::ordered_json::parse(node.dump());
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (node.contains("type")) out["type"] = type_first(node.at("type"));
  for (const auto& [key, value] : node.items())
    if (key != "type") out[key] = type_first(value);
  return out;
}

// JSON text of a string, for the hand-written vocab and merges sections.
std::string quote(const std::string& text) { return nlohmann::json(text).dump(); }

}  // namespace

std::shared_ptr<const TokenizerCore> parse_tokenizer_json(const std::string& text,
                                                          const std::string& source) {
  const nlohmann::json document = parse_document(text, source);
  const JsonAt root{document, source, ""};
  if (!document.is_object()) root.fail("a JSON object (tokenizer.json)");
  auto core = std::make_shared<TokenizerCore>();
  core->source = source;
  check_normalizer(root);
  parse_model(root.at("model"), *core);
  core->pre_tokenizer = PreTokenizer::from_json(
      document.contains("pre_tokenizer") ? document.at("pre_tokenizer") : nlohmann::json(), source);
  parse_added_tokens(root, *core);
  if (root.has("post_processor")) {
    parse_post_processor(root.at("post_processor"), core->special_template);
    core->post_processor_json = type_first(document.at("post_processor"));
  }
  if (root.has("decoder")) {
    check_decoder(root.at("decoder"));
    core->decoder_json = type_first(document.at("decoder"));
  }
  if (root.has("padding") && root.at("padding").has("pad_id"))
    core->default_pad = token_id(root.at("padding").at("pad_id"));
  core->finish();
  return core;
}

std::shared_ptr<const TokenizerCore> parse_vocab_merges(const std::string& vocab_text,
                                                        const std::string& merges_text,
                                                        const std::string& source) {
  const std::string vocab_source = source + "/vocab.json";
  const std::string merges_source = source + "/merges.txt";
  const nlohmann::json vocab_document = parse_document(vocab_text, vocab_source);
  auto core = std::make_shared<TokenizerCore>();
  core->source = source;
  auto vocab = parse_vocab(JsonAt{vocab_document, vocab_source, ""});

  if (auto bad = find_invalid_utf8(merges_text))
    throw Error(merges_source + ": not valid UTF-8 at byte " + std::to_string(*bad));
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<size_t> line_numbers;
  size_t line_number = 0, start = 0;
  while (start < merges_text.size()) {
    size_t end = merges_text.find('\n', start);
    if (end == std::string::npos) end = merges_text.size();
    std::string_view line(merges_text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_number == 1 && line.starts_with("#version"))) continue;
    auto pair = split_merge_line(line);
    if (!pair)
      throw Error(merges_source + ": line " + std::to_string(line_number) +
                  ": expected two tokens separated by one space, found '" + std::string(line) +
                  "'");
    merges.push_back(std::move(*pair));
    line_numbers.push_back(line_number);
  }
  core->model = std::make_unique<BpeModel>(
      std::move(vocab), std::move(merges), BpeOptions{}, vocab_source, [&](size_t rank) {
        return merges_source + ": line " + std::to_string(line_numbers[rank]) + " (merge " +
               std::to_string(rank) + ")";
      });
  core->pre_tokenizer = PreTokenizer::gpt2();
  core->finish();
  return core;
}

std::string write_tokenizer_json(const TokenizerCore& core) {
  using ordered = nlohmann::ordered_json;
  constexpr int kIndent = 2;
  const auto indented = [](const ordered& value, int depth) {
    std::string text = value.dump(kIndent);
    std::string pad(static_cast<size_t>(depth * kIndent), ' '), out;
    for (char c : text) {
      out += c;
      if (c == '\n') out += pad;
    }
    return out;
  };

  ordered added = ordered::array();
  for (const AddedToken& token : core.added_tokens)
    added.push_back({{"id", token.id},
                     {"content", token.content},
                     {"single_word", token.single_word},
                     {"lstrip", token.lstrip},
                     {"rstrip", token.rstrip},
                     {"normalized", token.normalized},
                     {"special", token.special}});
  ordered decoder = core.decoder_json;
  if (decoder.is_null())
    decoder = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
               {"use_regex", true}};
  const BpeOptions& options = core.model->options();

  std::string out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n";
  out += "  \"added_tokens\": " + indented(added, 1) + ",\n";
  out += "  \"normalizer\": null,\n";
  out += "  \"pre_tokenizer\": " + indented(core.pre_tokenizer.to_json(), 1) + ",\n";
  out += "  \"post_processor\": " + indented(core.post_processor_json, 1) + ",\n";
  out += "  \"decoder\": " + indented(decoder, 1) + ",\n";
  out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n";
  out += "    \"unk_token\": " + (options.unk_token ? quote(*options.unk_token) : "null") + ",\n";
  out += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n";
  out += std::string("    \"fuse_unk\": ") + (options.fuse_unk ? "true" : "false") + ",\n";
  out += "    \"byte_fallback\": false,\n";
  out += std::string("    \"ignore_merges\": ") + (options.ignore_merges ? "true" : "false") + ",\n";

  std::vector<std::pair<int32_t, const std::string*>> by_id;
  by_id.reserve(core.model->vocab().size());
  for (const auto& [token, id] : core.model->vocab()) by_id.emplace_back(id, &token);
  std::sort(by_id.begin(), by_id.end());
  out += "    \"vocab\": {";
  for (size_t i = 0; i < by_id.size(); ++i)
    out += (i ? ",\n      " : "\n      ") + quote(*by_id[i].second) + ": " +
           std::to_string(by_id[i].first);
  out += by_id.empty() ? "},\n" : "\n    },\n";

  // "a b" strings load in every tokenizers version; pairs only when a token holds a space.
  const auto& merges = core.model->merges();
  const bool as_pairs = std::any_of(merges.begin(), merges.end(), [](const auto& merge) {
    return merge.first.find(' ') != std::string::npos ||
           merge.second.find(' ') != std::string::npos;
  });
  out += "    \"merges\": [";
  for (size_t i = 0; i < merges.size(); ++i) {
    out += i ? ",\n      " : "\n      ";
    out += as_pairs ? "[" + quote(merges[i].first) + ", " + quote(merges[i].second) + "]"
                    : quote(merges[i].first + " " + merges[i].second);
  }
  out += merges.empty() ? "]\n" : "\n    ]\n";
  out += "  }\n}\n";
  return out;
}

}  // namespace loralab::text
