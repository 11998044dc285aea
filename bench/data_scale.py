"""`aiwell data profile` on generated Parquet, side by side with ydata-profiling and Evidently, in one run.

    .venv/bin/python bench/data_scale.py [--peer-python .bench-venv/bin/python] [--work DIR]
                                         [--steps profile,drift,scale] [--drift-rows 100000,1000000]
                                         [--peer-timeout SECONDS]

The peers are never project dependencies: install them in a venv of their own, e.g.

    python3 -m venv .bench-venv && .bench-venv/bin/pip install ydata-profiling==4.18.4 evidently==0.7.23

Three measurements (issue 12), each tool started as a child process and timed from start to exit (wall), its peak
memory taken from the child's own resource usage (`os.wait4`, ru_maxrss, what /usr/bin/time reports):

1. profile: a 1,000,000-row × 30-column Parquet file (floats, integers, categories, free text, timestamps, a
   boolean, an id and a label). aiwell: `aiwell data profile FILE --label label --format json`; ydata-profiling:
   `ProfileReport(pd.read_parquet(FILE), minimal=True).get_description()` (the profile computed, not serialised:
   its JSON of this file is over 1 GB). Goal: aiwell at least 20x faster. Printed beside them, a floor: the same
   interpreter importing duckdb and numpy and reading the file once for each column's min, max and count.
2. drift: a reference against a current file of the same 30 columns, three of them shifted, at each size of
   --drift-rows (100,000 and 1,000,000 rows a side). Evidently is stopped at --peer-timeout (default 1800 s) and
   reported as not finished, with its figures at the limit. aiwell: `aiwell data profile CURRENT --reference
   REFERENCE --format json`; Evidently: `Report([DataDriftPreset()]).run(current_data=..., reference_data=...)` on
   both files read with pandas, its result turned into a dict. Both are checked to find the shifted columns. aiwell
   does more in the same run (every other facet on both files).
3. scale: a 10,000,000-row × 20-column Parquet file profiled by aiwell alone, at its default memory limit; goal:
   it finishes, peak memory under 2 GB.

Each output is checked (rows counted, drifted columns found) or the bench stops. Inputs are generated once into
--work (default: a folder under the system temp dir) and reused. The load average is printed before each step and
after: wall times taken on a loaded machine are noisy, CPU seconds much less so; the ratios compare CPU seconds
first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AIWELL = Path(sys.executable).parent / "aiwell"
CHUNK = 1_000_000
WORDS = np.array(("order", "delivery", "late", "refund", "great", "service", "package", "support", "quality", "price",
                  "return", "fast", "broken", "happy", "again", "item", "colour", "size", "store", "online",
                  "invoice", "account", "login", "password", "reset"))
SHIFTED = ("f00", "f01", "c00")
"""Columns the current file of the drift bench shifts (by 0.5 standard deviations, or to another class mix)."""


def _sentences(rng: np.random.Generator, count: int) -> np.ndarray:
    return np.array([" ".join(rng.choice(WORDS, size=int(k))) for k in rng.integers(4, 16, count)], dtype=object)


def _chunk(rng: np.random.Generator, rows: int, columns: int, start: int, *, shift: float = 0.0) -> pa.Table:
    """`rows` rows of a `columns`-column table (30 or 20): a realistic mix of kinds."""
    floats, ints, cats, texts = (10, 6, 6, 3) if columns == 30 else (7, 4, 4, 1)
    data: dict[str, pa.Array] = {"id": pa.array(np.arange(start, start + rows, dtype=np.int64))}
    for i in range(floats):
        moved = shift if f"f{i:02d}" in SHIFTED else 0.0
        values = rng.normal(100 * (i + 1) + moved * 10 * (i + 1), 10 * (i + 1), rows)
        mask = rng.random(rows) < 0.02 if i % 3 == 0 else None
        data[f"f{i:02d}"] = pa.array(values, mask=mask)
    for i in range(ints):
        data[f"i{i:02d}"] = pa.array(rng.integers(0, 10 ** (i + 1), rows, dtype=np.int64))
    for i in range(cats):
        levels = np.array([f"level_{j}" for j in range(3 + 4 * i)], dtype=object)
        weights = np.linspace(1, 3, len(levels))
        if shift and f"c{i:02d}" in SHIFTED:
            weights = weights[::-1] ** 2
        data[f"c{i:02d}"] = pa.array(rng.choice(levels, size=rows, p=weights / weights.sum()))
    pool = _sentences(rng, 20_000)
    for i in range(texts):
        data[f"t{i:02d}"] = pa.array(pool[rng.integers(0, len(pool), rows)])
    base = np.datetime64("2025-01-01T00:00:00", "s")
    data["created"] = pa.array(base + rng.integers(0, 180 * 86400, rows).astype("timedelta64[s]"))
    if columns == 30:
        data["updated"] = pa.array(base + rng.integers(0, 200 * 86400, rows).astype("timedelta64[s]"))
    data["active"] = pa.array(rng.random(rows) < 0.7)
    data["label"] = pa.array(np.where(rng.random(rows) < 0.2, "yes", "no").astype(object))
    table = pa.table(data)
    assert table.num_columns == columns, table.num_columns
    return table


def generate(path: Path, rows: int, columns: int, *, seed: int, shift: float = 0.0) -> Path:
    """Write the table once (in 1M-row row groups, so generating 10M rows needs little memory)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    partial = path.with_suffix(".partial")
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, rows, CHUNK):
            chunk = _chunk(rng, min(CHUNK, rows - start), columns, start, shift=shift)
            if writer is None:
                writer = pq.ParquetWriter(partial, chunk.schema)
            writer.write_table(chunk, row_group_size=CHUNK)
    finally:
        if writer is not None:
            writer.close()
    partial.rename(path)
    return path


