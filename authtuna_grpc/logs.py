"""Log setup: one JSON object per line (or plain text), the same in every process.

The access log (logger "authtuna_grpc.access") carries its fields in `record.rpc`;
nothing else is attached, so a request body, a token or a hash cannot reach a line.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

ACCESS_LOGGER = "authtuna_grpc.access"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": os.getpid(),
            "message": record.getMessage(),
        }
        fields = getattr(record, "rpc", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "rpc", None)
        if isinstance(fields, dict):
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


def configure_logging(level: str, form: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if form == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    # The level applies to this service's own loggers. Libraries log warnings and errors
    # only: at DEBUG some of them (aiosqlite, SQLAlchemy) write statement parameters,
    # which include password hashes and token digests.
    own = logging.getLevelName(level)
    root.setLevel(max(logging.WARNING, own))
    logging.getLogger("authtuna_grpc").setLevel(own)
