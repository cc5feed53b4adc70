// SHA-256: the FIPS 180-4 / NIST test vectors, incremental updates across block boundaries, and
// sha256_file against the system's sha256sum on the same file.
#include <QtTest>

#include <random>

#include "loralab/error.h"
#include "loralab/hash.h"

using loralab::Sha256;

class TestHash : public QObject {
  Q_OBJECT
 private slots:
  void standard_vectors() {
    QCOMPARE(loralab::sha256_hex(""),
             std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(loralab::sha256_hex("abc"),
             std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(loralab::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    QCOMPARE(loralab::sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                                 "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
             std::string("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
  }

  void one_million_a() {
    const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    QCOMPARE(loralab::sha256_hex(std::string(1000000, 'a')), expected);
    Sha256 chunked;  // 1000 updates of 1000 bytes: crosses block boundaries at varying offsets
    const std::string thousand(1000, 'a');
    for (int i = 0; i < 1000; ++i) chunked.update(thousand);
    QCOMPARE(chunked.hex_digest(), expected);
  }

  void padding_boundaries() {
    // 55 bytes fit the length in the same block, 56 and 64 need another (values from Python's
    // hashlib).
    QCOMPARE(loralab::sha256_hex(std::string(55, 'a')),
             std::string("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"));
    QCOMPARE(loralab::sha256_hex(std::string(56, 'a')),
             std::string("b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"));
    QCOMPARE(loralab::sha256_hex(std::string(64, 'a')),
             std::string("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"));
  }

  void incremental_equals_one_shot() {
    std::string message(300, '\0');
    for (size_t i = 0; i < message.size(); ++i) message[i] = char((i * 131 + 7) & 0xff);
    const std::string expected = loralab::sha256_hex(message);
    for (size_t a = 0; a <= message.size(); a += 7) {
      for (size_t b = a; b <= message.size(); b += 13) {
        Sha256 h;
        h.update(message.substr(0, a)).update(message.substr(a, b - a)).update(message.substr(b));
        QCOMPARE(h.hex_digest(), expected);
      }
    }
  }

  void digest_does_not_end_the_hash() {
    Sha256 h;
    h.update("ab");
    const std::string partial = h.hex_digest();
    QCOMPARE(partial, loralab::sha256_hex("ab"));
    QCOMPARE(h.hex_digest(), partial);  // repeatable
    h.update("c");
    QCOMPARE(h.hex_digest(), loralab::sha256_hex("abc"));
    h.reset();
    QCOMPARE(h.hex_digest(), loralab::sha256_hex(""));
    const auto raw = Sha256().update("abc").digest();
    QCOMPARE(int(raw[0]), 0xba);
    QCOMPARE(int(raw[31]), 0xad);
  }

  void file_matches_sha256sum() {
    const QString tool = QStandardPaths::findExecutable("sha256sum");
    if (tool.isEmpty()) QSKIP("sha256sum is not installed");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Larger than the 64 KiB read chunk and not a multiple of it.
    std::mt19937 gen(7);
    QByteArray bytes(200003, '\0');
    for (auto& b : bytes) b = char(gen() & 0xff);
    const QString path = dir.filePath("blob.bin");
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
    file.close();
    QProcess process;
    process.start(tool, {path});
    QVERIFY(process.waitForFinished(10000));
    const QString expected = QString::fromLatin1(process.readAllStandardOutput()).section(' ', 0, 0);
    QCOMPARE(expected.size(), 64);
    QCOMPARE(QString::fromStdString(loralab::sha256_file(path.toStdString())), expected);

    const QString empty = dir.filePath("empty");
    QFile empty_file(empty);
    QVERIFY(empty_file.open(QIODevice::WriteOnly));
    empty_file.close();
    QCOMPARE(loralab::sha256_file(empty.toStdString()),
             std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  }

  void file_errors_name_the_file() {
    QTemporaryDir dir;
    const std::string missing = dir.filePath("nope.bin").toStdString();
    try {
      loralab::sha256_file(missing);
      QFAIL("expected an error for a missing file");
    } catch (const loralab::Error& e) {
      QVERIFY2(std::string(e.what()).find(missing) != std::string::npos, e.what());
    }
    try {
      loralab::sha256_file(dir.path().toStdString());
      QFAIL("expected an error for a directory");
    } catch (const loralab::Error& e) {
      QVERIFY2(std::string(e.what()).find("directory") != std::string::npos, e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestHash)
#include "test_hash.moc"
