"""The benchmark harness behind ``make bench``.

Each ``tests/bench/bench_*.py`` module defines ``run(bench: Bench) -> None`` and reports
figures with :meth:`Bench.figure`. Benchmarks measure; they never assert a time.
``BENCH_QUICK=1`` shrinks every workload (used by the test that keeps the harness working).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    ratio: float | None = None
    ratio_to: str | None = None
    target: str | None = None


@dataclass
class Bench:
    quick: bool = field(default_factory=lambda: bool(os.environ.get("BENCH_QUICK")))
    figures: list[Figure] = field(default_factory=list)

    def size(self, full: int, quick: int) -> int:
        """The workload size: ``full`` for make bench, ``quick`` for the harness test."""
        return quick if self.quick else full

    def figure(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        ratio: float | None = None,
        ratio_to: str | None = None,
        target: str | None = None,
    ) -> Figure:
        fig = Figure(
            name,
            round(value, 4),
            unit,
            None if ratio is None else round(ratio, 3),
            ratio_to,
            target,
        )
        self.figures.append(fig)
        line = f"{name:<60} {fig.value:>12,.3f} {unit}"
        if fig.ratio is not None:
            line += f"   ratio {fig.ratio:.2f}x vs {ratio_to}"
        if target:
            line += f"   (target: {target})"
        print(line, flush=True)
        return fig

    def to_json(self) -> dict[str, Any]:
        return {"quick": self.quick, "figures": [asdict(f) for f in self.figures]}


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` -> seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(median, p95) of a list of samples."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def dump(bench: Bench) -> str:
    path = os.environ.get("BENCH_OUT", "bench-results.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(bench.to_json(), fh, indent=2, ensure_ascii=False)
    return path
