"""The worked example of ``docs/lcms-studies.md``, end to end, through the ``omicsnet`` CLI.

Generates a two-batch mzML cohort (real mzML files written with psims; batch 1 elutes
0.6 min later and at half the intensity of batch 0; two planted peaks per class), then:

1. ``omicsnet lcms convert``   — mzML → 64 × 64 RT × m/z matrices;
2. ``omicsnet lcms train``     — a small DenseNet ensemble (3 tiny members);
3. ``omicsnet lcms batch-effects`` — batch vs class association through the layers,
   with one QC/reference sample per class and batch;
4. ``omicsnet explain rise``   — RISE class profiles;
5. ``omicsnet explain overlay`` — a feature table (planted peaks, shared peaks, decoys)
   over the RISE profiles;
6. ``omicsnet lcms whitelist`` — 4-fold CV on all m/z vs only the planted peaks' m/z, and
   a control whitelist of the shared (class-independent) peaks' m/z.

With ``--serum DATA_DIR`` it also runs the whitelist ablation on DeepMSProfiler's 18 real
serum arrays (``DATA_DIR/lcms/deepmsprofiler``): a handful of published serum
lung-adenocarcinoma metabolites (formulas and HMDB IDs, see :data:`SERUM_BIOMARKERS`) vs
the full arrays, and a control whitelist of as many random m/z values.

Run::

    python docs/examples/lcms_studies_example.py OUT_DIR [--copy-figures docs/img] \
        [--serum ../shared/data]

It takes a few minutes on a laptop CPU (``OMP_NUM_THREADS=1`` keeps it polite on a
shared machine). Every output lands under ``OUT_DIR``; ``summary.json`` collects the
numbers the docs quote.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from omicsnet.ms.synthetic import write_synthetic_cohort

GRID = [
    "--param", "rt_mode=bin", "--param", "rt_start=0.5", "--param", "rt_step=0.125",
    "--param", "n_rt=64", "--param", "mz_start=50", "--param", "mz_step=16",
    "--param", "n_mz=64",
]  # fmt: skip
#: Serum metabolites reported for lung adenocarcinoma (see docs/lcms-studies.md for the
#: sources): name, then a formula of the neutral compound or an HMDB ID.
SERUM_BIOMARKERS = [
    ("tryptophan", "HMDB0000929"),  # lower in LA serum (Yao et al. 2023)
    ("lactic acid", "C3H6O3"),  # glycolytic end products, higher in LA (Yao et al. 2023)
    ("pyruvic acid", "C3H4O3"),
    ("glycerophosphocholine", "HMDB0000086"),  # pseudotargeted LUAD study (2025)
    ("glutamine", "C5H10N2O3"),
    ("sphingosine", "HMDB0000252"),
]
MODEL = ["--pre-pool", "1", "--tiny", "--epochs", "40", "--lr", "0.01", "--seed", "0"]


def omicsnet(*args: str) -> str:
    """Run one ``omicsnet`` command, echo it and its output, fail loudly."""
    command = [sys.executable, "-m", "omicsnet", *args]
    print("$ omicsnet " + " ".join(args), flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    print(done.stdout, end="")
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(args)}")
    print(f"  [{time.perf_counter() - start:.0f} s]", flush=True)
    return done.stdout


def feature_table(cohort, seed: int = 0) -> pd.DataFrame:
    """Planted class peaks, shared peaks and decoys, as an annotated feature table."""
    rng = np.random.default_rng(seed)
    planted = cohort.planted.assign(
        name=lambda t: [f"marker_{lab}_{i % 2 + 1}" for i, lab in enumerate(t["label"])],
        level="planted",
    )
    common = cohort.common.assign(
        name=[f"shared_{i + 1}" for i in range(len(cohort.common))], level="shared"
    )
    n_decoys = 8
    decoys = pd.DataFrame(
        {
            "rt": rng.uniform(1.0, 8.0, n_decoys).round(3),
            "mz": rng.uniform(80.0, 1040.0, n_decoys).round(4),
            "name": [f"decoy_{i + 1}" for i in range(n_decoys)],
            "level": "decoy",
        }
    )
    table = pd.concat(
        [t[["name", "rt", "mz", "level"]] for t in (planted, common, decoys)], ignore_index=True
    )
    table.insert(0, "id", [f"F{i + 1:02d}" for i in range(len(table))])
    return table.rename(columns={"rt": "rt_min"})


def serum_whitelist(out: Path, data_dir: str) -> None:
    """Known serum biomarkers only vs all m/z vs random m/z, on the 18 real arrays."""
    out.mkdir(parents=True, exist_ok=True)
    arrays = Path(data_dir) / "lcms" / "deepmsprofiler"
    items = "\n".join(f"{item}  # {name}" for name, item in SERUM_BIOMARKERS)
    (out / "biomarkers.txt").write_text(items + "\n")
    common = [
        "--inputs", str(arrays), "--mz-start", "50", "--mz-step", "3", "--ppm", "10",
        "--adducts", "[M+H]+,[M+Na]+", "--cv", "3", "--models", "1", "--epochs", "15",
        "--pre-pool", "4", "--tiny", "--lr", "0.01", "--seed", "0", "-q",
    ]  # fmt: skip
    hmdb = ["--hmdb", "human-gem", "--data-dir", data_dir]
    omicsnet("lcms", "whitelist", "--whitelist", str(out / "biomarkers.txt"), *hmdb, *common,
             "--out", str(out / "whitelist"))  # fmt: skip
    # control: as many random m/z targets as the biomarkers gave, away from them
    targets = pd.read_csv(out / "whitelist" / "whitelist_targets.csv")["mz"].to_numpy()
    rng = np.random.default_rng(1)
    random_mz: list[float] = []
    while len(random_mz) < len(targets):
        mz = float(rng.uniform(60.0, 1000.0))
        if np.all(np.abs(np.r_[targets, random_mz] - mz) > 6.0):
            random_mz.append(round(mz, 4))
    (out / "random.txt").write_text("\n".join(map(str, random_mz)) + "\n")
    omicsnet("lcms", "whitelist", "--whitelist", str(out / "random.txt"), *common,
             "--out", str(out / "whitelist-random"))  # fmt: skip


def plot_whitelist(out: Path) -> Path | None:
    """Accuracy with 95 % CIs: full data vs whitelist vs control, per cohort found in ``out``."""
    from matplotlib.figure import Figure

    from omicsnet.utils.plotting import label_axes, save_figure, style

    panels = [
        ("generated cohort (n = 16)", out / "whitelist", out / "whitelist-shared",
         "planted m/z", "shared-peak m/z", 1 / 2),
        ("real serum arrays (n = 18)", out / "serum" / "whitelist",
         out / "serum" / "whitelist-random", "LUAD biomarkers", "random m/z", 1 / 3),
    ]  # fmt: skip
    panels = [p for p in panels if (p[1] / "whitelist_cv.csv").is_file()]
    if not panels:
        return None
    with style():
        fig = Figure(figsize=(4.2 * len(panels), 3.0), dpi=110, layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        for ax, (title, white, control, white_name, control_name, chance) in zip(
            axes, panels, strict=True
        ):
            bars = []
            for folder, names in (
                (white, ("all m/z", white_name)),
                (control, (None, control_name)),
            ):
                if not (folder / "whitelist_cv.csv").is_file():
                    continue
                table = pd.read_csv(folder / "whitelist_cv.csv")
                table = table[table["metric"] == "accuracy"].set_index("input")
                for key, name in zip(("full", "whitelist"), names, strict=True):
                    if name is not None:
                        bars.append((name, *table.loc[key, ["estimate", "ci_lower", "ci_upper"]]))
            labels = [b[0] for b in bars]
            est = np.array([b[1] for b in bars])
            err = np.array([[b[1] - b[2] for b in bars], [b[3] - b[1] for b in bars]])
            colours = ["0.6", "tab:blue", "tab:orange"][: len(bars)]
            ax.bar(labels, est, yerr=err, capsize=4, color=colours)
            ax.axhline(chance, color="black", lw=0.8, ls="--", label=f"chance ({chance:.2f})")
            ax.legend(loc="upper right")
            ax.set_ylim(0, 1.12)
            label_axes(ax, x="m/z columns given to the model", y="CV accuracy (95 % CI)")
            ax.set_title(title)
    return save_figure(fig, out / "whitelist.png", overwrite=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output folder (created; must be empty or absent)")
    parser.add_argument("--copy-figures", help="copy the figures into this folder (docs/img)")
    parser.add_argument("--serum", help="data directory: also run the real-serum whitelist")
    parser.add_argument("--skip-cohort", action="store_true", help="only the serum part")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    if args.serum:
        serum_whitelist(out / "serum", args.serum)
    if args.skip_cohort:
        plot_whitelist(out)
        return 0

    # --- the cohort: 2 classes x 8 runs, 2 batches (RT shift 0.6 min, intensity x0.5)
    cohort = write_synthetic_cohort(
        out / "cohort",
        n_per_class=8,
        classes=("healthy", "cancer"),
        n_batches=2,
        rt_shift=0.6,
        intensity_scale=(1.0, 0.5),
        noise_peaks=10,
        seed=0,
    )
    # one QC/reference sample per class and batch
    labels = cohort.labels.assign(qc=lambda t: t.groupby(["batch", "label"]).cumcount() < 1)
    labels["qc"] = labels["qc"].map({True: "yes", False: "no"})
    labels.to_csv(out / "cohort" / "labels.csv", index=False)
    features = feature_table(cohort)
    features.to_csv(out / "features.csv", index=False)
    planted_mz = cohort.planted["mz"].round(4).tolist()
    (out / "biomarkers.txt").write_text(
        "# m/z of the planted class-specific peaks\n" + "\n".join(map(str, planted_mz)) + "\n"
    )
    (out / "shared.txt").write_text(
        "# control: m/z of the peaks every class shares\n"
        + "\n".join(map(str, cohort.common["mz"].round(4).tolist()))
        + "\n"
    )

    mzml = sorted(str(p) for p in cohort.files)
    d = str(out)
    omicsnet("lcms", "convert", *mzml, "--out", f"{d}/matrices", *GRID, "--no-cache", "-q")
    shutil.copy(out / "cohort" / "labels.csv", out / "matrices" / "labels.csv")
    omicsnet("lcms", "train", "--inputs", f"{d}/matrices", "--out", f"{d}/model",
             "--models", "3", *MODEL, "-q")  # fmt: skip
    omicsnet("lcms", "batch-effects", "--model", f"{d}/model", "--inputs", f"{d}/matrices",
             "--batch-column", "batch", "--reference-column", "qc", "--k", "5",
             "--out", f"{d}/batch-effects", "-q")  # fmt: skip
    omicsnet("explain", "rise", "--model", f"{d}/model", "--inputs", f"{d}/matrices",
             "--masks", "1000", "--normalize", "coverage", "--top", "5",
             "--out", f"{d}/rise", "-q")  # fmt: skip
    omicsnet("explain", "overlay", "--maps", f"{d}/rise", "--features", f"{d}/features.csv",
             "--top", "5", "--quantile", "0.95", "--out", f"{d}/overlay", "-q")  # fmt: skip
    common = ["--inputs", f"{d}/matrices", "--ppm", "10", "--cv", "4", "--models", "1", *MODEL]
    omicsnet("lcms", "whitelist", "--whitelist", f"{d}/biomarkers.txt", *common,
             "--out", f"{d}/whitelist", "-q")  # fmt: skip
    omicsnet("lcms", "whitelist", "--whitelist", f"{d}/shared.txt", *common,
             "--out", f"{d}/whitelist-shared", "-q")  # fmt: skip

    # --- numbers for the docs
    wide = pd.read_csv(out / "batch-effects" / "scores_wide.csv")
    hits = pd.read_csv(out / "overlay" / "overlay_hits.csv")
    inside = hits[hits["in_top_region"]]
    summary = {
        "batch_effects": wide.round(3).to_dict(orient="records"),
        "overlay_hits": inside[["class", "region_rank", "name", "level", "score"]]
        .round(4)
        .to_dict(orient="records"),
        "whitelist": pd.read_csv(out / "whitelist" / "whitelist_cv.csv")
        .round(3)
        .to_dict(orient="records"),
        "whitelist_shared": pd.read_csv(out / "whitelist-shared" / "whitelist_cv.csv")
        .round(3)
        .to_dict(orient="records"),
    }
    for key, folder in (("serum_whitelist", "whitelist"), ("serum_random", "whitelist-random")):
        table = out / "serum" / folder / "whitelist_cv.csv"
        if table.is_file():
            summary[key] = pd.read_csv(table).round(3).to_dict(orient="records")
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    plot_whitelist(out)
    if args.copy_figures:
        target = Path(args.copy_figures)
        target.mkdir(parents=True, exist_ok=True)
        for source, name in (
            ("batch-effects/association_by_depth.png", "lcms-batch-effects.png"),
            ("batch-effects/pca_by_layer.png", "lcms-batch-pca.png"),
            ("overlay/overlay.png", "lcms-overlay.png"),
            ("whitelist.png", "lcms-whitelist.png"),
        ):
            shutil.copy(out / source, target / name)
    print(f"all outputs in {out}; numbers in {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
