"""The shipped instrument files: wording, thresholds, licences, and no C-SSRS anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kapcompanion.core import serial
from kapcompanion.core.bundled import bundled_resource
from kapcompanion.core.measures import (
    InstrumentFileError,
    instrument,
    load_instruments,
    parse_instrument,
)
from kapcompanion.paths import resource

SHIPPED = {"phq9", "gad7", "pcl5", "aaq2", "craving10", "craving100"}


def test_core_resolver_matches_the_app_resolver() -> None:
    assert bundled_resource("measures") == resource("measures")


def test_all_instruments_load() -> None:
    assert set(load_instruments()) == SHIPPED


def test_no_file_mentions_the_cssrs() -> None:
    folders = [resource("measures"), resource("prompts")]
    files = [p for f in folders for p in f.glob("*.json")]
    assert len(files) >= 7
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for banned in ("c-ssrs", "cssrs", "columbia"):
            assert banned not in text, f"{path.name} mentions {banned}"


def test_published_stems_and_key_wording() -> None:
    phq9, gad7, pcl5, aaq2 = (instrument(i) for i in ("phq9", "gad7", "pcl5", "aaq2"))
    assert phq9.instructions == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert phq9.items[8].text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert [o.label for o in phq9.options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert gad7.items[0].text == "Feeling nervous, anxious, or on edge"
    assert gad7.items[6].text == "Feeling afraid, as if something awful might happen"
    assert pcl5.items[19].text == "Trouble falling or staying asleep?"
    assert [o.label for o in pcl5.options] == [
        "Not at all",
        "A little bit",
        "Moderately",
        "Quite a bit",
        "Extremely",
    ]
    assert aaq2.items[1].text == "I'm afraid of my feelings."
    assert aaq2.options[0].label == "Never true" and aaq2.options[-1].label == "Always true"
    assert "31-33" in pcl5.notes and "Bond" in aaq2.source
    assert "public domain" in pcl5.license and "No permission required" in phq9.license


def test_phq9_difficulty_question_is_present() -> None:
    (question,) = instrument("phq9").extra_questions
    assert question.id == "difficulty"
    assert [o.label for o in question.options][-1] == "Extremely difficult"


def test_response_remission_and_direction_per_instrument() -> None:
    expected = {
        "phq9": (50, 5),
        "gad7": (50, 5),
        "pcl5": (50, 33),
        "aaq2": (None, None),
        "craving10": (50, None),
        "craving100": (50, None),
    }
    for inst_id, (drop, remission) in expected.items():
        inst = instrument(inst_id)
        assert (inst.response_drop_pct, inst.remission_below) == (drop, remission), inst_id
        assert inst.direction.value == "higher_worse"
        assert inst.prorating is None  # none of the publications gives a prorating rule


def _phq9_data() -> dict[str, object]:
    data = serial.to_jsonable(instrument("phq9"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "bands": [
                    {"lower": 0, "upper": 4, "label": "a"},
                    {"lower": 6, "upper": 27, "label": "b"},
                ]
            },
            "contiguous",
        ),
        ({"bands": [{"lower": 0, "upper": 20, "label": "a"}]}, "maximum score"),
        ({"max_score": 30}, "do not match"),
        ({"scoring": "mean"}, "sum"),
        ({"remision_below": 5}, "unknown key"),
        ({"flags": [{"item": 12, "min_value": 1, "message": "x"}]}, "missing item"),
    ],
)
def test_malformed_instrument_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(InstrumentFileError, match=message):
        parse_instrument(_phq9_data() | change)


def test_missing_key_is_refused() -> None:
    data = _phq9_data()
    del data["bands"]
    with pytest.raises(InstrumentFileError, match="bands"):
        parse_instrument(data)


def test_clinic_directory_and_unknown_id(tmp_path: Path) -> None:
    (tmp_path / "phq9.json").write_text(json.dumps(_phq9_data()), encoding="utf-8")
    assert set(load_instruments(tmp_path)) == {"phq9"}
    with pytest.raises(KeyError, match="unknown instrument 'cssrs'"):
        instrument("cssrs")
    (tmp_path / "copy.json").write_text(json.dumps(_phq9_data()), encoding="utf-8")
    with pytest.raises(InstrumentFileError, match="duplicate"):
        load_instruments(tmp_path)


def _pcl5_data() -> dict[str, object]:
    data = json.loads((resource("measures") / "pcl5.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_pcl5_file_carries_the_published_cut_point_range_and_cluster_rule() -> None:
    pcl5 = instrument("pcl5")
    assert pcl5.cutpoint is not None
    assert (pcl5.cutpoint.low, pcl5.cutpoint.high, pcl5.cutpoint.default) == (31, 33, 33)
    assert pcl5.provisional is not None and pcl5.provisional.endorsed_at == 2
    assert [(c.subscale, c.min_endorsed) for c in pcl5.provisional.clusters] == [
        ("B", 1),
        ("C", 1),
        ("D", 2),
        ("E", 2),
    ]
    items = {s.id: s.items for s in pcl5.subscales}
    assert items == {
        "B": (1, 2, 3, 4, 5),
        "C": (6, 7),
        "D": (8, 9, 10, 11, 12, 13, 14),
        "E": (15, 16, 17, 18, 19, 20),
    }
    assert "31-33" in pcl5.notes


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bands": [{"lower": 0, "upper": 80, "label": "x"}]}, "has no bands in its file"),
        ({"cutpoint": {"low": 31, "high": 33, "default": 34, "above": "x"}}, "cut-point range"),
        ({"cutpoint_used": 31}, "cutpoint_used follows"),
        (
            {
                "provisional": {
                    "label": "x",
                    "endorsed_at": 2,
                    "clusters": [{"subscale": "F", "min_endorsed": 1}],
                }
            },
            "missing subscale",
        ),
        (
            {
                "provisional": {
                    "label": "x",
                    "endorsed_at": 2,
                    "clusters": [{"subscale": "C", "min_endorsed": 3}],
                }
            },
            "cluster C needs 1 to 2",
        ),
    ],
)
def test_malformed_pcl5_rules_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(InstrumentFileError, match=message):
        parse_instrument(_pcl5_data() | change, "pcl5.json")


def test_a_flag_raising_an_unknown_client_flag_is_refused() -> None:
    data = _phq9_data()
    flags = data["flags"]
    assert isinstance(flags, list)
    data["flags"] = [flags[0] | {"raises": "suicide"}]
    with pytest.raises(InstrumentFileError, match="flag raises 'suicide'"):
        parse_instrument(data)
    assert instrument("phq9").flags[0].raises == "suicide_risk"
