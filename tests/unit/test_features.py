import numpy as np
import pytest

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


def test_sudachi_words_keep_japanese_product_words_whole():
    toks = tokens(normalise("ルイヴィトンのネヴァーフルです。正規品、ギフト券付き"))
    for word in ("w:ネヴァーフル", "w:正規品", "w:ギフト券"):
        assert word in toks
    # particles and copulas carry no signal and are not emitted as words
    assert "w:です" not in toks and "w:の" not in toks


def test_evasions_map_onto_the_plain_spelling():
    toks = tokens(normalise("ぎふと券 G1FT C4RD"))
    assert "ギフト" in toks  # hiragana folded to katakana
    assert "gift" in toks and "card" in toks  # leetspeak undone
    # a misspelt brand shares character trigrams with the real spelling
    real = {t for t in tokens("vuitton") if t.startswith("c:")}
    typo = {t for t in tokens("vuiton") if t.startswith("c:")}
    assert len(real & typo) >= 3


def test_english_text_has_no_japanese_words():
    toks = tokens(normalise("Brand new Nintendo Switch, never opened"))
    assert "nintendo" in toks and not any(t.startswith("w:") for t in toks)


def test_seller_signals_are_features_and_missing_is_nan():
    import math

    from lovemachine.listings import SellerSignals

    feats = TabularFeaturizer(BrandLexicon(), PriceReference())
    young = listing(seller=SellerSignals(account_age_days=3, listings_count=1, rating=None))
    unknown = listing()
    X = feats.transform([young, unknown])
    idx = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert X[0, idx["seller_log_age_days"]] == pytest.approx(math.log1p(3))
    assert math.isnan(X[0, idx["seller_rating"]])  # not sent: missing, not zero
    assert all(math.isnan(X[1, idx[f]]) for f in FEATURE_NAMES if f.startswith("seller_"))


def test_prices_are_compared_in_yen():
    feats = TabularFeaturizer(BrandLexicon(), PriceReference())
    X = feats.transform([listing(price=100, currency="USD"), listing(price=15_000, currency="JPY")])
    lp = FEATURE_NAMES.index("log_price")
    assert X[0, lp] == pytest.approx(X[1, lp], abs=0.01)


def test_policy_lexicon_counts_terms_per_category_across_scripts():
    from lovemachine.features.lexicon import lexicon_counts

    counts = dict(zip(("counterfeit", "adult", "cash", "stuffing"), range(4), strict=True))
    c = lexicon_counts(normalise("S級 ヴィトン風デザイン 1:1"))
    assert c[counts["counterfeit"]] >= 2 and c[counts["cash"]] == 0
    assert lexicon_counts(normalise("ＡＭＡＺＯＮギフト 5000円分"))[counts["cash"]] == 1  # full width
    assert lexicon_counts(normalise("G1FT CARD 50 dollars"))[counts["cash"]] == 1  # leetspeak
    # Latin terms are whole words: cashmere is not cash
    assert lexicon_counts(normalise("cashmere scarf"))[counts["cash"]] == 0
    # the counterfeit trade's own words, and the words that are not its (a homage watch, no-name goods)
    fake = counts["counterfeit"]
    assert lexicon_counts(normalise("Submariner super clone, fake papers"))[fake] >= 2
    assert lexicon_counts(normalise("正規品ではないと思います"))[fake] == 1
    assert lexicon_counts(normalise("オマージュウォッチ ノーブランド品 no box no papers"))[fake] == 0
    adult = counts["adult"]
    assert lexicon_counts(normalise("BDSM 拘束具 SMグッズ"))[adult] == 3
    assert lexicon_counts(normalise("アナログ時計 ナチュラル"))[adult] == 0  # not アナル


def test_evasion_signals_are_read_before_normalisation_removes_them():
    from lovemachine.features.lexicon import evasion_counts

    masked, zero_width, spaced, leet = evasion_counts("ア○ゾン a\u200bmazon g i f t g1ft")
    assert (masked, zero_width, spaced, leet) == (1, 1, 1, 1)
    assert evasion_counts("iPhone 13 Pro 128GB, ps5 controller") == [0, 0, 0, 0]


def test_luxury_floor_prices_brands_the_training_data_never_priced():
    import math

    feats = TabularFeaturizer(BrandLexicon(), PriceReference())  # no learned brand prices at all
    X = feats.transform(
        [
            listing(title="ロレックス デイトジャスト", price=9_800),
            listing(title="ロレックス デイトジャスト", price=900_000),
            listing(title="無印良品 収納ボックス", price=9_800),
        ]
    )
    f = FEATURE_NAMES.index("luxury_floor_ratio")
    assert X[0, f] < -3 and X[1, f] > 0
    assert math.isnan(X[2, f])


def test_a_named_model_has_a_floor_whatever_the_brand_field_says():
    feats = TabularFeaturizer(BrandLexicon(), PriceReference())
    X = feats.transform(
        [
            listing(title="バーキン30 トゴ 新品", price=58_000),  # no brand anywhere, the model says it
            listing(title="Rolex Submariner", description="1:1", price=35_000),  # below the model's floor
            listing(title="Rolex Submariner 116610LN", price=1_200_000),
            listing(title="AirPods Pro 第2世代 新品", price=2_980),
            listing(title="Tokyo speedmasters club T-shirt", price=2_000),  # whole words only
        ]
    )
    f = FEATURE_NAMES.index("luxury_floor_ratio")
    assert X[0, f] < -2 and X[3, f] < -1
    assert X[1, f] < X[2, f] and X[2, f] > 0
    assert np.isnan(X[4, f])


