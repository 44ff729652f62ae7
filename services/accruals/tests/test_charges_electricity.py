"""Electricity (rules.md §0.4, §9, §11.4): variants, zones, the 2026 monthly-volume ranges."""
from decimal import Decimal as D

import pytest

from accruals.domain.charges import ChargeError, EngineSettings, Tariff, compute
from accruals.domain.charges import samples as s

WHOLE = EngineSettings(electricity_ranges="whole_volume")


def charge(volume, settings=None, **kw):
    account = s.account(s.ELECTRICITY, meters={"electricity": (s.meter(volume),)}, **kw)
    return compute(account, settings) if settings else compute(account)


def summary(lines):
    return [(line.band, line.volume, line.tariff, line.amount) for line in lines]


def test_within_the_first_range_one_line_urban():
    [line] = charge("250")
    assert (line.band, line.tariff, line.amount) == ("0–3900", D("6.36"), D("1590.00"))


@pytest.mark.parametrize(("variant", "kw", "rate"), [
    ("urban", {}, "6.36"),
    ("urban_electric_stove", {"electric_stove": True}, "5.18"),
    ("rural", {"settlement": "rural", "electric_stove": True}, "4.97"),
])
def test_variant(variant, kw, rate):
    assert charge("100", **kw)[0].tariff == D(rate)


def test_variant_override():
    assert charge("100", tariff_variants={"electricity": "rural"})[0].tariff == D("4.97")


def test_exactly_at_the_first_limit_stays_in_the_first_range():
    assert summary(charge("3900")) == [("0–3900", D("3900"), D("6.36"), D("24804.00"))]
    assert summary(charge("3900", WHOLE)) == [("0–3900", D("3900"), D("6.36"), D("24804.00"))]


def test_a_limit_crossed_mid_volume_splits_the_volume_marginal():
    assert summary(charge("3900.5")) == [("0–3900", D("3900"), D("6.36"), D("24804.00")),
                                         ("3900–6000", D("0.5"), D("8.51"), D("4.26"))]   # 4.255 -> 4.26
    assert summary(charge("4500")) == [("0–3900", D("3900"), D("6.36"), D("24804.00")),
                                       ("3900–6000", D("600"), D("8.51"), D("5106.00"))]


def test_all_three_ranges_marginal():
    assert summary(charge("6001")) == [("0–3900", D("3900"), D("6.36"), D("24804.00")),
                                       ("3900–6000", D("2100"), D("8.51"), D("17871.00")),
                                       ("> 6000", D("1"), D("10.05"), D("10.05"))]
    assert summary(charge("6000"))[-1] == ("3900–6000", D("2100"), D("8.51"), D("17871.00"))


def test_whole_volume_mode_prices_everything_at_the_range_reached():
    assert summary(charge("4500", WHOLE)) == [("3900–6000", D("4500"), D("8.51"), D("38295.00"))]
    assert summary(charge("6000.001", WHOLE)) == [("> 6000", D("6000.001"), D("10.05"), D("60300.01"))]


def test_zones_each_at_their_rate():
    meters = {"electricity": (s.meter("150", zone="day"), s.meter("90", zone="night", meter_id="m1"))}
    day, night = compute(s.account(s.ELECTRICITY, meters=meters))
    assert (day.zone, day.tariff, day.amount) == ("day", D("7.31"), D("1096.50"))
    assert (night.zone, night.tariff, night.amount) == ("night", D("3.82"), D("343.80"))


def test_zones_and_ranges_share_each_range_in_proportion():
    meters = {"electricity": (s.meter("3000", zone="day"), s.meter("1500", zone="night"))}
    lines = compute(s.account(s.ELECTRICITY, meters=meters))
    assert [(line.zone, line.band, line.volume) for line in lines] == [
        ("day", "0–3900", D("2600.000")), ("day", "3900–6000", D("400.000")),
        ("night", "0–3900", D("1300.000")), ("night", "3900–6000", D("200.000"))]
    assert sum(line.volume for line in lines) == D("4500")


def test_zone_without_its_own_rate_uses_the_single_rate():
    tariffs = {"electricity": (Tariff(D("6.36")),)}
    [line] = compute(s.account(s.ELECTRICITY, tariffs=tariffs, meters={"electricity": (s.meter("10", zone="day"),)}))
    assert (line.zone, line.tariff) == ("day", D("6.36"))


def test_norm_on_zone_tariffs_only_falls_back_to_the_day_rate():
    tariffs = {"electricity": (Tariff(D("7"), zone="day"), Tariff(D("3"), zone="night"))}
    [line] = compute(s.account(s.ELECTRICITY, tariffs=tariffs, meter_installable=False))
    assert line.tariff == D("7")
    with pytest.raises(ChargeError, match="single-rate"):
        compute(s.account(s.ELECTRICITY, tariffs=tariffs, meter_installable=False), EngineSettings(norm_zone_fallback="peak"))


def test_ranges_with_a_gap_are_an_error():
    tariffs = {"electricity": (Tariff(D("6"), range_to=D("3900")), Tariff(D("8"), range_from=D("4000")))}
    with pytest.raises(ChargeError, match="ranges"):
        compute(s.account(s.ELECTRICITY, tariffs=tariffs, meters={"electricity": (s.meter("10"),)}))


def test_ranges_and_a_tariff_change_inside_the_month():
    import datetime as dt
    tariffs = {"electricity": (
        Tariff(D("6"), range_to=D("3900"), valid_to=dt.date(2026, 3, 15)),
        Tariff(D("8"), range_from=D("3900"), valid_to=dt.date(2026, 3, 15)),
        Tariff(D("7"), range_to=D("3900"), valid_from=dt.date(2026, 3, 16)),
        Tariff(D("9"), range_from=D("3900"), valid_from=dt.date(2026, 3, 16)))}
    lines = compute(s.account(s.ELECTRICITY, tariffs=tariffs, meters={"electricity": (s.meter("4210"),)}),
                    EngineSettings(tariff_split_by_days=True))
    assert [(line.band, line.tariff, line.volume) for line in lines] == [
        ("0–3900", D("6"), D("1887.097")), ("0–3900", D("7"), D("2012.903")),
        ("> 3900", D("8"), D("150.000")), ("> 3900", D("9"), D("160.000"))]
