"""The campaign folder: config, Ax snapshot, per-trial results, and a lock.

::

    CAMPAIGN/
      campaign.json        format, version, the config (extends resolved), its folder
      experiment.json      the Ax Client's JSON snapshot, rewritten atomically after
                           every trial is generated, completed or failed
      trials.csv           the trial table, rewritten after every trial
      trials/00012/        one folder per trial: what the task wrote, trial.log, and
        result.json        status, metrics, error and traceback, seconds, host, pid
      .lock                held (flock) while a process runs the campaign

The snapshot is the source of truth for trial status. ``result.json`` is written before
the snapshot (first where the trial ran, as soon as its task returned, then again by the
campaign), so a campaign killed between the two still has the finished trial's result
and :func:`omicsnet.search.resume_campaign` completes it from there instead of running it
again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from omicsnet.errors import CheckpointError, OmicsnetError
from omicsnet.utils.io import atomic_write_text

logger = logging.getLogger(__name__)

FORMAT = "omicsnet-search-campaign"
FORMAT_VERSION = 1
CAMPAIGN_FILE = "campaign.json"
TABLE_FILE = "trials.csv"
TRIALS_DIR = "trials"
RESULT_FILE = "result.json"
LOCK_FILE = ".lock"


class CampaignBusyError(OmicsnetError):
    """Another process is running this campaign."""


def trial_dir(campaign_dir: str | os.PathLike[str], trial_index: int) -> Path:
    """The folder of one trial.

    Examples
    --------
    >>> trial_dir("runs/search", 12).as_posix()
    'runs/search/trials/00012'
    """
    return Path(campaign_dir) / TRIALS_DIR / f"{int(trial_index):05d}"


def write_campaign_file(campaign_dir: Path, config: dict[str, Any], base_dir: str) -> None:
    """Record the campaign's config and the folder its relative paths resolve against."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "base_dir": base_dir,
        "config": config,
    }
    atomic_write_text(campaign_dir / CAMPAIGN_FILE, json.dumps(payload, indent=2, default=str))


def read_campaign_file(campaign_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """Return ``(config, base_dir)`` of a campaign folder, with clear errors."""
    path = Path(campaign_dir) / CAMPAIGN_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{campaign_dir} is not a search campaign folder (no {CAMPAIGN_FILE}); "
            "start one with `omicsnet search run --config FILE`"
        )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an omicsnet search campaign file")
    if int(payload.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {payload['format_version']} is newer than this "
            f"omicsnet reads ({FORMAT_VERSION}); upgrade omicsnet"
        )
    return dict(payload["config"]), str(payload.get("base_dir", "."))


def save_snapshot(client: Any, path: Path) -> None:
    """Write the Ax Client's JSON snapshot atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        client.save_to_json_file(str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_snapshot(path: Path) -> Any:
    """Restore an Ax Client from its JSON snapshot."""
    from ax import Client

    if not path.is_file():
        raise CheckpointError(f"{path}: the campaign has no Ax snapshot")
    try:
        return Client.load_from_json_file(str(path))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: cannot read the Ax snapshot ({err})") from err


def write_result(campaign_dir: Path, result: dict[str, Any]) -> Path:
    """Write one trial's ``result.json`` atomically."""
    path = trial_dir(campaign_dir, result["trial_index"]) / RESULT_FILE
    return atomic_write_text(path, json.dumps(result, indent=2, default=str))


def read_result(campaign_dir: Path, trial_index: int) -> dict[str, Any] | None:
    """One trial's ``result.json``, or ``None`` when it has none (or it is unreadable)."""
    path = trial_dir(campaign_dir, trial_index) / RESULT_FILE
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        logger.warning("%s is not valid JSON; ignoring it", path)
        return None
    return value if isinstance(value, dict) else None


class CampaignLock:
    """An exclusive lock on a campaign folder, released when the process ends.

    Uses ``flock``, so a campaign killed with SIGKILL leaves no stale lock. On systems
    without ``fcntl`` the lock is a no-op.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with CampaignLock(folder):  # doctest: +ELLIPSIS
    ...     CampaignLock(folder).acquire()
    Traceback (most recent call last):
    ...
    omicsnet.search.storage.CampaignBusyError: ... is being run by another process (pid ...)...first
    """

    def __init__(self, campaign_dir: str | os.PathLike[str]) -> None:
        self.path = Path(campaign_dir) / LOCK_FILE
        self._handle: Any = None

    def acquire(self) -> CampaignLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            raise CampaignBusyError(
                f"{self.path.parent} is being run by another process (pid {owner}); "
                "wait for it to finish or stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> CampaignLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
