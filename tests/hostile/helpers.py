"""Helpers of the hostile tests: processes by group, generated mzML runs, fault file systems.

Nothing here is stored as a bomb or a fixture file: inputs are generated, and faults
(read-only or full file systems) are real ones, made in a private mount namespace
(``unshare``) where the system allows it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")


def omicsnet_command(*args: str) -> list[str]:
    """``python -m omicsnet ARGS`` with this interpreter."""
    return [sys.executable, "-m", "omicsnet", *args]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child ``omicsnet``: this one, the repository importable."""
    path = os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def run_command(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command to its end (at most 5 minutes), capturing its text output."""
    return subprocess.run(
        command, capture_output=True, text=True, env=child_env(**env), timeout=300
    )


def group_members(pgid: int) -> dict[int, str]:
    """``{pid: state}`` of the live (non-zombie) processes in a process group (Linux /proc)."""
    members: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            members[int(entry)] = state
    return members


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, which is only waiting to be reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_until(predicate, timeout: float, step: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def kill_group(pgid: int) -> None:
    """Clean-up after a test: SIGKILL whatever of the group is left (only our own children)."""
    for pid in group_members(pgid):
        with contextlib.suppress(OSError):
            os.kill(pid, 9)


def write_runs(folder: Path, n: int, *, n_scans: int = 200, noise_peaks: int = 150) -> list[Path]:
    """``n`` distinct mzML runs (one generated run, copies with a different software version).

    Each copy has its own bytes (so its own SHA-256 and cache entry) and converts like the
    original; copying is much faster than generating ``n`` runs.
    """
    from omicsnet.ms.synthetic import write_synthetic_mzml

    folder.mkdir(parents=True, exist_ok=True)
    template = folder / "template.mzML.src"
    write_synthetic_mzml(
        template,
        peaks=[(300.4, 1.0, 5e5, 0.1), (455.2, 2.0, 2e5, 0.1)],
        n_scans=n_scans,
        rt_step=0.02,
        noise_peaks=noise_peaks,
        seed=0,
    )
    data = template.read_bytes()
    marker = b'version="synthetic"'
    assert marker in data
    runs = []
    for i in range(n):
        path = folder / f"run{i:03d}.mzML"
        path.write_bytes(data.replace(marker, f'version="s{i:08d}"'.encode(), 1))
        runs.append(path)
    return runs


def tmp_files(root: Path) -> list[Path]:
    """Temporary files an atomic write would leave behind if it were cut off."""
    return sorted(p for p in root.rglob("*.tmp"))


def unshare_works() -> bool:
    """Whether this system lets us make private mounts (``unshare -rm``) for fault tests."""
    if not LINUX or shutil.which("unshare") is None:
        return False
    try:
        probe = subprocess.run(
            [
                "unshare",
                "-rm",
                "sh",
                "-c",
                "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || "
                "mount -t tmpfs -o size=64k tmpfs /tmp",
            ],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def in_fault_namespace(
    command: list[str],
    *,
    read_only: list[Path] = (),
    full: list[Path] = (),
    full_bytes: int = 64 * 1024,
) -> list[str]:
    """``command`` run in a private mount namespace where some folders are faulty.

    ``read_only`` folders are bind-mounted read-only (writes fail with EROFS, even as
    root); ``full`` folders become tiny tmpfs file systems of ``full_bytes`` (writes fail
    with ENOSPC once they are full). Nothing outside the namespace changes.
    """
    script = []
    for folder in read_only:
        script.append(f'mount --bind "{folder}" "{folder}"')
        script.append(f'mount -o remount,ro,bind "{folder}"')
    for folder in full:
        script.append(f'mount -t tmpfs -o size={int(full_bytes)} tmpfs "{folder}"')
    script.append('exec "$@"')
    return ["unshare", "-rm", "sh", "-c", " && ".join(script), "sh", *command]
