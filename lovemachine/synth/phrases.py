"""Phrase fragments that ordinary sellers write, sampled independently to build varied listings.

``{b}`` is replaced by a brand spelling, ``{i}`` by the product name, ``{y}`` by a year, ``{n}`` by a
small number. Violation wording lives in ``disguises.py``; these are the innocent parts every listing
shares, so that models cannot tell classes apart by boilerplate.
"""

from __future__ import annotations

JA: dict[str, tuple[str, ...]] = {
    "title_prefix": (
        "【美品】", "【新品未使用】", "★美品★", "送料無料", "【即購入OK】", "値下げ", "✨", "【限定】",
            "【人気】", "【匿名配送】",
        "【送料込み】", "☆", "【週末限定値下げ】", "【未使用】", "【希少】", "【値下げしました】", "〈美品〉",
            "【即日発送】",
        "最終値下げ", "■", "【廃盤】", "【1点限り】", "【ほぼ未使用】", "【良品】", "【早い者勝ち】",
    ),
    "title_suffix": (
        "美品", "中古", "未使用", "箱付き", "人気", "廃盤", "レア", "希少", "送料込み", "匿名配送",
            "即購入OK", "used",
        "まとめ", "セット", "限定", "人気カラー", "正規品", "完売品", "週末値下げ", "お値下げ不可", "難あり",
            "ジャンク",
    ),
    "greeting": (
        "ご覧いただきありがとうございます。", "閲覧ありがとうございます！", "はじめまして。",
            "ご覧頂きありがとうございます😊",
        "こんにちは。", "数ある中からご覧いただき、ありがとうございます。", "プロフィールもご確認ください。",
        "ご閲覧ありがとうございます♪", "ページをご覧いただきありがとうございます。",
            "🌸ご覧いただきありがとうございます🌸",
    ),
    "intro": (
        "{b}の{i}です。", "{b} {i}になります。", "{i}を出品します。", "{b}の{i}を出品いたします。",
            "こちらは{b}の{i}です。",
        "{i}（{b}）です。", "{b}の人気の{i}です。", "{i}です。", "数年前に購入した{b}の{i}です。",
            "お気に入りだった{i}です。",
        "{b}の{i}、譲ります。", "{i}の出品です。", "{i}になります。", "こちらの{i}、お譲りします。",
            "{i}を出品いたします。",
        "{i}、使わなくなったので出品します。",
    ),
    "acquired": (
        "{y}年頃に百貨店で購入しました。", "{y}年に直営店で購入しました。", "アウトレットで購入しました。",
        "友人から譲り受けたものです。", "頂き物です。", "{y}年に公式オンラインで購入。",
            "旅行先で購入しました。",
        "母から譲ってもらいました。", "中古で購入しましたが、ほとんど使っていません。",
            "福袋に入っていました。",
        "{y}年冬に購入。", "プレゼントでもらいましたが好みではなかったため出品します。",
    ),
    "usage": (
        "数回使用しました。", "半年ほど使用しました。", "一度も使用していません。", "自宅保管品です。",
            "{n}回ほど着用しました。",
        "使用期間は1年ほどです。", "開封のみ、未使用です。", "普段使いしていました。",
            "大切に使っていました。",
        "長期保管品のため、ご理解ください。", "ほぼ毎日使っていました。", "{y}年から使っていました。",
    ),
    "usage_wear": (
        "{n}回ほど着用しました。", "試着のみです。", "ワンシーズン着用しました。",
            "数回着用、自宅で洗濯済みです。",
        "短時間の着用のみです。", "よく着ていたお気に入りです。",
    ),
    "state": (
        "目立った傷や汚れはありません。", "角スレが少しあります。", "内側に小さな汚れがあります。",
            "写真でご確認ください。",
        "全体的にきれいな状態です。", "使用感があります。", "細かい傷はありますが、まだまだ使えます。",
            "色褪せがあります。",
        "目立つダメージはございません。", "美品だと思います。", "画像3枚目に傷があります。",
            "金具に小傷あり。",
        "中古品のため多少の使用感はご了承ください。", "新品同様の状態です。", "タグ付きの新品です。",
            "状態はかなり良いです。",
    ),
    "measure": (
        "約{w}g", "サイズは{n}×{m}cmほどです。", "素人採寸のため多少の誤差はご了承ください。", "重さ：約{w}g",
    ),
    "measure_bag": (
        "サイズ：縦{n}cm 横{m}cm マチ{k}cm", "ショルダー{m}cm（調節可能）", "内ポケット{k}つ", "容量：約{k}L",
        "縦{n}×横{m}×マチ{k}（cm）", "カード入れ{k}箇所",
    ),
    "measure_wear": (
        "着丈{m}cm 身幅{n}cm", "着丈{m} 肩幅{n} 袖丈{m}", "平置き採寸です。",
            "普段Mサイズの方にちょうど良いと思います。",
        "サイズ感は写真をご参考ください。",
    ),
    "included": (
        "付属品：箱、保存袋", "本体のみの発送となります。", "箱はありません。", "説明書付きです。",
            "付属品は写真に写っているもので全てです。",
        "箱に少し潰れがあります。", "保存袋をお付けします。", "ケーブル、充電器付き。",
            "箱・説明書・保証書あり。", "箱なしの発送です。",
    ),
    "shipping": (
        "送料込みです。", "匿名配送です。", "らくらくメルカリ便で発送します。",
            "ゆうパケットポストにて発送予定です。",
        "24時間以内に発送します。", "丁寧に梱包して発送いたします。", "簡易包装で失礼します。",
            "箱を潰して発送します。",
        "発送は土日になります。", "ネコポスで発送します。", "宅急便コンパクトでお送りします。",
            "プチプチで包んで発送します。",
        "雨の日も安心のビニール梱包です。", "1〜2日で発送します。", "エコ梱包にご協力ください。",
    ),
    "home": (
        "ペット・喫煙者はいません。", "喫煙者なし、ペットなしの家庭です。",
            "猫を飼っています。ご了承ください。",
        "非喫煙者です。", "室内犬がいます。", "ペット・喫煙者なし。", "小さい子供がいる家庭です。",
    ),
    "reason": (
        "断捨離中です。", "引越しのため出品します。", "サイズアウトのため。",
            "使わなくなったので出品します。",
        "好みが変わったため。", "クローゼット整理中です。", "買い替えのため出品します。",
            "子供が大きくなったので。",
    ),
    "caution": (
        "中古品にご理解のある方のみご購入ください。", "神経質な方はご遠慮ください。",
            "素人保管のため、ご理解ください。",
        "ご不明点はコメントください。", "気になる点は購入前にお聞きください。",
            "ノークレーム・ノーリターンでお願いします。",
        "写真の色味は実物と多少異なる場合があります。", "返品はお受けできません。",
    ),
    "closing": (
        "即購入OKです。", "即購入大歓迎です！", "値下げ交渉はご遠慮ください。", "お気軽にコメントください。",
        "他サイトでも出品中のため、早い者勝ちです。", "よろしくお願いします。",
            "よろしくお願いいたします🙇‍♀️",
        "まとめ買いでお値引きします。", "コメントなしの即購入OKです。", "お値下げ相談可能です。",
            "質問はお気軽にどうぞ。",
        "フォロー割あります！", "他にも出品していますので、よろしければご覧ください。",
            "ポイント消化にもどうぞ。",
        "お気軽にどうぞ♪", "最後までご覧いただき、ありがとうございました。",
    ),
    "short": (
        "美品です。", "値下げ不可", "即購入OK", "新品未使用です。", "送料込み", "詳細は写真をご覧ください。",
        "中古です。", "状態は写真の通りです。", "お安くしました！",
    ),
}

