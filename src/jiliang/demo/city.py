"""The fictional city of 滨江市 (Binjiang): districts and organizations of every kind.

Pure generation: given a size and a seeded ``random.Random`` it returns the same city every time.
Names are fictional; credit codes are valid GB 32100 codes under the fictional division 4499xx.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jiliang.platform import credit_code
from jiliang.platform.models import OrgKind

__all__ = ["DISTRICTS", "SIZES", "City", "OrgSpec", "build_orgs"]

CITY_NAME = "滨江市"
CITY_NAME_EN = "Binjiang"

# code, Chinese name, English name
DISTRICTS: list[tuple[str, str, str]] = [
    ("449901", "江城区", "Jiangcheng"),
    ("449902", "滨海区", "Binhai"),
    ("449903", "新港区", "Xingang"),
    ("449904", "高新区", "High-Tech Zone"),
    ("449905", "东湖区", "Donghu"),
    ("449906", "西山区", "Xishan"),
    ("449907", "南岭县", "Nanling County"),
    ("449908", "北塘县", "Beitang County"),
]

# How many organizations of each kind per district (small, city).
SIZES: dict[str, dict[OrgKind, int]] = {
    "small": {
        OrgKind.FUEL_STATION: 2,
        OrgKind.MARKET: 2,
        OrgKind.HOSPITAL: 1,
        OrgKind.FACTORY: 3,
        OrgKind.CHARGING: 1,
        OrgKind.TAXI: 0,
        OrgKind.ENVIRONMENT: 0,
    },
    "city": {
        OrgKind.FUEL_STATION: 60,
        OrgKind.MARKET: 45,
        OrgKind.HOSPITAL: 25,
        OrgKind.FACTORY: 220,
        OrgKind.CHARGING: 12,
        OrgKind.TAXI: 4,
        OrgKind.ENVIRONMENT: 3,
    },
}

_SURNAMES = "华 恒 达 鑫 盛 嘉 瑞 锦 德 宏 泰 昌 丰 源 和 兴 隆 旺 永 信 安 康 富 荣".split()
_WORDS = "江 海 山 湖 港 城 星 光 明 阳 林 云 天 新 金 银 宝 东 南 西 北 中".split()
_FACTORY_TRADES = [
    ("精密机械", "Precision Machinery"),
    ("电子科技", "Electronics"),
    ("化工", "Chemicals"),
    ("食品", "Foods"),
    ("制药", "Pharmaceuticals"),
    ("汽车零部件", "Auto Parts"),
    ("钢铁", "Steel"),
    ("纺织", "Textiles"),
    ("建材", "Building Materials"),
    ("包装", "Packaging"),
]
_PINYIN = dict(
    zip(
        _SURNAMES + _WORDS,
        "Hua Heng Da Xin Sheng Jia Rui Jin De Hong Tai Chang Feng Yuan He Xing Long Wang Yong Xin An "
        "Kang Fu Rong Jiang Hai Shan Hu Gang Cheng Xing Guang Ming Yang Lin Yun Tian Xin Jin Yin Bao "
        "Dong Nan Xi Bei Zhong".split(),
        strict=True,
    )
)


@dataclass(frozen=True, slots=True)
class OrgSpec:
    """One organization of the demo city, before it is stored."""

    key: str
    name: str
    name_en: str
    kind: OrgKind
    district_code: str | None
    credit_code: str
    accreditation_code: str | None = None
    address: str | None = None


@dataclass(slots=True)
class City:
    """What seeders of later capabilities receive: the size, the date of the data, the stored ids."""

    size: str
    seed: int
    as_of: date
    district_ids: dict[str, int] = field(default_factory=dict)
    org_ids: dict[str, int] = field(default_factory=dict)
    orgs_by_kind: dict[OrgKind, list[int]] = field(default_factory=dict)
    org_district: dict[int, int | None] = field(default_factory=dict)
    data_dir: Path | None = None
    """Where seeders keep files (e.g. the demo CA); None: nothing is written to disk."""


def _brand(rng: random.Random) -> tuple[str, str]:
    a, b = rng.choice(_SURNAMES), rng.choice(_WORDS)
    return a + b, _PINYIN[a] + _PINYIN[b].lower()


class _Codes:
    """Credit codes drawn from the seeded generator, never the same one twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def __call__(self, division: str, category: str = "91") -> str:
        """A new valid GB 32100 code in ``division`` of ``category`` (11 organ, 12 institution, 91 company)."""
        while True:
            c = credit_code.generate(self._rng, division, category)
            if c not in self._used:
                self._used.add(c)
                return c


