"""Spark's class-data archive: keyed to the runtime, never used unless whole, and — with Java and
pyspark here — made by a real training session and mapped by the next session's JVM."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from inspector.fleet import class_archive


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    """A stand-in Java runtime and jars folder, and an empty cache."""
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_bytes(b"#!java")
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "spark-core.jar").write_bytes(b"x" * 10)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(class_archive, "java_executable", lambda: str(java))
    monkeypatch.setattr(class_archive, "spark_jars", lambda: str(jars))
    return java, jars


def _place(path: str, size: int, recorded: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\0" * size)
    with open(path[: -len(".jsa")] + ".json", "w") as f:
        json.dump({"bytes": recorded}, f)


def test_no_archive_no_options(runtime):
    assert class_archive.ready_archive() is None
    assert class_archive.use_options() == ""


def test_a_whole_archive_is_used(runtime):
    path = class_archive.archive_path()
    _place(path, 4096, 4096)
    assert class_archive.ready_archive() == path
    assert class_archive.use_options().startswith(f"-XX:SharedArchiveFile={path} ")


def test_a_truncated_archive_is_never_used(runtime):
    # A JVM that maps a truncated archive dies of SIGBUS: the recorded size must match.
    _place(class_archive.archive_path(), 1000, 4096)
    assert class_archive.ready_archive() is None
    assert class_archive.use_options() == ""


def test_an_archive_without_its_record_is_never_used(runtime):
    path = class_archive.archive_path()
    _place(path, 4096, 4096)
    os.remove(path[: -len(".jsa")] + ".json")
    assert class_archive.ready_archive() is None


def test_the_key_follows_the_runtime_and_the_jars(runtime):
    java, jars = runtime
    first = class_archive.archive_path()
    (jars / "spark-core.jar").write_bytes(b"x" * 11)
    second = class_archive.archive_path()
    java.write_bytes(b"#!java 2")
    third = class_archive.archive_path()
    assert len({first, second, third}) == 3


def test_a_path_with_spaces_is_quoted(runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "my cache"))
    path = class_archive.archive_path()
    _place(path, 10, 10)
    assert f'-XX:SharedArchiveFile="{path}"' in class_archive.use_options()


def test_option_words_escape_what_sparks_launcher_reads():
    # Spark splits extraJavaOptions like a shell: quotes group, a backslash escapes.
    assert class_archive.option_word("/home/a/.cache/x.jsa") == "/home/a/.cache/x.jsa"
    assert class_archive.option_word("/a b/x") == '"/a b/x"'
    assert class_archive.option_word("/it's/x") == '"/it\'s/x"'
    assert class_archive.option_word('/say "hi"/x') == '"/say \\"hi\\"/x"'
    assert class_archive.option_word("/back\\slash") == '"/back\\\\slash"'


def test_a_vanished_jar_means_no_archive(runtime):
    _, jars = runtime
    (jars / "gone.jar").symlink_to(jars / "missing.jar")
    assert class_archive.archive_path() is None
    assert class_archive.use_options() == ""


def test_leftover_part_files_are_removed_before_a_training(runtime, monkeypatch):
    path = class_archive.archive_path()
    os.makedirs(os.path.dirname(path))
    leftover = path + ".part-99999"
    open(leftover, "wb").close()

    def failing_training(path, timeout):
        raise RuntimeError("training stopped here")

    monkeypatch.setattr(class_archive, "_train", failing_training)
    with pytest.raises(RuntimeError, match="stopped here"):
        class_archive.prepare()
    assert not os.path.exists(leftover)


def test_without_java_or_pyspark_there_is_nothing_to_prepare(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(class_archive, "java_executable", lambda: None)
    assert class_archive.archive_path() is None
    assert class_archive.use_options() == ""
    with pytest.raises(RuntimeError, match="pyspark and a Java runtime"):
        class_archive.prepare()


MAPS_ARCHIVE = """
import sys
from inspector.fleet.engines import spark_session
spark = spark_session("local[1]", shuffle_partitions=1)
spark.range(3).count()
pid = spark.sparkContext._gateway.proc.pid
with open(f"/proc/{pid}/maps") as f:
    print("MAPPED" if sys.argv[1] in f.read() else "NOT MAPPED")
spark.stop()
"""


@pytest.mark.skipif(
    shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="no Java runtime"
)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_prepared_archive_is_mapped_by_the_next_session(tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    java = class_archive.java_executable()
    shared = subprocess.run([java, "-Xshare:on", "-version"], capture_output=True, check=False)
    if shared.returncode != 0:
        pytest.skip("this Java has no base class-data archive, which a dynamic one builds on")
    # A cache path with a space and quotes: the launcher must get it as one word.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "my 'odd\" cache"))
    made = class_archive.prepare()
    assert made.path == class_archive.ready_archive()
    assert made.bytes == os.path.getsize(made.path) > 10_000_000
    leftovers = [n for n in os.listdir(os.path.dirname(made.path)) if ".part-" in n]
    assert leftovers == []
    again = class_archive.prepare()
    assert again.seconds == 0.0  # ready: not made twice
    child = subprocess.run(
        [sys.executable, "-c", MAPS_ARCHIVE, made.path],
        capture_output=True, text=True, timeout=300, env=os.environ.copy(),
    )  # fmt: skip
    assert "MAPPED" in child.stdout and "NOT MAPPED" not in child.stdout, child.stderr[-2000:]


def test_the_command_says_when_the_archive_is_ready(runtime, capsys):
    from inspector.cli.main import main

    path = class_archive.archive_path()
    _place(path, 64, 64)
    assert main(["fleet", "prepare-spark"]) == 0
    assert f"ready: {path}" in capsys.readouterr().out


def test_the_command_fails_clearly_without_spark(monkeypatch, tmp_path, capsys):
    from inspector.cli.main import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(class_archive, "spark_jars", lambda: None)
    assert main(["fleet", "prepare-spark"]) == 2
    assert "prepare-spark: preparing Spark needs pyspark" in capsys.readouterr().err


def test_the_start_message_names_prepare_spark_only_when_it_helps(runtime, monkeypatch):
    from inspector.fleet import engines

    monkeypatch.delitem(sys.modules, "pyspark.sql", raising=False)  # no session in this process
    message = engines.spark_start_message("local[*]")
    assert message.startswith("starting Spark on local[*] …") and "prepare-spark" in message
    assert "prepare-spark" not in engines.spark_start_message("spark://cluster:7077")
    _place(class_archive.archive_path(), 64, 64)
    assert engines.spark_start_message("local[2]") == "starting Spark on local[2] …"
