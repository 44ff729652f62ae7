"""Generate a realistic demo region (Barnaul-like) as import files for `python -m accruals.importer`.

    python tools/demo_region.py --accounts 2000 --out .run/demo [--seed 1]

Writes, in the import order:

    organisations.csv  services.csv  tariffs.csv  norms.csv  accounts.csv  opening_balances.csv

CSV, delimiter ``;``, UTF-8, a header row, ``\\n`` line ends, money in integer kopecks, dates
YYYY-MM-DD, an empty field for "none". The columns and what is in them are described in
docs/demo-region.md; tariffs and norms are those of domain rules §9 (2026, Barnaul / Altai
Krai), the rest is invented but shaped like the real thing: real Barnaul street names, apartment
buildings of the usual Soviet and modern series (5-16 floors, 20-300 flats, every floor of a
section laid out alike), private houses in the rural settlements of the urban district, owners
as "Surname I. O.", 9-digit account numbers, valid INN check digits and bank account keys.

The output depends only on --accounts and --seed. Accounts are written house by house as they
are made, so memory stays constant whatever the size (1,000,000 accounts take well under a
hundred MB and a few seconds). `generate()` is the same thing for Python callers (make run, benchmarks).
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import pathlib
import random
import sys
import time
import uuid

FILES = ("organisations", "services", "tariffs", "norms", "accounts", "opening_balances")
COLUMNS = {
    "organisations": ("inn", "kpp", "name", "kind", "bank_account", "bank_name", "bic", "corr_account"),
    "services": ("code", "name", "kind", "unit", "method", "recipient_inn", "recipient_kpp"),
    "tariffs": ("service_code", "scope", "variant", "zone", "component", "range_from", "range_to",
                "valid_from", "valid_to", "rate"),
    "norms": ("service_code", "variant", "rooms", "residents", "valid_from", "valid_to", "value", "unit"),
    "accounts": ("account", "els", "house_code", "address", "settlement", "house_type", "electric_stove", "flat",
                 "premise_kind", "rooms", "total_area", "heated_area", "living_area", "residents", "registered",
                 "owner_name", "opened_on", "closed_on", "meter_installable", "management_company_inn", "services"),
    "opening_balances": ("account", "recipient_inn", "date", "amount_kopecks"),
    # The meters service's registry file (python -m meters.importer meters FILE), with meters=True.
    "meters": ("account", "service", "serial", "zones", "placement", "unit", "digits", "decimals", "supplier_inn",
               "installed_on", "sealed_on", "verification_due", "status", "status_reason"),
}
DELIMITER = ";"
BALANCE_DATE = "2026-01-01"
TARIFFS_FROM = "2026-01-01"
# Altai Krai 2026: the tariffs change on 1 October (the July indexation moved), rules.md §0.4, §9.
OCTOBER_CHANGE = "2026-10-01"
BEFORE_OCTOBER = "2026-09-30"

# -- reference data ------------------------------------------------------------------------------

# Real street names of Barnaul (the buildings on them are invented).
STREETS = (
    "пр-т Ленина", "пр-т Строителей", "пр-т Красноармейский", "пр-т Калинина", "пр-т Комсомольский",
    "пр-т Социалистический", "пр-т Космонавтов", "пр-т Дзержинского", "Павловский тракт", "Змеиногорский тракт",
    "ул. Попова", "ул. Малахова", "ул. Балтийская", "ул. Антона Петрова", "ул. Георгия Исакова", "ул. Юрина",
    "ул. Шумакова", "ул. Взлётная", "ул. Партизанская", "ул. Пушкина", "ул. Гоголя", "ул. Чкалова",
    "ул. Никитина", "ул. Ползунова", "ул. Советская", "ул. Папанинцев", "ул. Профинтерна", "ул. Деповская",
    "ул. Молодёжная", "ул. Островского", "ул. Северо-Западная", "ул. Эмилии Алексеевой", "ул. Германа Титова",
    "ул. Солнечная Поляна", "ул. Панфиловцев", "ул. Гущина", "ул. Шукшина", "ул. Кулагина", "ул. Лазурная",
    "ул. Власихинская", "ул. Весенняя", "ул. Смирнова", "ул. Матросова", "ул. Петра Сухова", "ул. Чернышевского",
    "ул. Короленко", "ул. Интернациональная", "ул. Димитрова", "ул. Максима Горького", "ул. Крупской",
    "ул. Челюскинцев", "ул. 80-й Гвардейской Дивизии", "ул. 65 лет Победы", "ул. Сергея Ускова",
    "ул. Энтузиастов", "ул. Новгородская", "ул. Сиреневая", "ул. Шевченко", "ул. Кирова", "ул. Горно-Алтайская",
)
# Rural settlements of the Barnaul urban district (rural electricity tariff) and village streets.
VILLAGES = ("с. Власиха", "пос. Центральный", "с. Лебяжье", "пос. Бельмесёво", "с. Гоньба", "пос. Казённая Заимка",
            "с. Черницк", "с. Берёзовка", "пос. Научный Городок", "пос. Южный")
VILLAGE_STREETS = ("ул. Центральная", "ул. Садовая", "ул. Школьная", "ул. Новая", "ул. Молодёжная", "ул. Лесная",
                   "ул. Луговая", "ул. Заречная", "ул. Советская", "ул. Набережная", "ул. Полевая", "ул. Мира")

SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
    "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
    "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев",
    "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов",
    "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров",
    "Матвеев", "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов",
    "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв", "Быков", "Маслов",
    "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев", "Прохоров",
    "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Вишневский", "Полянский", "Шульц", "Майер", "Бауэр", "Ким",
)
FIRST_INITIALS = "ААААВВВГДДЕЕИИККЛЛММНООППРСССТТЮЯ"
PATRONYMIC_INITIALS = "АААВВВГДДЕИИККЛММНОППРССТФЮЯ"

SETTLEMENT_CENTRE = "АО \"Расчётный центр Алтая\""
MANAGEMENT_COMPANIES = (
    "Центральная", "Индустриальная", "Ленинская", "Октябрьская", "Железнодорожная", "Жилищник", "Доверие", "Восток",
    "Сибирь", "Алтай", "Уют", "Комфорт", "Наш дом", "Обь", "Барнаул-Сервис", "Квартал", "Мой дом", "Партнёр",
    "Гарант", "Надёжный дом", "Зелёный город", "Новый Барнаул", "Привокзальная", "Южная", "Северная",
)
# (key, name, kind): the resource suppliers and the capital-repair fund.
SUPPLIERS = (
    ("water", "ООО \"Водоканал Барнаула\"", "supplier"),
    ("heat", "АО \"Барнаульская генерация\"", "supplier"),
    ("power", "АО \"Энергосбыт Алтая\"", "supplier"),
    ("waste", "ООО \"Экоресурс Алтай\"", "supplier"),
    ("fund", "НО \"Фонд капремонта Алтайского края\"", "recipient"),
)
# Fictitious banks with BICs in the Barnaul range 0401736xx and correspondent accounts in the RKC.
BANKS = (
    ("Алтайское отделение № 8644 ПАО \"Демобанк\"", "040173604"),
    ("АО \"Алтайский расчётный банк\"", "040173612"),
    ("Барнаульский филиал АО \"Сибирский коммунальный банк\"", "040173635"),
    ("ПАО \"Банк Обь\" в г. Барнауле", "040173680"),
)

# (code, name, kind, unit, method, supplier key or "mc" for each management company)
SERVICES = (
    ("cold_water", "Холодное водоснабжение", "cold_water", "m3", "meter", "water"),
    ("hot_water", "Горячее водоснабжение", "hot_water", "m3", "meter", "heat"),
    ("sewage", "Водоотведение", "sewage", "m3", "meter", "water"),
    ("heating", "Отопление", "heating", "Gcal", "norm", "heat"),
    ("electricity", "Электроснабжение", "electricity", "kWh", "meter", "power"),
    ("waste", "Обращение с ТКО", "waste", "person", "per_person", "waste"),
    ("capital_repair", "Взнос на капитальный ремонт", "capital_repair", "m2", "area", "fund"),
)
MAINTENANCE_NAME = "Содержание жилого помещения"

# Electricity 2026 by monthly-volume range (rules.md §9), (Jan-Sep, from Oct) per range.
# Rural ranges 2 and 3 were not found: the city no-stove values are used [ASSUMED].
ELECTRICITY = {
    "urban": (("6.36", "7.07"), ("8.51", "9.67"), ("10.05", "11.29")),
    "urban_electric_stove": (("5.18", "5.61"), ("6.94", "7.67"), ("8.19", "8.95")),
    "rural": (("4.97", "5.49"), ("8.51", "9.67"), ("10.05", "11.29")),
}
ELECTRICITY_RANGES = (("0", "3900"), ("3900", "6000"), ("6000", ""))
COLD_WATER = "36.47"             # руб/m³, §9 (01.01-30.09.2026; the October value is not known: left open)
SEWAGE = "31.95"                 # [ASSUMED] 36.47 × (23.30 / 26.60), the 2022 ratio of sewage to cold water
HEAT = "3218.46"                 # руб/Gcal, §9: heating and the heat component of hot water
WASTE = ("62.30", "130.40")      # руб/person, §1.9: to 30.09.2026, from 01.10.2026
CAPITAL_REPAIR = "15.66"         # руб/m², §9 (minimum contribution)

# Illustrative norms (rules.md §9 says so: the Altai values were not retrieved).
WATER_NORMS = (("cold_water", "4.29"), ("hot_water", "2.92"), ("sewage", "7.21"))   # sewage = cold + hot [ASSUMED]
HEATING_NORM = "0.0261"          # Gcal/m² of total area per month
HOT_WATER_HEAT_NORM = "0.06"     # Gcal to heat 1 m³ of hot water
# kWh per person per month by rooms (1..4, 4 = four or more) x residents (1..5, 5 = five or more).
ELECTRICITY_NORMS = {
    "": ((135, 84, 65, 53, 46), (159, 99, 77, 62, 54), (175, 108, 84, 68, 59), (186, 115, 89, 72, 63)),
    "electric_stove": ((209, 130, 101, 82, 71), (246, 152, 118, 96, 83), (270, 167, 130, 105, 91),
                       (286, 178, 138, 111, 97)),
}

# Building series: (name, floors choices, sections range, per-floor layout choices, electric stove,
# share without central hot water). A layout is the flats of one floor of a section: (rooms, total, living).
SERIES = (
    ("khrushchyovka", (5,), (3, 6), (
        ((1, 30.6, 17.2), (2, 44.1, 29.8), (2, 42.5, 28.1), (3, 56.8, 40.3)),
        ((1, 31.2, 17.9), (2, 45.0, 30.4), (3, 57.6, 41.2), (1, 30.9, 17.4)),
    ), False, 0.15),
    ("panel_9", (9,), (3, 7), (
        ((1, 34.5, 18.9), (2, 51.2, 30.1), (2, 50.8, 29.6), (3, 64.7, 43.2)),
        ((1, 33.8, 18.1), (3, 66.9, 44.8), (2, 52.3, 31.0), (1, 35.1, 19.3)),
    ), False, 0.0),
    ("panel_10_12", (10, 12), (2, 4), (
        ((1, 35.6, 19.0), (2, 52.4, 31.5), (3, 68.3, 45.6), (4, 82.7, 57.3)),
        ((1, 36.2, 19.4), (2, 53.8, 32.0), (2, 51.9, 30.8), (3, 69.5, 46.1)),
    ), True, 0.0),
    ("monolith_14_16", (14, 16), (1, 2), (
        ((1, 18.4, 12.6), (1, 27.9, 16.0), (1, 39.8, 18.2), (2, 58.6, 32.4), (2, 61.2, 34.0), (3, 82.5, 48.7),
         (3, 94.3, 55.1), (4, 119.6, 71.8)),
        ((1, 24.3, 14.9), (1, 38.2, 17.5), (2, 55.7, 31.2), (2, 63.9, 35.6), (3, 79.8, 47.0), (1, 41.6, 19.1)),
    ), True, 0.0),
)
FLATS_MIN, FLATS_MAX = 20, 300
RURAL_HOUSE_SHARE = 0.6          # of houses; private houses have one account, so ~1-2 % of accounts

# residents distribution per rooms: weights for 0..5 residents.
RESIDENTS = {
    1: (5, 55, 30, 9, 1, 0),
    2: (4, 25, 40, 22, 8, 1),
    3: (3, 12, 30, 30, 18, 7),
    4: (3, 8, 22, 30, 25, 12),
    5: (2, 6, 20, 30, 27, 15),
}

ACCOUNT_MULTIPLIER = 556_230_007      # coprime with 9*10**8: i -> account is one-to-one
ELS_MULTIPLIER = 2_654_435_761        # odd: i -> ЕЛС is one-to-one modulo 2**32


# -- check digits ----------------------------------------------------------------------------------

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn_check_digit(first9: str) -> str:
    return str(sum(int(d) * w for d, w in zip(first9, _INN10_WEIGHTS, strict=True)) % 11 % 10)


def valid_inn(inn: str) -> bool:
    """A legal entity's 10-digit INN (or a person's 12-digit one) with correct check digits."""
    if not inn.isascii() or not inn.isdigit():
        return False
    if len(inn) == 10:
        return inn[9] == inn_check_digit(inn[:9])
    if len(inn) == 12:
        w11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
        w12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
        c11 = sum(int(d) * w for d, w in zip(inn[:10], w11, strict=True)) % 11 % 10
        c12 = sum(int(d) * w for d, w in zip(inn[:11], w12, strict=True)) % 11 % 10
        return inn[10:] == f"{c11}{c12}"
    return False


def _account_key(prefix3: str, account: str) -> str:
    """The 20-digit account with its 9th digit set so that the Bank of Russia key check passes."""
    weights = (7, 1, 3) * 8
    digits = prefix3 + account[:8] + "0" + account[9:]
    total = sum(int(d) * weights[i] % 10 for i, d in enumerate(digits))
    return account[:8] + str(total % 10 * 3 % 10) + account[9:]


def valid_account_key(prefix3: str, account: str) -> bool:
    weights = (7, 1, 3) * 8
    return sum(int(d) * weights[i] % 10 for i, d in enumerate(prefix3 + account)) % 10 == 0


def settlement_account(bic: str, body: str) -> str:
    """A legal entity's settlement account (40702 roubles) at the bank `bic`; `body` 11 digits."""
    return _account_key(bic[-3:], f"407028100{body}")