@dataclass(frozen=True, slots=True)
class Run:
    """One child process: wall seconds, CPU seconds (user + system), peak resident memory in MB; `timed_out` when
    it was stopped at its time limit (its figures are then those of the run until then)."""

    wall: float
    cpu: float
    peak_mb: float
    timed_out: bool = False


def run(command: list[str], *, timeout: float | None = None) -> Run:
    """Run `command` to completion, or stop it after `timeout` seconds; a failure stops the bench with its
    output."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        process.kill()

    timer = threading.Timer(timeout, stop) if timeout is not None else None
    if timer is not None:
        timer.start()
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    if timer is not None:
        timer.cancel()
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if not stopped.is_set() and process.returncode not in (0, 1):
        sys.exit(f"{' '.join(command[:3])} ... failed ({process.returncode}):\n{error[-3000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stopped.is_set())


_YDATA = """
import sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from ydata_profiling import ProfileReport
frame = pd.read_parquet(sys.argv[1])
description = ProfileReport(frame, minimal=True, progress_bar=False).get_description()
open(sys.argv[2], "w").write(str(description.table["n"]))
"""

_FLOOR = """
import sys
import duckdb, numpy  # what aiwell data imports before it reads a table
connection = duckdb.connect()
names = [row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM read_parquet('{sys.argv[1]}')").fetchall()]
aggregates = ", ".join(f'min("{name}"), max("{name}"), count("{name}")' for name in names)
connection.execute(f"SELECT {aggregates} FROM read_parquet('{sys.argv[1]}')").fetchall()
"""
"""A floor for any profile on DuckDB: the interpreter, the imports and one pass reading every value of every column,
computing only its minimum, maximum and count."""

_EVIDENTLY = """
import json, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
reference, current = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
drifted = []
for metric in snapshot.dict()["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith("ValueDrift"):
        value = float(metric["value"])
        p_value = "p_value" in config.get("method", "")
        if (value < config["threshold"]) if p_value else (value >= config["threshold"]):
            drifted.append(config["column"])
json.dump(sorted(drifted), open(sys.argv[3], "w"))
"""


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _aiwell(path: Path, out: Path, *extra: str) -> tuple[Run, dict[str, object]]:
    measured = run([str(AIWELL), "data", "profile", str(path), "--format", "json", "-o", str(out), *extra])
    return measured, json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-python", type=Path, default=Path(".bench-venv/bin/python"),
                        help="A Python with ydata-profiling and evidently installed.")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "aiwell-bench-data")
    parser.add_argument("--steps", default="profile,drift,scale",
                        help="Which measurements to run, comma-separated (default: all three).")
    parser.add_argument("--drift-rows", default="100000,1000000",
                        help="Rows of the drift step's reference and current files, comma-separated sizes "
                             "(default: 100,000 and 1,000,000).")
    parser.add_argument("--peer-timeout", type=float, default=1800,
                        help="Seconds after which Evidently is stopped and reported as not finished (default 1800).")
    args = parser.parse_args()
    if not args.peer_python.exists():
        sys.exit(f"{args.peer_python} not found: make the peers' venv (see this script's docstring)")
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load average {_load()} (noisy when loaded: compare CPU seconds)")
    print("generating inputs (once) ...", flush=True)
    steps = set(args.steps.split(","))
    wide = generate(work / "1m_x_30.parquet", 1_000_000, 30, seed=1) if "profile" in steps else None
    drift_sizes = [int(n) for n in args.drift_rows.split(",")] if "drift" in steps else []
    pairs = [(generate(work / f"{_name(n)}_x_30_reference.parquet", n, 30, seed=2),
              generate(work / f"{_name(n)}_x_30_current.parquet", n, 30, seed=3, shift=0.5)) for n in drift_sizes]
    tall = generate(work / "10m_x_20.parquet", 10_000_000, 20, seed=4) if "scale" in steps else None
    if wide is not None:
        _profile_step(args.peer_python, work, wide)
    for rows, (reference, current) in zip(drift_sizes, pairs, strict=True):
        _drift_step(args.peer_python, work, rows, reference, current, args.peer_timeout)
    if tall is not None:
        _scale_step(work, tall)
    print(f"\nload average after: {_load()}")


def _name(rows: int) -> str:
    """1m for 1,000,000 rows (the names of earlier runs' files), 100k for 100,000."""
    return f"{rows // 1_000_000}m" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def _profile_step(peer_python: Path, work: Path, wide: Path) -> None:
    print(f"\n1. profile 1,000,000 rows x 30 columns (load average {_load()})", flush=True)
    ours, document = _aiwell(wide, work / "aiwell-profile.json", "--label", "label")
    datasets = document["datasets"]
    assert isinstance(datasets, list) and datasets[0]["rows"] == 1_000_000
    peer = run([str(peer_python), "-c", _YDATA, str(wide), str(work / "ydata.txt")])
    assert int((work / "ydata.txt").read_text()) == 1_000_000
    print(f"   aiwell data profile            {ours.wall:8.1f} s wall  {ours.cpu:8.1f} s CPU  {ours.peak_mb:6.0f} MB")
    print(f"   ydata-profiling (minimal=True) {peer.wall:8.1f} s wall  {peer.cpu:8.1f} s CPU  {peer.peak_mb:6.0f} MB")
    floor = run([sys.executable, "-c", _FLOOR, str(wide)])
    print(f"   floor: one DuckDB pass, min/max/count of every column, same start-up and imports: {floor.cpu:.2f} s CPU")
    ratio = peer.cpu / ours.cpu
    print(f"   ratio: aiwell {ratio:.1f}x less CPU, {peer.wall / ours.wall:.1f}x faster (wall); goal 20x: "
          f"{'met' if ratio >= 20 else 'NOT MET'} (on CPU time; 20x is {peer.cpu / 20:.2f} s, the floor "
          f"{floor.cpu:.2f} s)")


def _drift_step(peer_python: Path, work: Path, rows: int, reference: Path, current: Path, timeout: float) -> None:
    print(f"\n2. drift: {rows:,}-row reference against {rows:,} current rows, 30 columns (load average "
          f"{_load()})", flush=True)
    ours, document = _aiwell(current, work / f"aiwell-drift-{_name(rows)}.json", "--reference", str(reference))
    findings = document["findings"]
    assert isinstance(findings, list)
    ours_drifted = sorted(f["column"] for f in findings if f["check"] == "column-drift" and f["status"] == "fail")
    assert set(SHIFTED) <= set(ours_drifted), ours_drifted
    print(f"   aiwell data profile --reference {ours.wall:7.1f} s wall  {ours.cpu:8.1f} s CPU  {ours.peak_mb:6.0f} MB"
          f"  drifted: {', '.join(ours_drifted)}")
    answer = work / f"evidently-{_name(rows)}.json"
    answer.unlink(missing_ok=True)
    peer = run([str(peer_python), "-c", _EVIDENTLY, str(reference), str(current), str(answer)], timeout=timeout)
    if peer.timed_out:
        print(f"   Evidently DataDriftPreset       did not finish within the {timeout:.0f} s limit: stopped after "
              f"{peer.wall:.1f} s wall, {peer.cpu:.1f} s CPU, {peer.peak_mb:.0f} MB")
        # Lower bounds, so rounded down: Evidently would have taken longer than its figures at the limit.
        print(f"   ratio: aiwell more than {_floor(peer.wall / ours.wall)}x faster (wall), more than "
              f"{_floor(peer.cpu / ours.cpu)}x less CPU (lower bounds: Evidently's figures are those at the limit)")
        return
    peer_drifted = json.loads(answer.read_text())
    print(f"   Evidently DataDriftPreset       {peer.wall:7.1f} s wall  {peer.cpu:8.1f} s CPU  {peer.peak_mb:6.0f} MB"
          f"  drifted: {len(peer_drifted)} of 30 columns ({', '.join(peer_drifted[:8])}"
          f"{', ...' if len(peer_drifted) > 8 else ''})")
    print(f"   ratio: aiwell {peer.cpu / ours.cpu:.1f}x less CPU, {peer.wall / ours.wall:.1f}x faster (wall), "
          f"{peer.peak_mb / ours.peak_mb:.1f}x less peak memory")


def _floor(ratio: float) -> str:
    """A lower bound on a ratio, rounded down to one decimal (so it never claims more than was measured)."""
    return f"{math.floor(ratio * 10) / 10:.1f}"


def _scale_step(work: Path, tall: Path) -> None:
    print(f"\n3. scale: 10,000,000 rows x 20 columns, default memory limit (load average {_load()})", flush=True)
    ours, document = _aiwell(tall, work / "aiwell-10m.json", "--label", "label")
    datasets = document["datasets"]
    assert isinstance(datasets, list) and datasets[0]["rows"] == 10_000_000
    verdict = "under" if ours.peak_mb < 2048 else "OVER"
    print(f"   aiwell data profile            {ours.wall:8.1f} s wall  {ours.cpu:8.1f} s CPU  "
          f"peak {ours.peak_mb:6.0f} MB ({verdict} the 2 GB goal)")


if __name__ == "__main__":
    main()
