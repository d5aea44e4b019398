"""A class-data archive of the local Spark driver JVM (Java's AppCDS), made once, used by every
later local session: it starts about 3 s sooner.

A local driver JVM loads about 6,000 classes from Spark's jars at every start, and thousands more
as its first query runs, each read from a jar, parsed and verified. A dynamic class-data archive
(``-XX:ArchiveClassesAtExit``, Java 13+) holds them ready to map. On the fleet benchmark
(BENCHMARKS.md) it took the session start from about 8 to 4.7 s; the first scan gained about
0.6 s in paired runs, which is inside that benchmark's run-to-run noise. Making one costs a
training session: a small generated fleet ingested, scanned and compared on Spark by a child
process (``inspector.fleet.spark_training``), whose JVM writes the archive as it exits — about
30 s and 180 MB, once per Java runtime and Spark version, by ``osquery-inspector fleet
prepare-spark``. Preparations take a lock, so two at once make one archive.

Safety: a JVM handed a truncated archive crashes (SIGBUS, even with ``-XX:+VerifySharedSpaces``),
so the training writes a private part file that is renamed into place only after its JVM exited
cleanly, and its size is recorded beside it; an archive whose size differs is never used. An
archive that does not fit the runtime (another JDK build, other jars) is refused by the JVM
itself, which then loads classes as usual; its warning is silenced.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from platformdirs import user_cache_dir

# What a session adds to use an archive: the file, and quiet about one that does not fit.
USE_OPTIONS = "-XX:SharedArchiveFile={path} -Xlog:cds=off -Xlog:cds+dynamic=off"
# The training keeps the JVM's archive warnings: they go to its log, where a failed dump is read.
DUMP_OPTIONS = "-XX:ArchiveClassesAtExit={path}"


@dataclass(frozen=True)
class PreparedArchive:
    """An archive made by ``prepare``."""

    path: str
    bytes: int
    seconds: float


def java_executable() -> str | None:
    """The ``java`` a Spark session launches (``$JAVA_HOME/bin/java``, else the one on PATH),
    its links resolved; None when there is none."""
    home = os.environ.get("JAVA_HOME")
    found = os.path.join(home, "bin", "java") if home else shutil.which("java")
    return os.path.realpath(found) if found and os.path.isfile(found) else None


def spark_jars() -> str | None:
    """pyspark's folder of jars (the driver's class path), or None without pyspark."""
    try:
        import pyspark
    except ImportError:
        return None
    folder = os.path.join(os.path.dirname(pyspark.__file__), "jars")
    return folder if os.path.isdir(folder) else None


def _identity(path: str) -> str:
    st = os.stat(path)
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def archive_key(java: str, jars: str) -> str:
    """What an archive is valid for: this Java runtime build (its launcher and VM library) and
    this set of jars (names, sizes, times)."""
    parts = [_identity(java)]
    libjvm = os.path.join(os.path.dirname(os.path.dirname(java)), "lib", "server", "libjvm.so")
    if os.path.isfile(libjvm):
        parts.append(_identity(libjvm))
    parts += sorted(_identity(os.path.join(jars, name)) for name in os.listdir(jars))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def archive_folder() -> str:
    """``<user cache>/osquery-inspector/spark-classes``."""
    return os.path.join(user_cache_dir("osquery-inspector"), "spark-classes")


def archive_path() -> str | None:
    """Where this runtime's archive lives (whether made or not); None without Java or pyspark."""
    java, jars = java_executable(), spark_jars()
    if java is None or jars is None:
        return None
    try:
        key = archive_key(java, jars)
    except OSError:  # a jar that vanished or a broken link: no archive, sessions start as usual
        return None
    return os.path.join(archive_folder(), f"spark-{key}.jsa")


def _record_path(path: str) -> str:
    return path[: -len(".jsa")] + ".json"


def ready_archive() -> str | None:
    """This runtime's archive when it was made whole (its recorded size matches), else None."""
    path = archive_path()
    if path is None or not os.path.isfile(path):
        return None
    try:
        with open(_record_path(path), encoding="utf-8") as f:
            recorded = json.load(f)
        whole = os.path.getsize(path) == recorded["bytes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return path if whole else None


def option_word(text: str) -> str:
    """``text`` as one word of ``spark.driver.extraJavaOptions``, which Spark's launcher splits
    as a shell would (``CommandBuilderUtils.parseOptionString``): in double quotes, with the
    backslashes and double quotes in it escaped."""
    if text and all(c.isalnum() or c in "/._-+=:," for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def use_options() -> str:
    """Driver JVM options that use this runtime's archive, or "" when there is none."""
    path = ready_archive()
    return USE_OPTIONS.format(path=option_word(path)) if path else ""


def dump_options(path: str) -> str:
    """Driver JVM options that write an archive of the classes loaded to ``path`` at exit."""
    return DUMP_OPTIONS.format(path=option_word(path))


def prepare(force: bool = False, timeout: float = 600.0) -> PreparedArchive:
    """Make this runtime's archive (unless one is ready and not ``force``): a training session in
    a child process writes it to a part file, renamed into place when its JVM exited cleanly.
    One preparation at a time per cache (a lock; a second waits, then finds the archive ready).
    Raises RuntimeError (naming the reason and the training's log) when it cannot."""
    path = archive_path()
    if path is None:
        raise RuntimeError(
            "preparing Spark needs pyspark and a Java runtime (pip install '.[fleet]')"
        )
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path[: -len(".jsa")] + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not force and ready_archive() == path:
                return PreparedArchive(path, os.path.getsize(path), 0.0)
            _remove_leftovers(os.path.dirname(path))
            return _train(path, timeout)
    except OSError as exc:
        raise RuntimeError(
            f"cannot prepare Spark's class archive in {archive_folder()}: {exc}"
        ) from exc


def _remove_leftovers(folder: str) -> None:
    """Part files of earlier trainings that were cut short (their JVM may have written them
    after its parent was gone)."""
    for name in os.listdir(folder):
        if ".jsa.part-" in name:
            os.remove(os.path.join(folder, name))


def _train(path: str, timeout: float) -> PreparedArchive:
    part = f"{path}.part-{os.getpid()}"
    log = path[: -len(".jsa")] + ".training.log"
    started = time.perf_counter()
    try:
        with open(log, "w", encoding="utf-8") as out:
            # A session of its own: on a timeout the whole group goes, the JVM included.
            child = subprocess.Popen(
                [sys.executable, "-m", "inspector.fleet.spark_training", part],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                code = child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                raise RuntimeError(
                    f"the Spark training session took over {timeout:.0f} s; see {log}"
                ) from None
        if code != 0:
            raise RuntimeError(f"the Spark training session failed (exit {code}); see {log}")
        if not os.path.isfile(part) or os.path.getsize(part) == 0:
            raise RuntimeError(f"the Spark training session's JVM wrote no archive; see {log}")
        size = os.path.getsize(part)
        os.replace(part, path)
        record = {"bytes": size, "made": time.time(), "seconds": time.perf_counter() - started}
        with open(_record_path(path) + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(_record_path(path) + ".tmp", _record_path(path))
    finally:
        if os.path.exists(part):
            os.remove(part)
    return PreparedArchive(path, size, time.perf_counter() - started)
