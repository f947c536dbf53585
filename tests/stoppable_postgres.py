"""A PostgreSQL cluster of a test's own, which the test stops and starts again.

Made as scripts/postgres makes its throwaway cluster: initdb into a temporary directory
(as the postgres OS user when running as root), listening on 127.0.0.1 on a free port
with trust authentication. It restarts on the same port, so clients reconnect to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.server_processes import free_port

PG_BIN = Path(os.environ.get("AUTHTUNA_PG_BIN", "/usr/lib/postgresql/15/bin"))


class StoppablePostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="authtuna-stoppable-pg."))
        self._data = self._dir / "data"
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._dir.chmod(0o700)
        if self._as_owner:
            shutil.chown(self._dir, "postgres")
        self._run(
            "initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )

    def start(self) -> None:
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self._dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self._dir / "server.log")
        self._run("pg_ctl", "-D", str(self._data), "-l", log, "-w", "-t", "30", "start", "-o", options)

    def stop(self) -> None:
        """Fast shutdown: open connections are terminated, as in a failover."""
        self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "-t", "30", "stop")

    def destroy(self) -> None:
        if (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self._dir, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        command = [*self._as_owner, str(PG_BIN / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}")
