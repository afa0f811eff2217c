"""``omicsnet lcms images|image-train|image-predict`` and ``omicsnet explain cam`` (DeepLCMS)."""

from __future__ import annotations

import argparse
import json

from omicsnet.utils.cli import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    images = groups.action(
        "lcms",
        "images",
        help="DeepLCMS pseudo-images of mzML files, .npz matrices or .npy arrays",
    )
    images.add_argument("inputs", nargs="+", help="files or folders (one kind)")
    images.add_argument("--out", required=True, help="pseudo-image file (.npz; a .png preview)")
    images.add_argument("--bins", type=int, default=500, help="bins along RT and m/z (500)")
    images.add_argument("--rt-bins", type=int, help="RT bins (default --bins)")
    images.add_argument("--mz-bins", type=int, help="m/z bins (default --bins)")
    images.add_argument("--threshold", type=float, default=5000.0, help="minimum intensity")
    images.add_argument("--sigma", type=float, default=2.0, help="Gaussian blur sigma (bins)")
    images.add_argument("--no-log", action="store_true", help="skip the final log1p")
    images.add_argument("--rt-range", type=float, nargs=2, metavar=("LOW", "HIGH"))
    images.add_argument("--mz-range", type=float, nargs=2, metavar=("LOW", "HIGH"))
    images.add_argument("--overwrite", action="store_true")
    images.set_defaults(func=cmd_lcms_images)

    train = groups.action(
        "lcms",
        "image-train",
        help="train (or cross-validate) an lcms_image CNN on labelled pseudo-images",
    )
    train.add_argument("--images", required=True, help="pseudo-image file from 'lcms images'")
    train.add_argument("--labels", required=True, help="file,label table (joined by name)")
    train.add_argument("--out", required=True, help="model folder (or CV tables with --cv)")
    train.add_argument("--cv", help="cross-validate: number of folds, or 'loo'")
    train.add_argument("--head", choices=["binary", "multiclass"], help="default: by classes")
    train.add_argument("--backbone", choices=["small_cnn", "densenet121"], default="small_cnn")
    train.add_argument(
        "--backbone-config", default="{}", help="JSON, e.g. '{\"channels\": [16, 32, 64]}'"
    )
    train.add_argument(
        "--freeze", action="append", default=[], metavar="PATTERN",
        help="freeze parameters matching a pattern, e.g. 'backbone.*' (repeatable)",
    )  # fmt: skip
    train.add_argument(
        "--trainable-blocks", type=int, help="freeze the backbone but its last N blocks"
    )
    train.add_argument(
        "--pool-size", type=int, default=1,
        help="pool the last feature maps to NxN before the head (1: global average)",
    )  # fmt: skip
    train.add_argument("--pretrained", help="local safetensors weights for the backbone")
    train.add_argument("--optimizer", default="adamax")
    train.add_argument("--scheduler", default="cosine", help="'none' for a constant rate")
    train.add_argument("--lr", type=float, default=5e-3)
    train.add_argument("--epochs", type=int, default=40)
    train.add_argument("--batch-size", type=int, default=4)
    train.add_argument("--early-stopping", type=int, default=10, help="patience (epochs)")
    train.add_argument("--val-fraction", type=float, default=0.0, help="held out to monitor")
    train.add_argument("--no-augment", action="store_true", help="no shifts/rotation/jitter")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--overwrite", action="store_true")
    train.set_defaults(func=cmd_lcms_image_train)

    predict = groups.action(
        "lcms", "image-predict", help="class probabilities of pseudo-images (lcms_image model)"
    )
    predict.add_argument("--model", required=True, help="saved lcms_image folder")
    predict.add_argument("--images", required=True, help="pseudo-image file")
    predict.add_argument("--out", required=True, help="CSV of probabilities")
    predict.add_argument("--overwrite", action="store_true")
    predict.set_defaults(func=cmd_lcms_image_predict)

    cam = groups.action(
        "explain", "cam", help="Grad-CAM / LayerCAM maps of pseudo-images (optionally vs RISE)"
    )
    cam.add_argument("--model", required=True, help="saved lcms_image folder")
    cam.add_argument("--images", required=True, help="pseudo-image file")
    cam.add_argument("--out", required=True, help="output folder")
    cam.add_argument("--method", choices=["layercam", "gradcam"], default="layercam")
    cam.add_argument("--layer", help="layer name (default: the last convolution block)")
    cam.add_argument("--sample", action="append", default=[], help="sample IDs (default all)")
    cam.add_argument("--top", type=int, default=10, help="top regions per sample")
    cam.add_argument("--rise-masks", type=int, default=0, help="also RISE with N masks")
    cam.add_argument("--seed", type=int, default=0)
    cam.add_argument("--overwrite", action="store_true")
    cam.set_defaults(func=cmd_explain_cam)


