"""Campaign results: the trial table, the best trial, the Pareto front and plots.

The trial table has one row per trial: ``trial_index``, ``status`` (``completed``,
``failed``, ``abandoned``, ``running``), the objectives, any other metrics the task
returned, the parameters (inactive conditional parameters are empty), ``seconds``,
``host`` and ``error``. Failed trials keep the task's error message
(``"ValueError: ..."``); abandoned ones were interrupted and re-run under a new index.

Examples
--------
>>> import pandas as pd
>>> from omicsnet.search.settings import Objective
>>> table = pd.DataFrame({"trial_index": [0, 1, 2, 3],
...                       "status": ["completed"] * 4,
...                       "loss": [3.0, 1.0, 2.0, 0.5], "size": [1.0, 4.0, 5.0, 9.0]})
>>> objectives = [Objective("loss"), Objective("size")]
>>> pareto_front(table, objectives)["trial_index"].tolist()
[3, 1, 0]
>>> best_so_far(table, Objective("loss")).tolist()
[3.0, 1.0, 1.0, 0.5]
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from omicsnet.search.storage import TABLE_FILE, read_result
from omicsnet.utils.io import write_csv
from omicsnet.utils.plotting import pyplot, save_figure

if TYPE_CHECKING:
    import pandas as pd

    from omicsnet.search.settings import CampaignSettings, Objective


class Campaign(Protocol):
    """What the report reads of a campaign (:class:`omicsnet.search.campaign.Campaign`)."""

    directory: Path
    settings: CampaignSettings

    @property
    def experiment(self) -> Any: ...  # the Ax Experiment

    @property
    def n_finished(self) -> int: ...

    def counts(self) -> dict[str, int]: ...


logger = logging.getLogger(__name__)

PROGRESS_PLOT = "progress.png"
PARETO_PLOT = "pareto.png"


def trial_table(campaign: Campaign) -> pd.DataFrame:
    """One row per trial of a campaign (see the module docstring).

    Built from the Ax experiment (status, metrics, parameters) and each trial's
    ``result.json`` (seconds, host, error, and the metrics as the task returned them:
    Ax's JSON snapshot rounds them to 10 decimal places).
    """
    import pandas as pd

    experiment = campaign.experiment
    data = experiment.lookup_data().df if experiment.trials else None
    metrics: dict[int, dict[str, float]] = {}
    if data is not None and len(data):
        for row in data.itertuples(index=False):
            metrics.setdefault(int(row.trial_index), {})[str(row.metric_name)] = float(row.mean)
    parameter_names = campaign.settings.space.names
    objective_names = campaign.settings.objective_names
    rows = []
    for index, trial in sorted(experiment.trials.items()):
        saved = read_result(campaign.directory, index) or {}
        status = trial.status.name.lower()
        row: dict[str, Any] = {"trial_index": int(index), "status": status}
        values = metrics.get(index, {})
        if status == "completed" and isinstance(saved.get("metrics"), dict):
            values = {**values, **saved["metrics"]}  # exact: Ax's JSON keeps 10 decimals
        for name in objective_names:
            row[name] = values.get(name, math.nan)
        for name, value in sorted(values.items()):
            if name not in objective_names:
                row[name if name not in parameter_names else f"metric_{name}"] = value
        parameters = trial.arm.parameters if trial.arm is not None else {}
        for name in parameter_names:
            row[name] = parameters.get(name)
        row["seconds"] = saved.get("seconds")
        row["host"] = saved.get("host")
        error = trial.status_reason if status in ("failed", "abandoned") else None
        row["error"] = error or (saved.get("error") if status != "completed" else None)
        rows.append(row)
    columns = ["trial_index", "status", *objective_names]
    table = pd.DataFrame(rows, columns=None if rows else columns)
    return table


def _completed(table: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    if not len(table):
        return table
    done = table[table["status"] == "completed"]
    names = [o.name for o in objectives]
    return done.dropna(subset=[n for n in names if n in done.columns])


def best_trial(table: pd.DataFrame, objectives: list[Objective]) -> dict[str, Any] | None:
    """The best completed row for the first objective (``None`` if nothing completed).

    Examples
    --------
    >>> import pandas as pd
    >>> from omicsnet.search.settings import Objective
    >>> t = pd.DataFrame({"trial_index": [0, 1], "status": ["completed", "failed"],
    ...                   "acc": [0.7, float("nan")]})
    >>> best_trial(t, [Objective("acc", "maximize")])["trial_index"]
    0
    """
    done = _completed(table, objectives[:1])
    if not len(done):
        return None
    objective = objectives[0]
    values = done[objective.name]
    position = values.idxmin() if objective.minimize else values.idxmax()
    return {k: _plain(v) for k, v in done.loc[position].items()}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def pareto_front(table: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    """Completed trials that no other completed trial dominates on all objectives.

    A trial dominates another when it is at least as good on every objective and better
    on one. Rows come sorted by the first objective (best first).
    """
    import numpy as np

    done = _completed(table, objectives)
    if not len(done):
        return done
    signs = np.array([1.0 if o.minimize else -1.0 for o in objectives])
    values = done[[o.name for o in objectives]].to_numpy(dtype=float) * signs
    keep = []
    for point in values:
        dominated = np.any(np.all(values <= point, axis=1) & np.any(values < point, axis=1))
        keep.append(not dominated)
    front = done[np.array(keep)]
    return front.sort_values(objectives[0].name, ascending=objectives[0].minimize, kind="stable")


def best_so_far(table: pd.DataFrame, objective: Objective) -> pd.Series:
    """Best value of one objective among completed trials, in trial order."""
    done = _completed(table, [objective]).sort_values("trial_index")
    values = done[objective.name].astype(float)
    best = values.cummin() if objective.minimize else values.cummax()
    return best.set_axis(done["trial_index"].to_numpy())


def _objective_label(objective: Objective) -> str:
    return f"{objective.name} ({'lower' if objective.minimize else 'higher'} is better)"


def plot_progress(table: pd.DataFrame, objectives: list[Objective]) -> Any:
    """Figure: each objective per trial (dots), best so far (line), failures (crosses)."""
    from matplotlib.ticker import MaxNLocator

    from omicsnet.utils.plotting import label_axes, style

    plt = pyplot()
    with style():
        fig, axes = plt.subplots(
            len(objectives), 1, figsize=(7, 2.8 * len(objectives)), squeeze=False, sharex=True,
            layout="constrained",
        )  # fmt: skip
        for ax, objective in zip(axes[:, 0], objectives, strict=True):
            done = _completed(table, [objective])
            ax.scatter(done["trial_index"], done[objective.name], s=14, label="completed trial")
            best = best_so_far(table, objective)
            ax.step(best.index, best.to_numpy(), where="post", color="C3", label="best so far")
            failed = table[table["status"] == "failed"] if len(table) else table
            if len(failed) and len(done):
                values = done[objective.name]
                level = values.max() if objective.minimize else values.min()
                ax.scatter(
                    failed["trial_index"], [level] * len(failed), marker="x", color="grey",
                    label="failed trial (drawn at the worst value)",
                )  # fmt: skip
            label_axes(ax, y=_objective_label(objective))
            ax.legend()
        axes[-1, 0].xaxis.set_major_locator(MaxNLocator(integer=True))
        label_axes(axes[-1, 0], x="trial (in the order run)")
    return fig


def plot_pareto(table: pd.DataFrame, objectives: list[Objective]) -> Any:
    """Figure: completed trials on the first two objectives, the Pareto front marked.

    The trials of the front are labelled with their trial index (as in ``trials.csv``).
    """
    import numpy as np

    from omicsnet.utils.plotting import label_axes, place_labels, style

    plt = pyplot()
    first, second = objectives[0], objectives[1]
    done = _completed(table, objectives)
    front = pareto_front(table, objectives).sort_values(first.name)
    with style():
        fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
        ax.scatter(done[first.name], done[second.name], s=16, color="C0", label="trial")
        ax.plot(front[first.name], front[second.name], marker="o", linestyle="-", color="C3",
                label="Pareto front")  # fmt: skip
        label_axes(ax, x=_objective_label(first), y=_objective_label(second))
        ax.legend(loc="upper right")
        fx, fy = front[first.name].to_numpy(float), front[second.name].to_numpy(float)
        # points along the front line too, unlabelled, so that no label sits on the line
        steps = np.linspace(0.0, 1.0, 12)[1:-1]
        segments = list(zip(fx[:-1], fx[1:], fy[:-1], fy[1:], strict=True))
        lx = np.array([x0 + (x1 - x0) * t for x0, x1, _, _ in segments for t in steps])
        ly = np.array([y0 + (y1 - y0) * t for _, _, y0, y1 in segments for t in steps])
        n_line = len(lx)
        place_labels(
            ax,
            np.concatenate([fx, lx[:n_line]]),
            np.concatenate([fy, ly[:n_line]]),
            [f"trial {int(t)}" for t in front["trial_index"]] + [""] * n_line,
            budget=len(front),
            marker_size=[7.0] * len(fx) + [2.0] * n_line,
            fontsize=7,
            colors=["C3"] * (len(fx) + n_line),
        )
    return fig


def write_report(campaign: Campaign, *, plots: bool = True) -> dict[str, Path]:
    """Write ``trials.csv`` and (with matplotlib) ``progress.png`` / ``pareto.png``."""
    table = trial_table(campaign)
    written = {"table": write_csv(table, campaign.directory / TABLE_FILE)}
    if not plots or not len(table):
        return written
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        logger.info("matplotlib is not installed; no plots (pip install 'omicsnet[plot]')")
        return written
    objectives = campaign.settings.objectives
    written["progress"] = save_figure(
        plot_progress(table, objectives), campaign.directory / PROGRESS_PLOT, dpi=110
    )
    if len(objectives) > 1:
        written["pareto"] = save_figure(
            plot_pareto(table, objectives), campaign.directory / PARETO_PLOT
        )
    return written


def format_status(campaign: Campaign, *, max_rows: int = 20) -> str:
    """A plain-text status report: counts, best trial or Pareto front, latest trials."""
    import pandas as pd

    from omicsnet.utils.numbers import format_frame, format_number

    settings = campaign.settings
    table = trial_table(campaign)
    counts = campaign.counts()
    lines = [
        f"campaign {settings.name} in {campaign.directory}",
        f"task {settings.task}; objectives "
        + ", ".join(f"{o.name} ({o.goal})" for o in settings.objectives),
        f"{campaign.n_finished}/{settings.trials} trials finished: "
        + (", ".join(f"{n} {s}" for s, n in counts.items()) or "none yet"),
    ]
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        if settings.multi_objective:
            front = pareto_front(table, settings.objectives)
            lines.append(f"Pareto front ({len(front)} trials):")
            if len(front):
                cols = ["trial_index", *settings.objective_names, *settings.space.names]
                lines.append(format_frame(front[[c for c in cols if c in front]], 6, index=False))
        else:
            best = best_trial(table, settings.objectives)
            if best is not None:
                name = settings.objective_names[0]
                params = {k: best[k] for k in settings.space.names if k in best}
                value = format_number(best[name], 6)
                lines.append(f"best trial {best['trial_index']}: {name} = {value}")
                lines.append(f"  parameters: {params}")
        failed = table[table["status"] == "failed"] if len(table) else table
        for row in failed.tail(5).itertuples(index=False):
            lines.append(f"failed trial {row.trial_index}: {row.error}")
        if len(table):
            lines.append(f"latest {min(max_rows, len(table))} trials:")
            cols = ["trial_index", "status", *settings.objective_names, "seconds"]
            latest = table[[c for c in cols if c in table]].tail(max_rows)
            lines.append(format_frame(latest, 6, index=False))
    return "\n".join(lines)
