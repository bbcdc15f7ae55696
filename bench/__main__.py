"""`python -m bench [section ...] [options]`: run every registered benchmark section, or the named ones.

Options after the section names go to each section (e.g. `python -m bench cold_start --repeat 3`).
To add a section, write a module with `run(argv) -> int` and append it to SECTIONS."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from bench import aws_calls, cold_start, local_load, reconcile, reports, sweeper

Section = Callable[[Sequence[str]], int]
SECTIONS: list[tuple[str, Section]] = [
    ("cold_start", cold_start.run),
    ("aws_calls", aws_calls.run),
    ("local_load", local_load.run),
    ("sweeper", sweeper.run),
    ("reconcile", reconcile.run),
    ("reports", reports.run),
]


def main(argv: Sequence[str]) -> int:
    if list(argv[:1]) in (["-h"], ["--help"]):
        print(f"{__doc__}\nsections: {', '.join(name for name, _ in SECTIONS)}")
        return 0
    split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = list(argv[:split]), list(argv[split:])
    known = dict(SECTIONS)
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; available: {', '.join(known)}", file=sys.stderr)
        return 2
    status = 0
    for name, section in SECTIONS:
        if not names or name in names:
            status = max(status, section(options))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
