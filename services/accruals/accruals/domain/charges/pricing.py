"""From volumes to charge lines: tariff choice, volume ranges, tariff periods, components.

A rule module works out one or more *parts* of a service's volume for the period (a zone's
meter volume, an average, a norm volume, a catch-up) with the explanation of how it got
each, and hands them to `price`, which

1. picks the tariffs of the account's variant valid in the period (`TariffView`, memoised
   per shared tariff tuple, variant and period, so the monthly run builds each view once);
2. splits the month's volume between monthly-volume ranges when the tariffs have them
   (electricity 2026: marginal by default, or whole-volume), sharing each range's volume
   among the parts in proportion to their volumes;
3. splits a volume between tariff periods by days when a tariff changes inside the month and
   `tariff_split_by_days` is on (otherwise the tariff valid on the 1st applies);
4. makes one line per component (ГВС: heat carrier m³ × руб/m³ and heat Gcal × руб/Gcal).

Every line gets P = V × T rounded to the kopeck and the explanation steps that lead there.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gorod_runtime.period import Period

from .model import HEAT, ChargeError, ChargeLine, Explanation, Tariff
from .money import CENT, CTX, ZERO, ZERO_MONEY, divide, period_days, quantize, round_money
from .settings import MARGINAL, EngineSettings

ONE_DAY = dt.timedelta(days=1)
_quantize = CTX.quantize
# A *part* of a service's volume is a plain tuple (cheap to make, nothing to copy):
# (zone, volume, method, recalculation, reason, volume formula, inputs, steps, notes).


class TariffView:
    """The tariffs of one service, variant and period, laid out for lookups."""
    __slots__ = ("source", "period", "bands", "segments", "rates", "components", "error", "simple")

    def __init__(self, source, period, bands, segments, rates, components, error):
        self.source = source            # the tariff tuple it was built from (identity check of the memo)
        self.period = period
        self.bands = bands              # ((from, to | None, label), ...); one ("0", None, "") without ranges
        self.segments = segments        # ((first day, last day, days), ...); one without a split
        self.rates = rates              # {(zone, component, band index, segment index): (rate, its text)}
        self.components = components    # {zone: (component, ...)}
        self.error = error              # why the tariffs cannot price this period, or ""
        self.simple = len(bands) == 1 and len(segments) == 1


# Memo of views. The run shares one tariff tuple per service and one Period object among its
# accounts, so the first dict is keyed by identities (no hashing of a Period); the second,
# by value, catches equal periods that are distinct objects. Both are checked by identity of
# the tariff tuple, so a recycled id() never returns a stale view.
_by_identity: dict[tuple, TariffView] = {}
_by_value: dict[tuple, TariffView] = {}
_VIEWS_MAX = 4096


def tariff_view(tariffs: tuple[Tariff, ...], variant: str, period: Period, split_by_days: bool) -> TariffView:
    key = (id(tariffs), variant, id(period), split_by_days)
    view = _by_identity.get(key)
    if view is not None and view.source is tariffs and view.period is period:
        return view
    value_key = (id(tariffs), variant, period, split_by_days)
    view = _by_value.get(value_key)
    if view is None or view.source is not tariffs:
        if len(_by_value) >= _VIEWS_MAX:
            _by_value.clear()
        view = _by_value[value_key] = _build_view(tariffs, variant, period, split_by_days)
    if len(_by_identity) >= _VIEWS_MAX:
        _by_identity.clear()
    if view.period is not period:
        view = TariffView(view.source, period, view.bands, view.segments, view.rates, view.components, view.error)
    _by_identity[key] = view
    return view


def _band_label(low: Decimal, high: Decimal | None) -> str:
    return f"{low}–{high}" if high is not None else f"> {low}"


def _build_view(tariffs, variant, period, split_by_days) -> TariffView:
    rows = [t for t in tariffs if t.variant == variant] if variant else []
    if not rows:
        rows = [t for t in tariffs if not t.variant]
    first, last, days = period_days(period)
    starts = {first}
    if split_by_days:
        for t in rows:
            if first < t.valid_from <= last:
                starts.add(t.valid_from)
            if t.valid_to is not None and first <= t.valid_to < last:
                starts.add(t.valid_to + ONE_DAY)
    ordered = sorted(starts)
    segments = tuple((start, (ordered[i + 1] - ONE_DAY) if i + 1 < len(ordered) else last,
                      ((ordered[i + 1] if i + 1 < len(ordered) else last + ONE_DAY) - start).days)
                     for i, start in enumerate(ordered))
    valid = [[t for t in rows if t.valid_from <= seg[0] and (t.valid_to is None or t.valid_to >= seg[0])] for seg in segments]
    spans = sorted({(t.range_from, t.range_to) for seg_rows in valid for t in seg_rows}, key=lambda s: s[0])
    error = ""
    if not any(valid):
        error = f"no tariff valid on {first}" + (f" for variant {variant!r}" if variant else "")
    elif spans[0][0] != ZERO or spans[-1][1] is not None or any(spans[i][1] != spans[i + 1][0] for i in range(len(spans) - 1)):
        error = "the tariff's volume ranges do not cover 0 to infinity without gaps or overlaps"
    bands = ((ZERO, None, ""),) if len(spans) <= 1 else tuple((low, high, _band_label(low, high)) for low, high in spans)
    band_index = {low: i for i, (low, _high, _label) in enumerate(bands)}
    rates: dict[tuple, Decimal] = {}
    components: dict[str, list[str]] = {}
    for si, seg_rows in enumerate(valid):
        for t in seg_rows:
            bi = band_index.get(t.range_from, 0) if len(bands) > 1 else 0
            key = (t.zone, t.component, bi, si)
            if key in rates and not error:
                error = (f"two tariffs valid on {segments[si][0]} for zone {t.zone!r}, component {t.component!r}, "
                         f"range from {t.range_from}")
            rates[key] = (t.rate, str(t.rate))
            zone_components = components.setdefault(t.zone, [])
            if t.component not in zone_components:
                zone_components.append(t.component)
    return TariffView(tariffs, period, bands, segments, rates,
                      {zone: tuple(sorted(comps)) for zone, comps in components.items()}, error)


def band_portions(volume: Decimal, bands, mode: str) -> list[tuple[int, Decimal]]:
    """The volume's share in each range: marginal (stepwise) or all of it in the range it reaches.

    Ranges are (from, to]: a volume exactly at a limit stays in the lower range.
    """
    if mode == MARGINAL:
        portions = []
        for i, (low, high, _label) in enumerate(bands):
            if volume <= low and i:
                break
            top = volume if high is None or volume < high else high
            portions.append((i, top - low))
        return portions
    for i, (_low, high, _label) in enumerate(bands):
        if high is None or volume <= high:
            return [(i, volume)]
    return [(len(bands) - 1, volume)]  # pragma: no cover - the last band is open


def _share(amount: Decimal, weights: list[Decimal], quantum: Decimal) -> list[Decimal]:
    """`amount` in proportion to `weights`, each rounded to `quantum`, the last taking the remainder."""
    whole = sum(weights)
    shares = []
    left = amount
    for weight in weights[:-1]:
        share = quantize(divide(amount * weight, whole), quantum) if whole else ZERO
        shares.append(share)
        left -= share
    shares.append(left)
    return shares


def price(out: list, account: str, service_code: str, unit: str, view: TariffView, parts, settings: EngineSettings,
          heat_q: Decimal | None = None, heat_q_note: str = "") -> None:
    """Append the lines of `parts` priced with `view` to `out`."""
    if view.error:
        raise ChargeError(account, service_code, view.error)
    if view.simple:
        _price_simple(out, account, service_code, unit, view, parts, settings, heat_q, heat_q_note, "")
        return
    bands = view.bands
    if len(view.segments) == 1 and _within_first_band(parts, bands[0][1]):
        _price_simple(out, account, service_code, unit, view, parts, settings, heat_q, heat_q_note, bands[0][2])
        return
    segments = view.segments
    single_band = len(bands) == 1
    single_segment = len(segments) == 1
    band_note = ""
    if single_band:
        allocations = [((0, part[1]),) for part in parts]
    else:
        allocations, month_volume = _allocate_bands(parts, bands, settings)
        how = ("ступенчато: каждая часть объёма по тарифу своего диапазона" if settings.electricity_ranges == MARGINAL
               else "весь объём по тарифу диапазона, которого достиг объём месяца")
        band_note = (f"объём месяца {month_volume} по диапазонам ({how}; electricity_ranges = {settings.electricity_ranges})"
                     + ("; объём диапазона разделён между частями пропорционально их объёмам" if len(parts) > 1 else ""))
    for part, portions in zip(parts, allocations, strict=True):
        zone, volume, method, recalculation, reason, vformula, pinputs, psteps, pnotes = part
        if band_note:
            pnotes = pnotes + ((band_note if volume >= 0 else "уменьшение объёма — по тарифу первого диапазона"),)
        zone_key = _zone(view, zone, settings)
        if zone_key is None:
            raise ChargeError(account, service_code, f"no tariff for zone {zone!r}" if zone else "no single-rate tariff")
        components = view.components[zone_key]
        for band, band_volume in portions:
            if single_band:
                band_label = ""
                bsteps = psteps
            else:
                band_label = bands[band][2]
                bsteps = psteps + ((f"V в диапазоне {band_label}", str(band_volume)),)
            if single_segment:
                seg_volumes = ((0, band_volume),)
            else:
                seg_volumes = tuple(enumerate(_share(band_volume, [s[2] for s in segments], settings.split_quantum)))
            for si, seg_volume in seg_volumes:
                if single_segment:
                    ssteps = bsteps
                    notes = pnotes
                else:
                    start, end, days = segments[si]
                    ssteps = bsteps + ((f"V по тарифу {start:%d.%m}–{end:%d.%m} ({days} дн.)", str(seg_volume)),)
                    notes = pnotes + ("тариф сменился внутри месяца: объём разделён по дням (tariff_split_by_days)",)
                for component in components:
                    found = view.rates.get((zone_key, component, band, si))
                    if found is None:
                        raise ChargeError(account, service_code,
                                          f"no tariff for zone {zone_key!r}, component {component!r}, band {band}, "
                                          f"from {segments[si][0]}")
                    rate = found[0]
                    inputs = dict(pinputs)
                    if component == HEAT:
                        if heat_q is None:
                            raise ChargeError(account, service_code, "a heat component needs the Gcal/m³ norm")
                        line_volume = seg_volume * heat_q
                        raw = line_volume * rate
                        inputs["q"] = str(heat_q)
                        inputs["T_тэ"] = str(rate)
                        steps = ssteps + (("V_тэ = V × q, Гкал", f"{seg_volume} × {heat_q} = {line_volume}"),
                                          ("P = V_тэ × T_тэ", f"{line_volume} × {rate} = {raw}"))
                        formula = _formula(vformula, _HEAT_FORMULA)
                        line_unit = "Gcal"
                        line_notes = notes + (heat_q_note,) if heat_q_note else notes
                    else:
                        line_volume = seg_volume
                        raw = seg_volume * rate
                        inputs["T"] = str(rate)
                        steps = ssteps + (("P = V × T", f"{seg_volume} × {rate} = {raw}"),)
                        formula = _formula(vformula, _FORMULA)
                        line_unit = unit
                        line_notes = notes
                    amount = round_money(raw)
                    out.append(ChargeLine(service_code, component, zone, band_label, method, line_volume, line_unit, rate,
                                          amount, recalculation, reason,
                                          Explanation(formula, inputs, steps + (("P, до копейки", str(amount)),),
                                                      line_notes)))


def _within_first_band(parts, limit) -> bool:
    """The month's volume stays in the first range, in either range mode."""
    total = ZERO
    for part in parts:
        if part[1] < 0:
            return False
        total += part[1]
    return limit is None or total <= limit


