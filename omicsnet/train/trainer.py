"""The shared trainer used by every model family.

Examples
--------
>>> import numpy as np, omicsnet
>>> from omicsnet.train import Trainer
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(64, 5)).astype("float32")
>>> y = x @ rng.normal(size=(5, 2)).astype("float32")
>>> data = omicsnet.ArrayDataset(x, y)
>>> model = omicsnet.create_model("mlp", in_features=5, out_features=2, hidden=[16])
>>> result = Trainer(max_epochs=3, batch_size=16, progress=False).fit(model, data, data)
>>> list(result.history.columns[:3])
['epoch', 'train_loss', 'val_loss']
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from omicsnet.data.datasets import ArrayDataset
from omicsnet.errors import CheckpointError, ConfigError
from omicsnet.nn.devices import resolve_device
from omicsnet.train.callbacks import Callback, EarlyStopping, is_improvement
from omicsnet.train.distributed import (
    DistributedContext,
    all_reduce_sum,
    barrier,
    epoch_batches,
    setup_distributed,
    teardown_distributed,
)
from omicsnet.train.optim import build_optimizer, build_scheduler
from omicsnet.train.plans import TrainingPlan, resolve_plan
from omicsnet.train.seeding import rng_state, seed_everything, set_rng_state
from omicsnet.utils.io import atomic_write_bytes, atomic_write_text

logger = logging.getLogger(__name__)

LAST_CHECKPOINT = "last.pt"
BEST_MODEL_DIR = "best"
HISTORY_FILE = "history.csv"
PRECISIONS = ("auto", "32", "16-mixed", "bf16-mixed")


@dataclass
class TrainResult:
    """What :meth:`Trainer.fit` returns.

    Attributes
    ----------
    model
        The trained model (best weights restored when ``restore_best=True``).
    history
        One row per epoch: ``epoch``, ``train_loss``, ``val_loss``, validation metrics
        (``val_r2``, ``val_accuracy``, ...), ``lr`` and ``seconds``.
    best_epoch, best_score
        Epoch (0-based) and value of the best monitored metric.
    stopped_early
        Whether early stopping ended the run.
    checkpoint_dir
        Folder with ``last.pt``, ``best/`` and ``history.csv``, if checkpointing was on.
    """

    model: Any
    history: pd.DataFrame
    best_epoch: int | None = None
    best_score: float | None = None
    stopped_early: bool = False
    checkpoint_dir: Path | None = None
    monitor: str = "val_loss"


class Trainer:
    """Train any zoo model: devices, mixed precision, checkpoints, resume, DDP, callbacks.

    Parameters
    ----------
    max_epochs
        Number of passes over the training data.
    batch_size
        Global batch size (split across processes under ``torchrun``).
    optimizer, lr, weight_decay, optimizer_kwargs
        Optimiser by name (see :func:`omicsnet.train.optim.build_optimizer`).
    scheduler, scheduler_kwargs
        LR scheduler by name, or ``None`` (see :func:`omicsnet.train.optim.build_scheduler`).
        ``plateau`` follows the monitored metric.
    grad_clip
        Clip the global gradient norm to this value (``None``: no clipping).
    precision
        ``"auto"`` (mixed bf16/fp16 on CUDA, fp32 elsewhere), ``"32"``, ``"16-mixed"`` or
        ``"bf16-mixed"``. Mixed precision is used on CUDA only.
    device
        ``"auto"`` (CUDA, then MPS, then CPU), or any torch device name.
    seed
        Seeds Python, NumPy and torch at the start of ``fit`` and fixes the batch order of
        every epoch: the same seed gives the same run.
    deterministic
        Ask torch for deterministic kernels as well.
    early_stopping
        Patience in epochs, or an :class:`~omicsnet.train.callbacks.EarlyStopping`.
    monitor, mode
        Metric that decides the best epoch (default ``val_loss`` with validation data,
        else ``train_loss``) and whether lower or higher is better.
    callbacks
        Further :class:`~omicsnet.train.callbacks.Callback` objects.
    checkpoint_dir
        Folder for ``last.pt`` (full state, written every epoch), ``best/`` (the best
        model, loadable with :func:`omicsnet.load`) and ``history.csv``.
    overwrite
        Allow starting a new run in a ``checkpoint_dir`` that already holds one.
    restore_best
        Load the best epoch's weights into the model when training ends.
    progress
        Show a progress bar (on the main process only).
    num_workers
        DataLoader workers for datasets that are not in memory.
    shuffle, drop_last
        Batch order and whether to drop the last incomplete batch.
    sync_batchnorm
        Convert batch-norm layers to ``SyncBatchNorm`` under DDP.

    Examples
    --------
    >>> trainer = Trainer(max_epochs=50, lr=1e-3, scheduler="cosine", early_stopping=5)
    >>> trainer.monitor is None
    True
    """

    def __init__(
        self,
        *,
        max_epochs: int = 100,
        batch_size: int = 64,
        optimizer: str = "adam",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        optimizer_kwargs: dict[str, Any] | None = None,
        scheduler: str | None = None,
        scheduler_kwargs: dict[str, Any] | None = None,
        grad_clip: float | None = None,
        precision: str = "auto",
        device: str | torch.device = "auto",
        seed: int = 0,
        deterministic: bool = False,
        early_stopping: int | EarlyStopping | None = None,
        monitor: str | None = None,
        mode: str = "min",
        callbacks: Sequence[Callback] = (),
        checkpoint_dir: str | os.PathLike[str] | None = None,
        overwrite: bool = False,
        restore_best: bool = True,
        progress: bool = True,
        num_workers: int = 0,
        shuffle: bool = True,
        drop_last: bool = False,
        sync_batchnorm: bool = False,
    ) -> None:
        if int(max_epochs) < 1:
            raise ConfigError(f"max_epochs must be >= 1, got {max_epochs}")
        if int(batch_size) < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ConfigError(f"lr must be a positive number, got {lr!r}")
        if precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if mode not in ("min", "max"):
            raise ConfigError(f"mode must be 'min' or 'max', got {mode!r}")
        if grad_clip is not None and grad_clip <= 0:
            raise ConfigError(f"grad_clip must be positive, got {grad_clip}")
        self.max_epochs = int(max_epochs)
        self.batch_size = int(batch_size)
        self.optimizer_name = optimizer
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.optimizer_kwargs = dict(optimizer_kwargs or {})
        self.scheduler_name = scheduler
        self.scheduler_kwargs = dict(scheduler_kwargs or {})
        self.grad_clip = grad_clip
        self.precision = precision
        self.device_spec = device
        self.seed = int(seed)
        self.deterministic = deterministic
        if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
            early_stopping = EarlyStopping(patience=early_stopping)
        self.early_stopping = early_stopping
        self.monitor = monitor
        self.mode = mode
        self.callbacks: list[Callback] = list(callbacks)
        if early_stopping is not None:
            self.callbacks.append(early_stopping)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.overwrite = overwrite
        self.restore_best = restore_best
        self.progress = progress
        self.num_workers = int(num_workers)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.sync_batchnorm = sync_batchnorm
        self.should_stop = False
        self.current_monitor: str = monitor or "val_loss"
        self.device: torch.device | None = None
        self.dist = DistributedContext()

    # ------------------------------------------------------------------ public API
    def fit(
        self,
        model: nn.Module,
        train_data: Dataset | Any,
        val_data: Dataset | Any | None = None,
        *,
        plan: TrainingPlan | str | None = None,
        resume: bool | str | os.PathLike[str] = False,
    ) -> TrainResult:
        """Train ``model`` on ``train_data``, validating on ``val_data`` after each epoch.

        Parameters
        ----------
        model
            A zoo model (any ``nn.Module`` works; saving needs a zoo model).
        train_data, val_data
            :class:`~omicsnet.data.datasets.ArrayDataset` (fast path), any torch
            ``Dataset`` of dict samples, or an ``(x, y)`` tuple of arrays/DataFrames.
        plan
            Training plan or its name; default: the model's own plan or one for its task.
        resume
            ``True`` continues from ``checkpoint_dir/last.pt``; a path continues from
            that checkpoint file. The resumed run ends with the same weights as a run
            that was never interrupted.

        Returns
        -------
        TrainResult
        """
        train_data = _as_dataset(train_data)
        val_data = _as_dataset(val_data) if val_data is not None else None
        if len(train_data) == 0:
            raise ConfigError("the training data has no samples")
        plan_obj = resolve_plan(plan, model)
        plan_obj.check_data(train_data)
        self.device = resolve_device(self.device_spec)
        self.dist = setup_distributed(self.device)
        if self.dist.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.dist.local_rank)
        try:
            return self._fit(model, plan_obj, train_data, val_data, resume)
        finally:
            teardown_distributed(self.dist)

    def evaluate(
        self, model: nn.Module, data: Dataset | Any, *, plan: TrainingPlan | str | None = None
    ) -> dict[str, float]:
        """Return the loss and the plan's metrics of ``model`` on ``data``.

        Examples
        --------
        >>> import torch, omicsnet
        >>> model = omicsnet.create_model("mlp", in_features=3, out_features=1)
        >>> data = omicsnet.ArrayDataset(torch.randn(10, 3), torch.randn(10, 1))
        >>> sorted(Trainer(progress=False).evaluate(model, data))
        ['loss', 'mse', 'pearson', 'r2']
        """
        plan_obj = resolve_plan(plan, model)
        if self.device is None:
            self.device = resolve_device(self.device_spec)
        model.to(self.device)
        return self._evaluate(model, plan_obj, _as_dataset(data))

    def predict(
        self,
        model: nn.Module,
        data: Dataset | Any,
        *,
        plan: TrainingPlan | str | None = None,
        as_frame: bool = False,
    ) -> torch.Tensor | pd.DataFrame:
        """Return the model's outputs on ``data`` (in eval mode, without gradients).

        With ``as_frame=True`` and an :class:`ArrayDataset`, the result is a DataFrame
        with the samples' IDs as index and the model's output names as columns.

        Examples
        --------
        >>> import torch, omicsnet
        >>> model = omicsnet.create_model("mlp", in_features=3, out_features=2)
        >>> data = omicsnet.ArrayDataset(torch.randn(4, 3), sample_ids=list("abcd"))
        >>> Trainer(progress=False).predict(model, data, as_frame=True).index.tolist()
        ['a', 'b', 'c', 'd']
        """
        data = _as_dataset(data)
        if self.device is None:
            self.device = resolve_device(self.device_spec)
        model.to(self.device)
        plan_obj = resolve_plan(plan, model)
        outputs, _ = self._run_eval(model, plan_obj, data, need_targets=False)
        if not as_frame:
            return outputs
        if not isinstance(data, ArrayDataset):
            raise ConfigError("as_frame=True needs an ArrayDataset (it supplies the sample IDs)")
        columns = getattr(model, "output_features", None)
        flat = outputs.reshape(len(outputs), -1).numpy()
        if not columns or len(columns) != flat.shape[1]:
            columns = [f"output_{i}" for i in range(flat.shape[1])]
        return pd.DataFrame(flat, index=data.sample_ids, columns=columns)

    # ------------------------------------------------------------------ the loop
    def _fit(
        self,
        model: nn.Module,
        plan: TrainingPlan,
        train_data: Dataset,
        val_data: Dataset | None,
        resume: bool | str | os.PathLike[str],
    ) -> TrainResult:
        device = self.device
        assert device is not None
        monitor = self.monitor or ("val_loss" if val_data is not None else "train_loss")
        self.current_monitor = monitor  # this run's monitor; self.monitor stays as configured
        checkpoint_file = self._checkpoint_file(resume)

        seed_everything(self.seed, deterministic=self.deterministic)
        model.to(device)
        train_module: nn.Module = model
        if self.dist.enabled:
            if self.sync_batchnorm:
                train_module = nn.SyncBatchNorm.convert_sync_batchnorm(train_module)
            ids = [device.index] if device.type == "cuda" else None
            train_module = nn.parallel.DistributedDataParallel(train_module, device_ids=ids)

        steps_per_epoch = len(self._batches(train_data, epoch=0, train=True))
        if steps_per_epoch == 0:
            raise ConfigError(
                f"no training batches: {len(train_data)} samples with batch_size "
                f"{self.batch_size} and drop_last=True; lower the batch size"
            )
        optimizer = build_optimizer(
            self.optimizer_name,
            model.parameters(),
            lr=self.lr,
            weight_decay=self.weight_decay,
            **self.optimizer_kwargs,
        )
        scheduler, per_batch = build_scheduler(
            self.scheduler_name,
            optimizer,
            max_epochs=self.max_epochs,
            steps_per_epoch=steps_per_epoch,
            **({"mode": self.mode} if self.scheduler_name == "plateau" else {}),
            **self.scheduler_kwargs,
        )
        autocast_dtype = self._autocast_dtype(device)
        scaler = torch.amp.GradScaler("cuda", enabled=autocast_dtype == torch.float16)

        history: list[dict[str, float]] = []
        best_score: float | None = None
        best_epoch: int | None = None
        best_state: dict[str, torch.Tensor] | None = None
        start_epoch = 0
        self.should_stop = False
        if checkpoint_file is None:
            for callback in self.callbacks:  # a reused trainer starts each new run afresh
                callback.reset()
        if checkpoint_file is not None:
            state = _read_checkpoint(checkpoint_file)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if scheduler is not None and state.get("scheduler") is not None:
                scheduler.load_state_dict(state["scheduler"])
            scaler.load_state_dict(state["scaler"])
            _restore_callbacks(self.callbacks, state.get("callbacks", []), checkpoint_file)
            history = list(state["history"])
            best_score, best_epoch = state.get("best_score"), state.get("best_epoch")
            best_state = state.get("best_state")
            start_epoch = int(state["epoch"]) + 1
            self.should_stop = bool(state.get("should_stop", False))
            set_rng_state(state["rng"])
            logger.info("resumed from %s at epoch %d", checkpoint_file, start_epoch)

        for callback in self.callbacks:
            callback.on_fit_start(self, model)
        bar = self._progress_bar(start_epoch)
        epoch = start_epoch - 1
        try:
            for epoch in range(start_epoch, self.max_epochs):
                if self.should_stop:
                    break
                started = time.perf_counter()
                for callback in self.callbacks:
                    callback.on_epoch_start(self, epoch)
                train_loss = self._train_epoch(
                    train_module,
                    plan,
                    train_data,
                    optimizer,
                    scheduler if per_batch else None,
                    scaler,
                    autocast_dtype,
                    epoch,
                )
                logs: dict[str, float] = {"epoch": epoch, "train_loss": train_loss}
                if val_data is not None:
                    for key, value in self._evaluate(model, plan, val_data).items():
                        logs[f"val_{key}"] = value
                logs["lr"] = float(optimizer.param_groups[0]["lr"])
                if monitor not in logs:
                    raise ConfigError(
                        f"monitor {monitor!r} is not among the logged metrics "
                        f"({', '.join(sorted(logs))})"
                    )
                if scheduler is not None and not per_batch:
                    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                        scheduler.step(logs[monitor])
                    else:
                        scheduler.step()
                if not math.isfinite(train_loss):
                    raise ConfigError(
                        f"training diverged at epoch {epoch}: loss is {train_loss}; lower the "
                        "learning rate, clip gradients (grad_clip) or check the inputs' scale"
                    )
                improved = is_improvement(logs[monitor], best_score, self.mode)
                if improved:
                    best_score, best_epoch = float(logs[monitor]), epoch
                    if self.restore_best or self.checkpoint_dir is not None:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                logs["seconds"] = time.perf_counter() - started
                history.append(logs)
                for callback in self.callbacks:
                    callback.on_epoch_end(self, epoch, logs)
                if self.checkpoint_dir is not None:
                    self._write_checkpoint(
                        model,
                        optimizer,
                        scheduler,
                        scaler,
                        history,
                        epoch,
                        best_score,
                        best_epoch,
                        best_state,
                        improved,
                    )
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(_postfix(logs, monitor), refresh=False)
        finally:
            if bar is not None:
                bar.close()

        if self.restore_best and best_state is not None:
            model.load_state_dict(best_state)
        frame = pd.DataFrame(history)
        if "epoch" in frame:
            frame["epoch"] = frame["epoch"].astype(int)
        result = TrainResult(
            model=model,
            history=frame,
            best_epoch=best_epoch,
            best_score=best_score,
            stopped_early=self.should_stop and len(history) < self.max_epochs,
            checkpoint_dir=self.checkpoint_dir,
            monitor=monitor,
        )
        for callback in self.callbacks:
            callback.on_fit_end(self, result)
        return result

    def _train_epoch(
        self,
        module: nn.Module,
        plan: TrainingPlan,
        data: Dataset,
        optimizer: torch.optim.Optimizer,
        batch_scheduler: Any,
        scaler: torch.amp.GradScaler,
        autocast_dtype: torch.dtype | None,
        epoch: int,
    ) -> float:
        module.train()
        device = self.device
        assert device is not None
        # per-step losses stay on the device (no sync per step) and are summed once per epoch
        losses: list[torch.Tensor] = []
        call_batch_end = any(
            type(cb).on_batch_end is not Callback.on_batch_end for cb in self.callbacks
        )
        batches = self._batches(data, epoch=epoch, train=True)
        sizes = torch.tensor([b.shape[0] for b in batches], dtype=torch.float64, device=device)
        for step, batch in enumerate(self._iterate(data, batches)):
            optimizer.zero_grad(set_to_none=True)
            with self._autocast(autocast_dtype):
                loss, _ = plan.step(module, batch)
            if scaler.is_enabled():
                scaler.scale(loss).backward()
                if self.grad_clip is not None:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(module.parameters(), self.grad_clip)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                if self.grad_clip is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), self.grad_clip)
                optimizer.step()
            if batch_scheduler is not None:
                batch_scheduler.step()
            losses.append(loss.detach())
            if call_batch_end:
                for callback in self.callbacks:
                    callback.on_batch_end(self, epoch, step, float(loss.detach()))
        total = torch.stack([torch.stack(losses).double() @ sizes, sizes.sum()])
        total = all_reduce_sum(total, self.dist)
        return float(total[0] / total[1])

    def _evaluate(self, model: nn.Module, plan: TrainingPlan, data: Dataset) -> dict[str, float]:
        outputs, targets = self._run_eval(model, plan, data, need_targets=True)
        loss = float(plan.compute_loss(outputs, targets))
        return {"loss": loss, **plan.metrics(outputs, targets)}

    @torch.no_grad()
    def _run_eval(
        self, model: nn.Module, plan: TrainingPlan, data: Dataset, *, need_targets: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        was_training = model.training
        model.eval()
        outputs, targets = [], []
        try:
            for batch in self._iterate(data, self._batches(data, epoch=0, train=False)):
                outputs.append(plan.forward(model, batch).float().cpu())
                if need_targets:
                    targets.append(plan.target(batch).cpu())
        finally:
            model.train(was_training)
        if not outputs:
            raise ConfigError("the evaluation data has no samples")
        return torch.cat(outputs), (torch.cat(targets) if need_targets else None)

    # ------------------------------------------------------------------ batching
    def _batches(self, data: Dataset, *, epoch: int, train: bool) -> list[torch.Tensor]:
        if train:
            return epoch_batches(
                len(data),
                self.batch_size,
                shuffle=self.shuffle,
                seed=self.seed,
                epoch=epoch,
                rank=self.dist.rank,
                world_size=self.dist.world_size,
                drop_last=self.drop_last,
            )
        return epoch_batches(len(data), max(self.batch_size, 256), shuffle=False, seed=0, epoch=0)

    def _iterate(
        self, data: Dataset, batches: list[torch.Tensor]
    ) -> Iterator[dict[str, torch.Tensor]]:
        device = self.device
        assert device is not None
        non_blocking = device.type == "cuda"
        if isinstance(data, ArrayDataset):
            for indices in batches:
                batch = data.batch(indices)
                if device.type != "cpu":
                    batch = {k: v.to(device, non_blocking=non_blocking) for k, v in batch.items()}
                yield batch
            return
        loader = DataLoader(
            data,
            batch_sampler=[b.tolist() for b in batches],
            num_workers=self.num_workers,
            pin_memory=device.type == "cuda",
        )
        for batch in loader:
            if not isinstance(batch, dict):
                raise ConfigError(
                    "dataset samples must be dicts of tensors such as {'x': ..., 'y': ...}; "
                    f"got {type(batch).__name__}"
                )
            yield {k: v.to(device, non_blocking=non_blocking) for k, v in batch.items()}

    # ------------------------------------------------------------------ precision
    def _autocast_dtype(self, device: torch.device) -> torch.dtype | None:
        if device.type != "cuda" or self.precision == "32":
            return None
        if self.precision == "16-mixed":
            return torch.float16
        if self.precision == "bf16-mixed" or torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float16

    def _autocast(self, dtype: torch.dtype | None) -> Any:
        if dtype is None:
            return nullcontext()
        return torch.autocast(device_type="cuda", dtype=dtype)

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint_file(self, resume: bool | str | os.PathLike[str]) -> Path | None:
        if resume not in (False, None) and resume is not True:
            path = Path(resume)  # type: ignore[arg-type]
            if path.is_dir():
                path = path / LAST_CHECKPOINT
            if not path.is_file():
                raise CheckpointError(f"cannot resume: checkpoint {path} does not exist")
            return path
        if self.checkpoint_dir is None:
            if resume:
                raise ConfigError("resume=True needs the trainer's checkpoint_dir")
            return None
        last = self.checkpoint_dir / LAST_CHECKPOINT
        if resume:
            if not last.is_file():
                raise CheckpointError(
                    f"cannot resume: {last} does not exist "
                    f"(no earlier run in {self.checkpoint_dir})"
                )
            return last
        if last.exists() and not self.overwrite:
            raise CheckpointError(
                f"{self.checkpoint_dir} already holds a training run; resume it (resume=True, "
                "--resume) or start over with overwrite=True (--overwrite)"
            )
        return None

    def _write_checkpoint(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any,
        scaler: torch.amp.GradScaler,
        history: list[dict[str, float]],
        epoch: int,
        best_score: float | None,
        best_epoch: int | None,
        best_state: dict[str, torch.Tensor] | None,
        improved: bool,
    ) -> None:
        if self.dist.is_main:
            import io

            assert self.checkpoint_dir is not None
            state = {
                "format": "omicsnet-checkpoint",
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "scaler": scaler.state_dict(),
                "callbacks": [
                    {"name": type(cb).__name__, "state": cb.state_dict()} for cb in self.callbacks
                ],
                "history": [_plain(row) for row in history],
                "best_score": best_score,
                "best_epoch": best_epoch,
                "best_state": best_state,
                "should_stop": self.should_stop,
                "rng": rng_state(),
            }
            buffer = io.BytesIO()
            torch.save(state, buffer)
            atomic_write_bytes(self.checkpoint_dir / LAST_CHECKPOINT, buffer.getvalue())
            atomic_write_text(
                self.checkpoint_dir / HISTORY_FILE, pd.DataFrame(history).to_csv(index=False)
            )
            if improved and hasattr(model, "model_name") and hasattr(model, "config"):
                from omicsnet.models.serialization import save

                save(
                    model,
                    self.checkpoint_dir / BEST_MODEL_DIR,
                    overwrite=True,
                    metadata={"epoch": epoch, self.current_monitor: best_score},
                )
        barrier(self.dist)

    def _progress_bar(self, start_epoch: int) -> Any:
        if not self.progress or not self.dist.is_main:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=self.max_epochs, initial=start_epoch, desc="training", unit="epoch")


def _read_checkpoint(path: Path) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a bad file
        raise CheckpointError(f"cannot read checkpoint {path}: {err}") from err
    if not isinstance(state, dict) or state.get("format") != "omicsnet-checkpoint":
        raise CheckpointError(f"{path} is not an omicsnet training checkpoint")
    return state


def _restore_callbacks(callbacks: list[Callback], saved: list[dict[str, Any]], path: Path) -> None:
    """Give each callback the saved state of the callback of the same class (in order).

    Callbacks without state (loggers, printers) may come and go between runs; a stateful
    one (such as early stopping) must find its saved state, or resuming would silently
    change the run.
    """
    pending: dict[str, list[dict[str, Any]]] = {}
    for entry in saved:
        pending.setdefault(str(entry.get("name")), []).append(entry.get("state") or {})
    for callback in callbacks:
        states = pending.get(type(callback).__name__)
        if states:
            callback.load_state_dict(states.pop(0))
        elif callback.state_dict():
            raise CheckpointError(
                f"{path} has no saved state for the {type(callback).__name__} callback; resume "
                "with the callbacks (and early stopping setting) of the interrupted run"
            )
    for name, states in pending.items():
        if any(states):
            logger.warning("%s: saved state of callback %s is not used by this run", path, name)


def _as_dataset(data: Any) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return ArrayDataset(*data)
    if isinstance(data, tuple) and len(data) == 1:
        return ArrayDataset(data[0])
    raise ConfigError(
        f"training data must be an ArrayDataset, a torch Dataset or an (x, y) tuple; "
        f"got {type(data).__name__}"
    )


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, float) else v) for k, v in row.items()}


def _postfix(logs: dict[str, float], monitor: str) -> dict[str, str]:
    keys = ["train_loss", monitor] if monitor != "train_loss" else ["train_loss"]
    return {k: f"{logs[k]:.4g}" for k in keys if k in logs}


__all__ = ["TrainResult", "Trainer"]
