"""The ``omicsnet`` command on OS faults and signals: one line, the right exit status.

Permission denied, a full disk, a read-only file system and a disk quota are the user's to
fix: one line naming the path, exit 2 (they were internal errors with exit 1). Ctrl-C
gives 130 and SIGTERM 143, each with one line.
"""

from __future__ import annotations

import errno
import signal
import time

import pytest

from omicsnet import cli
from omicsnet.commands import core
from tests.hostile.helpers import (
    in_fault_namespace,
    omicsnet_command,
    run_command,
    tmp_files,
    unshare_works,
    write_runs,
)

USER_FAULTS = [
    (PermissionError, errno.EACCES, "Permission denied", "permission denied"),
    (OSError, errno.ENOSPC, "No space left on device", "no space left on the device (disk full)"),
    (OSError, errno.EROFS, "Read-only file system", "read-only file system"),
]
if hasattr(errno, "EDQUOT"):
    USER_FAULTS.append((OSError, errno.EDQUOT, "Disk quota exceeded", "disk quota exceeded"))


@pytest.mark.parametrize(("kind", "code", "strerror", "said"), USER_FAULTS)
def test_user_os_errors_are_one_line_with_exit_2(monkeypatch, capsys, kind, code, strerror, said):
    def fails(args):
        raise kind(code, strerror, "/data/study/run.npz")

    monkeypatch.setattr(core, "cmd_models", fails)
    assert cli.main(["models"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("omicsnet: error: /data/study/run.npz: " + said)


def test_a_rename_names_both_paths(monkeypatch, capsys):
    def fails(args):
        raise PermissionError(errno.EACCES, "Permission denied", "/a/.x.tmp", None, "/a/x.csv")

    monkeypatch.setattr(core, "cmd_models", fails)
    assert cli.main(["models"]) == 2
    assert "/a/.x.tmp -> /a/x.csv: permission denied" in capsys.readouterr().err


def test_other_os_errors_stay_internal_errors(monkeypatch, capsys):
    def fails(args):
        raise OSError(errno.EIO, "Input/output error", "/dev/sdz")

    monkeypatch.setattr(core, "cmd_models", fails)
    assert cli.main(["models"]) == 1
    assert "internal error" in capsys.readouterr().err


def test_ctrl_c_is_one_line_and_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(core, "cmd_models", interrupted)
    assert cli.main(["models"]) == 130
    assert capsys.readouterr().err == "omicsnet: interrupted\n"


def test_sigterm_is_one_line_and_143(monkeypatch, capsys):
    cleaned: list[bool] = []

    def terminated(args):
        try:
            signal.raise_signal(signal.SIGTERM)  # as `kill PID` would
            time.sleep(5)  # not reached
        finally:
            cleaned.append(True)  # finally blocks run: temporary files go

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(core, "cmd_models", terminated)
    assert cli.main(["models"]) == 143
    assert capsys.readouterr().err == "omicsnet: terminated by SIGTERM\n"
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is before  # handler restored after the command


@pytest.mark.skipif(not unshare_works(), reason="private mount namespaces are not available")
def test_a_full_output_disk_is_one_line_naming_the_file(tmp_path):
    runs = write_runs(tmp_path / "runs", 1, n_scans=40, noise_peaks=200)
    out = tmp_path / "out"
    out.mkdir()
    command = omicsnet_command(
        "-q", "lcms", "convert", str(runs[0]), "--out", str(out), "--no-cache", "--workers", "1"
    )
    result = run_command(in_fault_namespace(command, full=[out], full_bytes=16 * 1024))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"omicsnet: error: {out}/{runs[0].name}.npz: no space left on the device (disk full); "
        "free some space or write elsewhere"
    ]
    assert tmp_files(tmp_path) == []
