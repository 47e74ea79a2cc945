from lovemachine.features.brands import BrandLexicon
from lovemachine.features.tabular import FEATURE_NAMES, PriceReference, TabularFeaturizer
from lovemachine.features.text import normalise, tokens
from lovemachine.listings import Listing


def listing(**kw):
    base = dict(
        id="L",
        version=1,
        seller_id="S",
        title="t",
        description="",
        price=1000,
        currency="JPY",
        category="fashion/bags",
        brand=None,
    )
    base.update(kw)
    return Listing(**base)


def test_normalise_folds_width_case_and_zero_width():
    assert normalise("ＬＯＵＩＳ　ＶＵＩＴＴＯＮ") == "louis vuitton"
    assert normalise("ｷﾞﾌﾄ券") == "ギフト券"
    assert normalise("gi\u200bft  card") == "gift card"
    assert normalise("１０，０００円") == "10,000円"


def test_tokens_keep_japanese_words_and_english_words():
    toks = tokens(normalise("Amazonギフト券 5000円分 チャージ済み"))
    assert "amazon" in toks and "ギフト" in toks and "チャージ" in toks
    assert "amazon_ギフト" in toks  # mixed-script pair survives


def test_tokens_undo_spaced_out_evasion():
    assert "gift" in tokens(normalise("g i f t card"))


def test_brand_lexicon_finds_katakana_and_english_spellings():
    lex = BrandLexicon()
    found = lex.find(normalise("ルイヴィトン LOUIS VUITTON #シャネル グッチ lvmhx"))
    assert found == ["louis vuitton", "louis vuitton", "chanel", "gucci"]
    assert lex.canonical("シャネル") == "chanel"


def test_price_reference_flags_cheap_luxury():
    lex = BrandLexicon()
    genuine = [listing(id=f"G{i}", brand="Louis Vuitton", price=120_000 + i * 1000) for i in range(10)]
    ref = PriceReference.fit(genuine, [True] * 10, lex)
    assert "louis vuitton" in ref.brand_log_median
    feats = TabularFeaturizer(lex, ref)
    X = feats.transform(
        [listing(brand="ルイヴィトン", price=5_000), listing(brand="Louis Vuitton", price=125_000)]
    )
    ratio = FEATURE_NAMES.index("brand_price_ratio")
    assert X[0, ratio] < -2.5  # about 4% of the usual price
    assert abs(X[1, ratio]) < 0.2


def test_stuffing_signals():
    lex = BrandLexicon()
    feats = TabularFeaturizer(lex, PriceReference())
    stuffed = listing(
        description="かわいいバッグです #シャネル #グッチ #エルメス #プラダ "
        "#ロレックス #ディオール #セリーヌ #フェンディ"
    )
    plain = listing(description="かわいいバッグです。使用回数は数回です。よろしくお願いします。")
    X = feats.transform([stuffed, plain])
    idx = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert X[0, idx["n_distinct_brands"]] == 8 and X[1, idx["n_distinct_brands"]] == 0
    assert X[0, idx["n_hashtags"]] == 8
    assert X[0, idx["list_share"]] > 0.8 > X[1, idx["list_share"]]