def build_orgs(size: str, rng: random.Random) -> list[OrgSpec]:
    """Every organization of the city for ``size`` (``small`` or ``city``)."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; use small or city")
    code = _Codes(rng)
    orgs = _city_institutions(code)
    for dcode, dname, dname_en in DISTRICTS[1:]:
        orgs.append(
            OrgSpec(
                f"regulator-{dcode}",
                f"{CITY_NAME}{dname}市场监督管理局",
                f"{dname_en} District Administration for Market Regulation",
                OrgKind.REGULATOR,
                dcode,
                code(dcode, "11"),
            )
        )
    orgs.extend(_businesses(SIZES[size], code, rng))
    return orgs


def _city_institutions(code: _Codes) -> list[OrgSpec]:
    """The city's regulator, metrology institute, three calibration labs and three utilities."""
    centre = DISTRICTS[0][0]
    head = [
        OrgSpec(
            "regulator",
            f"{CITY_NAME}市场监督管理局",
            f"{CITY_NAME_EN} Administration for Market Regulation",
            OrgKind.REGULATOR,
            centre,
            code(centre, "11"),
        ),
        OrgSpec(
            "institute",
            f"{CITY_NAME}计量检测研究院",
            f"{CITY_NAME_EN} Institute of Metrology",
            OrgKind.INSTITUTE,
            centre,
            code(centre, "12"),
            "CNAS L0001-D",
            "江城区计量路1号",
        ),
    ]
    return head + _city_labs(code) + _city_utilities(code)


def _city_labs(code: _Codes) -> list[OrgSpec]:
    """The three calibration laboratories (energy, medical, industry)."""
    return [
        OrgSpec(
            "lab-energy",
            f"{CITY_NAME}能源计量检测中心",
            f"{CITY_NAME_EN} Energy Metrology Centre",
            OrgKind.LAB,
            DISTRICTS[3][0],
            code(DISTRICTS[3][0], "12"),
            "CNAS L0002-D",
        ),
        OrgSpec(
            "lab-medical",
            f"{CITY_NAME}医学计量校准实验室",
            f"{CITY_NAME_EN} Medical Calibration Laboratory",
            OrgKind.LAB,
            DISTRICTS[4][0],
            code(DISTRICTS[4][0]),
            "CNAS L0003-D",
        ),
        OrgSpec(
            "lab-industry",
            "滨江精测校准技术有限公司",
            "Binjiang Precision Calibration Co., Ltd.",
            OrgKind.LAB,
            DISTRICTS[2][0],
            code(DISTRICTS[2][0]),
            "CNAS L0004-D",
        ),
    ]


def _city_utilities(code: _Codes) -> list[OrgSpec]:
    """The power, water and gas utilities."""
    centre = DISTRICTS[0][0]
    return [
        OrgSpec(
            "power",
            "滨江供电局",
            f"{CITY_NAME_EN} Power Supply Bureau",
            OrgKind.UTILITY,
            centre,
            code(centre),
        ),
        OrgSpec(
            "water",
            "滨江水务集团有限公司",
            f"{CITY_NAME_EN} Water Group",
            OrgKind.UTILITY,
            centre,
            code(centre),
        ),
        OrgSpec(
            "gas",
            "滨江燃气有限公司",
            f"{CITY_NAME_EN} Gas Co., Ltd.",
            OrgKind.UTILITY,
            DISTRICTS[1][0],
            code(DISTRICTS[1][0]),
        ),
    ]


def _businesses(counts: dict[OrgKind, int], code: _Codes, rng: random.Random) -> list[OrgSpec]:
    """The fuel stations, markets, hospitals, factories and others of every district, ``counts`` of each kind."""
    orgs: list[OrgSpec] = []
    for dcode, dname, dname_en in DISTRICTS:
        for kind, n in counts.items():
            for i in range(n):
                brand, brand_en = _brand(rng)
                key = f"{kind.value}-{dcode}-{i}"
                name, en = _business_name(kind, i, brand, brand_en, dname, dname_en, rng)
                name = (
                    f"{name}" if i < 1 else f"{name}({i + 1})" if kind is not OrgKind.FUEL_STATION else name
                )
                orgs.append(
                    OrgSpec(
                        key,
                        name,
                        en,
                        kind,
                        dcode,
                        code(dcode),
                        address=f"{dname}{rng.choice(_WORDS)}{rng.choice(_WORDS)}路{rng.randint(1, 999)}号",
                    )
                )
    return orgs


def _business_name(
    kind: OrgKind, i: int, brand: str, brand_en: str, dname: str, dname_en: str, rng: random.Random
) -> tuple[str, str]:
    """The Chinese and English name of the ``i``-th business of ``kind`` in a district (a factory draws its trade)."""
    if kind is OrgKind.FUEL_STATION:
        return f"{brand}石油{dname}第{i + 1}加油站", f"{brand_en} Petroleum {dname_en} Station {i + 1}"
    if kind is OrgKind.MARKET:
        return f"{dname}{brand}农贸市场", f"{dname_en} {brand_en} Farmers' Market"
    if kind is OrgKind.HOSPITAL:
        return f"{CITY_NAME}{dname}{brand}医院", f"{dname_en} {brand_en} Hospital"
    if kind is OrgKind.FACTORY:
        trade, trade_en = rng.choice(_FACTORY_TRADES)
        return f"滨江{brand}{trade}有限公司", f"Binjiang {brand_en} {trade_en} Co., Ltd."
    if kind is OrgKind.CHARGING:
        return f"{brand}新能源充电服务有限公司", f"{brand_en} EV Charging Services"
    if kind is OrgKind.TAXI:
        return f"滨江{brand}出租汽车有限公司", f"Binjiang {brand_en} Taxi Co."
    return f"{dname}环境监测站", f"{dname_en} Environmental Monitoring Station"
