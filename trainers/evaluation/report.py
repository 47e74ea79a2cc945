"""Writing an evaluation to a directory: report.md, report.html, metrics.json, plots/, config.yaml.

The report opens with the decision (eligible or not, and why), then what was compared on which
rows, then per test set the numbers a T&S reviewer asks for. ``metrics.json`` holds every number
the report shows and more, for tooling.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from lovemachine.categories import CATEGORIES
from trainers.evaluation.document import Block, Bullets, Heading, Para, Table, to_html, to_markdown
from trainers.evaluation.run import Evaluation
from trainers.evaluation.sections import fmt, test_set_blocks, thr


def write_report(ev: Evaluation, out_dir: Path, *, config_text: str | None = None) -> dict[str, Path]:
    """Write every output file under ``out_dir`` (created if needed); returns them by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    s = ev.summary
    paths = {
        "metrics": out_dir / "metrics.json",
        "markdown": out_dir / "report.md",
        "html": out_dir / "report.html",
    }
    paths["metrics"].write_text(
        json.dumps(_clean(s), indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    if config_text is not None:
        paths["config"] = out_dir / "config.yaml"
        paths["config"].write_text(config_text, encoding="utf-8")
    blocks = overview_blocks(s)
    for name in s["results"]:
        blocks += test_set_blocks(ev, name, out_dir)
    paths["markdown"].write_text(to_markdown(blocks), encoding="utf-8")
    paths["html"].write_text(
        to_html(blocks, title=f"Evaluation: {s['name']}", base=out_dir), encoding="utf-8"
    )
    return paths


def _clean(x: Any) -> Any:
    """JSON-safe and compact: NaN and infinities become null, floats keep 6 decimals."""
    if isinstance(x, float):
        return round(x, 6) if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def overview_blocks(s: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [Heading(1, f"Evaluation: {s['name']}")]
    if s["description"]:
        blocks.append(Para(s["description"]))
    d = s["data"]
    blocks.append(
        Para(
            f"Run {s['started_at']} – {s['finished_at']}. Data: {d['source']} (sha256 `{d['sha256'][:12]}`), "
            f"**{d['split']}** split. Primary metric: `{s['primary_metric']}`. Code: "
            f"`{s.get('code_revision') or 'unknown'}`. Config: `config.yaml`; every number below is in "
            "`metrics.json`."
        )
    )
    blocks += decision_blocks(s["decision"])
    blocks += [Heading(2, "Warnings and notes"), Bullets(list(s["notes"]))]
    blocks += data_blocks(s)
    blocks += model_blocks(s)
    return blocks


def decision_blocks(dec: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Decision")]
    if dec.get("rule"):
        blocks.append(Para(f"**Rule.** {dec['rule']}"))
    inc = dec.get("incumbent")
    blocks.append(Para(f"Incumbent on this run: **{inc}**." if inc else "No incumbent on this run."))
    cands = dec.get("candidates", {})
    if not cands:
        blocks.append(Para("No candidate (train or artifact) to judge."))
        return blocks
    rows = []
    for name, v in cands.items():
        verdict = {True: "**ELIGIBLE**", False: "not eligible", None: "undecided"}[v["eligible"]]
        deltas = v.get("deltas") or {}
        worst = min((d for d in deltas.values() if d is not None), default=None)
        rows.append(
            [
                name,
                fmt(v["mean"], 4),
                fmt(v.get("mean_delta"), 4, sign=True),
                fmt(v.get("bootstrap_lower"), 4, sign=True),
                fmt(worst, 4, sign=True),
                verdict,
            ]
        )
    blocks.append(
        Table(
            [
                "candidate",
                f"mean {dec['primary_metric']}",
                f"vs {inc}",
                "bootstrap lower bound",
                "worst category Δ",
                "verdict",
            ],
            rows,
        )
    )
    per_cat = [
        [
            name,
            *(
                f"{fmt(v['values'][c], 3)} ({fmt((v.get('deltas') or {}).get(c), 3, sign=True)})"
                for c in CATEGORIES
            ),
        ]
        for name, v in cands.items()
    ]
    blocks.append(Table(["candidate (Δ vs incumbent)", *CATEGORIES], per_cat))
    blocks += clean_blocks(dec.get("clean") or {})
    blocks.append(Bullets([f"{name}: {r}" for name, v in cands.items() for r in v["reasons"]]))
    return blocks


def clean_blocks(clean: dict[str, Any]) -> list[Block]:
    """Clean listings each model would act on, beside PR-AUC: the false positives it cannot show."""
    if not clean or not any(c["rows"] for c in clean.values()):
        return []
    sets = sorted({k for c in clean.values() for k in c["by_set"]})
    rows = []
    for name, c in clean.items():
        per_set = [f"{b['flagged']} / {b['rows']}" if (b := c["by_set"].get(k)) else "–" for k in sets]
        rows.append(
            [
                name,
                f"{c['rows']:,}",
                f"{c['flagged']:,}",
                f"{c['flag_rate']:.1%}" if c["flag_rate"] is not None else "–",
                f"{c['hidden']:,}",
                f"{c['regression_hidden']} / {c['regression_rows']}",
                *per_set,
            ]
        )
    return [
        Para(
            "**Clean listings** (test rows with no violation label) each model would report or hide at its "
            "own thresholds. Labels from review are nearly all violations, so PR-AUC alone cannot show a "
            "model that starts flagging clean listings; this can. Per source: flagged / clean rows."
        ),
        Table(
            ["model", "clean rows", "flagged", "flag rate", "hidden", "regression set hidden", *sets], rows
        ),
    ]


def data_blocks(s: dict[str, Any]) -> list[Block]:
    parts = s["data"]["parts"]
    rows = [
        [name, f"{p['rows']:,}", p["from"][:16], p["to"][:16], *(str(p["positives"][c]) for c in CATEGORIES)]
        for name, p in parts.items()
    ]
    sets = [
        [name, t["source"], f"{t['rows']:,}", *(str(t["positives"][c]) for c in CATEGORIES)]
        for name, t in s["test_sets"].items()
    ]
    return [
        Heading(2, "Data"),
        Para(
            "Training rows fit the `train` candidates; validation rows choose their thresholds (and the "
            "keyword baseline's); test rows are never seen by either. Positives per category:"
        ),
        Table(["part", "rows", "from", "to", *CATEGORIES], rows),
        Para("Test sets (every model is scored on the same rows of each):"),
        Table(["test set", "source", "rows", *CATEGORIES], sets),
    ]


def model_blocks(s: dict[str, Any]) -> list[Block]:
    t = s["thresholds"]
    rows = []
    for name, m in s["models"].items():
        info = m["info"]
        where = (
            info.get("version")
            or info.get("path")
            or ", ".join(f"{k}={v}" for k, v in info.get("train_options", {}).items())
        )
        rows.append(
            [
                name,
                m["source"],
                str(where or "defaults"),
                *(
                    f"{thr(m['thresholds'][c]['report'])} / {thr(m['thresholds'][c]['hide'])}"
                    for c in CATEGORIES
                ),
            ]
        )
    shares = ", ".join(f"{c} {v:.0%}" for c, v in t["capacity_share"].items())
    return [
        Heading(2, "Models and their thresholds"),
        Para(
            "Thresholds are chosen from data, never typed in: **hide** where precision on held-out labels "
            f"is at least {t['hide_precision']} (Wilson lower bound), **report** where it is at least "
            f"{t['report_precision']}, raised until listings at or above it fit the review capacity: "
            f"{t['review_capacity_per_day']:,} review items/day for {t['daily_listings']:,} listings/day = "
            f"{t['max_flag_rate']:.2%} of listings, shared by category in proportion to validation "
            f"positives ({shares}). Hides count against it (a hide opens a review item too). `train` "
            "candidates: chosen on this split's validation rows; champion and artifacts: the thresholds "
            "recorded with them, i.e. what is or would be live; keyword rules: every match is reported, "
            "nothing hidden. Volumes per day assume the test rows look like a day of traffic."
        ),
        Table(["model", "source", "version / options", *(f"{c} report / hide" for c in CATEGORIES)], rows),
    ]
