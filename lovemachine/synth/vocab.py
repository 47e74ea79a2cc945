"""The catalogue behind the synthetic marketplace: brands, products, marketplace categories.

Prices are yen medians of what the product usually resells for second-hand; the generator draws a
log-normal price around them. ``tier`` drives how often a brand is faked: luxury and streetwear are
the counterfeiters' favourites, mass-market brands almost never are.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Item:
    category: str  # marketplace category, e.g. "fashion/bags"
    ja: str
    en: str
    median: float  # JPY


@dataclass(frozen=True, slots=True)
class Brand:
    name: str  # canonical spelling, as sellers pick it in the brand field
    ja: str  # katakana (or kanji) spelling
    alts: tuple[str, ...]  # other spellings sellers type: romaji, abbreviations, typos
    tier: str  # luxury | street | premium | mass
    weight: float  # popularity among ordinary listings
    items: tuple[Item, ...]

    @property
    def fake_weight(self) -> float:
        return {"luxury": 3.0, "street": 2.0, "premium": 0.6, "mass": 0.05}[self.tier]


def _b(name: str, ja: str, alts: tuple[str, ...], tier: str, weight: float, *items: Item) -> Brand:
    return Brand(name, ja, alts, tier, weight, items)


I = Item  # noqa: E741 - short alias keeps the table readable

BRANDS: tuple[Brand, ...] = (
    _b("Louis Vuitton", "ルイヴィトン",
       ("ルイ・ヴィトン", "ヴィトン", "LV", "LOUIS VUITTON", "ルイビトン", "vuitton"), "luxury", 3.0,
       I("fashion/bags", "ネヴァーフルMM", "Neverfull MM", 150_000),
       I("fashion/bags", "スピーディ30", "Speedy 30", 110_000),
       I("fashion/wallets", "ジッピーウォレット", "Zippy Wallet", 70_000),
       I("fashion/wallets", "キーケース", "key case", 25_000),
       I("fashion/bags", "ポシェット・アクセソワール", "Pochette Accessoires", 90_000),
       I("fashion/accessories", "バンドー スカーフ", "bandeau scarf", 28_000)),
    _b("Chanel", "シャネル", ("CHANEL", "ｼｬﾈﾙ", "chanel", "シャネル CHANEL"), "luxury", 2.5,
       I("fashion/bags", "マトラッセ チェーンショルダー", "Matelasse chain shoulder bag", 550_000),
       I("fashion/wallets", "キャビアスキン 長財布", "caviar skin long wallet", 80_000),
       I("fashion/accessories", "ココマーク ピアス", "CC logo earrings", 60_000),
       I("beauty", "No.5 オードゥパルファム", "No.5 eau de parfum", 14_000),
       I("beauty", "ルージュ アリュール リップ", "Rouge Allure lipstick", 3_500)),
    _b("Gucci", "グッチ", ("GUCCI", "gucci", "ｸﾞｯﾁ"), "luxury", 2.5,
       I("fashion/bags", "GGマーモント ショルダーバッグ", "GG Marmont shoulder bag", 160_000),
       I("fashion/bags", "オフィディア トートバッグ", "Ophidia tote", 140_000),
       I("fashion/wallets", "GG 長財布", "GG long wallet", 45_000),
       I("fashion/shoes", "エース スニーカー", "Ace sneakers", 55_000),
       I("fashion/accessories", "GGベルト", "GG belt", 38_000)),
    _b("Hermès", "エルメス", ("HERMES", "Hermes", "hermes", "エルメス HERMES"), "luxury", 1.2,
       I("fashion/bags", "バーキン30", "Birkin 30", 2_200_000),
       I("fashion/bags", "ケリー28", "Kelly 28", 1_800_000),
       I("fashion/bags", "ピコタンロック PM", "Picotin Lock PM", 380_000),
       I("fashion/accessories", "カレ90 スカーフ", "Carre 90 silk scarf", 45_000),
       I("jewelry", "エマイユ ブレスレット", "enamel bracelet", 55_000)),
    _b("Rolex", "ロレックス", ("ROLEX", "rolex", "ﾛﾚｯｸｽ"), "luxury", 1.0,
       I("watches", "サブマリーナー デイト", "Submariner Date", 1_600_000),
       I("watches", "デイトジャスト 36", "Datejust 36", 1_050_000),
       I("watches", "エクスプローラーI", "Explorer I", 950_000),
       I("watches", "GMTマスターII", "GMT-Master II", 2_100_000)),
    _b("Prada", "プラダ", ("PRADA", "prada"), "luxury", 1.5,
       I("fashion/bags", "テスート ナイロン リュック", "Tessuto nylon backpack", 70_000),
       I("fashion/wallets", "サフィアーノ 長財布", "Saffiano long wallet", 42_000),
       I("fashion/bags", "ガレリア ハンドバッグ", "Galleria handbag", 160_000)),
    _b("Dior", "ディオール", ("Christian Dior", "DIOR", "クリスチャンディオール"), "luxury", 1.5,
       I("fashion/bags", "サドルバッグ", "Saddle bag", 330_000),
       I("fashion/bags", "ブックトート", "Book Tote", 280_000),
       I("beauty", "アディクト リップ マキシマイザー", "Addict Lip Maximizer", 3_300),
       I("beauty", "ソヴァージュ 香水", "Sauvage eau de toilette", 11_000)),
    _b("Cartier", "カルティエ", ("CARTIER", "cartier"), "luxury", 0.8,
       I("jewelry", "LOVE ブレスレット", "Love bracelet", 650_000),
       I("watches", "タンク ソロ", "Tank Solo watch", 280_000),
       I("jewelry", "トリニティ リング", "Trinity ring", 120_000)),
    _b("Tiffany & Co.", "ティファニー", ("Tiffany", "TIFFANY", "ティファニー&Co."), "luxury", 1.2,
       I("jewelry", "オープンハート ネックレス", "Open Heart necklace", 22_000),
       I("jewelry", "ビーン ペンダント", "Bean pendant", 28_000),
       I("jewelry", "1837 リング", "1837 ring", 30_000)),
    _b("Balenciaga", "バレンシアガ", ("BALENCIAGA", "バレンシアガ BALENCIAGA"), "luxury", 1.0,
       I("fashion/shoes", "トリプルS スニーカー", "Triple S sneakers", 55_000),
       I("fashion/bags", "ザ・シティ バッグ", "City bag", 110_000),
       I("fashion/mens", "ロゴ Tシャツ", "logo T-shirt", 28_000)),
    _b("Saint Laurent", "サンローラン", ("YSL", "イヴサンローラン", "SAINT LAURENT"), "luxury", 1.0,
       I("fashion/bags", "ルル パファー", "LouLou puffer bag", 170_000),
       I("fashion/wallets", "カードケース YSL", "YSL card holder", 22_000),
       I("beauty", "ルージュ ヴォリュプテ シャイン", "Rouge Volupte Shine lipstick", 3_800)),
    _b("Celine", "セリーヌ", ("CELINE", "céline"), "luxury", 0.9,
       I("fashion/bags", "ラゲージ ナノ", "Luggage Nano", 230_000),
       I("fashion/wallets", "トリオンフ 財布", "Triomphe wallet", 55_000)),
    _b("Fendi", "フェンディ", ("FENDI",), "luxury", 0.7,
       I("fashion/bags", "ピーカブー", "Peekaboo", 280_000),
       I("fashion/bags", "バゲット", "Baguette", 180_000)),
    _b("Burberry", "バーバリー", ("BURBERRY", "バーバリー ロンドン"), "luxury", 1.0,
       I("fashion/womens", "トレンチコート", "trench coat", 75_000),
       I("fashion/accessories", "カシミア マフラー", "cashmere scarf", 25_000),
       I("fashion/wallets", "ノバチェック 財布", "Nova check wallet", 18_000)),
    _b("Miu Miu", "ミュウミュウ", ("miumiu", "MIU MIU"), "luxury", 0.8,
       I("fashion/wallets", "マテラッセ 二つ折り財布", "matelasse bifold wallet", 35_000),
       I("fashion/bags", "ワンダー ハンドバッグ", "Wander handbag", 120_000)),
    _b("Bottega Veneta", "ボッテガヴェネタ", ("BOTTEGA VENETA", "ボッテガ"), "luxury", 0.6,
       I("fashion/wallets", "イントレチャート 長財布", "Intrecciato long wallet", 48_000),
       I("fashion/bags", "カセット バッグ", "Cassette bag", 230_000)),
    _b("Omega", "オメガ", ("OMEGA",), "luxury", 0.6,
       I("watches", "スピードマスター プロフェッショナル", "Speedmaster Professional", 520_000),
       I("watches", "シーマスター ダイバー300M", "Seamaster Diver 300M", 420_000)),
    _b("Chrome Hearts", "クロムハーツ", ("CHROME HEARTS", "クロム"), "luxury", 0.7,
       I("jewelry", "クロスボール リング", "cross ball ring", 45_000),
       I("jewelry", "ダガー ペンダント", "dagger pendant", 60_000),
       I("fashion/mens", "ホースシュー パーカー", "horseshoe hoodie", 70_000)),
    _b("Moncler", "モンクレール", ("MONCLER",), "luxury", 0.8,
       I("fashion/mens", "マヤ ダウンジャケット", "Maya down jacket", 130_000),
       I("fashion/womens", "ダウンベスト", "down vest", 70_000)),
    _b("Supreme", "シュプリーム", ("SUPREME", "supreme", "シュプ"), "street", 1.5,
       I("fashion/mens", "ボックスロゴ パーカー", "Box Logo hoodie", 55_000),
       I("fashion/accessories", "キャンプキャップ", "camp cap", 8_000),
       I("fashion/mens", "フォト Tシャツ", "photo tee", 9_000),
       I("fashion/bags", "ショルダーバッグ", "shoulder bag", 14_000)),
    _b("Off-White", "オフホワイト", ("OFF-WHITE", "off white"), "street", 0.6,
       I("fashion/mens", "アロー ロゴ Tシャツ", "arrow logo tee", 22_000),
       I("fashion/shoes", "ローカット スニーカー", "low sneakers", 40_000)),
    _b("Nike", "ナイキ", ("NIKE", "nike", "ﾅｲｷ"), "street", 3.0,
       I("fashion/shoes", "エアジョーダン1 ハイ OG", "Air Jordan 1 High OG", 28_000),
       I("fashion/shoes", "エアフォース1 '07", "Air Force 1 '07", 11_000),
       I("fashion/shoes", "ダンク ロー", "Dunk Low", 17_000),
       I("sports", "ウィンドランナー ジャケット", "Windrunner jacket", 6_000)),
    _b("Apple", "アップル", ("APPLE", "apple"), "premium", 2.5,
       I("smartphones", "iPhone 13 128GB", "iPhone 13 128GB", 62_000),
       I("electronics", "AirPods Pro 第2世代", "AirPods Pro 2nd gen", 22_000),
       I("electronics", "iPad 第9世代 Wi-Fi", "iPad 9th gen Wi-Fi", 33_000),
       I("electronics", "Apple Watch Series 7", "Apple Watch Series 7", 28_000),
       I("electronics", "MacBook Air M1", "MacBook Air M1", 78_000)),
    _b("Coach", "コーチ", ("COACH", "coach"), "premium", 1.8,
       I("fashion/bags", "シグネチャー ショルダーバッグ", "signature shoulder bag", 16_000),
       I("fashion/wallets", "長財布 シグネチャー", "signature long wallet", 9_000),
       I("fashion/bags", "トートバッグ", "tote bag", 14_000)),
    _b("Canada Goose", "カナダグース", ("CANADA GOOSE",), "premium", 0.5,
       I("fashion/mens", "ジャスパー パーカ", "Jasper parka", 75_000)),
    _b("The North Face", "ノースフェイス", ("THE NORTH FACE", "TNF", "ザノースフェイス"), "premium", 2.0,
       I("fashion/mens", "ヌプシ ダウンジャケット", "Nuptse down jacket", 26_000),
       I("outdoor", "マウンテンライトジャケット", "Mountain Light jacket", 22_000),
       I("outdoor", "リュック ホットショット", "Hot Shot backpack", 9_000)),
    _b("Adidas", "アディダス", ("adidas", "ADIDAS"), "mass", 2.0,
       I("fashion/shoes", "スーパースター", "Superstar", 7_000),
       I("sports", "トラックジャケット ジャージ", "track jacket", 5_000),
       I("fashion/shoes", "サンバ OG", "Samba OG", 12_000)),
    _b("New Balance", "ニューバランス", ("NEW BALANCE", "NB", "ニューバランス NB"), "mass", 1.5,
       I("fashion/shoes", "990v5", "990v5", 19_000), I("fashion/shoes", "574", "574 sneakers", 6_500)),
    _b("Patagonia", "パタゴニア", ("patagonia",), "mass", 1.2,
       I("outdoor", "レトロX フリース", "Retro-X fleece", 18_000),
       I("outdoor", "バギーズショーツ", "Baggies shorts", 4_500)),
    _b("Nintendo", "任天堂", ("ニンテンドー", "Nintendo", "にんてんどう"), "mass", 3.0,
       I("games", "Nintendo Switch 有機ELモデル 本体", "Nintendo Switch OLED console", 31_000),
       I("games", "あつまれ どうぶつの森 ソフト", "Animal Crossing New Horizons", 3_800),
       I("games", "Joy-Con (L)/(R) ネオン", "Joy-Con pair neon", 5_500),
       I("games", "ニンテンドー3DS LL", "Nintendo 3DS XL", 9_000)),
    _b("Sony", "ソニー", ("SONY", "sony"), "mass", 2.0,
       I("games", "PlayStation 5 本体", "PlayStation 5 console", 58_000),
       I("electronics", "WH-1000XM4 ヘッドホン", "WH-1000XM4 headphones", 21_000),
       I("electronics", "α7 III ボディ", "a7 III body", 140_000),
       I("electronics", "ウォークマン NW-A105", "Walkman NW-A105", 14_000)),
    _b("Samsung", "サムスン", ("SAMSUNG", "Galaxy"), "mass", 0.8,
       I("smartphones", "Galaxy S22 SIMフリー", "Galaxy S22 unlocked", 48_000),
       I("electronics", "Galaxy Buds2", "Galaxy Buds2", 7_500)),
    _b("Canon", "キヤノン", ("CANON", "キャノン"), "mass", 0.8,
       I("electronics", "EOS Kiss X10 レンズキット", "EOS Kiss X10 lens kit", 52_000),
       I("electronics", "EF50mm F1.8 STM", "EF 50mm f/1.8 STM lens", 11_000)),
    _b("Dyson", "ダイソン", ("dyson", "DYSON"), "mass", 1.0,
       I("home", "V10 コードレスクリーナー", "V10 cordless vacuum", 26_000),
       I("beauty", "Supersonic ヘアドライヤー", "Supersonic hair dryer", 28_000)),
    _b("Panasonic", "パナソニック", ("Panasonic", "ナショナル"), "mass", 1.0,
       I("beauty", "ナノケア ドライヤー EH-NA0G", "Nanocare hair dryer", 16_000),
       I("home", "IH炊飯器 5.5合", "IH rice cooker", 12_000)),
    _b("Uniqlo", "ユニクロ", ("UNIQLO", "uniqlo", "ユニクロ UNIQLO"), "mass", 3.0,
       I("fashion/womens", "ウルトラライトダウン", "Ultra Light Down jacket", 2_500),
       I("fashion/mens", "フリースジャケット", "fleece jacket", 1_500),
       I("fashion/womens", "エアリズム ワンピース", "AIRism dress", 1_200)),
    _b("GU", "ジーユー", ("gu",), "mass", 2.0,
       I("fashion/womens", "スウェット プルオーバー", "sweatshirt", 900),
       I("fashion/mens", "ワイドパンツ", "wide pants", 1_000)),
    _b("Zara", "ザラ", ("ZARA",), "mass", 1.5,
       I("fashion/womens", "ツイードジャケット", "tweed jacket", 4_500),
       I("fashion/womens", "サテン ワンピース", "satin dress", 2_800)),
    _b("Muji", "無印良品", ("MUJI", "無印"), "mass", 1.5,
       I("home", "ポリプロピレン 収納ケース", "PP storage drawers", 1_500),
       I("home", "超音波アロマディフューザー", "ultrasonic aroma diffuser", 3_200)),
    _b("Le Creuset", "ルクルーゼ", ("LE CREUSET", "ル・クルーゼ"), "premium", 0.6,
       I("home", "ココット・ロンド 20cm", "Round Dutch oven 20cm", 18_000)),
    _b("Bandai", "バンダイ", ("BANDAI", "バンダイスピリッツ"), "mass", 1.5,
       I("hobby", "ガンプラ MG 1/100", "Gunpla MG 1/100 kit", 4_500),
       I("hobby", "一番くじ A賞 フィギュア", "Ichiban Kuji prize A figure", 6_000),
       I("toys/games", "たまごっち Uni", "Tamagotchi Uni", 5_000)),
    _b("Pokémon", "ポケモン", ("Pokemon", "ポケットモンスター", "pokemon"), "mass", 2.0,
       I("toys/games", "ピカチュウ ぬいぐるみ", "Pikachu plush", 2_200),
       I("hobby", "ポケモンセンター限定 フィギュア", "Pokemon Center figure", 3_500)),
    _b("Sanrio", "サンリオ", ("SANRIO", "sanrio"), "mass", 1.5,
       I("toys/games", "クロミ ぬいぐるみ", "Kuromi plush", 1_800),
       I("fashion/accessories", "マイメロディ ポーチ", "My Melody pouch", 1_300)),
    _b("Disney", "ディズニー", ("Disney", "DISNEY", "東京ディズニーリゾート"), "mass", 1.5,
       I("toys/games", "ダッフィー ぬいぐるみ", "Duffy plush", 4_500),
       I("fashion/accessories", "カチューシャ", "ears headband", 2_000)),
    _b("Shiseido", "資生堂", ("SHISEIDO",), "mass", 1.0,
       I("beauty", "アルティミューン 美容液", "Ultimune serum", 6_500),
       I("beauty", "アネッサ 日焼け止め", "Anessa sunscreen", 1_800)),
    _b("SK-II", "エスケーツー", ("SK2", "SKII"), "premium", 0.8,
       I("beauty", "フェイシャル トリートメント エッセンス 230ml", "Facial Treatment Essence 230ml", 15_000)),
    _b("Jill Stuart", "ジルスチュアート", ("JILL STUART", "ジル"), "premium", 0.8,
       I("beauty", "ブルーム ミックスブラッシュ", "Blooms mix blush", 3_000),
       I("fashion/accessories", "リボン ポーチ", "ribbon pouch", 1_800)),
    _b("Vivienne Westwood", "ヴィヴィアンウエストウッド", ("ヴィヴィアン", "Vivienne"), "premium", 1.0,
       I("jewelry", "オーブ ネックレス", "orb necklace", 14_000),
       I("fashion/wallets", "がま口 財布", "clasp wallet", 13_000)),
    _b("Comme des Garçons", "コムデギャルソン", ("CDG", "ギャルソン", "COMME des GARCONS"), "premium", 0.8,
       I("fashion/mens", "PLAY ハート Tシャツ", "PLAY heart tee", 6_000),
       I("fashion/wallets", "ジップ 財布", "zip wallet", 16_000)),
    _b("Lululemon", "ルルレモン", ("lululemon",), "premium", 0.7,
       I("sports", "アライン レギンス", "Align leggings", 7_000)),
    _b("Casio", "カシオ", ("CASIO", "G-SHOCK", "Gショック"), "mass", 1.2,
       I("watches", "G-SHOCK DW-5600", "G-SHOCK DW-5600", 9_000),
       I("watches", "Gショック GA-2100", "G-Shock GA-2100", 11_000)),
    _b("Seiko", "セイコー", ("SEIKO",), "mass", 0.8,
       I("watches", "プレザージュ 自動巻き", "Presage automatic", 45_000),
       I("watches", "セイコー5 スポーツ", "Seiko 5 Sports", 22_000)),
    _b("Yonex", "ヨネックス", ("YONEX",), "mass", 0.7,
       I("sports", "アストロクス バドミントンラケット", "Astrox badminton racket", 14_000)),
    _b("Lego", "レゴ", ("LEGO", "レゴブロック"), "mass", 1.0,
       I("toys/games", "クラシック アイデアパーツ", "Classic creative bricks", 3_500),
       I("toys/games", "スター・ウォーズ セット", "Star Wars set", 9_000)),
)

BRAND_BY_NAME: dict[str, Brand] = {b.name: b for b in BRANDS}
LUXURY: tuple[Brand, ...] = tuple(b for b in BRANDS if b.tier == "luxury")

# ordinary unbranded goods: the bulk of a flea market
GENERIC: tuple[Item, ...] = (
    I("books", "文庫本 小説 まとめ売り 10冊", "paperback novels bundle of 10", 1_200),
    I("books", "漫画 全巻セット", "manga complete set", 5_500),
    I("books", "大学 参考書", "university textbook", 1_800), I("books", "料理本 レシピ集", "cookbook", 700),
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
    I("kitchen", "マグカップ ペア", "pair of mugs", 900), I("kitchen", "土鍋 8号", "clay pot donabe", 2_300),
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
    I("baby/kids", "抱っこ紐", "baby carrier", 3_800), I("baby/kids", "ベビーカー A型", "stroller", 8_500),
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
)

CATEGORIES: tuple[str, ...] = tuple(
    sorted({x.category for b in BRANDS for x in b.items} | {x.category for x in GENERIC}))

CONDITIONS_JA = ("新品、未使用", "未使用に近い", "目立った傷や汚れなし", "やや傷や汚れあり", "傷や汚れあり",
                 "全体的に状態が悪い")
CONDITIONS_EN = ("new", "like new", "good", "fair", "fair", "poor")  # the same six states, English wording

COLORS_JA = ("ブラック", "黒", "ホワイト", "白", "ネイビー", "ベージュ", "ブラウン", "茶色", "レッド",
             "ピンク", "グレー", "カーキ", "シルバー", "ゴールド", "ブルー", "グリーン", "アイボリー", "ボルドー", "くすみカラー")
COLORS_EN = ("black", "white", "navy", "beige", "brown", "red", "pink", "grey", "gray", "khaki", "silver",
             "gold", "blue", "green", "ivory", "burgundy", "cream")

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
