"""Parser for the OR-Library generalised assignment problem (GAP) benchmark files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["GapInstance", "read_orlib"]


@dataclass(frozen=True)
class GapInstance:
    """One GAP instance: give each job to exactly one agent within the agents' capacities."""

    name: str
    sense: str  # "max" (profit) or "min" (cost)
    value: np.ndarray  # (m, n) profit or cost of giving job j to agent i
    weight: np.ndarray  # (m, n) resource job j consumes at agent i
    capacity: np.ndarray  # (m,)

    @property
    def m(self) -> int:
        return int(self.value.shape[0])

    @property
    def n(self) -> int:
        return int(self.value.shape[1])


# gap1..gap12 (Osman; Cattrysse et al.) are profit problems, gapa..gapd (Chu & Beasley) cost problems.
_NUMBERED = re.compile(r"^gap(\d+)$", re.IGNORECASE)
_LETTERED = re.compile(r"^gap([a-z])$", re.IGNORECASE)


def _infer_sense(stem: str) -> str:
    if _NUMBERED.match(stem):
        return "max"
    if _LETTERED.match(stem):
        return "min"
    raise ValueError(
        f"{stem}: cannot infer the objective sense from the file name (gap1-gap12 maximise, "
        f"gapa-gapd minimise); say which with --sense max or --sense min"
    )


def _instance_name(stem: str, index: int, m: int, n: int) -> str:
    lettered = _LETTERED.match(stem)
    if lettered:
        # The literature names Chu & Beasley instances by type and size, e.g. "d20-200".
        return f"{lettered.group(1).lower()}{m}-{n}"
    return f"{stem}-{index + 1}"


def read_orlib(path: str | Path, sense: str | None = None) -> list[GapInstance]:
    """Read every instance of an OR-Library GAP file.

    The numbers may wrap across lines arbitrarily, so the file is read as one token stream.
    Raises ValueError naming the file when a token is not an integer, the stream ends early,
    or tokens are left over.
    """
    path = Path(path)
    stem = path.stem
    if sense is None:
        sense = _infer_sense(stem)
    if sense not in ("max", "min"):
        raise ValueError(f"{path}: sense must be 'max' or 'min', got {sense!r}")

    tokens = path.read_text().split()
    try:
        numbers = [int(t) for t in tokens]
    except ValueError:
        bad = next(i for i, t in enumerate(tokens) if not _is_int(t))
        raise ValueError(f"{path}: token {bad + 1} ({tokens[bad]!r}) is not an integer") from None

    pos = 0

    def take(count: int, what: str) -> list[int]:
        nonlocal pos
        if count < 0 or pos + count > len(numbers):
            raise ValueError(
                f"{path}: file ends early while reading {what} "
                f"(needed {count} numbers at token {pos + 1}, {len(numbers) - pos} left)"
            )
        chunk = numbers[pos : pos + count]
        pos += count
        return chunk

    (count,) = take(1, "the number of instances")
    if count <= 0:
        raise ValueError(f"{path}: the number of instances must be positive, got {count}")
    instances: list[GapInstance] = []
    for k in range(count):
        m, n = take(2, f"the size of instance {k + 1}")
        if m <= 0 or n <= 0:
            raise ValueError(f"{path}: instance {k + 1} has invalid size m={m}, n={n}")
        value = np.array(take(m * n, f"the values of instance {k + 1}"), dtype=np.int64).reshape(
            m, n
        )
        weight = np.array(
            take(m * n, f"the resources of instance {k + 1}"), dtype=np.int64
        ).reshape(m, n)
        capacity = np.array(take(m, f"the capacities of instance {k + 1}"), dtype=np.int64)
        if (weight < 0).any() or (capacity < 0).any():
            raise ValueError(f"{path}: instance {k + 1} has negative resources or capacities")
        instances.append(
            GapInstance(_instance_name(stem, k, m, n), sense, value, weight, capacity)
        )
    if pos != len(numbers):
        raise ValueError(
            f"{path}: {len(numbers) - pos} unexpected trailing numbers after {count} instances"
        )
    return instances


def _is_int(token: str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True