def _price_simple(out, account, service_code, unit, view, parts, settings, heat_q, heat_q_note, band) -> None:
    """`price` for one range and one tariff period (the usual case), kept lean."""
    rates = view.rates
    components = view.components
    for zone, volume, method, recalculation, reason, vformula, pinputs, psteps, pnotes in parts:
        zone_key = zone if zone in components else _zone(view, zone, settings)
        if zone_key is None:
            raise ChargeError(account, service_code, f"no tariff for zone {zone!r}" if zone else "no single-rate tariff")
        for component in components[zone_key]:
            rate, rate_text = rates[(zone_key, component, 0, 0)]
            inputs = pinputs.copy()
            if component == HEAT:
                if heat_q is None:
                    raise ChargeError(account, service_code, "a heat component needs the Gcal/m³ norm")
                line_volume = volume * heat_q
                raw = line_volume * rate
                amount = _quantize(raw, CENT) or ZERO_MONEY
                line_volume_text = str(line_volume)
                inputs["q"] = str(heat_q)
                inputs["T_тэ"] = rate_text
                steps = psteps + (("V_тэ = V × q, Гкал", f"{volume} × {heat_q} = {line_volume_text}"),
                                  ("P = V_тэ × T_тэ", f"{line_volume_text} × {rate_text} = {raw}"),
                                  ("P, до копейки", str(amount)))
                formula = _formulas.get((vformula, _HEAT_FORMULA)) or _formula(vformula, _HEAT_FORMULA)
                out.append(ChargeLine(service_code, component, zone, band, method, line_volume, "Gcal", rate, amount,
                                      recalculation, reason,
                                      Explanation(formula, inputs, steps, pnotes + (heat_q_note,) if heat_q_note else pnotes)))
            else:
                raw = volume * rate
                amount = _quantize(raw, CENT) or ZERO_MONEY
                inputs["T"] = rate_text
                steps = psteps + (("P = V × T", f"{volume} × {rate_text} = {raw}"), ("P, до копейки", str(amount)))
                formula = _formulas.get((vformula, _FORMULA)) or _formula(vformula, _FORMULA)
                out.append(ChargeLine(service_code, component, zone, band, method, volume, unit, rate, amount,
                                      recalculation, reason, Explanation(formula, inputs, steps, pnotes)))