def cmd_lcms_images(args: argparse.Namespace) -> int:
    from omicsnet.lcms_image.pseudo_images import PseudoImageParams
    from omicsnet.lcms_image.workflows import make_pseudo_images

    params = PseudoImageParams(
        n_rt=args.rt_bins or args.bins,
        n_mz=args.mz_bins or args.bins,
        min_intensity=args.threshold,
        blur_sigma=args.sigma,
        log=not args.no_log,
        rt_range=tuple(args.rt_range) if args.rt_range else None,
        mz_range=tuple(args.mz_range) if args.mz_range else None,
    )
    images = make_pseudo_images(
        args.inputs, args.out, params=params, overwrite=args.overwrite, progress=not args.quiet
    )
    n, h, w = images.images.shape
    print(
        f"{n} pseudo-images of {h} x {w} (RT {images.rt_edges[0]:.3g}-{images.rt_edges[-1]:.3g}, "
        f"m/z {images.mz_edges[0]:.4g}-{images.mz_edges[-1]:.4g}) written to {args.out}"
    )
    return 0


def _json_option(text: str, name: str) -> dict:
    from omicsnet.errors import ConfigError

    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{name} must be a JSON object: {err}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a JSON object, got {text!r}")
    return value


def cmd_lcms_image_train(args: argparse.Namespace) -> int:
    from omicsnet.lcms_image.workflows import train_lcms_image

    cv: int | str | None = None
    if args.cv:
        cv = "loo" if args.cv == "loo" else int(args.cv)
    model_config: dict = {
        "backbone": args.backbone,
        "backbone_config": _json_option(args.backbone_config, "--backbone-config"),
        "freeze": list(args.freeze),
        "trainable_blocks": args.trainable_blocks,
        "pool_size": args.pool_size,
    }
    if args.head:
        model_config["head"] = args.head
    summary = train_lcms_image(
        args.images,
        args.labels,
        args.out,
        cv=cv,
        model_config=model_config,
        trainer_kwargs={
            "optimizer": args.optimizer,
            "scheduler": None if args.scheduler == "none" else args.scheduler,
            "lr": args.lr,
            "max_epochs": args.epochs,
            "batch_size": args.batch_size,
            "early_stopping": args.early_stopping or None,
            "progress": not args.quiet,
        },
        augment=not args.no_augment,
        val_fraction=args.val_fraction,
        pretrained=args.pretrained,
        seed=args.seed,
        overwrite=args.overwrite,
    )
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items())
    print(f"{summary['samples']} samples ({counts}), images {summary['image_shape']}")
    for row in summary.get("cv", []):
        if row["metric"] in ("accuracy", "balanced_accuracy", "f1_macro"):
            print(
                f"  CV {row['model']} {row['metric']}: {row['estimate']:.3f} "
                f"(95% CI {row['ci_lower']:.3f}-{row['ci_upper']:.3f})"
            )
    if "best_epoch" in summary:
        print(f"  best epoch {summary['best_epoch']} of {summary['epochs']}")
    print(f"written to {args.out}")
    return 0


def cmd_lcms_image_predict(args: argparse.Namespace) -> int:
    from omicsnet.lcms_image.workflows import predict_lcms_image

    frame = predict_lcms_image(args.model, args.images, args.out, overwrite=args.overwrite)
    print(frame["predicted"].value_counts().to_string())
    print(f"probabilities of {len(frame)} samples written to {args.out}")
    return 0


def cmd_explain_cam(args: argparse.Namespace) -> int:
    from omicsnet.lcms_image.workflows import explain_lcms_image
    from omicsnet.utils.numbers import format_frame

    regions = explain_lcms_image(
        args.model,
        args.images,
        args.out,
        method=args.method,
        layer=args.layer,
        samples=args.sample or None,
        top=args.top,
        rise_masks=args.rise_masks,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    shown = ["sample", "class", "rank", "score", "peak_rt", "peak_mz"]
    print(format_frame(regions[shown].head(20), index=False, column_digits={"peak_mz": 6}))
    print(f"maps, top regions and figures written to {args.out}")
    return 0
