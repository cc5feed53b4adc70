// Atomic writes: the target is either the old file or the complete new one, never half-written,
// and no temp file is left behind, whether the write succeeds, the writer throws or the disk
// refuses (simulated with RLIMIT_FSIZE, which works even as root).
#include <QtTest>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <vector>

#include "loralab/atomic_file.h"
#include "loralab/error.h"

namespace {

QByteArray read_file(const QString& path) {
  QFile file(path);
  return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("(unreadable)");
}

// Everything in the folder, hidden temp files included.
QStringList entries(const QTemporaryDir& dir) {
  return QDir(dir.path()).entryList(QDir::Files | QDir::Dirs | QDir::Hidden | QDir::System |
                                    QDir::NoDotAndDotDot);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

class TestAtomicFile : public QObject {
  Q_OBJECT
 private slots:
  void writes_and_replaces_without_leftovers() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("config.json").toStdString();
    loralab::write_text_file_atomic(path, "{\"a\": 1}\n");
    QCOMPARE(read_file(dir.filePath("config.json")), QByteArray("{\"a\": 1}\n"));
    const std::vector<std::byte> bytes = {std::byte{0}, std::byte{0xFF}, std::byte{7}};
    loralab::write_file_atomic(path, bytes);
    QCOMPARE(read_file(dir.filePath("config.json")), QByteArray("\0\xFF\x07", 3));
    loralab::write_file_atomic(path, [](loralab::AtomicSink& sink) {
      sink.write(std::string_view("part one, "));
      sink.write("part two", 8);
      QCOMPARE(sink.bytes_written(), uint64_t(18));
    });
    QCOMPARE(read_file(dir.filePath("config.json")), QByteArray("part one, part two"));
    QCOMPARE(entries(dir), QStringList{"config.json"});
  }

  void keeps_permissions_of_replaced_file() {
    QTemporaryDir dir;
    const QString path = dir.filePath("script.sh");
    loralab::write_text_file_atomic(path.toStdString(), "old");
    QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    loralab::write_text_file_atomic(path.toStdString(), "new");
    QVERIFY(QFile::permissions(path) & QFile::ExeOwner);
    QCOMPARE(read_file(path), QByteArray("new"));
  }

  void throwing_writer_leaves_old_file() {
    QTemporaryDir dir;
    const QString path = dir.filePath("weights.bin");
    loralab::write_text_file_atomic(path.toStdString(), "old content");
    bool threw = false;
    try {
      loralab::write_file_atomic(path.toStdString(), [](loralab::AtomicSink& sink) {
        sink.write(std::string_view("new conte"));
        throw std::runtime_error("interrupted");
      });
    } catch (const std::runtime_error& e) {
      threw = QByteArray(e.what()) == "interrupted";
    }
    QVERIFY(threw);
    QCOMPARE(read_file(path), QByteArray("old content"));
    QCOMPARE(entries(dir), QStringList{"weights.bin"});
  }

  void full_disk_leaves_old_file() {
    QTemporaryDir dir;
    const QString path = dir.filePath("adapter.safetensors");
    loralab::write_text_file_atomic(path.toStdString(), "old content");
    // Past RLIMIT_FSIZE write() fails with EFBIG, as it would with ENOSPC on a full disk.
    struct rlimit saved {};
    QVERIFY(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limited = saved;
    limited.rlim_cur = 4096;
    QVERIFY(setrlimit(RLIMIT_FSIZE, &limited) == 0);
    const std::string message = error_of([&] {
      loralab::write_file_atomic(path.toStdString(), [](loralab::AtomicSink& sink) {
        const std::string chunk(1024, 'x');
        for (int i = 0; i < 64; ++i) sink.write(chunk);
      });
    });
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    QVERIFY2(message.find(path.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find("writing failed after 4096 bytes") != std::string::npos,
             message.c_str());
    QCOMPARE(read_file(path), QByteArray("old content"));
    QCOMPARE(entries(dir), QStringList{"adapter.safetensors"});
  }

  void read_only_folder_fails_clearly() {
    if (geteuid() == 0) QSKIP("root ignores folder permissions; full_disk_leaves_old_file covers it");
    QTemporaryDir dir;
    const QString path = dir.filePath("run.json");
    loralab::write_text_file_atomic(path.toStdString(), "old");
    QVERIFY(QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::ExeOwner));
    const std::string message =
        error_of([&] { loralab::write_text_file_atomic(path.toStdString(), "new"); });
    QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QVERIFY2(message.find("cannot create a temporary file") != std::string::npos, message.c_str());
    QVERIFY2(message.find(path.toStdString()) != std::string::npos, message.c_str());
    QCOMPARE(read_file(path), QByteArray("old"));
    QCOMPARE(entries(dir), QStringList{"run.json"});
  }

  void missing_folder_and_folder_target_fail_clearly() {
    QTemporaryDir dir;
    const std::string nested = dir.filePath("no/such/folder/file.json").toStdString();
    std::string message = error_of([&] { loralab::write_text_file_atomic(nested, "x"); });
    QVERIFY2(message.find(nested) != std::string::npos &&
                 message.find("cannot create a temporary file") != std::string::npos,
             message.c_str());
    QVERIFY(QDir(dir.path()).mkdir("target"));
    const std::string folder_target = dir.filePath("target").toStdString();
    message = error_of([&] { loralab::write_text_file_atomic(folder_target, "x"); });
    QVERIFY2(message.find("cannot replace") != std::string::npos, message.c_str());
    QVERIFY(QFileInfo(QString::fromStdString(folder_target)).isDir());
    QCOMPARE(entries(dir), QStringList{"target"});
  }
};

QTEST_APPLESS_MAIN(TestAtomicFile)
#include "test_atomic_file.moc"
