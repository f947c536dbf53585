"""docs/benchmarks.md is written by several benchmarks, each into its own marked section."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, begin: str, end: str, section: str) -> None:
    """Put `section` (which starts with `begin` and ends with `end`) where the old one was,
    or at the end of the page; the rest of the page stays as it is."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text.split(begin, 1)[1]:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