def test_keyword_lists_are_recognised_by_shape_not_by_known_brands():
    from lovemachine.features.tabular import list_run

    authors = "レシピ本です。 検索キーワード:東野圭吾 村上春樹 湊かなえ 伊坂幸太郎 宮部みゆき 鬼滅の刃"
    run, in_runs, _ = list_run(normalise(authors))
    assert run >= 6 and in_runs >= 6
    english = "Generic leggings, no brand. lululemon alo yoga aritzia gymshark nike adidas fabletics vuori"
    assert list_run(normalise(english))[0] >= 9
    # prose breaks runs: function words, sentence endings, unspaced Japanese
    prose = "I bought this jacket last year and wore it twice, it is in very good condition with no stains."
    assert list_run(normalise(prose))[0] <= 3
    assert list_run(normalise("合皮のトートバッグです。肩掛けもできます。"))[0] <= 1
    # an ordinary Japanese title is a short list, not a wall
    assert list_run(normalise("ナイキ エアマックス 90 白 27cm"))[0] == 5


def test_policy_terms_match_masked_and_spaced_out_spellings():
    from lovemachine.features.lexicon import lexicon_counts

    adult, cash = 1, 2
    assert lexicon_counts(normalise("オ○ホール新品未開封です"))[adult] >= 1
    assert lexicon_counts(normalise("昭和のエ□本まとめて"))[adult] >= 1
    assert lexicon_counts(normalise("G i f t  C a r d  $50"))[cash] >= 1
    # masking needs a masking character: ordinary words next to a term's stem do not match
    assert lexicon_counts(normalise("ミラー付き コンパクトケース 真鍮"))[0] == 0
    assert lexicon_counts(normalise("cashmere sweater"))[cash] == 0


def _shape(title: str, description: str, brand: str | None = None) -> dict[str, float]:
    from lovemachine.features.tabular import FEATURE_NAMES_V2

    lex = BrandLexicon()
    feats = TabularFeaturizer(lex, PriceReference())
    row = feats.transform([listing(title=title, description=description, brand=brand)])[0]
    return dict(zip(feats.names[-len(FEATURE_NAMES_V2) :], (float(v) for v in row[-4:]), strict=True))


def test_a_brand_wall_and_an_honest_bundle_lot_have_different_shapes():
    wall = _shape(
        "グッチ バッグ", "グッチ プラダ シャネル ディオール エルメス フェンディ #セリーヌ #ロエベ", "Gucci"
    )
    lot = _shape(
        "コスメ まとめ売り 4点",
        "シャネル リップ 1本、ディオール アイシャドウ、グッチ 香水 30ml、プラダ ポーチ。全て正規品です。",
    )
    assert wall["brand_adjacent_share"] > 0.8 and lot["brand_adjacent_share"] < 0.2
    assert lot["brands_with_items_share"] > 0.8 > wall["brands_with_items_share"]
    assert lot["bundle_markers"] >= 2 and wall["bundle_markers"] == 0
    assert wall["n_other_brands"] >= 5  # its own brand (Gucci) is not counted


def test_english_lots_count_their_items_and_markers():
    lot = _shape("Lot of 4 tops", "Zara top size M, H&M blouse, Uniqlo tee, Gap hoodie. All washed.")
    assert lot["bundle_markers"] >= 1 and lot["brand_adjacent_share"] == 0.0


def test_a_featurizer_from_an_older_artifact_keeps_its_feature_set():
    """An artifact pickled before feature set 2 must keep scoring with the columns it was trained on."""
    import pickle

    from lovemachine.features.tabular import FEATURE_NAMES_V2

    feats = TabularFeaturizer(BrandLexicon(), PriceReference())
    assert feats.names == FEATURE_NAMES + FEATURE_NAMES_V2
    state = pickle.loads(pickle.dumps(feats))
    del state.__dict__["feature_set"]  # what an older artifact's instance looks like
    assert state.names == FEATURE_NAMES
    assert state.transform([listing(description="chanel dior gucci prada")]).shape == (1, len(FEATURE_NAMES))


def test_writer_folds_keep_each_writer_in_one_fold_and_spread_the_rest():
    from lovemachine.classifiers.fast import _writer_folds

    groups = [None] * 300 + ["persona:a"] * 50 + ["persona:b"] * 50 + ["persona:c"] * 50
    fold = _writer_folds(groups, len(groups), 3, seed=1)
    for w in ("persona:a", "persona:b", "persona:c"):
        assert len({int(f) for f, g in zip(fold, groups, strict=True) if g == w}) == 1
    # three writers over three folds: one writer each; unknown rows land in every fold
    assert sorted(int(fold[300 + 50 * i]) for i in range(3)) == [0, 1, 2]
    assert set(np.bincount(fold[:300], minlength=3)) and min(np.bincount(fold[:300], minlength=3)) > 60
    with pytest.raises(ValueError, match="groups must name"):
        _writer_folds(groups[:10], len(groups), 3, seed=1)
