"""Reproduce the seed notebooks: train each network with its recipe, export it, and put the
notebook's reported figures beside ours.

    mnx reproduce 004                 # every network of notebook 004
    mnx reproduce 004 --networks cnn9,cnn1
    mnx reproduce --all

Resumable: a network already trained with the same recipe, config and data is not retrained
(`toolkit.make.ensure_trained`), and export skips current files, so an interrupted run
continues with the network it stopped in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from mnx.errors import CorruptArtifactError, UnknownNameError, UsageError
from mnx.toolkit.artifacts import (
    ensure_dir,
    read_json,
    utc_now,
    write_json_atomic,
    write_text_atomic,
)

NOTEBOOKS = ("000", "001", "002", "003", "004")

# What each notebook reported, beyond the test accuracy that the registry carries
# (docs/catalog.md: 000's per-model logs, 001's final_output table, 002's conclusion table,
# 003's logs, 004's conclusion table). Keys: train_loss, train_accuracy, test_loss.
REPORTED_EXTRA: dict[str, dict[str, float]] = {
    # 000: last-epoch train loss/acc and the printed test loss
    "conv2_keras": {"test_loss": 0.0258},
    "conv3_bn": {"train_loss": 0.0018, "train_accuracy": 0.9997, "test_loss": 0.0207},
    "conv5_bn": {"train_loss": 0.0333, "train_accuracy": 0.9908, "test_loss": 0.01965},
    "conv7_bn": {"train_loss": 0.0374, "train_accuracy": 0.9901, "test_loss": 0.02064},
    "conv3_bn_aug": {"train_loss": 0.0016, "train_accuracy": 0.9997, "test_loss": 0.01832},
    "conv2_keras_glorot": {"train_loss": 0.0265, "train_accuracy": 0.9915, "test_loss": 0.02884},
    # 001: TRAIN_LOSS (where the log shows it), TEST_LOSS, TRAIN_ACC
    "m21_k3": {"train_loss": 0.0043, "test_loss": 0.05639, "train_accuracy": 0.99870},
    "m22_k5": {"test_loss": 0.06200, "train_accuracy": 0.99898},
    "m23_k3_reg": {"test_loss": 0.05771, "train_accuracy": 0.97355},
    "m24_k5_reg": {"test_loss": 0.04970, "train_accuracy": 0.98045},
    "m31_k3": {"train_loss": 0.0114, "test_loss": 0.08567, "train_accuracy": 0.99605},
    "m32_k5_same": {"test_loss": 0.05867, "train_accuracy": 0.99938},
    "m33_k3_reg": {"train_loss": 0.4088, "test_loss": 0.12611, "train_accuracy": 0.88702},
    "m34_k5_reg": {"train_loss": 0.2488, "test_loss": 0.09296, "train_accuracy": 0.94485},
    "m51_k3_bnhead": {"test_loss": 0.06690, "train_accuracy": 0.99763},
    "m52_k5_bnhead": {"test_loss": 0.05095, "train_accuracy": 0.99762},
    "m53_k3_reg": {"train_loss": 0.2826, "test_loss": 0.09166, "train_accuracy": 0.93482},
    "m54_k5_reg": {"train_loss": 0.2086, "test_loss": 0.09011, "train_accuracy": 0.95897},
    "m71_k3_reg": {"test_loss": 0.07435, "train_accuracy": 0.97978},
    "m72_k5_reg": {"train_loss": 0.0895, "test_loss": 0.07064, "train_accuracy": 0.98602},
    # 002: conclusion table (train acc/loss, test loss); 512-128 only its last-epoch log
    "mlp_512_128": {"train_loss": 0.0061, "train_accuracy": 0.9982},
    "mlp_400_100_bn": {"train_loss": 0.0627, "train_accuracy": 0.9799, "test_loss": 0.054605},
    "mlp_400_200_100_bn": {"train_loss": 0.0743, "train_accuracy": 0.9773, "test_loss": 0.06033},
    "mlp_500_350_200_100_50_bn": {
        "train_loss": 0.1089,
        "train_accuracy": 0.9729,
        "test_loss": 0.074355,
    },
    # 003: last-epoch logs
    "linear": {"train_loss": 0.2838, "train_accuracy": 0.9200, "test_loss": 0.3114},
    "mlp_3x1500": {"train_loss": 0.0071, "train_accuracy": 0.9981, "test_loss": 0.0977},
    "mlp_3x1500_do": {"train_loss": 0.0661, "train_accuracy": 0.9845},
    "conv2_k5_adam": {"train_loss": 0.0023, "train_accuracy": 0.9992},
    # 004: conclusion table (train loss, validation loss = test loss, train accuracy)
    "cnn1": {"train_loss": 0.0196, "test_loss": 0.0249, "train_accuracy": 0.9941},
    "cnn2": {"train_loss": 0.0151, "test_loss": 0.0212, "train_accuracy": 0.9952},
    "cnn3": {"train_loss": 0.0108, "test_loss": 0.0309, "train_accuracy": 0.9969},
    "cnn4": {"train_loss": 0.0020, "test_loss": 0.0288, "train_accuracy": 0.9994},
    "cnn5": {"train_loss": 0.0104, "test_loss": 0.0241, "train_accuracy": 0.9968},
    "cnn6": {"train_loss": 0.0022, "test_loss": 0.0299, "train_accuracy": 0.9994},
    "cnn7": {"train_loss": 0.0042, "test_loss": 0.0233, "train_accuracy": 0.9988},
    "cnn8": {"train_loss": 0.0078, "test_loss": 0.0196, "train_accuracy": 0.9979},
    "cnn9": {"train_loss": 0.0035, "test_loss": 0.0222, "train_accuracy": 0.9988},
    "cnn10": {"train_loss": 0.0067, "test_loss": 0.0287, "train_accuracy": 0.9980},
}

# The seed's per-epoch test (= validation) accuracy over its last epochs, from the training logs
# the notebooks printed (docs/catalog.md, "Per-epoch val_acc"; 001 and 002 printed none). conv2_keras's
# table figure (99.26) is a stray later fragment, not its epoch-12 log (docs/catalog.md).
REPORTED_LAST_EPOCHS: dict[str, tuple[float, ...]] = {
    "conv2_keras": (0.9913, 0.9909, 0.9913, 0.9921, 0.9926),  # epochs 9-12, then the fragment
    "conv3_bn": (0.9925, 0.9937, 0.9946, 0.9932, 0.9945),
    "conv5_bn": (0.9940, 0.9933, 0.9944, 0.9941, 0.9948),
    "conv7_bn": (0.9932, 0.9927, 0.9942, 0.9935, 0.9944),
    "conv3_bn_aug": (0.9931, 0.9942, 0.9928, 0.9947, 0.9941),
    "conv2_keras_glorot": (0.9906, 0.9900, 0.9911, 0.9908, 0.9922),
    "linear": (0.9188, 0.9219, 0.9174, 0.9188, 0.9159),
    "mlp_3x1500": (0.9854, 0.9843, 0.9801, 0.9813, 0.9842),
    "mlp_3x1500_do": (0.9842, 0.9835, 0.9823, 0.9842, 0.9840),
    "conv2_k5_adam": (0.9915, 0.9923, 0.9909, 0.9902, 0.9917),
    "cnn1": (0.9929, 0.9932, 0.9932, 0.9934, 0.9936),
    "cnn2": (0.9903, 0.9935, 0.9937, 0.9929, 0.9940),
    "cnn3": (0.9918, 0.9894, 0.9927, 0.9921, 0.9929),
    "cnn4": (0.9940, 0.9937, 0.9945, 0.9943, 0.9937),
    "cnn5": (0.9920, 0.9928, 0.9922, 0.9944, 0.9938),
    "cnn6": (0.9938, 0.9942, 0.9937, 0.9933, 0.9938),
    "cnn7": (0.9947, 0.9945, 0.9954, 0.9941, 0.9948),
    "cnn8": (0.9935, 0.9940, 0.9930, 0.9953, 0.9951),
    "cnn9": (0.9942, 0.9949, 0.9945, 0.9939, 0.9954),
    "cnn10": (0.9934, 0.9941, 0.9928, 0.9933, 0.9944),
}

# Differences larger than this (percentage points of test accuracy) are flagged for a look.
FLAG_PP = 0.3
# Test accuracy is compared at the last epoch, as the notebooks did; the spread of the last
# SWING_EPOCHS epochs' test accuracy says how much of a difference that choice alone can make.
SWING_EPOCHS = 5


@dataclass(frozen=True)
class ReproRow:
    """One network: the notebook's figures beside ours. Fractions; None = not reported/measured."""

    name: str
    notebook: str
    section: str
    params: int
    epochs: int
    reported_test_accuracy: float | None
    test_accuracy: float
    reported_test_loss: float | None
    test_loss: float
    reported_train_accuracy: float | None
    train_accuracy: float | None
    reported_train_loss: float | None
    train_loss: float | None
    seconds_per_epoch: float
    onnx_fp32_accuracy: float | None
    onnx_int8_accuracy: float | None
    trained_now: bool  # False = reused a current model (resumed run)
    full_recipe: bool  # the seed's epochs on all 60,000 training images
    # our per-epoch test (= validation) accuracy over the last SWING_EPOCHS epochs
    last_test_accuracies: tuple[float, ...] = ()

    @property
    def reported_last_test_accuracies(self) -> tuple[float, ...]:
        return REPORTED_LAST_EPOCHS.get(self.name, ())

    @property
    def within_swing(self) -> bool:
        """The seed's figure lies inside our last epochs' range: the difference is epoch noise."""
        r, ours = self.reported_test_accuracy, self.last_test_accuracies
        return r is not None and bool(ours) and min(ours) <= r <= max(ours)

    @property
    def diff_last_mean_pp(self) -> float | None:
        """Ours − seed on the mean test accuracy of the last epochs: steadier than the last one."""
        ours, theirs = self.last_test_accuracies, self.reported_last_test_accuracies
        if not ours or not theirs:
            return None
        return 100.0 * (sum(ours) / len(ours) - sum(theirs) / len(theirs))

    @property
    def diff_pp(self) -> float | None:
        if self.reported_test_accuracy is None:
            return None
        return 100.0 * (self.test_accuracy - self.reported_test_accuracy)


