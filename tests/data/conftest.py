"""Fixtures of the `aiwell data` tests: the generated datasets (written once), and the heavy shared pieces (a
local Spark session, a PostgreSQL server, a browser), each started once per test session."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from data.datagen import clean_table, planted_table, write_csv, write_parquet


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Datasets shared by the tests: written once per session."""
    root = tmp_path_factory.mktemp("data")
    write_parquet(clean_table(), root / "clean.parquet")
    write_csv(clean_table(), root / "clean.csv")
    write_parquet(planted_table(), root / "planted.parquet")
    write_csv(planted_table(), root / "planted.csv")
    return root


# --- Spark ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole test session (local[1], UI off, 2 shuffle partitions)."""
    import pyspark.sql as pyspark_sql

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("the Spark tests need a Java runtime (.ci/run installs default-jre-headless)")
    # PySpark replaces the SIGINT handler with its own (cancel the Spark jobs, then raise KeyboardInterrupt from
    # wherever the main thread is). asyncio.run() then installs none of its own, so a later test's Ctrl-C lands
    # inside the event loop and leaves a task pending at close. The test session keeps Python's handler.
    sigint = signal.getsignal(signal.SIGINT)
    session = (pyspark_sql.SparkSession.builder.master("local[1]").appName("aiwell-data-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.ansi.enabled", "false").config("spark.driver.memory", "1g").getOrCreate())
    signal.signal(signal.SIGINT, sigint)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# --- PostgreSQL ----------------------------------------------------------------------------------------------------

def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server on a unix socket, from the Debian packages (.ci/run installs them); yields a
    connection string to its `postgres` database."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.fail("the PostgreSQL tests need initdb and pg_ctl (.ci/run installs the postgresql package)")
    root = Path(tempfile.mkdtemp(prefix="aiwell-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as the postgres user the package creates.
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-k {sockets} -p {port} -c listen_addresses=''", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@/postgres?host={sockets}&port={port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