_FORMULA = "P = V × T"
_HEAT_FORMULA = "P = V × q × T_тэ"
_formulas: dict[tuple[str, str], str] = {}


def _formula(vformula: str, head: str) -> str:
    """"P = V × T; <how V was obtained>", memoised: the volume formulas are a few constants."""
    found = _formulas.get((vformula, head))
    if found is None:
        found = head + "; " + vformula if vformula else head
        if len(_formulas) < 1024:
            _formulas[(vformula, head)] = found
    return found


def _zone(view: TariffView, zone: str, settings: EngineSettings) -> str | None:
    components = view.components
    if zone in components:
        return zone
    if zone:
        return "" if "" in components else None
    fallback = settings.norm_zone_fallback
    return fallback if fallback in components else None


def _allocate_bands(parts, bands, settings: EngineSettings) -> tuple[list, Decimal]:
    """Range portions of the month's total volume shared among the parts (negative parts: first range)."""
    mode = settings.electricity_ranges
    positive = [i for i, part in enumerate(parts) if part[1] >= 0]
    total = sum((parts[i][1] for i in positive), ZERO)
    portions = band_portions(total, bands, mode)
    allocations: list = [((0, part[1]),) for part in parts]
    if not positive:
        return allocations, total
    if len(positive) == 1:
        allocations[positive[0]] = tuple(portions)
        return allocations, total
    weights = [parts[i][1] for i in positive]
    per_part: list[list] = [[] for _ in positive]
    for band, portion in portions:
        for j, share in enumerate(_share(portion, weights, settings.split_quantum)):
            per_part[j].append((band, share))
    for j, i in enumerate(positive):
        allocations[i] = tuple(per_part[j])
    return allocations, total
