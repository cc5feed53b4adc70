// safetensors reader/writer: round trips for every dtype, one case per rejection of the strict
// reader (each checking the message names the problem and the file), sharded indexes, and a golden
// file written by an independent Python script (tests/golden/make_safetensors_fixture.py).
#include <QtTest>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "loralab/error.h"
#include "loralab/safetensors.h"

namespace st = loralab::st;

namespace {

QByteArray le_u64(uint64_t value) {
  QByteArray bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  return bytes;
}

// A file image: 8-byte length of `header`, the header text, then `data_size` data bytes.
QByteArray image(const QByteArray& header, int data_size = 0) {
  return le_u64(static_cast<uint64_t>(header.size())) + header + QByteArray(data_size, '\x5A');
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::span<const std::byte> as_span(const std::vector<uint8_t>& bytes) {
  return std::as_bytes(std::span(bytes));
}

std::vector<uint8_t> read_all(const std::string& path) {
  QFile file(QString::fromStdString(path));
  if (!file.open(QIODevice::ReadOnly)) return {};
  const QByteArray data = file.readAll();
  return std::vector<uint8_t>(data.begin(), data.end());
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;

  std::string path_of(const QString& name) { return dir_.filePath(name).toStdString(); }

  std::string write_raw(const QString& name, const QByteArray& bytes) {
    QFile file(dir_.filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size()) {
      qFatal("cannot write test file");
    }
    return file.fileName().toStdString();
  }

  // Opens `bytes` as a file and checks the error names the file and contains every fragment.
  void expect_rejected(const QByteArray& bytes, const std::vector<std::string>& fragments) {
    const std::string path = write_raw("bad.safetensors", bytes);
    const std::string message = error_of([&] { st::File::open(path); });
    QVERIFY2(message.find(path) != std::string::npos, message.c_str());
    for (const auto& fragment : fragments) {
      QVERIFY2(message.find(fragment) != std::string::npos,
               ("expected \"" + fragment + "\" in: " + message).c_str());
    }
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  // ---- round trips ------------------------------------------------------------------------

  void round_trip_every_dtype() {
    const std::vector<st::DType> all = {
        st::DType::BOOL,    st::DType::U8,      st::DType::I8,      st::DType::I16,
        st::DType::U16,     st::DType::F16,     st::DType::BF16,    st::DType::I32,
        st::DType::U32,     st::DType::F32,     st::DType::F64,     st::DType::I64,
        st::DType::U64,     st::DType::C64,     st::DType::F8_E4M3, st::DType::F8_E5M2,
        st::DType::F8_E8M0, st::DType::F6_E2M3, st::DType::F6_E3M2, st::DType::F4};
    std::vector<std::vector<uint8_t>> buffers;
    std::vector<st::TensorData> tensors;
    for (st::DType dtype : all) {
      const std::vector<int64_t> shape = {2, 4};  // 8 elements: whole bytes even for F4 and F6
      std::vector<uint8_t> bytes(static_cast<size_t>(8 * st::dtype_bits(dtype) / 8));
      for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 37 + 11);
      buffers.push_back(std::move(bytes));
      QCOMPARE(st::dtype_from_string(st::dtype_name(dtype)), std::optional<st::DType>(dtype));
    }
    for (size_t i = 0; i < all.size(); ++i) {
      tensors.push_back({std::string("t.") + st::dtype_name(all[i]), all[i], {2, 4},
                         as_span(buffers[i])});
    }
    const std::vector<uint8_t> scalar = {0, 0, 0x80, 0x3F};  // 1.0f
    tensors.push_back({"scalar", st::DType::F32, {}, as_span(scalar)});
    tensors.push_back({"empty.f16", st::DType::F16, {0, 3}, {}});
    tensors.push_back({"empty.i8", st::DType::I8, {3, 0}, {}});

    const std::string path = path_of("all.safetensors");
    st::write(path, tensors, {{"run_id", "r-42"}, {"note", "caf\xC3\xA9"}});
    const st::File file = st::File::open(path);
    QCOMPARE(file.names().size(), tensors.size());
    for (const auto& expected : tensors) {
      QVERIFY2(file.contains(expected.name), expected.name.c_str());
      const st::TensorView view = file.tensor(expected.name);
      QCOMPARE(view.info->name, expected.name);
      QCOMPARE(view.info->dtype, expected.dtype);
      QCOMPARE(view.info->shape, expected.shape);
      QCOMPARE(view.bytes.size(), expected.bytes.size());
      QVERIFY(std::memcmp(view.bytes.data(), expected.bytes.data(), expected.bytes.size()) == 0);
    }
    QCOMPARE(file.tensor("scalar").info->numel(), int64_t(1));
    QCOMPARE(file.tensor("empty.f16").info->numel(), int64_t(0));
    const std::map<std::string, std::string> metadata = {
        {"format", "pt"}, {"run_id", "r-42"}, {"note", "caf\xC3\xA9"}};
    QCOMPARE(file.header().metadata, metadata);
    QCOMPARE(file.tensor("t.F6_E3M2").bytes.size(), size_t(6));
    QCOMPARE(file.tensor("t.F4").bytes.size(), size_t(4));
  }

  void writer_layout_matches_the_convention() {
    const std::vector<uint8_t> b_data = {1, 2, 3, 4, 5, 6, 7, 8};
    const std::vector<uint8_t> a_data = {0x04, 0x03, 0x02, 0x01};  // I32 0x01020304, little-endian
    const std::string path = path_of("layout.safetensors");
    // Given out of order: the file must hold them sorted by name and packed.
    st::write(path, {{"b", st::DType::U8, {8}, as_span(b_data)},
                     {"a", st::DType::I32, {1}, as_span(a_data)}});
    const std::vector<uint8_t> raw = read_all(path);
    QVERIFY(raw.size() >= 8);
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | raw[i];
    QCOMPARE(header_size % 8, uint64_t(0));
    QCOMPARE(raw.size(), size_t(8 + header_size + 12));
    const std::string text(raw.begin() + 8, raw.begin() + 8 + static_cast<long>(header_size));
    QVERIFY2(text.find("\"__metadata__\":{\"format\":\"pt\"}") != std::string::npos, text.c_str());
    QVERIFY(text.find("\"a\":{\"data_offsets\":[0,4]") != std::string::npos);
    QVERIFY(text.find("\"b\":{\"data_offsets\":[4,12]") != std::string::npos);
    QVERIFY(text.find_last_not_of(' ') == text.find_last_of('}'));  // padding is spaces only
    // Data bytes land exactly as given, a's first.
    const std::vector<uint8_t> data(raw.begin() + 8 + static_cast<long>(header_size), raw.end());
    const std::vector<uint8_t> expected = {4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8};
    QCOMPARE(data, expected);
    const st::File file = st::File::open(path);
    QCOMPARE(file.header().data_start, 8 + header_size);
    QCOMPARE(file.header().tensors.front().name, std::string("a"));
  }

  void writer_with_no_tensors_is_readable() {
    const std::string path = path_of("none.safetensors");
    st::write(path, {});
    const st::File file = st::File::open(path);
    QVERIFY(file.names().empty());
    QCOMPARE(file.header().metadata.at("format"), std::string("pt"));
  }

  void writer_rejects_bad_input() {
    const std::string path = path_of("refused.safetensors");
    const std::vector<uint8_t> four = {1, 2, 3, 4};
    auto refuse = [&](const std::vector<st::TensorData>& tensors,
                      const std::map<std::string, std::string>& metadata) {
      return error_of([&] { st::write(path, tensors, metadata); });
    };
    std::string m = refuse({{"", st::DType::U8, {4}, as_span(four)}}, {});
    QVERIFY2(m.find("empty name") != std::string::npos, m.c_str());
    m = refuse({{"x", st::DType::U8, {4}, as_span(four)}, {"x", st::DType::U8, {4}, as_span(four)}},
               {});
    QVERIFY2(m.find("\"x\"") != std::string::npos && m.find("more than once") != std::string::npos,
             m.c_str());
    m = refuse({{"w", st::DType::F32, {2}, as_span(four)}}, {});
    QVERIFY2(m.find("\"w\"") != std::string::npos && m.find("need 8 bytes, got 4") != std::string::npos,
             m.c_str());
    m = refuse({{"w", st::DType::F4, {3}, {}}}, {});
    QVERIFY2(m.find("whole number of bytes") != std::string::npos, m.c_str());
    m = refuse({{"w", st::DType::U8, {-4}, as_span(four)}}, {});
    QVERIFY2(m.find("negative") != std::string::npos, m.c_str());
    m = refuse({{"__metadata__", st::DType::U8, {4}, as_span(four)}}, {});
    QVERIFY2(m.find("reserved") != std::string::npos, m.c_str());
    m = refuse({}, {{"format", "np"}});
    QVERIFY2(m.find("\"format\"") != std::string::npos && m.find("np") != std::string::npos,
             m.c_str());
    QVERIFY2(m.find(path) != std::string::npos, m.c_str());
    QVERIFY(!QFile::exists(QString::fromStdString(path)));
  }

  // ---- golden file from an independent writer -------------------------------------------

  void reads_the_python_golden_file() {
    const std::string path = std::string(LORALAB_TEST_DATA) + "/safetensors/golden.safetensors";
    const st::File file = st::File::open(path);
    const std::vector<std::string> names = {"bf16.weights", "f16.vector", "f32.matrix", "i64.ids"};
    QCOMPARE(file.names(), names);
    QCOMPARE(file.header().metadata.at("origin"), std::string("make_safetensors_fixture.py"));
    QCOMPARE(file.header().data_start, uint64_t(8 + 336));
    QCOMPARE(file.header().tensors.front().name, std::string("i64.ids"));  // data order

    const auto f32 = file.tensor("f32.matrix");
    QCOMPARE(f32.info->dtype, st::DType::F32);
    QCOMPARE(f32.info->shape, (std::vector<int64_t>{2, 3}));
    QCOMPARE(f32.info->begin, uint64_t(24));
    float floats[6];
    QCOMPARE(f32.bytes.size(), sizeof(floats));
    std::memcpy(floats, f32.bytes.data(), sizeof(floats));
    const float expected_floats[6] = {1.5f, -2.0f, 0.25f, 1024.0f, -0.125f, 0.1f};
    for (int i = 0; i < 6; ++i) QCOMPARE(floats[i], expected_floats[i]);

    auto halves = [](const st::TensorView& view) {
      std::vector<uint16_t> bits(view.bytes.size() / 2);
      for (size_t i = 0; i < bits.size(); ++i) {
        bits[i] = static_cast<uint16_t>(static_cast<unsigned>(view.bytes[2 * i]) |
                                        (static_cast<unsigned>(view.bytes[2 * i + 1]) << 8));
      }
      return bits;
    };
    const auto f16 = file.tensor("f16.vector");
    QCOMPARE(f16.info->dtype, st::DType::F16);
    // 1.0, -2.0, 0.5, 65504 in IEEE half precision
    QCOMPARE(halves(f16), (std::vector<uint16_t>{0x3C00, 0xC000, 0x3800, 0x7BFF}));
    const auto bf16 = file.tensor("bf16.weights");
    QCOMPARE(bf16.info->dtype, st::DType::BF16);
    QCOMPARE(bf16.info->shape, (std::vector<int64_t>{2, 2}));
    // 1.0, -1.5, 3.140625, 0.0 in bfloat16
    QCOMPARE(halves(bf16), (std::vector<uint16_t>{0x3F80, 0xBFC0, 0x4049, 0x0000}));

    const auto i64 = file.tensor("i64.ids");
    QCOMPARE(i64.info->dtype, st::DType::I64);
    int64_t ints[3];
    QCOMPARE(i64.bytes.size(), sizeof(ints));
    std::memcpy(ints, i64.bytes.data(), sizeof(ints));
    QCOMPARE(ints[0], int64_t(-1));
    QCOMPARE(ints[1], int64_t(1) << 40);
    QCOMPARE(ints[2], std::numeric_limits<int64_t>::max());
  }

  // ---- accepted edge cases ---------------------------------------------------------------

  void accepts_any_order_whitespace_and_edge_shapes() {
    // b's data comes first; z is a rank-0 scalar; e is zero-sized and shares offset 12.
    const QByteArray header =
        " \n\t{\"z\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [8, 12]},"
        "\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [4, 8]},"
        "\"e\": {\"dtype\": \"F16\", \"shape\": [2, 0], \"data_offsets\": [12, 12]},"
        "\"b\": {\"dtype\": \"I16\", \"shape\": [2], \"data_offsets\": [0, 4]},"
        "\"\xCF\x80.w\": {\"dtype\": \"F4\", \"shape\": [2], \"data_offsets\": [12, 13]}}  \n";
    const std::string path = write_raw("ok.safetensors", image(header, 13));
    const st::File file = st::File::open(path);
    QCOMPARE(file.names().size(), size_t(5));
    QCOMPARE(file.tensor("z").bytes.size(), size_t(4));
    QCOMPARE(file.tensor("z").info->shape.size(), size_t(0));
    QCOMPARE(file.tensor("e").bytes.size(), size_t(0));
    QCOMPARE(file.tensor("\xCF\x80.w").bytes.size(), size_t(1));
    QCOMPARE(file.header().tensors.front().name, std::string("b"));
  }

  void accepts_an_empty_header() {
    const std::string path = write_raw("empty.safetensors", image("{}"));
    QVERIFY(st::File::open(path).names().empty());
    const QByteArray bytes = image("{\"__metadata__\": {\"k\": \"v\"}}");
    const auto header = st::parse(std::as_bytes(std::span(bytes.constData(), bytes.size())), "m");
    QCOMPARE(header.metadata.at("k"), std::string("v"));
  }

  void tensor_lookup_errors_name_file_and_tensor() {
    const std::string path = write_raw("one.safetensors", image("{}"));
    const std::string message = error_of([&] { st::File::open(path).tensor("missing.weight"); });
    QVERIFY2(message.find(path) != std::string::npos, message.c_str());
    QVERIFY2(message.find("missing.weight") != std::string::npos, message.c_str());
    const std::string absent = path_of("does-not-exist.safetensors");
    const std::string open_error = error_of([&] { st::File::open(absent); });
    QVERIFY2(open_error.find(absent) != std::string::npos, open_error.c_str());
    const std::string folder_error = error_of([&] { st::File::open(dir_.path().toStdString()); });
    QVERIFY2(folder_error.find("folder") != std::string::npos, folder_error.c_str());
  }

  // ---- rejections, one per rule ----------------------------------------------------------

  void rejects_fewer_than_8_bytes() {
    expect_rejected(QByteArray(5, '\0'), {"5 bytes", "too short"});
    const std::string message = error_of([] { st::parse({}, "memory.bin"); });
    QVERIFY2(message.find("memory.bin") != std::string::npos, message.c_str());
  }

  void rejects_header_length_over_limit() {
    expect_rejected(le_u64(100'000'001) + QByteArray("{}"), {"100000001", "exceeds the limit"});
    expect_rejected(le_u64(~uint64_t(0)) + QByteArray("{}"), {"exceeds the limit"});
  }

  void rejects_header_past_end_of_file() {
    expect_rejected(le_u64(64) + QByteArray("{}"), {"header length 64", "runs past the end"});
  }

  void rejects_header_that_is_not_utf8() {
    const char* bad[] = {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"};
    for (const char* sequence : bad) {
      expect_rejected(image(QByteArray("{\"a") + sequence + "\": 1}"), {"not valid UTF-8"});
    }
  }

  void rejects_invalid_json() {
    expect_rejected(image("{\"a\": "), {"header", "not valid JSON"});
    expect_rejected(image("{\"a\": 1} x"), {"not valid JSON"});
    expect_rejected(image(QByteArray(200, '[') + QByteArray(200, ']')), {"nested deeper"});
  }

  void rejects_header_that_is_not_an_object() {
    expect_rejected(image("[1, 2]"), {"must be a JSON object", "array"});
  }

  void rejects_entry_that_is_not_an_object() {
    expect_rejected(image("{\"w\": 5}"), {"tensor \"w\"", "entry must be a JSON object"});
  }

  void rejects_entry_missing_fields() {
    expect_rejected(image("{\"w\": {\"shape\": [], \"data_offsets\": [0, 0]}}"),
                    {"tensor \"w\"", "missing \"dtype\""});
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"data_offsets\": [0, 0]}}"),
                    {"tensor \"w\"", "missing \"shape\""});
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"shape\": [0]}}"),
                    {"tensor \"w\"", "missing \"data_offsets\""});
  }

  void rejects_entry_fields_of_wrong_type() {
    auto entry = [](const char* dtype, const char* shape, const char* offsets) {
      return image(QByteArray("{\"w\": {\"dtype\": ") + dtype + ", \"shape\": " + shape +
                   ", \"data_offsets\": " + offsets + "}}", 4);
    };
    expect_rejected(entry("5", "[4]", "[0, 4]"), {"tensor \"w\"", "\"dtype\" must be a string"});
    expect_rejected(entry("\"U8\"", "\"4\"", "[0, 4]"), {"\"shape\" must be an array"});
    expect_rejected(entry("\"U8\"", "[-4]", "[0, 4]"), {"dimension 0 is -4", "non-negative"});
    expect_rejected(entry("\"U8\"", "[2, 1.5]", "[0, 4]"), {"dimension 1 is 1.5"});
    expect_rejected(entry("\"U8\"", "[4]", "[0]"), {"\"data_offsets\" must be [begin, end]"});
    expect_rejected(entry("\"U8\"", "[4]", "[0, 4, 8]"), {"\"data_offsets\" must be"});
    expect_rejected(entry("\"U8\"", "[4]", "[0, \"4\"]"), {"\"data_offsets\" must be"});
    expect_rejected(entry("\"U8\"", "[4]", "[-1, 4]"), {"\"data_offsets\" must be"});
    expect_rejected(entry("\"U8\"", "[4]", "{\"a\": 0}"), {"\"data_offsets\" must be"});
  }

  void rejects_begin_after_end() {
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [8, 4]}}",
                          8),
                    {"tensor \"w\"", "begin 8 is after end 4"});
  }

  void rejects_unknown_dtype() {
    expect_rejected(image("{\"w\": {\"dtype\": \"F17\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
                          4),
                    {"tensor \"w\"", "unknown dtype \"F17\""});
  }

  void rejects_duplicate_keys() {
    const QByteArray entry = "{\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}";
    expect_rejected(image("{\"w\": " + entry + ", \"w\": " + entry + "}", 1),
                    {"duplicate key \"w\"", "top level"});
    expect_rejected(
        image("{\"w\": {\"dtype\": \"U8\", \"dtype\": \"U8\", \"shape\": [1], "
              "\"data_offsets\": [0, 1]}}", 1),
        {"duplicate key \"dtype\"", "/w"});
    expect_rejected(image("{\"__metadata__\": {\"k\": \"a\", \"k\": \"b\"}}"),
                    {"duplicate key \"k\"", "/__metadata__"});
  }

  void rejects_metadata_that_is_not_string_map() {
    expect_rejected(image("{\"__metadata__\": [\"a\"]}"),
                    {"\"__metadata__\" must be a JSON object", "array"});
    expect_rejected(image("{\"__metadata__\": {\"step\": 5}}"),
                    {"\"__metadata__\" value of key \"step\" must be a string"});
  }

  void rejects_first_tensor_not_at_zero() {
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [4, 8]}}",
                          8),
                    {"tensor \"w\"", "starts at 4, expected 0"});
  }

  void rejects_gap_between_tensors() {
    expect_rejected(image("{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]},"
                          "\"b\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [6, 10]}}",
                          10),
                    {"tensor \"b\"", "gap of 2 bytes", "\"a\" ends at 4"});
  }

  void rejects_overlapping_tensors() {
    expect_rejected(image("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                          "\"b\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [4, 12]}}",
                          12),
                    {"tensor \"b\"", "overlap tensor \"a\""});
  }

  void rejects_size_overflow() {
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"shape\": [4611686018427387904, 4], "
                          "\"data_offsets\": [0, 4]}}", 4),
                    {"tensor \"w\"", "overflow"});
    expect_rejected(image("{\"w\": {\"dtype\": \"F64\", \"shape\": [576460752303423488], "
                          "\"data_offsets\": [0, 4]}}", 4),
                    {"tensor \"w\"", "overflows the byte size"});
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"shape\": [18446744073709551615], "
                          "\"data_offsets\": [0, 4]}}", 4),
                    {"tensor \"w\"", "too large"});
  }

  void rejects_sub_byte_sizes_that_are_not_whole_bytes() {
    expect_rejected(image("{\"w\": {\"dtype\": \"F4\", \"shape\": [3], \"data_offsets\": [0, 2]}}",
                          2),
                    {"tensor \"w\"", "12 bits, not a whole number of bytes"});
    expect_rejected(image("{\"w\": {\"dtype\": \"F6_E2M3\", \"shape\": [1], "
                          "\"data_offsets\": [0, 1]}}", 1),
                    {"6 bits, not a whole number of bytes"});
  }

  void rejects_size_that_differs_from_offsets() {
    expect_rejected(image("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 12]}}",
                          12),
                    {"tensor \"w\"", "needs 8 bytes", "span 12"});
  }

  void rejects_bytes_after_last_tensor() {
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}",
                          7),
                    {"3 bytes after the last tensor"});
    expect_rejected(image("{}", 1), {"1 bytes after the last tensor"});
  }

  void rejects_buffer_shorter_than_last_tensor() {
    expect_rejected(image("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}",
                          3),
                    {"data buffer is 3 bytes", "shorter than the end of tensor \"w\""});
  }

  // ---- sharded models --------------------------------------------------------------------

  void sharded_index_happy_path() {
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    const std::vector<uint8_t> one = {1, 1, 1, 1}, two = {2, 2};
    const std::string shard1 = folder.filePath("model-00001-of-00002.safetensors").toStdString();
    const std::string shard2 = folder.filePath("model-00002-of-00002.safetensors").toStdString();
    st::write(shard1, {{"layer.0", st::DType::U8, {4}, as_span(one)}});
    st::write(shard2, {{"layer.1", st::DType::I16, {1}, as_span(two)},
                       {"extra", st::DType::U8, {2}, as_span(two)}});
    write_index(folder, R"({"metadata": {"total_size": 8}, "weight_map": {
        "layer.0": "model-00001-of-00002.safetensors",
        "layer.1": "model-00002-of-00002.safetensors"}})");
    for (const std::string& path :
         {folder.path().toStdString(), index_path(folder)}) {
      const st::ShardedFiles model = st::ShardedFiles::open(path);
      QCOMPARE(model.source(), path);
      QCOMPARE(model.names(), (std::vector<std::string>{"extra", "layer.0", "layer.1"}));
      QVERIFY(model.contains("layer.1") && !model.contains("layer.2"));
      QCOMPARE(model.file_of("layer.0"), shard1);
      QCOMPARE(model.file_of("layer.1"), shard2);
      const auto view = model.tensor("layer.1");
      QCOMPARE(view.info->dtype, st::DType::I16);
      QCOMPARE(static_cast<int>(view.bytes[1]), 2);
      const std::string absent = error_of([&] { model.tensor("layer.2"); });
      QVERIFY2(absent.find("layer.2") != std::string::npos && absent.find(path) != std::string::npos,
               absent.c_str());
    }
    // A plain file works too.
    const st::ShardedFiles single = st::ShardedFiles::open(shard1);
    QCOMPARE(single.names(), std::vector<std::string>{"layer.0"});
    QCOMPARE(single.file_of("layer.0"), shard1);
  }

  void sharded_folder_prefers_single_file() {
    QTemporaryDir folder;
    const std::vector<uint8_t> one = {7};
    st::write(folder.filePath("model.safetensors").toStdString(),
              {{"w", st::DType::U8, {1}, as_span(one)}});
    write_index(folder, "not json");  // ignored: transformers loads model.safetensors first
    QCOMPARE(st::ShardedFiles::open(folder.path().toStdString()).names(),
             std::vector<std::string>{"w"});
  }

  void sharded_index_errors() {
    QTemporaryDir folder;
    const std::vector<uint8_t> one = {1};
    st::write(folder.filePath("a.safetensors").toStdString(),
              {{"x", st::DType::U8, {1}, as_span(one)}});
    st::write(folder.filePath("b.safetensors").toStdString(),
              {{"x", st::DType::U8, {1}, as_span(one)}, {"y", st::DType::U8, {1}, as_span(one)}});
    const std::string index = index_path(folder);
    auto open_error = [&](const char* json) {
      write_index(folder, json);
      const std::string message = error_of([&] { st::ShardedFiles::open(index); });
      if (message.find(index) == std::string::npos) return "index path missing: " + message;
      return message;
    };
    std::string m = open_error("{\"weight_map\": ");
    QVERIFY2(m.find("not valid JSON") != std::string::npos, m.c_str());
    m = open_error("[]");
    QVERIFY2(m.find("expected a JSON object") != std::string::npos, m.c_str());
    m = open_error("{\"metadata\": {}}");
    QVERIFY2(m.find("missing \"weight_map\"") != std::string::npos, m.c_str());
    m = open_error("{\"weight_map\": [\"a.safetensors\"]}");
    QVERIFY2(m.find("\"weight_map\" must be a JSON object") != std::string::npos, m.c_str());
    m = open_error("{\"weight_map\": {\"x\": 3}}");
    QVERIFY2(m.find("tensor \"x\"") != std::string::npos && m.find("string") != std::string::npos,
             m.c_str());
    m = open_error("{\"weight_map\": {\"x\": \"../a.safetensors\"}}");
    QVERIFY2(m.find("relative to the index") != std::string::npos, m.c_str());
    m = open_error("{\"weight_map\": {\"x\": \"a.safetensors\", \"x\": \"b.safetensors\"}}");
    QVERIFY2(m.find("duplicate key \"x\"") != std::string::npos, m.c_str());
    m = open_error("{\"weight_map\": {\"x\": \"a.safetensors\", \"q\": \"gone.safetensors\"}}");
    QVERIFY2(m.find("shard \"gone.safetensors\"") != std::string::npos &&
                 m.find("not found") != std::string::npos && m.find("\"q\"") != std::string::npos,
             m.c_str());
    m = open_error("{\"weight_map\": {\"z\": \"a.safetensors\"}}");
    QVERIFY2(m.find("tensor \"z\"") != std::string::npos &&
                 m.find("has no such tensor") != std::string::npos,
             m.c_str());
    m = open_error("{\"weight_map\": {\"x\": \"a.safetensors\", \"y\": \"b.safetensors\"}}");
    QVERIFY2(m.find("tensor \"x\" is in two shards") != std::string::npos, m.c_str());

    QTemporaryDir empty;
    const std::string folder_error =
        error_of([&] { st::ShardedFiles::open(empty.path().toStdString()); });
    QVERIFY2(folder_error.find("neither model.safetensors nor") != std::string::npos,
             folder_error.c_str());
  }

 private:
  static std::string index_path(const QTemporaryDir& folder) {
    return folder.filePath("model.safetensors.index.json").toStdString();
  }
  static void write_index(const QTemporaryDir& folder, const QByteArray& json) {
    QFile file(QString::fromStdString(index_path(folder)));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) qFatal("cannot write index");
    file.write(json);
  }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
