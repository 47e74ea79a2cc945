"""The per-test-set part of the report: summary, volume, plots, and per category the confusion
matrices, calibration, worst mistakes and slices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lovemachine.categories import CATEGORIES
from trainers.evaluation.document import Block, Details, Heading, Image, Para, Table
from trainers.evaluation.metrics import Cut
from trainers.evaluation.plots import calibration_figure, pr_figure
from trainers.evaluation.run import Evaluation


def fmt(v: float | None, digits: int = 3, *, sign: bool = False) -> str:
    if v is None or v != v:  # None or NaN
        return "–"
    return f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"


def thr(v: float | None) -> str:
    return "never" if v is None else f"{v:.3f}"


def _cuts(s: dict[str, Any]) -> dict[str, dict[str, Cut]]:
    inf = float("inf")
    return {
        name: {
            c: Cut(
                inf if t["report"] is None else t["report"],
                inf if t["hide"] is None else t["hide"],
            )
            for c, t in m["thresholds"].items()
        }
        for name, m in s["models"].items()
    }


def test_set_blocks(ev: Evaluation, name: str, out_dir: Path) -> list[Block]:
    s = ev.summary
    res = s["results"][name]
    t = s["thresholds"]
    hp = t["hide_precision"]
    rows = [_metric_row(c, model, r["categories"][c]) for c in CATEGORIES for model, r in res.items()]
    vol = [
        [
            model,
            f"{r['volume']['hides_per_day']:,.0f}",
            f"{r['volume']['reports_per_day']:,.0f}",
            f"{r['volume']['review_items_per_day']:,.0f}",
            f"{t['review_capacity_per_day']:,}",
            "yes" if r["volume"]["within_capacity"] else "**NO**",
        ]
        for model, r in res.items()
    ]
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)
    pr = pr_figure(out_dir / "plots" / f"{slug}-pr.png", name, ev.labels[name], ev.scores[name], _cuts(s), hp)
    cal = calibration_figure(
        out_dir / "plots" / f"{slug}-calibration.png",
        name,
        ev.labels[name],
        ev.scores[name],
        s["config"]["report"]["calibration_bins"],
    )
    blocks: list[Block] = [
        Heading(2, f"Test set: {name} ({s['test_sets'][name]['rows']:,} rows)"),
        Para(
            f"P/R at report and hide: precision and recall at each model's own thresholds. "
            f"R@P{hp:g}: the best recall any threshold reaches at precision >= {hp:g} on these rows "
            "(threshold-free). Per day: at the configured daily listing volume"
            + (
                "."
                if name == "split"
                else "; this set is not a sample of traffic (hand-picked or enriched), so its per-day "
                "volumes only compare models with each other."
            )
        ),
        Table(
            [
                "category",
                "model",
                "pos/rows",
                "PR-AUC",
                f"R@P{hp:g}",
                "P@report",
                "R@report",
                "P@hide",
                "R@hide",
                "reports/day",
                "hides/day",
                "Brier",
                "ECE",
            ],
            rows,
        ),
        Heading(3, "Expected daily review volume (all categories, strongest action per listing)"),
        Table(
            ["model", "hides/day", "reports/day", "review items/day", "capacity/day", "within capacity"], vol
        ),
        Image(str(pr.relative_to(out_dir)), f"precision-recall curves, {name}"),
        Image(str(cal.relative_to(out_dir)), f"reliability diagrams, {name}"),
    ]
    for c in CATEGORIES:
        blocks += _category_blocks(name, c, res)
    return blocks


def _metric_row(c: str, model: str, m: dict[str, Any]) -> list[str]:
    return [
        c,
        model,
        f"{m['positives']}/{m['rows']}",
        fmt(m["pr_auc"]),
        fmt(m["recall_at_hide_precision"]),
        fmt(m["report"]["precision"]),
        fmt(m["report"]["recall"]),
        fmt(m["hide"]["precision"]),
        fmt(m["hide"]["recall"]),
        f"{m['reports_per_day']:,.0f}",
        f"{m['hides_per_day']:,.0f}",
        fmt(m["brier"], 4),
        fmt(m["ece"], 4),
    ]


def _category_blocks(ts: str, c: str, res: dict[str, Any]) -> list[Block]:
    conf = []
    for model, r in res.items():
        m = r["categories"][c]
        for at in ("report", "hide"):
            x = m[at]
            conf.append(
                [
                    model,
                    at,
                    thr(x["threshold"]),
                    str(x["tp"]),
                    str(x["fp"]),
                    str(x["fn"]),
                    str(x["tn"]),
                    fmt(x["precision"]),
                    fmt(x["recall"]),
                ]
            )
    reliability = [
        [
            model,
            f"{b['lo']:.1f}–{b['hi']:.1f}",
            str(b["count"]),
            fmt(b["mean_predicted"]),
            fmt(b["observed_rate"]),
        ]
        for model, r in res.items()
        for b in r["categories"][c]["reliability"]
        if b["count"]
    ]
    blocks: list[Block] = [
        Heading(3, f"{ts} · {c}"),
        Table(["model", "at", "threshold", "TP", "FP", "FN", "TN", "precision", "recall"], conf),
        Details(
            f"Reliability table ({c}): bins of predicted probability",
            [Table(["model", "bin", "count", "mean predicted", "observed rate"], reliability)],
        ),
    ]
    for kind, title in (
        ("false_positives", "Worst false positives"),
        ("false_negatives", "Worst false negatives"),
    ):
        ex = [
            [
                model,
                e["id"],
                f"{e['score']:.3f}",
                e["action"],
                e["title"],
                e["description"],
                ", ".join(e["tags"]),
                e["locale"],
                e["price"],
            ]
            for model, r in res.items()
            for e in r["categories"][c]["examples"][kind]
        ]
        blocks.append(Heading(4, f"{title} ({c})"))
        blocks.append(
            Table(
                [
                    "model",
                    "id",
                    "score",
                    "action",
                    "title",
                    "description (excerpt)",
                    "tags",
                    "locale",
                    "price",
                ],
                ex,
            )
            if ex
            else Para("(none)")
        )
    blocks.append(Details(f"Slices ({c}): language and tags", _slice_blocks(c, res)))
    return blocks


def _slice_blocks(c: str, res: dict[str, Any]) -> list[Block]:
    models = list(res)
    first = res[models[0]]["categories"][c]["slices"]
    out: list[Block] = []
    for kind in ("language", "tags"):
        names = list(first[kind])
        pos_rows: list[list[str]] = []
        neg_rows: list[list[str]] = []
        for sl in names:
            base = first[kind][sl]
            cells = []
            for model in models:
                m = res[model]["categories"][c]["slices"][kind][sl]
                if kind == "language":
                    cells.append(
                        f"PR-AUC {fmt(m['pr_auc'], 3)} · R {fmt(m['recall_at_report'], 2)} / "
                        f"{fmt(m['recall_at_hide'], 2)} · FPR {fmt(m['false_positive_rate_at_report'], 3)}"
                    )
                elif base["positives"]:
                    cells.append(f"{fmt(m['recall_at_report'], 2)} / {fmt(m['recall_at_hide'], 2)}")
                else:
                    cells.append(
                        f"{fmt(m['false_positive_rate_at_report'], 3)} ({m['false_positives_at_report']})"
                    )
            row = [sl, str(base["rows"]), str(base["positives"]), *cells]
            (pos_rows if base["positives"] or kind == "language" else neg_rows).append(row)
        if kind == "language":
            out.append(
                Para("**By language** — PR-AUC · recall at report / hide · false-positive rate at report:")
            )
            out.append(Table([kind, "rows", "positives", *models], pos_rows))
            continue
        if pos_rows:
            out.append(Para(f"**By {kind}, rows with {c} violations** — recall at report / hide:"))
            out.append(Table([kind, "rows", "positives", *models], pos_rows))
        if neg_rows:
            out.append(
                Para(f"**By {kind}, rows without {c} violations** — false-positive rate at report (count):")
            )
            out.append(Table([kind, "rows", "positives", *models], neg_rows))
    return out
