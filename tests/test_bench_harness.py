"""`make bench` keeps working: every benchmark runs on a tiny workload and writes JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_bench_runs_quick_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "BENCH_QUICK": "1", "BENCH_OUT": str(out)}
    proc = subprocess.run(
        [sys.executable, "tests/bench/run.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    names = [f["name"] for f in data["figures"]]
    assert "db: build demo campaign" in names
    for fig in data["figures"]:
        assert set(fig) >= {"name", "value", "unit", "ratio"}
        assert fig["value"] >= 0
