"""Solve matching problems stored in files: our JSON problems or OR-Library GAP benchmarks.

The JSON format is documented in README.md ("Problem files") and read by problem_json.
``python -m market.matching.problem_file FILE...`` prints one JSON line per instance.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from market.matching.match import solve_match
from market.matching.problem import AllocationProblem
from market.matching.problem_json import FileProblem, read_json_problems
from market.matching.solver.allocation import solve_allocation

__all__ = ["RESULT_KEYS", "detect_format", "main", "solve_file"]

RESULT_KEYS = ("instance", "objective", "bound", "gap_pct", "seconds", "status", "solver")


def detect_format(path: str | Path, text: str | None = None) -> str:
    """"json" or "orlib": by extension (.json, .txt), else by the first character."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".txt":
        return "orlib"
    if text is None:
        text = _read(path)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return "json"
    if head.isdigit():
        return "orlib"
    raise ValueError(
        f"{path}: cannot tell the format: expected a JSON problem (.json) "
        f"or an OR-Library GAP file (.txt)"
    )


def solve_file(
    path: str | Path, time_limit: float = 10.0, sense: str | None = None
) -> Iterator[dict[str, Any]]:
    """Solve every instance in the file, yielding one result per instance as it is solved.

    Each result has ``instance``, ``objective``, ``bound``, ``gap_pct``, ``seconds``,
    ``status`` and ``solver``. `sense` ("max" or "min") is for OR-Library files whose name does
    not tell it (gap1-gap12 maximise, gapa-gapd minimise); JSON problems ignore it. A file that
    cannot be read or does not follow its format
    raises ValueError with a message naming the file and the place of the problem (before
    anything is yielded for JSON files, which are checked whole first).
    """
    path = Path(path)
    text = _read(path)
    kind = detect_format(path, text)
    if kind == "orlib":
        yield from _solve_orlib(path, time_limit, sense)
        return
    # read_json_problems checks every problem before any is solved.
    for item in read_json_problems(path, text):
        yield _solve_json(item, time_limit)


def _solve_json(item: FileProblem, time_limit: float) -> dict[str, Any]:
    if isinstance(item.problem, AllocationProblem):
        res = solve_allocation(item.problem, time_limit=time_limit)
    else:
        res = solve_match(item.problem, time_limit=time_limit)
    values = (item.name, res.objective, res.bound, res.gap_pct, res.seconds, res.status, res.solver)
    return dict(zip(RESULT_KEYS, values, strict=True))


# ---------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a problem file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror})") from None


def _solve_orlib(
    path: Path, time_limit: float, sense: str | None = None
) -> Iterator[dict[str, Any]]:
    # Imported on first use, not for a cycle: the GAP solver brings numba and OR-Tools (with
    # pandas), about 0.4 s of start-up that a run on JSON problems alone does not need.
    from market.matching.gap.orlib import read_orlib
    from market.matching.gap.solver import solve_gap, warm_up

    instances = read_orlib(path, sense=sense)
    # The compiled kernels load (or, the first time on a machine, compile) before any instance
    # is timed, so `seconds` is the solve alone.
    warm_up()
    for inst in instances:
        res = solve_gap(inst, time_limit=time_limit)
        yield {
            "instance": inst.name,
            "objective": _finite(res.objective),
            "bound": _finite(res.bound),
            "gap_pct": _finite(res.gap_pct),
            "seconds": float(res.seconds),
            "status": res.status,
            "solver": res.solver,
        }


def _finite(value: float) -> float | None:
    # JSON has no NaN or infinity: "no solution" or "no bound" become null.
    value = float(value)
    return value if math.isfinite(value) else None


@contextmanager
def _stdout_for_results() -> Iterator[Callable[[str], None]]:
    """Keep stdout for result lines: native code's chatter goes to stderr meanwhile.

    HiGHS occasionally prints a debug line straight to file descriptor 1, which would break
    "one JSON line per instance". When stdout is a real file descriptor, point it at stderr
    while solving and write results to a duplicate of the original.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. captured by a test harness
        yield lambda line: print(line, flush=True)
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    os.dup2(sys.stderr.fileno(), fd)
    try:
        yield lambda line: os.write(saved, (line + "\n").encode())
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per instance of each file; a bad file prints its error and exits 2."""
    ap = argparse.ArgumentParser(
        description="Solve matching problem files (JSON or OR-Library GAP)."
    )
    ap.add_argument("files", nargs="+")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--sense", choices=("max", "min"), default=None,
                    help="objective of OR-Library files whose name does not tell it")
    args = ap.parse_args(argv)
    try:
        with _stdout_for_results() as emit:
            for name in args.files:
                for result in solve_file(name, time_limit=args.time_limit, sense=args.sense):
                    emit(json.dumps(result))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. head) has had enough: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
