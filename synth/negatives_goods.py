"""Innocent goods whose names share the words of prohibited listings: the simple hard-negative kinds.

A card case, a book on cash flow, gift wrapping, trading cards, new lingerie, fake fur, an official
replica jersey, an Amazon Echo: each :class:`GoodsKind` lists item names in both languages, a category,
a median price and a sentence that makes the innocent use explicit. ``negatives.hard_negative`` draws
the kind; this module is only the table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GoodsKind:
    ja: tuple[str, ...]  # item names
    en: tuple[str, ...]
    category: str
    median: float  # JPY
    lines_ja: tuple[str, ...]  # a sentence that makes the innocent use explicit
    lines_en: tuple[str, ...]


GOODS: dict[str, GoodsKind] = {
    "card_case": GoodsKind(
        (
            "カードケース",
            "名刺入れ",
            "パスケース",
            "財布 カード入れ多数",
            "カード入れ ミニ財布",
            "ICカードケース",
        ),
        ("card holder", "card case", "business card case", "wallet with card slots"),
        "fashion/wallets",
        2_500,
        (
            "カードが{n}枚入ります。",
            "ポイントカードやギフトカードの収納に便利です。",
            "ICカード入れにもどうぞ。",
        ),
        ("Holds {n} cards.", "Fits your gift cards and IDs."),
    ),
    "cashflow_book": GoodsKind(
        (
            "金持ち父さん貧乏父さん",
            "キャッシュフロー・ゲーム 日本語版",
            "お金の大学",
            "家計簿の本",
            "お金の本 まとめ売り",
            "キャッシュフロー経営入門",
            "現金主義の家計術 本",
        ),
        ("Rich Dad Poor Dad", "The Psychology of Money", "Cashflow Quadrant book", "personal finance books"),
        "books",
        1_000,
        (
            "お金の勉強になります。",
            "キャッシュフローについて分かりやすく書かれています。",
            "書き込みはありません。",
        ),
        ("Great intro to cash flow and investing.", "No highlighting inside."),
    ),
    "gift_wrapping": GoodsKind(
        (
            "ギフトボックス",
            "ラッピング袋 50枚",
            "ギフト包装 リボン セット",
            "プレゼント用 箱",
            "ギフトバッグ 10枚",
        ),
        ("gift box set", "gift wrap paper", "gift bags x10", "ribbon and wrapping set"),
        "home",
        700,
        ("プレゼントのラッピングにどうぞ。", "ギフト用の箱です。", "母の日やクリスマスに。"),
        ("Perfect for gift wrapping.", "Great for birthday gifts."),
    ),
    "trading_cards": GoodsKind(
        (
            "ポケモンカード ピカチュウ",
            "ポケカ まとめ売り",
            "遊戯王 ブルーアイズ",
            "デュエマ デッキ",
            "ワンピースカード",
            "ポケモンカード 未開封 BOX",
            "トレカ まとめ 100枚",
        ),
        ("Pokemon cards bundle", "Yu-Gi-Oh! cards lot", "MTG commander deck", "trading cards 100 lot"),
        "hobby",
        1_800,
        ("スリーブに入れて発送します。", "プレイ用です。", "傷なしの美品です。"),
        ("Sleeved and shipped in a toploader.", "Played condition."),
    ),
    "lingerie_new": GoodsKind(
        (
            "ランジェリー 新品 タグ付き",
            "ブラ ショーツ セット 新品",
            "水着 ビキニ 新品",
            "ナイトブラ 未使用",
            "ワコール ブラジャー 新品",
        ),
        ("swimsuit new with tags", "bra set, new in package", "bikini NWT"),
        "fashion/womens",
        2_000,
        (
            "サイズが合わず未使用です。",
            "タグ付きの新品です。",
            "衛生用品のため返品はできません。",
            "試着のみです。",
        ),
        ("Never worn, tags attached.", "Still in the original package."),
    ),
    "magazine": GoodsKind(
        (
            "雑誌 付録 ポーチ",
            "sweet 付録 バッグ",
            "ファッション雑誌 2024年5月号",
            "大人のおしゃれ手帖 付録",
            "InRed 付録 財布",
        ),
        ("fashion magazine issue", "magazine with free tote"),
        "magazines",
        800,
        ("付録のみです。", "雑誌本体は付きません。", "付録未開封です。"),
        ("Magazine freebie, unused.",),
    ),
    "coin_case": GoodsKind(
        ("コインケース", "小銭入れ", "がま口 コインケース", "革 コインケース ハンドメイド"),
        ("coin purse", "leather coin case"),
        "fashion/wallets",
        1_500,
        ("小銭がたくさん入ります。", "コンパクトです。"),
        ("Fits lots of coins.",),
    ),
    "adult_word_benign": GoodsKind(
        (
            "大人のぬりえ",
            "大人用 マスク 50枚",
            "大人の科学 付録",
            "大人向け 英語学習本",
            "大人用 浴衣",
            "大人のための図鑑",
        ),
        ("adult coloring book", "adult size face masks", "grown-up puzzle 1000 pieces"),
        "books",
        1_100,
        ("大人でも楽しめます。", "書き込みなし。", "未使用です。"),
        ("Great for grown-ups.",),
    ),
    # the words of counterfeiting in their innocent senses: fake fur, an official replica, a copy of a
    # receipt, a mirror
    "fake_word_benign": GoodsKind(
        (
            "フェイクファー コート",
            "フェイクグリーン 観葉植物",
            "フェイクレザー ジャケット",
            "フェイクスイーツ マグネット",
            "フェイクパール ネックレス",
            "フェイクフラワー アレンジ",
        ),
        ("faux fur coat", "fake plant in pot", "faux leather jacket", "fake flowers arrangement"),
        "fashion/accessories",
        2_800,
        (
            "本物そっくりのフェイクです。",
            "合成素材（フェイク）なのでお手入れ簡単です。",
            "フェイクですが質感がとてもリアルです。",
        ),
        ("Fake, but looks very real.", "Synthetic (faux) material, easy care.", "Artificial, no watering."),
    ),
    "official_replica": GoodsKind(
        (
            "日本代表 レプリカユニフォーム 公式",
            "レプリカ ユニフォーム 応援用",
            "映画 公式 レプリカ 小道具",
            "1/10 スケール レプリカ フィギュア",
            "レプリカ 優勝トロフィー ミニ",
        ),
        (
            "official replica jersey",
            "replica kit (fan version)",
            "licensed movie prop replica",
            "1:10 scale replica",
        ),
        "hobby",
        6_500,
        (
            "公式ストアで購入したレプリカ（ファン向けモデル）です。",
            "オフィシャルグッズのレプリカです。",
            "ライセンス品のレプリカです。",
        ),
        ("Bought at the official store, fan replica version.", "Officially licensed replica."),
    ),
    "copy_word_benign": GoodsKind(
        (
            "鑑定書のコピー付き ジュエリー",
            "コピー用紙 A4 500枚",
            "楽譜 コピー譜 まとめ",
            "コピーライティング 本",
            "ミラー付き コンパクト",
            "卓上ミラー",
        ),
        ("copy paper A4 ream", "copywriting book", "compact mirror", "vanity mirror", "mirror with stand"),
        "home",
        1_500,
        (
            "保証書・鑑定書のコピーをお付けします。",
            "購入時レシートのコピーを同封します。",
            "ミラー部分に傷はありません。",
        ),
        ("A copy of the receipt is included.", "The mirror has no scratches."),
    ),
    # products of companies whose names are also gift-card names, and things for keeping cards or money
    "cash_brand_product": GoodsKind(
        (
            "Amazon Echo Dot 第5世代",
            "Fire TV Stick 4K",
            "Kindle Paperwhite 広告なし",
            "Google Nest Mini",
            "Apple AirTag 4個入り",
            "iTunes対応 カーオーディオ",
            "PayPayドーム 観戦グッズ タオル",
            "ギフトカードケース 封筒型 5枚",
            "商品券入れ ご祝儀袋",
        ),
        (
            "Amazon Echo Dot 5th gen",
            "Fire TV Stick 4K Max",
            "Kindle Paperwhite",
            "Google Nest Mini",
            "gift card holder envelopes x10",
            "Starbucks tumbler 2024 holiday",
        ),
        "electronics",
        3_000,
        (
            "初期化済みです。",
            "アカウント登録は解除してあります。",
            "カードや金券は付いていません。中身なしです。",
            "本体のみです。",
        ),
        ("Factory reset, deregistered.", "No card included, holder only.", "Device only, no codes."),
    ),
    "money_box": GoodsKind(
        (
            "貯金箱 500円玉 10万円貯まる（空）",
            "こども銀行 おもちゃのお金 セット",
            "レジスター おもちゃ",
            "お札型 メモ帳",
        ),
        ("piggy bank (empty)", "play money set for kids", "toy cash register", "money-themed notepad"),
        "toys/games",
        1_200,
        ("中身は入っていません。", "おもちゃのお金です。本物ではありません。", "対象年齢3歳以上。"),
        ("Empty, no coins inside.", "Toy money, not real currency.", "For ages 3+."),
    ),
    "age_rating": GoodsKind(
        (
            "バイオハザード PS5 CERO Z",
            "龍が如く CERO D",
            "ホラー映画 DVD R15+",
            "グランド・セフト・オート5 PS4",
        ),
        ("Resident Evil PS5 (M rated)", "horror movie Blu-ray R-rated", "Call of Duty PS4 Mature 17+"),
        "games",
        3_000,
        (
            "CERO Z（18歳以上のみ対象）のソフトです。",
            "ディスク傷なし、ケース・説明書あり。",
            "対象年齢をご確認のうえご購入ください。",
        ),
        ("Rated M for mature, 17+.", "Disc has no scratches.", "Please check the age rating before buying."),
    ),
    "adult_size": GoodsKind(
        (
            "着ぐるみ パジャマ 大人用 L",
            "大人用 おむつ 介護 30枚",
            "大人用 自転車ヘルメット",
            "大人サイズ 浴衣 紺",
        ),
        (
            "adult onesie pajama size L",
            "adult incontinence pads 30 pack",
            "adult bike helmet",
            "adult size rain poncho",
        ),
        "fashion/womens",
        2_000,
        ("大人サイズです。", "数回使用しました。", "未開封です。"),
        ("Adult size L, fits 165-180cm.", "Worn a couple of times.", "Unopened pack."),
    ),
    "massage": GoodsKind(
        ("ハンディマッサージャー 肩こり", "マッサージガン", "フットマッサージャー", "電動 マッサージ器 首"),
        ("massage gun", "foot massager", "neck massager"),
        "beauty",
        3_500,
        ("肩こりに効きます。", "充電式です。", "動作確認済み。"),
        ("Great for sore muscles.",),
    ),
}
