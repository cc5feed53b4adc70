// Loading dataset files: existence and readability checks, strict UTF-8 validation with a
// file:line:offset message, newline normalisation and the file list of a folder dataset.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "dataset_internal.h"
#include "loralab/error.h"

namespace fs = std::filesystem;

namespace loralab::dataset_detail {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Offset of the first byte of the first invalid sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos.
size_t first_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char lead = s[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned char second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    } else {
      return i;
    }
    if (n - i < length || s[i + 1] < second_min || s[i + 1] > second_max) return i;
    for (size_t k = 2; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

bool is_hidden(const fs::path& name) {
  const std::string s = name.filename().string();
  return !s.empty() && s[0] == '.';
}

bool has_txt_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".txt";
}

std::vector<DatasetFile> list_folder(const std::string& folder, bool recursive) {
  std::vector<DatasetFile> files;
  std::error_code ec;
  // "data/" and "data" must give the same relative names (they feed the fingerprint).
  fs::path root(folder);
  if (!root.has_filename() && root.has_parent_path()) root = root.parent_path();
  auto add = [&](const fs::directory_entry& entry) {
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec) || !has_txt_extension(entry.path())) return;
    files.push_back({entry.path().string(), entry.path().lexically_relative(root).generic_string()});
  };
  if (recursive) {
    fs::recursive_directory_iterator it(folder, ec), end;
    if (ec) throw Error("cannot list folder " + folder + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) throw Error("cannot list folder " + folder + ": " + ec.message());
      if (is_hidden(it->path())) {
        // Hidden folders are skipped whole, like hidden files.
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      add(*it);
    }
  } else {
    fs::directory_iterator it(folder, ec), end;
    if (ec) throw Error("cannot list folder " + folder + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) throw Error("cannot list folder " + folder + ": " + ec.message());
      if (!is_hidden(it->path())) add(*it);
    }
  }
  std::sort(files.begin(), files.end(),
            [](const DatasetFile& a, const DatasetFile& b) { return a.relative < b.relative; });
  if (files.empty()) {
    throw Error("dataset folder " + folder + " holds no .txt files (hidden files are skipped" +
                std::string(recursive ? ")" : "; sub-folders are read only when recursive)"));
  }
  return files;
}

}  // namespace

std::vector<DatasetFile> list_dataset_files(const DatasetSpec& spec, const std::string& format) {
  std::error_code ec;
  if (spec.path.empty()) throw Error("dataset path is empty");
  if (!fs::exists(spec.path, ec)) throw Error("dataset not found: " + spec.path);
  const bool is_folder = fs::is_directory(spec.path, ec);
  if (format == "folder") {
    if (!is_folder) throw Error("dataset " + spec.path + " is a file, format \"folder\" expects a folder");
    return list_folder(spec.path, spec.recursive);
  }
  if (is_folder) {
    throw Error("dataset " + spec.path + " is a folder, format \"" + format + "\" expects a file");
  }
  return {{spec.path, fs::path(spec.path).filename().generic_string()}};
}

std::string read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("dataset file not found: " + path);
  if (fs::is_directory(path, ec)) throw Error(path + " is a folder, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::string bytes;
  char chunk[1 << 16];
  while (in) {
    in.read(chunk, sizeof chunk);
    bytes.append(chunk, size_t(in.gcount()));
  }
  if (in.bad()) throw Error("error while reading " + path);
  return bytes;
}

size_t line_number_at(std::string_view bytes, size_t offset) {
  size_t line = 1;
  const size_t end = std::min(offset, bytes.size());
  for (size_t i = 0; i < end; ++i) {
    if (bytes[i] == '\n' || (bytes[i] == '\r' && (i + 1 >= bytes.size() || bytes[i + 1] != '\n'))) {
      ++line;
    }
  }
  return line;
}

void check_utf8(std::string_view bytes, const std::string& path) {
  const size_t bad = first_invalid_utf8(bytes);
  if (bad == std::string_view::npos) return;
  const size_t line = line_number_at(bytes, bad);
  size_t line_start = bytes.find_last_of("\r\n", bad == 0 ? std::string_view::npos : bad - 1);
  line_start = (line_start == std::string_view::npos || bad == 0) ? 0 : line_start + 1;
  char byte_hex[8];
  std::snprintf(byte_hex, sizeof byte_hex, "0x%02X", unsigned(static_cast<unsigned char>(bytes[bad])));
  throw Error(path + ":" + std::to_string(line) + ": invalid UTF-8 at byte offset " +
              std::to_string(bad) + " (byte " + std::to_string(bad - line_start + 1) +
              " of the line, value " + byte_hex + "); datasets must be UTF-8 text");
}

std::string read_text_file(const std::string& path) {
  std::string bytes = read_file_bytes(path);
  check_utf8(bytes, path);
  if (std::string_view(bytes).starts_with(kUtf8Bom)) bytes.erase(0, kUtf8Bom.size());
  return bytes;
}

std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out.push_back(text[i]);
    } else {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    }
  }
  return out;
}

bool is_blank(std::string_view text) { return trim(text).empty(); }

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace loralab::dataset_detail
