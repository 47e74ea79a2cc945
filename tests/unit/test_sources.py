"""The written training corpora: several files, one fixed split, ids unique across files."""

from pathlib import Path

import pytest

from trainers.sources import WRITTEN_PATHS, load_written, missing_written, written_part


def _rows(path: Path, ids: list[str]) -> Path:
    import json

    lines = []
    for i in ids:
        lines.append(
            json.dumps(
                {
                    "event_id": f"e-{i}",
                    "type": "listing.created",
                    "occurred_at": "2026-12-01T00:00:00Z",
                    "listing": {
                        "id": i,
                        "version": 1,
                        "seller_id": "s",
                        "title": f"item {i}",
                        "price": 100,
                        "currency": "JPY",
                        "category": "home",
                    },
                    "labels": {"cash": 0},
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_corpora_are_combined_and_each_row_keeps_its_part(tmp_path: Path) -> None:
    a = _rows(tmp_path / "a.jsonl", [f"A-{i}" for i in range(40)])
    b = _rows(tmp_path / "b.jsonl", [f"B-{i}" for i in range(40)])
    both = load_written([a, b])
    only_a = load_written(a)
    parts = {"train": both.train, "valid": both.valid, "regression": both.regression}
    assert sum(map(len, parts.values())) == 80
    for name, rows in parts.items():
        assert all(written_part(r.listing.id) == name for r in rows)
    # adding a corpus never moves a row of the first one to another part
    assert {r.listing.id for r in only_a.train} <= {r.listing.id for r in both.train}
    assert both.sha256 != only_a.sha256 and len(both.sha256) == 64


def test_an_id_in_two_corpora_is_refused(tmp_path: Path) -> None:
    a = _rows(tmp_path / "a.jsonl", ["X-1", "X-2"])
    b = _rows(tmp_path / "b.jsonl", ["X-2", "X-3"])
    with pytest.raises(ValueError, match="duplicate listing ids"):
        load_written([a, b])


def test_the_shipped_corpora_are_present_and_disjoint() -> None:
    assert missing_written() == []
    parts = load_written()
    n = len(parts.train) + len(parts.valid) + len(parts.regression)
    assert n == 3_200 + 2_400 and len(WRITTEN_PATHS) == 2
