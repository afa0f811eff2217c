"""Running a command as a careless or hostile user would, and checking that nothing was lost.

:func:`run_guarded` runs ``python -m omicsnet ...`` in a child process with an address-space
limit and a time limit, and :class:`Snapshot` records every file below a folder (size,
modification time, SHA-256) so that a test can assert that a user's files outside the
output folder, and the user's own files inside it, are exactly as they were.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: Address-space limit of a guarded command: torch maps ~1.5 GB of virtual memory at import;
#: a decompression bomb or an oversized model would need far more.
MEMORY_LIMIT = 3 * 2**30
TIME_LIMIT = 120


@dataclass
class Outcome:
    """What a guarded command did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float

    @property
    def error_lines(self) -> list[str]:
        """The lines of stderr that are not log lines (``LEVEL logger: message``)."""
        levels = ("DEBUG ", "INFO ", "WARNING ", "ERROR ", "CRITICAL ")
        return [
            line
            for line in self.stderr.splitlines()
            if line.strip() and not line.startswith(levels) and "%|" not in line
        ]

    def assert_user_error(self, *fragments: str) -> str:
        """Exit status 2, one ``omicsnet: error:`` line naming ``fragments``, no traceback."""
        assert "Traceback" not in self.stderr, self.stderr
        assert self.returncode == 2, (self.returncode, self.stderr)
        lines = self.error_lines
        assert len(lines) == 1 and lines[0].startswith("omicsnet: error: "), lines
        for fragment in fragments:
            assert fragment in lines[0], (fragment, lines[0])
        return lines[0]


def _limits() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_guarded(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = TIME_LIMIT,
    python: str | None = None,
) -> Outcome:
    """Run ``omicsnet ARGS`` (or the Python code ``python``) with bounded memory and time."""
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    command = [sys.executable, "-c", python] if python else [sys.executable, "-m", "omicsnet"]
    done = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        preexec_fn=_limits,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Outcome(
        done.returncode,
        done.stdout,
        done.stderr,
        time.perf_counter() - started,
        max(peak, before) / 1024,
    )


class Snapshot:
    """Every file below ``root`` with its size, modification time and SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.files = self._scan()

    def _scan(self) -> dict[str, tuple[int, int, str]]:
        files = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                files[str(path.relative_to(self.root))] = (stat.st_size, stat.st_mtime_ns, digest)
        return files

    def changes(self, *, ignore: tuple[str, ...] = ()) -> list[str]:
        """Files added, removed or changed since the snapshot, outside the ``ignore`` prefixes."""
        now = self._scan()
        names = set(now) | set(self.files)
        return sorted(
            name
            for name in names
            if not any(name == p or name.startswith(p.rstrip("/") + "/") for p in ignore)
            and self.files.get(name) != now.get(name)
        )


def user_folder(path: Path) -> Path:
    """A folder of the user's: a thesis, a data file and a ``model/`` omicsnet did not write."""
    (path / "notes").mkdir(parents=True)
    (path / "notes" / "thesis.txt").write_text("three years of work\n")
    (path / "data.csv").write_text("sample,g1\nS1,1.0\n")
    (path / "model").mkdir()
    (path / "model" / "config.json").write_text('{"mine": true}\n')
    return path
