"""Hot water (ГВС) on a two-component tariff (rules.md §1.7): two receipt lines.

The volume V (m³) comes from the meter, the average or the norm like any metered service.
Then: heat carrier P = V × T_carrier (руб/m³), and heat P = V × q × T_heat, where q is the
norm of heat energy to heat 1 m³ (Gcal/m³: the norms row of variant "heating_hot_water",
else the setting `hot_water_heat_norm`, 0.06). With a one-component tariff (component "")
it is a single line V × T.
"""
from __future__ import annotations

from decimal import Decimal

from . import metered, norms
from .model import HOT_WATER_HEAT_NORM_VARIANT, AccountInputs, ServiceSpec
from .settings import EngineSettings


def heat_norm(inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> tuple[Decimal, str]:
    """q (Gcal/m³) and where it came from."""
    row = norms.find_norm(inputs.norms.get(service.code, ()), HOT_WATER_HEAT_NORM_VARIANT, 0, 0, inputs.period)
    if row is not None:
        return row.value, f"q = {row.value} Гкал/м³ — норматив расхода тепловой энергии на подогрев воды"
    q = settings.hot_water_heat_norm
    return q, f"q = {q} Гкал/м³ — по умолчанию (настройка hot_water_heat_norm): норматив в данных не задан"


def charge(out: list, inputs: AccountInputs, service: ServiceSpec, settings: EngineSettings) -> metered.Consumption:
    q, note = heat_norm(inputs, service, settings)
    return metered.charge(out, inputs, service, settings, inputs.tariff_variants.get(service.code, ""), q, note)
