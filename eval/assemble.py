"""Assemble independently written listing files into one labelled JSONL, printing aggregates only.

Writers (people, or helpers briefed with the policy and the event schema only) each hand in a JSONL
file of labelled listings. This script validates every row against the event contract
(``LabelledListing``), refuses duplicate ids, shuffles the rows with a fixed seed (so a reader of the
file cannot tell writers apart by position), writes the result, and prints counts — never a title,
a description or a row. That is what lets a measure-only set be assembled without anyone reading it::

    .venv/bin/python eval/assemble.py --out eval/data/handwritten_c.jsonl /tmp/setc/*.jsonl
    .venv/bin/python eval/assemble.py --out data/written/train_written.jsonl /tmp/train/*.jsonl

A row that breaks the contract is reported by file and line with the validation message (which
names fields, not their content) and left out; ``--strict`` fails instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lovemachine.categories import CATEGORIES  # noqa: E402
from lovemachine.errors import InvalidEventError  # noqa: E402
from lovemachine.listings.schema import LabelledListing, parse_labelled  # noqa: E402


def _read(paths: list[Path], strict: bool) -> tuple[list[tuple[str, LabelledListing]], int]:
    rows: list[tuple[str, LabelledListing]] = []
    refused = 0
    for path in paths:
        with open(path, "rb") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = parse_labelled(line)
                except InvalidEventError as exc:
                    refused += 1
                    where = f"{path.name}:{lineno}"
                    if strict:
                        raise SystemExit(f"{where}: {exc}") from None
                    print(f"left out {where}: {exc}", file=sys.stderr)
                    continue
                rows.append((line.decode("utf-8").strip(), row))
    return rows, refused


def _summary(rows: list[LabelledListing]) -> dict[str, object]:
    n = len(rows)
    clean = [r for r in rows if not any(r.label_vector())]
    hard = [r for r in clean if any(t.startswith("hard_negative") for t in r.tags)]
    by_lang = Counter(r.listing.locale.split("-")[0] for r in rows)
    personas = Counter(next((t for t in r.tags if t.startswith("persona:")), "persona:?") for r in rows)
    per_category = {c: sum(r.labels.get(c, 0) for r in rows) for c in CATEGORIES}
    return {
        "rows": n,
        "violations": n - len(clean),
        "violation_share": round((n - len(clean)) / n, 3) if n else None,
        "clean": len(clean),
        "hard_negatives": len(hard),
        "hard_negative_share_of_clean": round(len(hard) / len(clean), 3) if clean else None,
        "positives_per_category": per_category,
        "multi_label": sum(1 for r in rows if sum(r.label_vector()) > 1),
        "languages": dict(by_lang),
        "japanese_share": round(by_lang.get("ja", 0) / n, 3) if n else None,
        "writers": dict(personas),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", type=Path, help="writers' JSONL files")
    ap.add_argument("--out", type=Path, required=True, help="the assembled JSONL")
    ap.add_argument("--seed", type=int, default=0, help="shuffle seed")
    ap.add_argument("--strict", action="store_true", help="fail on the first invalid row")
    args = ap.parse_args(argv)

    rows, refused = _read(args.inputs, args.strict)
    ids = Counter(r.listing.id for _, r in rows)
    events = Counter(r.event_id for _, r in rows)
    dupes = [k for k, v in ids.items() if v > 1] + [k for k, v in events.items() if v > 1]
    if dupes:
        raise SystemExit(f"duplicate listing or event ids: {len(dupes)} (e.g. {dupes[0]})")
    random.Random(args.seed).shuffle(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line, _ in rows).encode("utf-8")
    args.out.write_bytes(data)
    summary = _summary([r for _, r in rows])
    summary["left_out_invalid"] = refused
    summary["sha256"] = hashlib.sha256(data).hexdigest()
    summary["out"] = str(args.out)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
