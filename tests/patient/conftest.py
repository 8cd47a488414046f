"""Fixtures for patient tests: the fixture folder and the TREC 2021 topics (skipped when shared data is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SHARED_DATA, require

PATIENTS = FIXTURES / "patients"
TOPICS_2021 = SHARED_DATA / "trec-ct-2021" / "topics2021.xml"


@pytest.fixture
def patients() -> Path:
    return PATIENTS


@pytest.fixture(scope="session")
def trec_facts():
    from trialscout.patient.from_note import from_note
    from trialscout.patient.topics import read_topics

    path = require(TOPICS_2021)
    return {n: from_note(text, ref=f"topic-{n}", patient_id=n) for n, text in read_topics(path)}