EN: dict[str, tuple[str, ...]] = {
    "title_prefix": (
        "NWT", "[NEW]", "Rare", "Authentic", "Like new -", "★", "Vintage", "SALE", "Free shipping", "[Used]",
            "Genuine",
        "HOT", "Brand new", "Limited", "Excellent cond.", "Pre-owned",
    ),
    "title_suffix": (
        "like new", "barely used", "rare", "with box", "free ship", "excellent condition", "NWT", "bundle",
            "vintage",
        "OBO", "good condition", "sold out", "limited edition", "no box", "used", "for parts",
    ),
    "greeting": (
        "Thanks for looking!", "Hi there!", "Hello, thanks for checking out my listing.",
            "Welcome to my shop :)",
        "Thank you for viewing.", "Hi! 👋", "Please read the full description.",
    ),
    "intro": (
        "Selling my {b} {i}.", "This is a {b} {i}.", "{b} {i} for sale.", "Up for sale: {i} by {b}.",
            "Lovely {b} {i}.",
        "{i} from {b}.", "Pre-loved {b} {i}.", "You are buying a {b} {i}.", "Gently used {i}.",
            "Selling this {i}.",
        "For sale: {i}.", "Nice {i}, barely used.", "Selling a {i} I no longer need.", "{i} in great shape.",
    ),
    "acquired": (
        "Bought in {y} at a department store.", "Purchased at the flagship store in {y}.",
            "Got it as a gift.",
        "Bought it in Tokyo while travelling.", "Purchased from the official website in {y}.",
            "Outlet purchase.",
        "Inherited from my aunt.", "Bought second hand but hardly used it.",
    ),
    "usage": (
        "Used a handful of times.", "Never used.", "Kept in storage.", "Used for about a year.",
        "Daily use for a few months.", "Opened but never used.", "Had it since {y}.",
    ),
    "usage_wear": ("Worn {n} times.", "Only tried on.", "Worn one season.", "Washed once, air dried."),
    "state": (
        "No visible scratches or stains.", "Some wear on the corners.", "Small mark inside, see photos.",
        "Please check the photos.", "Overall great condition.", "Signs of wear as expected.", "Minor scuffs.",
        "In excellent condition.", "Tags still attached.", "Slight fading on one side.",
    ),
    "measure": (
        "Approx. {w}g", "Measurements are approximate.", "About {n} x {m} cm.",
    ),
    "measure_bag": ("Size: H {n}cm W {m}cm D {k}cm", "Strap drop {m}cm.", "{k} card slots."),
    "measure_wear": ("Length {m}cm, chest {n}cm", "Fits true to size.", "Measured flat."),
    "included": (
        "Comes with box and dust bag.", "Item only, no box.", "Includes charger and cable.",
            "Original packaging included.",
        "Everything shown in the photos is included.", "Box has some dents.",
    ),
    "shipping": (
        "Ships within 24h.", "Free shipping.", "Shipping included.", "Anonymous shipping.",
            "Ships in 1-2 days.",
        "Carefully packed.", "Ships from Japan.", "Tracked shipping.", "Will ship in a padded envelope.",
    ),
    "home": (
        "Smoke-free and pet-free home.", "Smoke free home.", "I have a cat.", "Pet-free, non-smoking home.",
    ),
    "reason": (
        "Decluttering.", "Moving out, must go.", "Outgrown it.", "No longer use it.",
            "Upgraded to a newer model.",
    ),
    "caution": (
        "No returns.", "Please ask questions before buying.", "Colours may differ slightly from photos.",
        "Sold as is.", "Used item, please understand.",
    ),
    "closing": (
        "Buy it now!", "Offers welcome.", "Price is firm.", "Feel free to ask questions.",
            "Bundle discounts available.",
        "Thanks!", "Check out my other listings.", "First come first served.", "No lowballs please.",
            "Happy to answer questions.",
    ),
    "short": ("Great condition.", "Price firm.", "Like new.", "See photos.", "Works fine.", "As pictured."),
}