@dataclass(frozen=True)
class ReproResult:
    rows: tuple[ReproRow, ...]
    tables: tuple[Path, ...]
    plot: Path | None
    created: str


def networks_of(notebooks: Sequence[str], only: Sequence[str] = ()) -> list[str]:
    """Network names of the given notebooks in seed order, optionally narrowed to `only`."""
    from mnx import architectures

    for nb in notebooks:
        if nb not in NOTEBOOKS:
            raise UnknownNameError("notebook", nb, NOTEBOOKS, hint="notebooks are 000 to 004")
    chosen = [n.name for n in architectures.all_networks() if n.seed in notebooks]
    if only:
        for name in only:
            architectures.get(name)  # unknown name: did-you-mean
            if name not in chosen:
                raise UsageError(
                    f"'{name}' is not a network of notebook(s) {', '.join(notebooks)}",
                    expected=f"one of: {', '.join(chosen)}",
                    fix="drop it from --networks, or name its notebook",
                )
        chosen = [n for n in chosen if n in only]
    return chosen


def reproduce(
    notebooks: Sequence[str],
    root: Path,
    *,
    only: Sequence[str] = (),
    epochs: int | None = None,
    limit: int | None = None,
    export: bool = True,
    out_dir: Path | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> ReproResult:
    """Train (or reuse) every selected network with its seed recipe, export FP32 + INT8 ONNX, and
    write the notebooks' comparison tables with our figures beside theirs."""
    from mnx import architectures
    from mnx.toolkit.data import load_mnist
    from mnx.toolkit.make import ensure_trained
    from mnx.toolkit.train import TrainConfig

    names = networks_of(notebooks, only)
    data = load_mnist()
    config = TrainConfig(epochs=epochs, limit=limit)
    rows: list[ReproRow] = []
    for i, name in enumerate(names, 1):
        net = architectures.get(name)
        say(f"[{i}/{len(names)}] {name}: {net.recipe.describe()}")
        trained = ensure_trained(name, (config,), root, data, say)
        result = trained.result
        fp32_acc = int8_acc = None
        if export:
            fp32_acc, int8_acc = _export_accuracies(name, root, say)
        extra = REPORTED_EXTRA.get(name, {})
        hist = result.history
        rows.append(
            ReproRow(
                name=name,
                notebook=net.seed,
                section=net.section,
                params=result.params,
                epochs=result.epochs,
                reported_test_accuracy=net.reported_accuracy,
                test_accuracy=result.test_accuracy,
                reported_test_loss=extra.get("test_loss"),
                test_loss=result.test_loss,
                reported_train_accuracy=extra.get("train_accuracy"),
                train_accuracy=hist["accuracy"][-1] if hist.get("accuracy") else None,
                reported_train_loss=extra.get("train_loss"),
                train_loss=hist["loss"][-1] if hist.get("loss") else None,
                seconds_per_epoch=result.mean_seconds_per_epoch,
                onnx_fp32_accuracy=fp32_acc,
                onnx_int8_accuracy=int8_acc,
                trained_now=trained.ran,
                full_recipe=(
                    result.epochs == net.recipe.epochs
                    and result.limit is None
                    and not result.data_subset
                ),
                last_test_accuracies=tuple(
                    float(v) for v in (hist.get("val_accuracy") or [])[-SWING_EPOCHS:]
                ),
            )
        )
    out = ensure_dir(out_dir or root / "reproduce")
    # Tables and plot cover every network reproduced into `out` so far, this run's rows replacing
    # earlier ones of the same network: `mnx reproduce 002` then `003` gives one summary.
    everything = _merge(_load_rows(out / "reproduce.json"), rows)
    tables = write_tables(everything, out)
    plot = plot_reported_vs_ours(everything, out / "reported_vs_ours.png")
    write_json_atomic(
        out / "reproduce.json", {"created": utc_now(), "rows": [asdict(r) for r in everything]}
    )
    return ReproResult(rows=tuple(rows), tables=tuple(tables), plot=plot, created=utc_now())


def _load_rows(path: Path) -> list[ReproRow]:
    """Rows of an earlier summary. Columns added or dropped since it was written do not cost the
    other rows (a schema change once wiped a summary here); only unreadable rows are left out."""
    if not path.exists():
        return []
    try:
        raw = read_json(path)["rows"]
    except (KeyError, TypeError, CorruptArtifactError):
        return []  # a foreign file: start the summary afresh
    known = {f.name for f in fields(ReproRow)}
    rows = []
    for r in raw if isinstance(raw, list) else []:
        try:
            kept = {k: v for k, v in r.items() if k in known}
            # JSON gives lists; rows written before the column have none
            kept["last_test_accuracies"] = tuple(kept.get("last_test_accuracies") or ())
            rows.append(ReproRow(**kept))
        except (AttributeError, TypeError):
            continue  # a row missing a required field
    return rows


def _merge(old: Sequence[ReproRow], new: Sequence[ReproRow]) -> list[ReproRow]:
    from mnx import architectures

    by_name = {r.name: r for r in old}
    for r in new:
        prev = by_name.get(r.name)
        if (
            prev is not None
            and r.onnx_fp32_accuracy is None
            and (prev.test_accuracy == r.test_accuracy and prev.epochs == r.epochs)
        ):  # a --no-export run of the same model keeps the ONNX figures measured before
            r = replace(
                r,
                onnx_fp32_accuracy=prev.onnx_fp32_accuracy,
                onnx_int8_accuracy=prev.onnx_int8_accuracy,
            )
        by_name[r.name] = r
    order = {n: i for i, n in enumerate(architectures.names())}
    return sorted(by_name.values(), key=lambda r: order.get(r.name, len(order)))


def _export_accuracies(name: str, root: Path, say: Callable[[str], None]) -> tuple[Any, Any]:
    from mnx.toolkit.export.pipeline import ExportOptions, export

    report = export(
        name,
        ExportOptions(fp16=False, int8=True, trt=False),
        root,
        progress=lambda m: say(f"    export: {m}"),
    )
    acc = {v.variant: v.accuracy for v in report.variants}
    return acc.get("fp32"), acc.get("int8.u8", acc.get("int8"))


# --- tables -----------------------------------------------------------------------------------


def _pct(x: float | None, nd: int = 2) -> str:
    return "–" if x is None else f"{100 * x:.{nd}f}"


def _num(x: float | None, nd: int = 4) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def _diff(ours: float | None, theirs: float | None, scale: float = 100.0, nd: int = 2) -> str:
    if ours is None or theirs is None:
        return "–"
    return f"{scale * (ours - theirs):+.{nd}f}"


def _range(values: Sequence[float]) -> str:
    return "–" if not values else f"{100 * min(values):.2f}–{100 * max(values):.2f}"


def _signed(x: float | None) -> str:
    return "–" if x is None else f"{x:+.2f}"


def _flag(row: ReproRow) -> str:
    d = row.diff_pp
    marks = []
    if d is not None and abs(d) > FLAG_PP:
        marks.append(f"**>{FLAG_PP} pp**")
        if row.within_swing:
            marks.append(f"seed within our last {SWING_EPOCHS} epochs' range")
    if not row.full_recipe:
        marks.append("not the full recipe")
    return ", ".join(marks)


def notebook_table(nb: str, rows: Sequence[ReproRow]) -> str:
    """The notebook's own comparison table, seed vs ours, as Markdown."""
    rows = [r for r in rows if r.notebook == nb]
    if not rows:
        return ""
    head = {
        "000": "Test accuracy per model (notebook 000's PrettyTable)",
        "001": "Train/test loss and accuracy per model (notebook 001's final_output table)",
        "002": "MLPs: train and test loss and accuracy (notebook 002's conclusion table)",
        "003": "Final accuracy over the validation (= test) set (notebook 003's printouts)",
        "004": "Train/validation loss, train/test accuracy (notebook 004's conclusion table)",
    }[nb]
    lines = [f"## Notebook {nb}: {head}", ""]
    lines.append(
        "| network | section | params | epochs | test acc % seed | test acc % ours | Δ pp "
        f"| test acc % seed, last {SWING_EPOCHS} ep | test acc % ours, last {SWING_EPOCHS} ep "
        f"| Δ pp, last-{SWING_EPOCHS} mean "
        "| test loss seed | test loss ours | train acc % seed | train acc % ours "
        "| train loss seed | train loss ours | ONNX fp32 % | ONNX int8 % | s/epoch | note |"
    )
    lines.append("|" + "---|" * 20)
    for r in rows:
        lines.append(
            f"| {r.name} | {r.section} | {r.params:,} | {r.epochs} "
            f"| {_pct(r.reported_test_accuracy)} | {_pct(r.test_accuracy)} "
            f"| {_diff(r.test_accuracy, r.reported_test_accuracy)} "
            f"| {_range(r.reported_last_test_accuracies)} | {_range(r.last_test_accuracies)} "
            f"| {_signed(r.diff_last_mean_pp)} "
            f"| {_num(r.reported_test_loss)} | {_num(r.test_loss)} "
            f"| {_pct(r.reported_train_accuracy)} | {_pct(r.train_accuracy)} "
            f"| {_num(r.reported_train_loss)} | {_num(r.train_loss)} "
            f"| {_pct(r.onnx_fp32_accuracy)} | {_pct(r.onnx_int8_accuracy)} "
            f"| {r.seconds_per_epoch:.1f} | {_flag(r)} |"
        )
    lines.append("")
    return "\n".join(lines)


def write_tables(rows: Sequence[ReproRow], out: Path) -> list[Path]:
    paths = []
    notebooks = sorted({r.notebook for r in rows})
    for nb in notebooks:
        path = out / f"notebook_{nb}.md"
        write_text_atomic(path, notebook_table(nb, rows))
        paths.append(path)
    summary = [
        "# Seed notebooks vs mnx",
        "",
        "Test accuracy is on the 10,000 MNIST test images, which every notebook also used "
        "as its validation set. Δ pp = ours − seed, in percentage points; rows past "
        f"±{FLAG_PP} pp are flagged. The notebooks compared the last epoch; 'last "
        f"{SWING_EPOCHS} ep' is the range of the test accuracy over the last {SWING_EPOCHS} "
        "epochs (the seed's from its printed training log, where it has one), the noise that "
        f"choice alone carries, and 'Δ pp, last-{SWING_EPOCHS} mean' compares their means.",
        "",
    ]
    summary += [notebook_table(nb, rows) for nb in notebooks]
    path = out / "README.md"
    write_text_atomic(path, "\n".join(summary))
    paths.append(path)
    return paths


def plot_reported_vs_ours(rows: Sequence[ReproRow], path: Path) -> Path | None:
    """Scatter of reported against reproduced test accuracy, one point per network."""
    pts = [r for r in rows if r.reported_test_accuracy is not None]
    if not pts:
        return None
    from mnx.toolkit.plots import pyplot

    plt = pyplot()

    from mnx.toolkit.artifacts import atomic_path

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 7), gridspec_kw={"width_ratios": [1.1, 1]})
    colors = {
        "000": "tab:blue",
        "001": "tab:orange",
        "002": "tab:green",
        "003": "tab:red",
        "004": "tab:purple",
    }
    for nb in sorted({r.notebook for r in pts}):
        sel = [r for r in pts if r.notebook == nb]
        ax.scatter(
            [100 * r.reported_test_accuracy for r in sel],  # type: ignore[operator]
            [100 * r.test_accuracy for r in sel],
            label=f"notebook {nb}",
            color=colors.get(nb),
            s=40,
        )
        for r in sel:  # whiskers: each side's range over the last epochs, where known
            x, y = 100 * r.reported_test_accuracy, 100 * r.test_accuracy  # type: ignore[operator]
            theirs, ours = r.reported_last_test_accuracies, r.last_test_accuracies
            ax.errorbar(
                x,
                y,
                xerr=[[x - 100 * min(theirs)], [100 * max(theirs) - x]] if theirs else None,
                yerr=[[y - 100 * min(ours)], [100 * max(ours) - y]] if ours else None,
                color=colors.get(nb),
                alpha=0.35,
                lw=1,
                capsize=2,
            )
            ax.annotate(
                r.name,
                (100 * r.reported_test_accuracy, 100 * r.test_accuracy),  # type: ignore[operator]
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    lo = (
        min(
            min(100 * r.reported_test_accuracy for r in pts),  # type: ignore[operator]
            min(100 * r.test_accuracy for r in pts),
        )
        - 0.3
    )
    hi = 100.0
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="ours = seed")
    ax.fill_between(
        [lo, hi],
        [lo - FLAG_PP, hi - FLAG_PP],
        [lo + FLAG_PP, hi + FLAG_PP],
        color="grey",
        alpha=0.15,
        label=f"±{FLAG_PP} pp",
    )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("seed notebook's test accuracy (%)")
    ax.set_ylabel("mnx test accuracy (%)")
    ax.set_title(
        f"Reported vs reproduced test accuracy\n(whiskers: range over the last {SWING_EPOCHS} epochs)"
    )
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    # Right: the difference per network, where labels do not overlap.
    diffs = [r.diff_pp or 0.0 for r in pts]
    ypos = list(range(len(pts)))
    bx.barh(ypos, diffs, color=[colors.get(r.notebook, "grey") for r in pts], label="last epoch")
    labelled: set[str] = set()

    def once(label: str) -> str | None:
        """The label the first time, then None: one legend entry per kind of mark."""
        if label in labelled:
            return None
        labelled.add(label)
        return label

    for y, r in zip(ypos, pts, strict=True):
        seed = 100 * r.reported_test_accuracy  # type: ignore[operator]
        if r.last_test_accuracies:
            worst, best = 100 * min(r.last_test_accuracies), 100 * max(r.last_test_accuracies)
            bx.plot([worst - seed, best - seed], [y, y], color="k", lw=1.2, marker="|", ms=8,
                    label=once(f"ours over the last {SWING_EPOCHS} epochs"))  # fmt: skip
        if r.diff_last_mean_pp is not None:
            bx.plot(r.diff_last_mean_pp, y, "D", color="k", ms=5,
                    label=once(f"last-{SWING_EPOCHS} means (seed's log)"))  # fmt: skip
    bx.set_yticks(ypos, [r.name for r in pts], fontsize=8)
    bx.invert_yaxis()
    bx.axvline(0, color="k", lw=1)
    for edge in (-FLAG_PP, FLAG_PP):
        bx.axvline(edge, color="grey", ls="--", lw=1)
    bx.set_xlabel("ours − seed (percentage points of test accuracy)")
    bx.set_title(f"Difference per network (dashed: ±{FLAG_PP} pp)")
    bx.legend(loc="lower right", fontsize=8)
    bx.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return path


def elapsed(start: float) -> str:
    s = int(time.perf_counter() - start)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"
