"""The clinic's settings, each declared once: key, type, default, bounds, wording.

Declarations only, no storage (qutebrowser's ``configdata.yml`` idea, in Python):
``store.settings`` reads and writes them in the vault's ``meta`` table as JSON under
``setting.<key>``, and ``services.settings`` changes them with an audit row naming the key, the
old and the new value. The settings screen, the PDF export, the session runner and
``kapcompanion settings show|set`` all go through these declarations.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kapcompanion.core.dose import DEFAULT_MAXIMA, MAX_MG_PER_KG, MAX_TOTAL_MG, USUAL_RANGES, Route

PREFIX = "setting."  # the meta key of a setting is PREFIX + key


class SettingError(ValueError):
    """A value a setting cannot take; the message says what it can take."""


@dataclass(frozen=True)
class Setting:
    key: str
    kind: type  # int, float, bool or str
    default: Any
    label: str
    help: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    #: what a person reads for each choice (same order); the value itself where empty
    choice_labels: tuple[str, ...] = ()

    def choice_label(self, value: str) -> str:
        if value in self.choices and len(self.choice_labels) == len(self.choices):
            return self.choice_labels[self.choices.index(value)]
        return value

    def parse(self, value: Any) -> Any:
        """The value as this setting stores it, or :class:`SettingError` saying why not."""
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "yes", "true", "on"):
                return True
            if text in ("0", "no", "false", "off"):
                return False
            raise SettingError(f"{self.key} is yes or no, not {value!r}.")
        if self.kind in (int, float):
            if isinstance(value, bool):
                raise SettingError(f"{self.key} is a number, not {value!r}.")
            try:
                number = float(str(value).strip()) if isinstance(value, str) else float(value)
            except (TypeError, ValueError):
                raise SettingError(f"{self.key} is a number, not {value!r}.") from None
            if not math.isfinite(number):
                raise SettingError(f"{self.key} is a number, not {value!r}.")
            if self.kind is int:
                if number != int(number):
                    raise SettingError(f"{self.key} is a whole number, not {value!r}.")
                number = int(number)
            unit = f" {self.unit}" if self.unit else ""
            if self.minimum is not None and number < self.minimum:
                raise SettingError(f"{self.key} is at least {self.minimum:g}{unit}.")
            if self.maximum is not None and number > self.maximum:
                raise SettingError(f"{self.key} is at most {self.maximum:g}{unit}.")
            return number
        text = str(value).strip()
        if self.choices and text not in self.choices:
            raise SettingError(f"{self.key} is one of {', '.join(self.choices)}, not {value!r}.")
        return text

    def describe(self, value: Any) -> str:
        if self.kind is bool:
            return "yes" if value else "no"
        if isinstance(value, float):
            value = f"{value:g}"
        return f"{value} {self.unit}".strip()


_REGISTRY: dict[str, Setting] = {}


def declare(setting: Setting) -> Setting:
    if setting.key in _REGISTRY:
        raise RuntimeError(f"setting {setting.key} declared twice")
    setting.parse(setting.default)  # a default that its own bounds refuse is a bug
    _REGISTRY[setting.key] = setting
    return setting


# --------------------------------------------------------------------------- the settings
PAPER_SIZE = declare(
    Setting(
        "paper_size",
        str,
        "a4",
        "Paper size of PDF records",
        "A4 or US Letter.",
        choices=("a4", "letter"),
        choice_labels=("A4", "US Letter"),
    )
)
PART2_NOTICE = declare(
    Setting(
        "part2_notice",
        bool,
        False,
        "42 CFR Part 2 notice on PDF records",
        "For programmes covered by 42 CFR Part 2: every page carries the redisclosure notice.",
    )
)
WEIGHT_UNIT = declare(
    Setting(
        "weight_unit",
        str,
        "kg",
        "Weight unit offered first",
        "The unit a weight field starts in; the other one is always a click away.",
        choices=("kg", "lb"),
    )
)
VITALS_RECHECK_MIN = declare(
    Setting(
        "vitals_recheck_minutes",
        int,
        5,
        "Recheck after a flagged reading",
        "Minutes until the next vitals are due after a reading over the stop thresholds.",
        unit="min",
        minimum=1,
        maximum=30,
    )
)
DISK_FLOOR_MB = declare(
    Setting(
        "disk_free_floor_mb",
        int,
        500,
        "Warn below this free disk space",
        "Before a session starts the app warns when the vault's disk has less free space.",
        unit="MB",
        minimum=50,
        maximum=100_000,
    )
)
PCL5_CUTPOINT = declare(
    Setting(
        "pcl5_cutpoint",
        int,
        33,
        "PCL-5 cut-point",
        "The National Center for PTSD gives 31-33 as a reasonable cut-point for probable PTSD.",
        minimum=31,
        maximum=33,
    )
)

# Minimum time from the last dose to discharge, per route. Defaults, not medical advice:
# - intranasal: 120 min, the esketamine (Spravato) label's "monitor for at least 2 hours after
#   administration"; the plan does not record the enantiomer, so it holds for racemic too;
# - IV: 120 min from the start of the infusion: a 40-minute infusion (Andrade, J Clin Psychiatry
#   2017;78:e852) whose dissociative effects peak at its end and fade over the next hour or so;
#   the consensus statement (Sanacora et al., JAMA Psychiatry 2017;74:399) asks for monitoring
#   until they have resolved, which this leaves room for;
# - IM: 90 min: peak within minutes and an acute experience of about an hour in KAP sessions
#   (Dore et al., J Psychoactive Drugs 2019;51:189), plus a return;
# - sublingual or lozenge, and oral: 120 min: slow, variable absorption (oral bioavailability
#   about 20%) with effects that start later and last longer than IM.
DISCHARGE_MIN_IV = declare(
    Setting(
        "discharge_min_iv",
        int,
        120,
        "Discharge no sooner than (IV)",
        "Minutes from the last IV dose (the start of the infusion) before discharge.",
        unit="min",
        minimum=30,
        maximum=480,
    )
)
DISCHARGE_MIN_IM = declare(
    Setting(
        "discharge_min_im",
        int,
        90,
        "Discharge no sooner than (IM)",
        "Minutes from the last intramuscular dose before discharge.",
        unit="min",
        minimum=30,
        maximum=480,
    )
)
DISCHARGE_MIN_SUBLINGUAL = declare(
    Setting(
        "discharge_min_sublingual",
        int,
        120,
        "Discharge no sooner than (sublingual)",
        "Minutes from the last sublingual or lozenge dose before discharge.",
        unit="min",
        minimum=30,
        maximum=480,
    )
)
DISCHARGE_MIN_INTRANASAL = declare(
    Setting(
        "discharge_min_intranasal",
        int,
        120,
        "Discharge no sooner than (intranasal)",
        "Minutes from the last intranasal dose before discharge (the esketamine label: 2 h).",
        unit="min",
        minimum=30,
        maximum=480,
    )
)
DISCHARGE_MIN_ORAL = declare(
    Setting(
        "discharge_min_oral",
        int,
        120,
        "Discharge no sooner than (oral)",
        "Minutes from the last oral dose before discharge.",
        unit="min",
        minimum=30,
        maximum=480,
    )
)


# Dose maxima per route (issue 19): above the usual range a dose needs a reason of substance
# and a confirmation naming the number; above these it is refused. Defaults and their sources
# are core.dose.DEFAULT_MAXIMA; a maximum cannot go below the top of the usual range (that
# would turn the usual range into a refusal) nor above the units check (10 mg/kg, 1000 mg).
_DOSE_MAX_SOURCE = {
    Route.IV: "Default 1.5 mg/kg: 1.5 times the usual top of 1.0 mg/kg (Nova Health "
    "Recovery's review of the trials), under the 2 mg/kg average IV anaesthetic dose of the "
    "Ketalar label.",
    Route.IM: "Default 3.0 mg/kg and 300 mg: the top of ketamine psychedelic therapy's "
    "2.0-3.0 mg/kg IM (Krupitsky and Grinenko 1997), under a third of the Ketalar label's "
    "6.5-13 mg/kg IM anaesthetic dose.",
    Route.SUBLINGUAL: "Default 450 mg: 1.5 times the 300 mg accepted without question (the "
    "sources give 200-250 mg sublingual: Nova Health Recovery's review).",
    Route.INTRANASAL: "Default 1.5 mg/kg and 150 mg: 1.5 times the usual top; esketamine's "
    "label maximum is 84 mg per session.",
    Route.ORAL: "Default 4.5 mg/kg: 1.5 times the usual top of 3.0 mg/kg (about 20% "
    "bioavailability).",
}


def _dose_max(route: Route, unit: str) -> Setting | None:
    default = DEFAULT_MAXIMA[route]
    usual = USUAL_RANGES[route]
    per_kg = unit == "mg/kg"
    value = default.max_mg_per_kg if per_kg else default.max_total_mg
    if value is None:
        return None
    floor = usual.max_mg_per_kg if per_kg else usual.max_total_mg
    return declare(
        Setting(
            f"dose_max_{route.value}_{'mg_per_kg' if per_kg else 'total_mg'}",
            float,
            value,
            f"Maximum {route.short} dose ({'per kg' if per_kg else 'in total'})",
            "Above the usual range a dose needs a reason and a confirmation; above this it is "
            "refused, for the planned dose and for the session's running total. "
            + _DOSE_MAX_SOURCE[route],
            unit=unit,
            minimum=floor if floor is not None else 0.0,
            maximum=MAX_MG_PER_KG if per_kg else MAX_TOTAL_MG,
        )
    )


#: route -> (maximum in mg/kg, maximum total in mg); None where the route has no such limit
DOSE_MAXIMA: dict[Route, tuple[Setting | None, Setting | None]] = {
    route: (_dose_max(route, "mg/kg"), _dose_max(route, "mg")) for route in Route
}


# Controlled-substance ledger (issue 23): how long an opened vial may be drawn from.
OPENED_VIAL_HOURS = declare(
    Setting(
        "ledger_opened_vial_hours",
        int,
        672,
        "Beyond-use time of an opened vial",
        "After its first draw a vial is flagged once this time has passed, and a draw from it "
        "then needs a reason. USP <797>: a multiple-dose vial (ketamine vials are) up to 28 "
        "days (672 h) after it is first punctured unless the manufacturer says less; a "
        "single-dose vial 12 h when punctured in ISO Class 5 air.",
        unit="h",
        minimum=1,
        maximum=672,
    )
)


# Acute-effect checks (issue 16): sedation (MOAA/S), dissociation and breathing, reminded on the
# session clock from the first device. The esketamine label asks for direct observation for at
# least 2 hours; these intervals are the clinic's, the defaults a common schedule.
ACUTE_CHECK_FIRST_HOUR_MIN = declare(
    Setting(
        "acute_check_first_hour_minutes",
        int,
        15,
        "Sedation and dissociation checks, first hour",
        "Minutes between the acute-effect checks (MOAA/S, dissociation, breathing) during the "
        "first hour after the dose.",
        unit="min",
        minimum=5,
        maximum=60,
    )
)
ACUTE_CHECK_AFTER_MIN = declare(
    Setting(
        "acute_check_after_minutes",
        int,
        30,
        "Sedation and dissociation checks, after the first hour",
        "Minutes between the acute-effect checks after the first hour, until the end of "
        "monitoring.",
        unit="min",
        minimum=5,
        maximum=120,
    )
)
ACUTE_CHECKS_EVERY_SESSION = declare(
    Setting(
        "acute_checks_every_session",
        bool,
        False,
        "Remind the acute-effect checks in every session",
        "Esketamine sessions always remind them; with this on, ketamine sessions by every "
        "route do too.",
    )
)


def all_settings() -> Iterator[Setting]:
    yield from _REGISTRY.values()


def lookup(key: str) -> Setting:
    try:
        return _REGISTRY[key]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise SettingError(f"There is no setting {key!r}. Known settings: {known}.") from None