EMOJI = ("✨", "😊", "🌸", "💕", "⭐", "👍", "🎀", "🙏", "❤️", "🔥", "♪", "☆", "♡", "😆", "💎", "👜", "📦",
         "🍀")

# hashtags sellers legitimately add about their own item
OWN_TAGS_JA = ("古着", "ヴィンテージ", "レトロ", "韓国ファッション", "プチプラ", "大人かわいい", "シンプル",
               "ナチュラル",
               "北欧", "ハンドメイド", "まとめ売り", "新品", "美品", "春コーデ", "秋冬")
OWN_TAGS_EN = ("vintage", "y2k", "streetwear", "minimalist", "retro", "preloved", "bundle", "gift")

# search words that keyword stuffers pad descriptions with, beside brand names
SEARCH_TERMS_JA = ("韓国", "量産型", "地雷系", "古着", "Y2K", "90s", "ヴィンテージ", "人気", "完売品",
                   "入手困難", "希少", "美品",
                   "限定", "インスタ", "芸能人着用", "大人気", "韓国ファッション", "オルチャン", "ストリート",
                       "モード", "ハイブランド",
                   "プレゼント", "バズり", "TikTok", "大人可愛い", "ガーリー", "ユニセックス", "カジュアル",
                       "ロゴ", "モノグラム")
SEARCH_TERMS_EN = ("vintage", "streetwear", "hype", "rare", "trending", "celeb", "y2k", "luxury", "designer",
                   "grail",
                   "aesthetic", "tiktok", "viral", "unisex", "monogram", "logo", "archive", "drip")
