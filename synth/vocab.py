"""The catalogue behind the synthetic marketplace: brands, products, marketplace categories.

The brand tables live in ``vocab_brands_fashion`` and ``vocab_brands_everyday`` (record types in
``vocab_types``); this module joins them into :data:`BRANDS` and holds the unbranded goods,
conditions, colours, size details and face values.

Prices are yen medians of what the product usually resells for second-hand; the generator draws a
log-normal price around them. ``tier`` drives how often a brand is faked: luxury and streetwear are
the counterfeiters' favourites, mass-market brands almost never are.
"""

from __future__ import annotations

from synth.vocab_brands_everyday import EVERYDAY_BRANDS
from synth.vocab_brands_fashion import FASHION_BRANDS
from synth.vocab_types import Brand, Item

I = Item  # noqa: E741 - short alias keeps the table readable

# every brand, in the order the generator draws from: the fashion houses, then everyday brands
BRANDS: tuple[Brand, ...] = FASHION_BRANDS + EVERYDAY_BRANDS

BRAND_BY_NAME: dict[str, Brand] = {b.name: b for b in BRANDS}
LUXURY: tuple[Brand, ...] = tuple(b for b in BRANDS if b.tier == "luxury")

# ordinary unbranded goods: the bulk of a flea market
GENERIC: tuple[Item, ...] = (
    I("books", "文庫本 小説 まとめ売り 10冊", "paperback novels bundle of 10", 1_200),
    I("books", "漫画 全巻セット", "manga complete set", 5_500),
    I("books", "大学 参考書", "university textbook", 1_800),
    I("books", "料理本 レシピ集", "cookbook", 700),
    I("books", "絵本 3冊セット", "picture books set of 3", 900),
    I("books", "TOEIC 問題集", "TOEIC practice book", 1_000),
    I("magazines", "ファッション雑誌 バックナンバー", "fashion magazine back issue", 450),
    I("magazines", "インテリア雑誌 5冊", "interior design magazines x5", 800),
    I("home", "収納ボックス 2個セット", "storage boxes set of 2", 1_400),
    I("home", "北欧 クッションカバー", "Nordic cushion cover", 1_100),
    I("home", "食器 セット 和食器", "Japanese tableware set", 2_400),
    I("home", "観葉植物 モンステラ", "monstera houseplant", 1_900),
    I("home", "ラグ マット 140×200", "rug 140x200", 3_200),
    I("home", "フロアランプ 間接照明", "floor lamp", 3_800),
    I("home", "カーテン 遮光 2枚組", "blackout curtains pair", 2_200),
    I("kitchen", "マグカップ ペア", "pair of mugs", 900),
    I("kitchen", "土鍋 8号", "clay pot donabe", 2_300),
    I("kitchen", "ホットサンドメーカー", "hot sandwich maker", 2_000),
    I("handmade", "ハンドメイド ピアス", "handmade earrings", 750),
    I("handmade", "ハンドメイド 巾着 ポーチ", "handmade drawstring pouch", 1_000),
    I("handmade", "レジン キーホルダー", "resin keychain", 600),
    I("handmade", "編みぐるみ", "crochet amigurumi", 1_500),
    I("toys/games", "木製 おもちゃ 積み木", "wooden building blocks", 1_600),
    I("toys/games", "ボードゲーム", "board game", 2_600),
    I("toys/games", "ぬいぐるみ くま", "teddy bear plush", 1_100),
    I("hobby", "プラモデル 戦車 1/35", "1/35 tank model kit", 2_800),
    I("hobby", "Nゲージ 鉄道模型 車両", "N gauge train model", 7_500),
    I("hobby", "アクリルスタンド", "acrylic stand", 900),
    I("hobby", "缶バッジ まとめ売り", "pin badges bundle", 1_200),
    I("sports", "ヨガマット 6mm", "yoga mat 6mm", 1_500),
    I("sports", "ダンベル 5kg 2個", "5kg dumbbells pair", 2_800),
    I("sports", "ゴルフ アイアンセット", "golf iron set", 16_000),
    I("outdoor", "キャンプ チェア", "camping chair", 2_500),
    I("outdoor", "釣り竿 ルアーロッド", "fishing lure rod", 4_800),
    I("baby/kids", "ベビー服 まとめ売り 80cm", "baby clothes bundle 80cm", 1_500),
    I("baby/kids", "抱っこ紐", "baby carrier", 3_800),
    I("baby/kids", "ベビーカー A型", "stroller", 8_500),
    I("fashion/womens", "花柄 ワンピース", "floral dress", 1_900),
    I("fashion/womens", "ニット カーディガン", "knit cardigan", 1_500),
    I("fashion/mens", "古着 デニムジャケット", "vintage denim jacket", 3_800),
    I("fashion/mens", "チェック シャツ", "checked shirt", 1_300),
    I("fashion/bags", "ノーブランド トートバッグ", "unbranded tote bag", 1_200),
    I("music", "レコード LP 邦楽", "vinyl LP Japanese pop", 2_000),
    I("music", "CD アルバム 初回限定盤", "CD album first press", 900),
    I("music", "ギター エフェクター", "guitar effects pedal", 5_500),
    I("tickets", "ライブ チケット 2枚 連番 定価以下", "concert tickets x2 below face", 9_000),
    I("tickets", "使用済み チケット 半券 コレクション", "used ticket stubs collection", 500),
    I("beauty", "アイシャドウ パレット", "eyeshadow palette", 1_400),
    I("beauty", "ヘアアイロン 32mm", "curling iron 32mm", 2_800),
    I("beauty", "化粧水 未開封", "toner unopened", 1_200),
    I("electronics", "モバイルバッテリー 10000mAh", "power bank 10000mAh", 1_600),
    I("electronics", "ワイヤレスイヤホン", "wireless earbuds", 1_900),
    I("electronics", "Bluetooth スピーカー", "Bluetooth speaker", 2_300),
    I("games", "ゲーミング コントローラー", "gaming controller", 2_500),
    I("other", "まとめ売り 雑貨", "assorted goods bundle", 1_000),
    I("books", "ビジネス書 5冊セット", "business books x5", 1_500),
    I("books", "写真集", "photo book", 2_200),
    I("books", "児童書 シリーズ", "children's book series", 1_800),
    I("home", "無垢材 ローテーブル", "solid wood coffee table", 6_500),
    I("home", "ガラス 花瓶", "glass vase", 1_200),
    I("home", "掛け時計", "wall clock", 1_700),
    I("home", "布団カバー セミダブル", "duvet cover double", 1_600),
    I("kitchen", "ステンレス 水筒", "stainless water bottle", 1_100),
    I("kitchen", "電気ケトル", "electric kettle", 1_900),
    I("kitchen", "お弁当箱 2段", "two-tier bento box", 800),
    I("handmade", "刺繍 ブローチ", "embroidered brooch", 900),
    I("handmade", "ハンドメイド ヘアゴム 3点", "handmade hair ties x3", 500),
    I("toys/games", "知育玩具 パズル", "educational puzzle toy", 1_300),
    I("toys/games", "ミニカー まとめ売り", "die-cast cars bundle", 2_000),
    I("hobby", "フィルムカメラ 一眼レフ", "film SLR camera", 9_000),
    I("hobby", "万年筆", "fountain pen", 3_500),
    I("hobby", "刺繍キット", "embroidery kit", 1_200),
    I("sports", "ランニングシューズ", "running shoes", 3_500),
    I("sports", "テニスラケット", "tennis racket", 4_500),
    I("outdoor", "寝袋 シュラフ", "sleeping bag", 3_800),
    I("outdoor", "ランタン LED", "LED lantern", 1_600),
    I("baby/kids", "子供用 自転車 16インチ", "kids bike 16 inch", 6_000),
    I("baby/kids", "ランドセル", "school backpack randoseru", 9_000),
    I("fashion/womens", "プリーツスカート", "pleated skirt", 1_700),
    I("fashion/womens", "トレンチコート ノーブランド", "unbranded trench coat", 3_200),
    I("fashion/mens", "スラックス", "slacks", 1_800),
    I("fashion/shoes", "レザー ローファー", "leather loafers", 3_500),
    I("fashion/accessories", "シルバー ネックレス", "silver necklace", 1_500),
    I("fashion/accessories", "麦わら帽子", "straw hat", 1_100),
    I("music", "ウクレレ", "ukulele", 4_000),
    I("beauty", "ネイル用品 まとめ", "nail supplies bundle", 1_500),
    I("electronics", "ノートPC スタンド", "laptop stand", 1_800),
    I("electronics", "デジタルフォトフレーム", "digital photo frame", 2_500),
)

