"""Run every benchmark: ``make bench`` (or ``python tests/bench/run.py [NAME ...]``)."""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.bench import Bench, dump


def main(selected: list[str]) -> int:
    bench = Bench()
    failed = []
    modules = sorted(Path(__file__).parent.glob("bench_*.py"))
    for path in modules:
        name = path.stem
        if selected and not any(s in name for s in selected):
            continue
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(f"tests.bench.{name}").run(bench)
        except Exception:
            traceback.print_exc()
            failed.append(name)
    out = dump(bench)
    print(f"{len(bench.figures)} figures written to {out}")
    if failed:
        print(f"FAILED benchmarks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