def corr_account(bic: str) -> str:
    """The bank's correspondent account in the Bank of Russia: 30101 810 K 00000000 + the BIC's last 3."""
    return _account_key("0" + bic[4:6], f"30101810000000000{bic[-3:]}")


# -- the small files ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Organisation:
    key: str
    inn: str
    kpp: str
    name: str
    kind: str
    bank_account: str
    bank_name: str
    bic: str
    corr_account: str


@dataclasses.dataclass(frozen=True)
class Summary:
    accounts: int
    houses: int
    first_account: str
    files: dict[str, pathlib.Path]
    seconds: float


def management_company_count(accounts: int) -> int:
    return min(len(MANAGEMENT_COMPANIES), 5 + accounts // 40_000)


def organisations(rng: random.Random, accounts: int) -> list[Organisation]:
    used: set[str] = set()

    def inn() -> str:
        while True:
            # Altai Krai (22), a Barnaul tax office (2221..2225), a serial number.
            first9 = f"222{rng.choice('12345')}{rng.randrange(10**5):05d}"
            value = first9 + inn_check_digit(first9)
            if value not in used:
                used.add(value)
                return value

    def org(key: str, name: str, kind: str) -> Organisation:
        bank_name, bic = BANKS[rng.randrange(len(BANKS))]
        number = inn()
        return Organisation(
            key=key, inn=number, kpp=f"{number[:4]}01001", name=name, kind=kind,
            bank_account=settlement_account(bic, f"{rng.randrange(10**11):011d}"), bank_name=bank_name, bic=bic,
            corr_account=corr_account(bic),
        )

    result = [org("centre", SETTLEMENT_CENTRE, "settlement_centre")]
    result += [org(key, name, kind) for key, name, kind in SUPPLIERS]
    for i in range(management_company_count(accounts)):
        result.append(org(f"mc{i + 1:02d}", f"ООО \"УК {MANAGEMENT_COMPANIES[i]}\"", "management_company"))
    return result


def maintenance_code(mc: Organisation) -> str:
    return f"maintenance_{mc.key[2:]}"


def service_rows(orgs: dict[str, Organisation]) -> list[tuple]:
    rows = [(code, name, kind, unit, method, orgs[key].inn, orgs[key].kpp) for code, name, kind, unit, method, key in SERVICES]
    for mc in orgs.values():
        if mc.kind == "management_company":
            rows.append((maintenance_code(mc), MAINTENANCE_NAME, "maintenance", "m2", "area", mc.inn, mc.kpp))
    return rows


def tariff_rows(rng: random.Random, orgs: dict[str, Organisation]) -> list[tuple]:
    def row(service, rate, *, variant="", component="", range_from="0", range_to="", valid_from=TARIFFS_FROM, valid_to=""):
        return (service, "", variant, "", component, range_from, range_to, valid_from, valid_to, rate)

    rows = []
    for variant, ranges in ELECTRICITY.items():
        for (low, high), (until_october, from_october) in zip(ELECTRICITY_RANGES, ranges, strict=True):
            rows.append(row("electricity", until_october, variant=variant, range_from=low, range_to=high,
                            valid_to=BEFORE_OCTOBER))
            rows.append(row("electricity", from_october, variant=variant, range_from=low, range_to=high,
                            valid_from=OCTOBER_CHANGE))
    rows.append(row("cold_water", COLD_WATER))
    rows.append(row("sewage", SEWAGE))
    rows.append(row("hot_water", COLD_WATER, component="carrier"))
    rows.append(row("hot_water", HEAT, component="heat"))
    rows.append(row("heating", HEAT))
    rows.append(row("waste", WASTE[0], valid_to=BEFORE_OCTOBER))
    rows.append(row("waste", WASTE[1], valid_from=OCTOBER_CHANGE))
    rows.append(row("capital_repair", CAPITAL_REPAIR))
    for mc in orgs.values():
        if mc.kind == "management_company":
            # Each company's rate, as its houses' general meetings set it [ASSUMED range].
            rows.append(row(maintenance_code(mc), f"{rng.randrange(2250, 3490) / 100:.2f}"))
    return rows


def norm_rows() -> list[tuple]:
    rows = [(service, "", 0, 0, TARIFFS_FROM, "", value, "m3/person") for service, value in WATER_NORMS]
    rows.append(("heating", "", 0, 0, TARIFFS_FROM, "", HEATING_NORM, "Gcal/m2"))
    rows.append(("hot_water", "heating_hot_water", 0, 0, TARIFFS_FROM, "", HOT_WATER_HEAT_NORM, "Gcal/m3"))
    for variant, table in ELECTRICITY_NORMS.items():
        for rooms, by_residents in enumerate(table, start=1):
            for residents, value in enumerate(by_residents, start=1):
                rows.append(("electricity", variant, rooms, residents, TARIFFS_FROM, "", str(value), "kWh/person"))
    return rows


def _write_small(path: pathlib.Path, kind: str, rows: list[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=DELIMITER, lineterminator="\n")
        writer.writerow(COLUMNS[kind])
        writer.writerows(rows)


# -- accounts, streamed -------------------------------------------------------------------------


def _weighted(weights, values) -> list:
    """A 64-entry table to draw from with getrandbits(6)."""
    total = sum(weights)
    table = []
    for w, v in zip(weights, values, strict=True):
        table += [v] * round(w * 64 / total)
    while len(table) < 64:
        table.append(values[max(range(len(weights)), key=lambda i: weights[i])])
    return table[:64]


class _Streets:
    """House numbers per street: unique, rising, with the odd/even sides and some letter suffixes."""

    def __init__(self, rng: random.Random, streets):
        self.rng = rng
        self.streets = streets
        self.next_number = dict.fromkeys(streets, 1)
        self.suffixes: dict[str, int] = {}

    def address(self, prefix: str) -> str:
        street = self.streets[self.rng.randrange(len(self.streets))]
        number = self.next_number[street]
        self.next_number[street] = number + self.rng.choice((1, 2, 2, 2, 4, 6))
        suffix = ""
        if self.rng.random() < 0.08:
            suffix = self.rng.choice(("а", "б", "/1", "/2", "к1", "к2"))
        return f"{prefix}, {street}, д. {number}{suffix}"


def generate(out: pathlib.Path | str, accounts: int, seed: int = 1, balance_date: str = BALANCE_DATE,
             meters: bool = False) -> Summary:
    """Write the six import files of a region of `accounts` accounts into `out` (and, with
    `meters`, the meters service's registry `meters.csv`: see `meter_rows`)."""
    if accounts < 1:
        raise ValueError("at least one account")
    if accounts > 90_000_000:
        raise ValueError("at most 90,000,000 accounts (9-digit numbers)")
    started = time.perf_counter()
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files = {kind: out / f"{kind}.csv" for kind in FILES + (("meters",) if meters else ())}

    org_list = organisations(rng, accounts)
    orgs = {o.key: o for o in org_list}
    _write_small(files["organisations"], "organisations", [
        (o.inn, o.kpp, o.name, o.kind, o.bank_account, o.bank_name, o.bic, o.corr_account) for o in org_list])
    _write_small(files["services"], "services", service_rows(orgs))
    _write_small(files["tariffs"], "tariffs", tariff_rows(rng, orgs))
    _write_small(files["norms"], "norms", norm_rows())
    companies = [o for o in org_list if o.kind == "management_company"]

    # Pools drawn from with getrandbits: names, dates, residents; all from the seed.
    names = []
    for _ in range(4096):
        surname = SURNAMES[rng.randrange(len(SURNAMES))]
        if rng.random() < 0.55:   # owners are a little more often women
            if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
                surname += "а"
            elif surname.endswith("ий"):
                surname = surname[:-2] + "ая"
        names.append(f"{surname} {rng.choice(FIRST_INITIALS)}. {rng.choice(PATRONYMIC_INITIALS)}.")
    first_open, last_open = dt.date(2005, 1, 1).toordinal(), dt.date(2025, 11, 30).toordinal()
    open_dates = [dt.date.fromordinal(rng.randint(first_open, last_open)).isoformat() for _ in range(4096)]
    residents_tables = {
        rooms: _weighted(weights, [f"{n};{n}" for n in range(6)]) for rooms, weights in RESIDENTS.items()
    }
    # Some flats have a registered person who lives elsewhere, or a lodger who is not registered.
    for table in residents_tables.values():
        for i in range(0, 64, 16):
            n = int(table[i].split(";")[0])
            if n >= 1:
                table[i] = f"{n};{n + 1}" if i % 32 else f"{n};{n - 1}"

    account_offset = rng.randrange(9 * 10**8)
    els_offset = rng.getrandbits(32)
    city = _Streets(rng, STREETS)
    villages = {v: _Streets(rng, VILLAGE_STREETS) for v in VILLAGES}
    bits = rng.getrandbits
    rand = rng.random

    written = 0
    houses = 0
    first_account = ""
    fa = files["accounts"].open("w", encoding="utf-8", newline="", buffering=1 << 20)
    fb = files["opening_balances"].open("w", encoding="utf-8", newline="", buffering=1 << 20)
    fm = files["meters"].open("w", encoding="utf-8", newline="", buffering=1 << 20) if meters else None
    try:
        fa.write(DELIMITER.join(COLUMNS["accounts"]) + "\n")
        fb.write(DELIMITER.join(COLUMNS["opening_balances"]) + "\n")
        if fm:
            fm.write(DELIMITER.join(COLUMNS["meters"]) + "\n")
        while written < accounts:
            houses += 1
            house_code = str(uuid.UUID(int=bits(128), version=4))
            if rand() < RURAL_HOUSE_SHARE:
                village = VILLAGES[rng.randrange(len(VILLAGES))]
                stove = rand() < 0.3
                services = ["electricity", "waste"] + (["cold_water"] if rand() < 0.6 else [])
                prefix = f"{house_code};{villages[village].address('г. Барнаул, ' + village)};rural;private_house;" \
                         f"{'true' if stove else 'false'}"
                suffix = f";;{','.join(services)}"
                rooms = rng.choice((2, 3, 3, 4, 4, 5))
                total = round(rng.uniform(36, 120), 1)
                flats = [("", rooms, total, round(total * rng.uniform(0.55, 0.7), 1))]
                recipients = [orgs["power"].inn, orgs["waste"].inn]
            else:
                _series, floor_choices, (smin, smax), layouts, stove, no_hot_share = SERIES[bits(2)]
                floors = rng.choice(floor_choices)
                layout = layouts[rng.randrange(len(layouts))]
                per_section = floors * len(layout)
                sections = rng.randint(smin, smax)
                sections = max(1, min(sections, FLATS_MAX // per_section))
                while sections * per_section < FLATS_MIN:
                    sections += 1
                mc = companies[rng.randrange(len(companies))]
                services = ["cold_water", "hot_water", "sewage", "heating", "electricity", "waste",
                            maintenance_code(mc), "capital_repair"]
                if rand() < no_hot_share:
                    services.remove("hot_water")    # a gas water heater in the flat
                prefix = f"{house_code};{city.address('г. Барнаул')};urban;apartment_building;{'true' if stove else 'false'}"
                suffix = f";{mc.inn};{','.join(services)}"
                flats = []
                number = 0
                for _section in range(sections):
                    for _floor in range(floors):
                        for rooms, total, living in layout:
                            number += 1
                            flats.append((str(number), rooms, total, living))
                recipients = [mc.inn, orgs["heat"].inn, orgs["water"].inn, orgs["power"].inn]
            lines = []
            balances = []
            for flat, rooms, total, living in flats:
                if written >= accounts:
                    break
                area = f"{flat};residential;{rooms};{total};{total};{living}"
                residents = residents_tables[min(rooms, 5)][bits(6)]
                r = rand()
                if r < 0.02 and written + 1 < accounts:
                    # The previous owner's account, closed when the flat changed hands.
                    opened = dt.date.fromisoformat(open_dates[bits(12)])
                    closed = opened + dt.timedelta(days=30 + bits(11))
                    if closed.toordinal() < last_open:
                        i = written
                        account = str(10**8 + (i * ACCOUNT_MULTIPLIER + account_offset) % (9 * 10**8))
                        els = f"22{(i * ELS_MULTIPLIER + els_offset) & 0xFFFFFFFF:08X}"
                        lines.append(f"{account};{els};{prefix};{area};{residents};{names[bits(12)]};"
                                     f"{opened.isoformat()};{closed.isoformat()};true{suffix}\n")
                        written += 1
                        opened_on = (closed + dt.timedelta(days=1)).isoformat()
                    else:
                        opened_on = open_dates[bits(12)]
                else:
                    opened_on = open_dates[bits(12)]
                i = written
                account = str(10**8 + (i * ACCOUNT_MULTIPLIER + account_offset) % (9 * 10**8))
                els = "" if r > 0.97 else f"22{(i * ELS_MULTIPLIER + els_offset) & 0xFFFFFFFF:08X}"
                installable = "false" if 0.94 < r <= 0.97 else "true"
                lines.append(f"{account};{els};{prefix};{area};{residents};{names[bits(12)]};{opened_on};;{installable}{suffix}\n")
                written += 1
                if not first_account:
                    first_account = account
                if fm and installable == "true":
                    fm.write(meter_rows(rng, account, services, stove, orgs))
                # Opening balances: most accounts are settled; some owe, a few paid ahead.
                b = bits(4)
                if b < 6:
                    recipient = recipients[b % len(recipients)]
                    if b == 0:
                        amount = bits(22) + 100_000          # a debtor: 1,000 .. 43,000 roubles
                    elif b == 1:
                        amount = -(bits(15) + 1000)          # paid ahead
                    else:
                        amount = bits(17) + 500              # this month's unpaid part
                    balances.append(f"{account};{recipient};{balance_date};{amount}\n")
            fa.write("".join(lines))
            if balances:
                fb.write("".join(balances))
    finally:
        fa.close()
        fb.close()
        if fm:
            fm.close()
    return Summary(accounts=written, houses=houses, first_account=first_account, files=files,
                   seconds=time.perf_counter() - started)


def meter_rows(rng: random.Random, account: str, services: list[str], stove: bool, orgs: dict[str, Organisation]) -> str:
    """The meters of one open account whose meters can be installed: a cold-water (and, with
    central hot water, a hot-water) meter in the bathroom, an electricity meter (a third of
    them two-zone, more with an electric stove) on the landing or in the house. Installed
    2015-2025; verification (поверка) every 6 years for water, 16 for electricity, so some fall
    due soon and a few have expired (the service's daily job marks those)."""
    rows = []
    rural = "heating" not in services
    for service, unit, digits, decimals, supplier, years in (("cold_water", "m3", 5, 3, "water", 6),
                                                            ("hot_water", "m3", 5, 3, "heat", 6),
                                                            ("electricity", "kWh", 6, 1, "power", 16)):
        if service not in services:
            continue
        installed = dt.date(2015, 1, 1) + dt.timedelta(days=rng.getrandbits(12) % 3960)
        due = installed.replace(year=installed.year + years) if not (installed.month == 2 and installed.day == 29) \
            else dt.date(installed.year + years, 3, 1)
        zones = 2 if service == "electricity" and rng.random() < (0.6 if stove else 0.33) else 1
        placement = "дом" if rural else ("щиток на площадке" if service == "electricity" else "ванная")
        serial = f"{'ЭЛ' if service == 'electricity' else 'ВС'}-{account}-{service[0].upper()}"
        rows.append(f"{account};{service};{serial};{zones};{placement};{unit};{digits};{decimals};{orgs[supplier].inn};"
                    f"{installed.isoformat()};{installed.isoformat()};{due.isoformat()};;\n")
    return "".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a Barnaul-like demo region as import files.")
    parser.add_argument("--accounts", type=int, required=True, help="number of personal accounts")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="directory for the CSV files")
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same files (default 1)")
    parser.add_argument("--balance-date", default=BALANCE_DATE, help=f"date of the opening balances (default {BALANCE_DATE})")
    args = parser.parse_args(argv)
    try:
        dt.date.fromisoformat(args.balance_date)
        summary = generate(args.out, args.accounts, args.seed, args.balance_date)
    except ValueError as exc:
        print(f"demo_region: {exc}", file=sys.stderr)
        return 2
    rate = summary.accounts / summary.seconds if summary.seconds else 0
    print(f"demo_region: {summary.accounts} accounts in {summary.houses} houses -> {args.out} "
          f"({summary.seconds:.2f} s, {rate:,.0f} accounts/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
