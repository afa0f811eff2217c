"""Regenerate the figures of ``docs/img`` that the docs' worked examples draw.

Each section runs the commands its docs page shows (through the ``omicsnet`` CLI, as a
user would) and copies the figure(s) into ``--copy-figures``:

* ``network`` (networks.md: Human-GEM + iRefIndex, six signals): network-example.png;
* ``peaks`` (lcms-peaks.md: peaks-synthetic, peaks-build, peaks-train):
  lcms-peaks-sweep.png, lcms-peaks-matrices.png;
* ``lcms`` (lcms.md: generated cohort, 3-member ensemble, RISE, background):
  lcms-rise-profiles.png, lcms-background.png;
* ``images`` (lcms-images.md: pseudo-images, image-train, CAM next to RISE):
  lcms-image-pseudo.png, lcms-image-synthetic-cam-rise.png;
* ``serum-images`` (lcms-images.md: the 18 real serum arrays, CAM and RISE of run C01):
  lcms-image-serum-cam-rise.png;
* ``search`` (search.md: the two-objective mlp search): search-mlp-pareto.png.

The LC-MS study figures (``lcms-batch-*``, ``lcms-overlay``, ``lcms-whitelist``) come from
``docs/examples/lcms_studies_example.py``; the kcae figures from ``omicsnet kcae`` and
``omicsnet bench run kcae --publish``.

Run::

    python docs/examples/docs_figures.py OUT_DIR [--only network,peaks] \\
        [--copy-figures docs/img] [--data-dir ../shared/data]

``network`` and ``serum-images`` need the data directory (``--data-dir`` or
``OMICSNET_DATA``). ``OMP_NUM_THREADS=1`` keeps it polite on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from lcms_studies_example import omicsnet  # the same runner: echo, time, fail loudly

SECTIONS = ("network", "peaks", "lcms", "images", "serum-images", "search")


def network(out: Path, data_dir: str) -> dict[str, Path]:
    """docs/networks.md: six Human-GEM metabolites as [M+H]+ signals, and one matching nothing."""
    from omicsnet.knowledge.metabolic_graph import load_human_gem

    graph = load_human_gem(data_dir)
    mets = graph.nodes[(graph.nodes.type == "metabolite") & graph.nodes.mass.notna()]
    names = ["citrate", "hypoxanthine", "L-lactate", "pyruvate", "sphingosine", "succinate"]
    chosen = mets[mets.name.isin(names)].drop_duplicates("name")
    rng = np.random.default_rng(0)
    signals = pd.DataFrame(
        {
            "id": [*(f"p{i}" for i in range(len(chosen))), "noise1"],
            "mz": [*(chosen.mass + 1.007276), 977.1234],
            "score": [*rng.uniform(0.7, 1.0, len(chosen)), 0.8],
        }
    )
    out.mkdir(parents=True)
    signals.to_csv(out / "signals.csv", index=False)
    interactome = (
        Path(data_dir) / "networks/irefindex_v14/iRefIndex_v14_MIScore_interactome_C9.costs.txt.gz"
    )
    omicsnet("network", "infer", "--signals", str(out / "signals.csv"), "--mode", "positive",
             "--model", "human-gem", "--interactome", str(interactome), "--data-dir", data_dir,
             "--out", str(out / "network-example"), "-q")  # fmt: skip
    return {"network-example.png": out / "network-example" / "network.png"}


def peaks(out: Path) -> dict[str, Path]:
    """docs/lcms-peaks.md: a generated labelled run, its peak matrices and a trained model."""
    from omicsnet.peaks.matrices import PeakMatrices
    from omicsnet.peaks.plots import plot_peak_matrices

    d = str(out)
    out.mkdir(parents=True)
    omicsnet("lcms", "peaks-synthetic", "--out", f"{d}/peakset", "--per-class", "150",
             "--seed", "11")  # fmt: skip
    omicsnet("lcms", "peaks-build", "--mzml", f"{d}/peakset/peaks.mzML", "--features",
             f"{d}/peakset/features.csv", "--out", f"{d}/peaks.npz")  # fmt: skip
    omicsnet("lcms", "peaks-train", "--mzml", f"{d}/peakset/peaks.mzML", "--features",
             f"{d}/peakset/features.csv", "--out", f"{d}/run", "--epochs", "40", "--lr", "1e-3",
             "--patience", "10", "-q")  # fmt: skip
    table = pd.read_csv(out / "peakset" / "features.csv")
    firsts = table.drop_duplicates("kind").set_index("kind")["id"]  # the first peak of each kind
    kinds = ["High", "Low (truncated)", "Low (partial)", "Low (noisy)", "Noise"]
    kinds = [k for k in kinds if k in firsts.index]
    ids = [str(firsts[k]) for k in kinds]
    titles = [f"{k}: {firsts[k]}" for k in kinds]
    matrices = PeakMatrices.load(out / "peaks.npz")
    plot_peak_matrices(matrices, ids, out / "matrices.png", titles=titles)
    return {
        "lcms-peaks-sweep.png": out / "run" / "threshold_sweep.png",
        "lcms-peaks-matrices.png": out / "matrices.png",
    }


LCMS_GRID = ["--param", "rt_mode=bin", "--param", "n_rt=64", "--param", "rt_step=0.1",
             "--param", "n_mz=64", "--param", "mz_step=16"]  # fmt: skip


def lcms(out: Path) -> dict[str, Path]:
    """docs/lcms.md: 3 classes x 10 generated runs, a 3-member ensemble, RISE, background."""
    from omicsnet.ms.synthetic import write_synthetic_cohort

    d = str(out)
    cohort = write_synthetic_cohort(out / "cohort" / "runs", n_per_class=10, rt_range=(0.5, 6.5),
                                    scan_interval=0.1, noise_peaks=10, seed=0)  # fmt: skip
    cohort.write_labels(out / "cohort" / "labels.csv")
    runs = sorted(str(p) for p in (out / "cohort" / "runs").glob("*.mzML"))
    omicsnet("lcms", "convert", *runs, "--out", f"{d}/cohort/matrices", *LCMS_GRID, "-q")
    common = ["--arrays", f"{d}/cohort/matrices", "--labels", f"{d}/cohort/labels.csv"]
    omicsnet("lcms", "train", *common, "--arch", "lcms_cnn", "--pre-pool", "1", "--models", "3",
             "--epochs", "40", "--lr", "0.01", "--no-augment", "--out", f"{d}/ensemble",
             "-q")  # fmt: skip
    omicsnet("explain", "rise", "--model", f"{d}/ensemble", *common, "--masks", "1000",
             "--normalize", "coverage", "--top", "3", "--out", f"{d}/rise", "-q")  # fmt: skip
    omicsnet("explain", "background", "--model", f"{d}/ensemble", *common, "--masks", "500",
             "--fractions", "0.01,0.02,0.05,0.1,0.2", "--out", f"{d}/background",
             "-q")  # fmt: skip
    return {
        "lcms-rise-profiles.png": out / "rise" / "class_profiles.png",
        "lcms-background.png": out / "background" / "background.png",
    }


def images(out: Path) -> dict[str, Path]:
    """docs/lcms-images.md: 18 generated mzML runs as pseudo-images; CNN; CAM next to RISE."""
    from omicsnet.ms.synthetic import write_synthetic_cohort

    d = str(out)
    cohort = write_synthetic_cohort(out / "runs", seed=0)
    cohort.write_labels(out / "runs" / "labels.csv")
    omicsnet("lcms", "images", f"{d}/runs", "--out", f"{d}/images.npz", "--bins", "128")
    omicsnet("-q", "lcms", "image-train", "--images", f"{d}/images.npz", "--labels",
             f"{d}/runs/labels.csv", "--out", f"{d}/model", "--pool-size", "2")  # fmt: skip
    omicsnet("explain", "cam", "--model", f"{d}/model", "--images", f"{d}/images.npz",
             "--rise-masks", "300", "--sample", "healthy_1", "--sample", "benign_1",
             "--sample", "cancer_1", "--out", f"{d}/cam", "-q")  # fmt: skip
    return {
        "lcms-image-pseudo.png": out / "images.png",
        "lcms-image-synthetic-cam-rise.png": out / "cam" / "healthy_1_cam_vs_rise.png",
    }


def serum_images(out: Path, data_dir: str) -> dict[str, Path]:
    """docs/lcms-images.md: DeepMSProfiler's 18 serum arrays; CAM and RISE of run C01."""
    d = str(out)
    arrays = Path(data_dir) / "lcms" / "deepmsprofiler"
    out.mkdir(parents=True)
    omicsnet("lcms", "images", str(arrays), "--out", f"{d}/images.npz", "--bins", "128")
    omicsnet("-q", "lcms", "image-train", "--images", f"{d}/images.npz", "--labels",
             str(arrays / "labels.csv"), "--out", f"{d}/model")  # fmt: skip
    omicsnet("explain", "cam", "--model", f"{d}/model", "--images", f"{d}/images.npz",
             "--rise-masks", "1000", "--sample", "C01", "--sample", "H01", "--sample", "N01",
             "--out", f"{d}/cam", "-q")  # fmt: skip
    return {"lcms-image-serum-cam-rise.png": out / "cam" / "C01_cam_vs_rise.png"}


