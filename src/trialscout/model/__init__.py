"""Data model: Study (ClinicalTrials.gov API v2 shape) and its modules and enums."""

from trialscout.model.enums import Phase, Sex, Status, StudyType
from trialscout.model.study import Study, age_in_years

__all__ = ["Phase", "Sex", "Status", "Study", "StudyType", "age_in_years"]
