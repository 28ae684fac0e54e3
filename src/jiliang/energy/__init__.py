"""Energy metering review (能源计量审查, GB 17167, GB/T 43866-2024) and carbon measurement.

* :mod:`jiliang.energy.tables` — GB 17167 editions (Tables 3 and 4) and emission factors as data.
* :mod:`jiliang.energy.rates` — pure: 配备率, accuracy classes, verification status.
* :mod:`jiliang.energy.carbon` — pure: E = Σ A·F with its GUM uncertainty (jiliang.uncertainty).
* :mod:`jiliang.energy.files` — inventory and activity CSV files, checked before anything is stored.
* :mod:`jiliang.energy.service`, :mod:`jiliang.energy.review`, :mod:`jiliang.energy.carbon_service` —
  units and inventories, reviews with findings, carbon reports per unit and per city.
"""

from jiliang.energy.carbon import ActivityLine, CarbonResult, FactorTerm, emissions
from jiliang.energy.carbon_service import (
    CarbonReport,
    UnitCarbon,
    carbon_report,
    import_activity,
    period_end,
    summary_line,
)
from jiliang.energy.files import ENERGY_TYPES, MAX_CSV_BYTES, parse_activity, parse_inventory
from jiliang.energy.models import (
    EnergyActivity,
    EnergyFinding,
    EnergyMeter,
    EnergyRequirement,
    EnergyReview,
    EnergyUnit,
)
from jiliang.energy.rates import (
    ConfigurationRate,
    accuracy_ok,
    configuration_rate,
    configuration_rates,
    parse_class,
)
from jiliang.energy.review import (
    SEVERITIES,
    TRANSITIONS,
    ReviewView,
    add_finding,
    advance_review,
    create_review,
    et_zh,
    list_reviews,
    review_view,
)
from jiliang.energy.service import (
    MeterRow,
    UnitRow,
    UnitView,
    get_unit,
    import_inventory,
    list_units,
    register_unit,
    set_requirements,
    unit_view,
)
from jiliang.energy.tables import Edition, EmissionFactor, edition_for, editions, emission_factors

__all__ = [
    "ENERGY_TYPES",
    "MAX_CSV_BYTES",
    "SEVERITIES",
    "TRANSITIONS",
    "ActivityLine",
    "CarbonReport",
    "CarbonResult",
    "ConfigurationRate",
    "Edition",
    "EmissionFactor",
    "EnergyActivity",
    "EnergyFinding",
    "EnergyMeter",
    "EnergyRequirement",
    "EnergyReview",
    "EnergyUnit",
    "FactorTerm",
    "MeterRow",
    "ReviewView",
    "UnitCarbon",
    "UnitRow",
    "UnitView",
    "accuracy_ok",
    "add_finding",
    "advance_review",
    "carbon_report",
    "configuration_rate",
    "configuration_rates",
    "create_review",
    "edition_for",
    "editions",
    "emission_factors",
    "emissions",
    "et_zh",
    "get_unit",
    "import_activity",
    "import_inventory",
    "list_reviews",
    "list_units",
    "parse_activity",
    "parse_class",
    "parse_inventory",
    "period_end",
    "register_unit",
    "review_view",
    "set_requirements",
    "summary_line",
    "unit_view",
]
