"""Search tasks for the hostile tests (imported by worker processes: keep it light)."""

from __future__ import annotations

import time
from pathlib import Path


def counting_task(parameters, context):
    """Leaves one file per call in ``calls/`` of the campaign config's folder, then returns."""
    calls = Path(context.base_dir) / str(context.options["calls"])
    (calls / f"trial-{context.trial_index}-{time.time_ns()}").touch()
    return {"loss": (float(parameters["x"]) - 0.25) ** 2}