CATEGORIES: tuple[str, ...] = tuple(
    sorted({x.category for b in BRANDS for x in b.items} | {x.category for x in GENERIC})
)

CONDITIONS_JA = (
    "新品、未使用",
    "未使用に近い",
    "目立った傷や汚れなし",
    "やや傷や汚れあり",
    "傷や汚れあり",
    "全体的に状態が悪い",
)
CONDITIONS_EN = ("new", "like new", "good", "fair", "fair", "poor")  # the same six states, English wording

COLORS_JA = (
    "ブラック",
    "黒",
    "ホワイト",
    "白",
    "ネイビー",
    "ベージュ",
    "ブラウン",
    "茶色",
    "レッド",
    "ピンク",
    "グレー",
    "カーキ",
    "シルバー",
    "ゴールド",
    "ブルー",
    "グリーン",
    "アイボリー",
    "ボルドー",
    "くすみカラー",
)
COLORS_EN = (
    "black",
    "white",
    "navy",
    "beige",
    "brown",
    "red",
    "pink",
    "grey",
    "gray",
    "khaki",
    "silver",
    "gold",
    "blue",
    "green",
    "ivory",
    "burgundy",
    "cream",
)

DETAILS: dict[str, tuple[str, ...]] = {
    "fashion/shoes": ("26.5cm", "27cm", "28cm", "24cm", "23.5cm", "25.5cm", "US9", "US 8.5", "UK7", "EU42"),
    "fashion/mens": ("M", "L", "XL", "Mサイズ", "Lサイズ", "size S", "46", "48", "フリーサイズ"),
    "fashion/womens": ("S", "M", "38", "36", "Fサイズ", "9号", "11号", "size 2", "XS"),
    "smartphones": ("SIMフリー", "SIM unlocked", "バッテリー89%", "battery 91%", "au", "docomo", "残債なし"),
    "watches": ("箱・保証書付き", "with box and papers", "OH済み", "serviced 2024", "稼働品", "working"),
    "jewelry": ("K18", "SV925", "ring size 11", "11号", "チェーン45cm", "18K"),
    "electronics": ("動作確認済み", "tested working", "付属品完備", "with charger", "2022年製"),
    "games": ("動作確認済み", "ソフト付き", "tested", "箱説付き", "with box"),
    "fashion/bags": ("A4収納可", "fits A4", "ショルダー付き", "with strap", "2way"),
}

# face values for vouchers and cards, yen
FACE_VALUES = (500, 1_000, 1_000, 2_000, 3_000, 3_000, 5_000, 5_000, 10_000, 10_000, 20_000, 30_000, 50_000)
USD_JPY = 150.0
