"""eval/assemble.py: writers' files -> one validated, shuffled JSONL, with aggregates only."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from synth import generate

_spec = importlib.util.spec_from_file_location("assemble", Path(__file__).parents[2] / "eval" / "assemble.py")
assert _spec is not None and _spec.loader is not None
assemble = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(assemble)


def _write(path: Path, rows: Iterable[dict], extra_lines: Sequence[str] = ()) -> Path:
    path.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows) + "".join(extra_lines))
    return path


def test_rows_are_validated_shuffled_and_only_counted(tmp_path, capsys):
    a = _write(tmp_path / "a.jsonl", generate(30, seed=1, id_prefix="A"), ['{"not": "an event"}\n'])
    b = _write(tmp_path / "b.jsonl", generate(20, seed=2, id_prefix="B"))
    out = tmp_path / "out.jsonl"
    assert assemble.main([str(a), str(b), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["rows"] == 50 and summary["left_out_invalid"] == 1
    assert "a.jsonl:31" in captured.err  # where, with the contract's message, not the row
    ids = [json.loads(line)["listing"]["id"] for line in out.read_text().splitlines()]
    assert len(set(ids)) == 50
    assert ids != sorted(ids)  # shuffled: position does not tell writers apart
    titles = [json.loads(line)["listing"]["title"] for line in out.read_text().splitlines()]
    assert not any(t and t in captured.out for t in titles)  # no row content is printed
    again = tmp_path / "again.jsonl"
    assemble.main([str(a), str(b), "--out", str(again)])
    assert again.read_bytes() == out.read_bytes()  # same seed, same file


def test_duplicate_ids_and_strict_mode_refuse(tmp_path):
    rows = list(generate(5, seed=3, id_prefix="D"))
    a = _write(tmp_path / "a.jsonl", rows)
    b = _write(tmp_path / "b.jsonl", rows[:1])
    with pytest.raises(SystemExit, match="duplicate"):
        assemble.main([str(a), str(b), "--out", str(tmp_path / "o.jsonl")])
    bad = _write(tmp_path / "bad.jsonl", rows, ["[[[\n"])
    with pytest.raises(SystemExit, match=r"bad\.jsonl:6"):
        assemble.main([str(bad), "--out", str(tmp_path / "o.jsonl"), "--strict"])
