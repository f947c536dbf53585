"""Runs every ```python block of docs/clients.md as a program against a live server;
a ```text block right after one is its expected output."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from tests.callers import ADMIN_TOKEN

DOCS = Path(__file__).parents[2] / "docs" / "clients.md"
BLOCK = re.compile(r"```python\n(?P<code>.*?)```(?:\s*```text\n(?P<output>.*?)```)?", re.S)


def examples() -> list[tuple[str, str | None]]:
    return [(m["code"], m["output"]) for m in BLOCK.finditer(DOCS.read_text())]


def test_the_docs_have_blocking_and_async_python_examples() -> None:
    code = "\n".join(code for code, _ in examples())
    assert "AuthTunaClient(" in code and "AsyncAuthTunaClient(" in code


@pytest.mark.parametrize("number", range(len(examples())))
async def test_python_example_runs_and_prints_what_the_docs_show(number: int, address: str) -> None:
    code, expected = examples()[number]
    env = {**os.environ, "AUTHTUNA_ADDRESS": address, "AUTHTUNA_TOKEN": ADMIN_TOKEN}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, f"example {number} failed:\n{code}\n{stderr.decode()}"
    if expected is not None:
        assert stdout.decode() == expected