def search(out: Path) -> dict[str, Path]:
    """docs/search.md: 16 trials of the mlp on synthetic_omics, two objectives."""
    config = Path(__file__).with_name("search_mlp.yaml")
    out.mkdir(parents=True)
    omicsnet("search", "run", "--config", str(config), "--out", str(out / "search_mlp"), "-q")
    print(omicsnet("search", "status", str(out / "search_mlp")))
    return {"search-mlp-pareto.png": out / "search_mlp" / "pareto.png"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="a new or empty folder for every output")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--copy-figures", help="copy the figures into this folder (docs/img)")
    parser.add_argument("--data-dir", default=os.environ.get("OMICSNET_DATA"))
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    if {"network", "serum-images"} & set(chosen) and not args.data_dir:
        raise SystemExit("network and serum-images need --data-dir (or OMICSNET_DATA)")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Path] = {}
    for section in chosen:
        folder = out / section
        if section == "network":
            figures |= network(folder, args.data_dir)
        elif section == "serum-images":
            figures |= serum_images(folder, args.data_dir)
        else:
            figures |= {"peaks": peaks, "lcms": lcms, "images": images, "search": search}[section](
                folder
            )
    if args.copy_figures:
        target = Path(args.copy_figures)
        target.mkdir(parents=True, exist_ok=True)
        for name, source in figures.items():
            shutil.copy(source, target / name)
            print(f"{source} -> {target / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
