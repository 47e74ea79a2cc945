"""Precision-recall curves and reliability diagrams, one figure per test set (matplotlib, Agg).

Each figure has one panel per category and one line per model; the marks on a model's curve are
its report (circle) and hide (triangle) thresholds, so a reader sees where the deployed policy sits
on the curve, not just the curve.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import precision_recall_curve

from lovemachine.categories import CATEGORIES
from trainers.evaluation.metrics import Cut


def _grid() -> tuple[plt.Figure, list[plt.Axes]]:
    fig, axes = plt.subplots(1, len(CATEGORIES), figsize=(4.2 * len(CATEGORIES), 4.0), squeeze=False)
    return fig, list(axes[0])


def pr_figure(
    path: Path,
    title: str,
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    cuts: dict[str, dict[str, Cut]],
    hide_precision: float,
) -> Path:
    fig, axes = _grid()
    for k, (cat, ax) in enumerate(zip(CATEGORIES, axes, strict=True)):
        yk = y[:, k]
        ax.set_title(f"{cat} ({int(yk.sum())} positives)")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.axhline(hide_precision, color="grey", lw=0.8, ls=":")
        if not yk.any():
            ax.text(0.5, 0.5, "no positives", ha="center", transform=ax.transAxes)
            continue
        for name, s in scores.items():
            if len(np.unique(s[:, k])) <= 2:  # a 0/1 rule: one operating point, no curve
                hit = s[:, k] >= s[:, k].max()
                prec = yk[hit].mean() if hit.any() and s[:, k].max() > 0 else 0.0
                ax.plot((hit & (yk == 1)).sum() / yk.sum(), prec, "s", ms=8, label=f"{name} (rules)")
                continue
            p, r, _ = precision_recall_curve(yk, s[:, k])
            (line,) = ax.plot(r, p, lw=1.4, label=name, drawstyle="steps-post")
            for thr, marker in ((cuts[name][cat].report, "o"), (cuts[name][cat].hide, "^")):
                if math.isinf(thr):
                    continue
                flagged = s[:, k] >= thr
                if flagged.any():
                    ax.plot(
                        (flagged & (yk == 1)).sum() / yk.sum(),
                        yk[flagged].mean(),
                        marker=marker,
                        color=line.get_color(),
                        ms=7,
                        mec="black",
                    )
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle(f"{title} — precision/recall (o report, ^ hide; dotted: hide precision target)")
    return _save(fig, path)


def calibration_figure(
    path: Path, title: str, y: np.ndarray, scores: dict[str, np.ndarray], bins: int
) -> Path:
    from lovemachine.classifiers.calibration import reliability_table

    fig, axes = _grid()
    for k, (cat, ax) in enumerate(zip(CATEGORIES, axes, strict=True)):
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
        ax.set_title(cat)
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed violation rate")
        for name, s in scores.items():
            table = [r for r in reliability_table(y[:, k], s[:, k], bins=bins) if r["count"]]
            ax.plot(
                [r["mean_predicted"] for r in table],
                [r["observed_rate"] for r in table],
                marker="o",
                ms=3,
                lw=1.2,
                label=name,
            )
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{title} — reliability (calibration)")
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path
