"""Bulk import of personal accounts: `python -m accruals.importer accounts FILE`, as a process.

Generates a CSV of N accounts (UTF-8, `;`, decimal commas, both date forms; 100 flats per
house, K services per account (--services, default 2: a housing company's own maintenance and
capital repair), Cyrillic names and addresses), imports the organisations and services it
points at, then times the importer's CLI on the accounts file into a fresh accruals database
(an initial load: the bulk path, see docs/imports.md).
Figures:
- import_accounts_per_s (target >= 50,000): N / the CLI's wall time (process start to exit).
- import_peak_mb: the importer process's peak resident memory.
- import_small_peak_mb: the same for a file of N/10 accounts. The benchmark fails unless the
  peak grows by less than 25% + 32 MB from one to the other: the file is streamed, not loaded.
- reimport_accounts_per_s: the same N accounts again with one line changed (a new SHA-256, so
  every row is compared with the database); the run fails unless exactly that row changed.
- copy_rows_per_s (same-run baseline): plain psycopg COPY of N narrow rows into a table with
  a primary key, no checks.
"""
from __future__ import annotations

import pathlib
import tempfile

from common import arguments, copy_rows_per_s, database, emit, postgres, timed_importer

SURNAMES = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Козлов", "Новиков", "Морозов",
            "Волков", "Соловьёв", "Лебедев", "Егоров", "Павлов", "Семёнов", "Голубев", "Виноградов", "Богданов", "Воробьёв")
NAMES = ("Иван", "Пётр", "Сергей", "Алексей", "Дмитрий", "Андрей", "Николай", "Михаил", "Юрий", "Владимир")
PATRONYMICS = ("Иванович", "Петрович", "Сергеевич", "Алексеевич", "Дмитриевич", "Андреевич", "Николаевич", "Михайлович")
STREETS = ("Ленина", "Молодёжная", "Попова", "Антона Петрова", "Малахова", "Взлётная", "Солнечная Поляна", "Партизанская")
SERVICES = ("maintenance", "cold_water", "sewage", "electricity", "capital_repair")
COLUMNS = ("account;els;house_code;address;settlement;house_type;electric_stove;flat;premise_kind;rooms;total_area;"
           "heated_area;living_area;residents;registered;owner_name;opened_on;closed_on;meter_installable;"
           "management_company_inn;services")


def inn10(prefix: int) -> str:
    """A valid 10-digit INN from 9 digits."""
    digits = [int(c) for c in f"{prefix:09d}"]
    check = sum(w * d for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits, strict=True)) % 11 % 10
    return f"{prefix:09d}{check}"


COMPANIES = [inn10(222500000 + i) for i in range(3)]
SUPPLIER = inn10(222400001)


def timed_import(url: str, kind: str, path: pathlib.Path) -> tuple[dict, float, float]:
    return timed_importer("accruals.importer", url, kind, path)


def write_reference(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    organisations = folder / "organisations.csv"
    lines = ["inn;kpp;name;kind;bank_account;bank_name;bic;corr_account"]
    lines += [f"{inn};222501001;ООО «УК Город-{i}»;management_company;;;;" for i, inn in enumerate(COMPANIES)]
    lines.append(f"{SUPPLIER};222401001;АО «Барнаульская горэлектросеть»;supplier;40702810400000000001;"
                 "АЛТАЙСКОЕ ОТДЕЛЕНИЕ N8644 ПАО СБЕРБАНК;040173604;30101810200000000604")
    organisations.write_text("\n".join(lines) + "\n", encoding="utf-8")
    services = folder / "services.csv"
    lines = ["code;name;kind;unit;method;recipient_inn;recipient_kpp"]
    lines += [f"{code};Услуга {code};{code};m2;area;{SUPPLIER};222401001" for code in SERVICES]
    services.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return organisations, services


def account_line(i: int, marker: str = "", services: int = 2) -> str:
    house, flat = divmod(i, 100)
    area = 30 + (i * 7) % 70
    residents = 1 + i % 4
    name = f"{SURNAMES[i % 20]} {NAMES[(i // 20) % 10]} {PATRONYMICS[(i // 200) % 8]}{marker}"
    address = f"г. Барнаул, ул. {STREETS[house % 8]}, д. {house // 8 + 1}"
    opened = f"{2010 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 3 else f"{1 + i % 28:02d}.{1 + i % 12:02d}.{2010 + i % 15}"
    return (f"{100000000 + i};{i:010d};H{house:06d};{address};urban;apartment_building;{1 if house % 5 == 0 else 0};"
            f"{flat + 1};residential;{1 + i % 4};{area},{i % 100:02d};{area},{i % 100:02d};{area - 10},5;{residents};{residents};"
            f"{name};{opened};;да;{COMPANIES[house % 3]};{','.join(SERVICES[:services])}")


def write_accounts(path: pathlib.Path, count: int, changed_line: int | None = None, services: int = 2) -> None:
    """`count` accounts with `services` services each; with `changed_line`, that data line's owner name differs."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(COLUMNS + "\n")
        block = []
        for i in range(count):
            block.append(account_line(i, " (изм.)" if i == changed_line else "", services))
            if len(block) == 10_000:
                out.write("\n".join(block) + "\n")
                block.clear()
        if block:
            out.write("\n".join(block) + "\n")


def main() -> None:
    args = arguments(__doc__, accounts=(int, 1_000_000, "accounts in the file"),
                     services=(int, 2, f"services per account (1-{len(SERVICES)})"))
    count = 100_000 if args.quick else args.accounts
    small = count // 10
    with tempfile.TemporaryDirectory() as tmp, postgres() as pg:
        folder = pathlib.Path(tmp)
        organisations, services = write_reference(folder)
        big, little, again = folder / "accounts.csv", folder / "accounts-small.csv", folder / "accounts-again.csv"
        write_accounts(big, count, services=args.services)
        write_accounts(little, small, services=args.services)
        write_accounts(again, count, changed_line=count // 2, services=args.services)

        with database(pg, "accruals") as url:
            for kind, path in (("organisations", organisations), ("services", services)):
                timed_import(url, kind, path)
            report, small_s, small_peak = timed_import(url, "accounts", little)
            assert report["status"] == "applied" and report["changed"] == small, report
        with database(pg, "accruals") as url:
            for kind, path in (("organisations", organisations), ("services", services)):
                timed_import(url, kind, path)
            report, seconds, peak = timed_import(url, "accounts", big)
            assert report["status"] == "applied" and report["rows"] == count and report["changed"] == count, report
            report, again_s, _ = timed_import(url, "accounts", again)
            assert report["status"] == "applied" and report["changed"] == 1, report
            copy_rate = copy_rows_per_s(url, "number text, area numeric, residents smallint",
                                        ((str(100000000 + i), "54.30", 3) for i in range(count)))
    assert peak < small_peak * 1.25 + 32, f"peak memory grew with the file: {small_peak:.0f} MB -> {peak:.0f} MB"
    emit("import_accounts_per_s", count / seconds, "accounts/s")
    emit("import_peak_mb", peak, "MB")
    emit("import_small_peak_mb", small_peak, "MB")
    emit("reimport_accounts_per_s", count / again_s, "accounts/s")
    emit("copy_rows_per_s", copy_rate, "rows/s")


if __name__ == "__main__":
    main()
