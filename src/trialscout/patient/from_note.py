"""Read a free-text clinical note into PatientFacts: rules and vocabularies only, fast and deterministic."""

from __future__ import annotations

import datetime as dt
import re

from trialscout.model.patient import (
    Age,
    Biomarker,
    Comorbidity,
    Concept,
    Consent,
    Diagnosis,
    NegatedFinding,
    PatientFacts,
    Pregnancy,
    PriorTherapy,
    Problem,
    Provenance,
    Sex,
)
from trialscout.patient.checks import age_ok, make_lab, make_performance
from trialscout.patient.context import Context
from trialscout.patient.matcher import Match, vocabulary_matcher
from trialscout.patient.note_facts import (
    find_age,
    find_biomarkers,
    find_consent,
    find_labs,
    find_nyha,
    find_performance,
    find_pregnancy,
    find_responses,
    find_sex,
    find_stages,
)
from trialscout.patient.note_merge import merge_diagnoses
from trialscout.patient.rules import load, regex
from trialscout.patient.vitals import find_vitals
from trialscout.patient.vocab import class_of, metastasis_mentions
from trialscout.vocab import clinical
from trialscout.vocab.comorbidities import qualifiers_in

_KIND = {"cancer": "condition", "comorbidity": "condition", "symptom": "symptom", "drug": "therapy",
         "regimen": "therapy", "therapy": "therapy", "procedure": "therapy"}
_SKIP = {"FAMILY", "HYPOTHETICAL"}
_CONCEPT_KIND = {"disease": "condition", "finding": "symptom", "drug": "therapy", "drug_class": "therapy",
                 "procedure": "therapy"}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "several": 3}
_HISTORY = re.compile(r"\b(?:history\s+of|h/o|previous|prior|past|remote|resolved|former)\b", re.IGNORECASE)


def from_note(text: str, ref: str | None = None, *, as_of: dt.date | None = None,
              patient_id: str | None = None) -> PatientFacts:
    """PatientFacts from a note. An empty note or one not in English gives empty facts with a warning."""
    facts = PatientFacts(id=patient_id, as_of=as_of, notes=[text] if text.strip() else [])
    if not text.strip():
        facts.problems.append(Problem(field="note", severity="warning", message="the note is empty; nothing read"))
        return facts
    if not looks_english(text):
        facts.problems.append(Problem(field="note", severity="warning",
                                      message="the note does not look like English; nothing read"))
        return facts
    _NoteReader(text, ref, facts).read()
    return facts


def looks_english(text: str) -> bool:
    """True unless the words are clearly another language's (few English function words, many foreign ones)."""
    lang = load("note_patterns.json")["language"]
    words = re.findall(r"[^\W\d_]+(?:/[^\W\d_]+)?", text.lower())
    if len(words) < 4:
        return True
    english = sum(w in lang["english"] for w in words) / len(words)
    other = sum(w in lang["other"] for w in words) / len(words)
    if other >= 0.1 and other > english:
        return False
    return english >= 0.02 or bool(vocabulary_matcher().find(text))


class _NoteReader:
    def __init__(self, text: str, ref: str | None, facts: PatientFacts) -> None:
        self.text, self.ref, self.facts = text, ref, facts
        self.ctx = Context(text)
        self.therapy_spans: list[tuple[int, PriorTherapy]] = []
        self.dx_spans: list[tuple[int, Diagnosis]] = []

    def prov(self, start: int, end: int) -> Provenance:
        return Provenance(source="note", ref=self.ref, span=(start, end), text=self.text[start:end])

    def field(self, start: int, end: int) -> str:
        return f"note[{start}:{end}] {self.text[start:end]!r}"

    def usable(self, start: int, end: int) -> bool:
        return not (self.ctx.categories(start, end) & (_SKIP | {"NEGATED"}))

    def read(self) -> None:
        self.demographics()
        for m in vocabulary_matcher().find(self.text):
            self.concept(m)
        self.clinical_concepts()
        self.metastases()
        self.stages_and_settings()
        self.facts.diagnoses = merge_diagnoses([d for _, d in self.dx_spans])
        self.labs()
        self.biomarkers()
        self.performance()
        self.responses()
        self.nyha()
        self.pregnancy()
        self.consent()
        self.global_negatives()

    def demographics(self) -> None:
        age = find_age(self.text)
        if age and age_ok(age.value, self.field(age.start, age.end), self.facts.problems):
            self.facts.age = Age(years=round(age.value, 3), provenance=self.prov(age.start, age.end))
        sex = find_sex(self.text)
        if sex:
            self.facts.sex = Sex(value=sex.value, provenance=self.prov(sex.start, sex.end))

    def concept(self, m: Match) -> None:
        cats = self.ctx.categories(m.start, m.end)
        if cats & _SKIP:
            return
        if "NEGATED" in cats:
            self.facts.negated.append(NegatedFinding(name=m.text, key=m.term.key, kind=_KIND[m.term.category],
                                                     provenance=self.prov(m.start, m.end)))
            return
        kind = m.term.category
        if kind == "cancer":
            entry = m.term.data or {}
            self.dx_spans.append((m.start, Diagnosis(name=m.text, oncotree_code=m.term.key,
                                                     histology=entry.get("histology"),
                                                     provenance=self.prov(m.start, m.end))))
        elif kind == "comorbidity":
            if all(c.key != m.term.key for c in self.facts.comorbidities):
                self.facts.comorbidities.append(Comorbidity(name=m.text, key=m.term.key, date=self.when(m.end),
                                                            provenance=self.prov(m.start, m.end)))
        elif kind in ("drug", "regimen", "therapy", "procedure"):
            self.therapy(m)

    def clinical_concepts(self) -> None:
        """Every concept of the shared clinical vocabulary the note names: present, or denied; what relatives have
        or what is only considered is left out."""
        for m in clinical.find(self.text):
            ids = [i for i in m.ids if not clinical.is_general(i)]
            cats = self.ctx.categories(m.start, m.end)
            if not ids or cats & _SKIP:
                continue
            kind = clinical.kind(ids[0])
            if "NEGATED" in cats:
                self.facts.negated.append(NegatedFinding(name=m.text, codes=ids, kind=_CONCEPT_KIND.get(kind, "other"),
                                                         provenance=self.prov(m.start, m.end)))
                continue
            s, _ = self.ctx.sentence_of(m.start)
            before = self.text[max(s, m.start - 40):m.start]
            self.facts.concepts.append(Concept(name=m.text, codes=ids, kind=kind,
                                               historical=bool(_HISTORY.search(before)),
                                               qualifiers=qualifiers_in(f"{before} {m.text}"),
                                               date=self.when(m.end), provenance=self.prov(m.start, m.end)))

    def when(self, end: int) -> dt.date | None:
        """The date a relative time after a fact gives it ('stroke two weeks ago'), counted from the note's date
        (or today); None when the sentence says no such time."""
        rule = load("note_patterns.json")["ago"]
        _, e = self.ctx.sentence_of(end - 1)
        m = regex(rule["pattern"]).search(self.text, end, min(e, end + rule["max_chars"]))
        if not m:
            return None
        n = _NUMBER_WORDS.get(m.group("n").lower())
        count = float(m.group("n")) if n is None else n
        days = count * {"d": 1, "w": 7, "m": 30.44, "y": 365.25}[m.group("u")[0].lower()]
        return (self.facts.as_of or dt.date.today()) - dt.timedelta(days=round(days))

    def therapy(self, m: Match) -> None:
        term, prov = m.term, self.prov(m.start, m.end)
        if term.category == "drug":
            items = [PriorTherapy(modality="drug", agent=term.key, agent_class=term.data, provenance=prov)]
        elif term.category == "regimen":
            items = [PriorTherapy(modality="drug", agent=a, agent_class=class_of(a), provenance=prov)
                     for a in term.data]
        elif term.category == "therapy":
            items = [PriorTherapy(modality="drug", agent_class=term.data, provenance=prov)]
        else:
            items = [PriorTherapy(modality=term.key, agent=m.text.lower(), provenance=prov)]  # type: ignore[arg-type]
        current = self.currency(m.start)
        for item in items:
            item.current = current
            if all((t.modality, t.agent, t.agent_class) != (item.modality, item.agent, item.agent_class)
                   for t in self.facts.prior_therapies):
                self.facts.prior_therapies.append(item)
                self.therapy_spans.append((m.start, item))

    def currency(self, pos: int) -> bool | None:
        """Whether a therapy named at `pos` is current (True), past (False) or not said (None): the nearest
        time word before it in its sentence decides."""
        s, _ = self.ctx.sentence_of(pos)
        before = self.text[s:pos]
        rules = load("note_patterns.json")["therapy_time"]
        hits = [(m.end(), True) for m in regex(rules["current"]).finditer(before)]
        hits += [(m.end(), False) for m in regex(rules["past"]).finditer(before)]
        return max(hits)[1] if hits else None

    def metastases(self) -> None:
        for site, start, end in metastasis_mentions(self.text):
            cats = self.ctx.categories(start, end)
            if cats & _SKIP:
                continue
            if "NEGATED" in cats:
                self.facts.negated.append(NegatedFinding(name=self.text[start:end], key=f"{site}_metastases",
                                                         kind="condition", provenance=self.prov(start, end)))
            elif self.dx_spans:
                primary = self.dx_spans[0][1]
                if site not in primary.metastatic_sites:
                    primary.metastatic_sites.append(site)
                _add(primary.setting, "metastatic")

    def stages_and_settings(self) -> None:
        if not self.dx_spans:
            return
        for found in find_stages(self.text):
            dx = self.nearest_dx(found.start)
            if dx is not None and self.usable(found.start, found.end):
                dx.stage = dx.stage or found.value
        for setting, pattern in load("note_patterns.json")["setting"].items():
            for m in regex(pattern).finditer(self.text):
                dx = self.nearest_dx(m.start()) or (self.dx_spans[0][1] if setting == "metastatic" else None)
                if dx is not None and self.usable(m.start(), m.end()):
                    _add(dx.setting, setting)

    def nearest_dx(self, pos: int) -> Diagnosis | None:
        s, e = self.ctx.sentence_of(pos)
        near = [(abs(start - pos), dx) for start, dx in self.dx_spans if s <= start < e]
        return min(near, key=lambda x: x[0])[1] if near else None

    def labs(self) -> None:
        found = find_labs(self.text)
        spans = [(f.start, f.end) for f in found]
        found += [v for v in find_vitals(self.text) if not any(a < v.end and v.start < b for a, b in spans)]
        for f in found:
            s, e = self.ctx.sentence_of(f.start)
            if "respectively" in self.text[s:e].lower() or self.ctx.categories(f.start, f.end) & _SKIP:
                continue
            extra = f.extra or {}
            lab = make_lab(extra["analyte"], f.value, extra["unit"], self.field(f.start, f.end),
                           self.prov(f.start, f.end), self.facts.problems, comparator=extra["comparator"])
            if lab:
                self.facts.labs.append(lab)

    def biomarkers(self) -> None:
        seen = set()
        for f in find_biomarkers(self.text):
            extra = f.extra or {}
            key = (f.value, extra.get("status"), extra.get("score"))
            if key in seen or self.ctx.categories(f.start, f.end) & _SKIP:
                continue
            seen.add(key)
            self.facts.biomarkers.append(Biomarker(name=f.value, status=extra.get("status"),
                                                   variant=extra.get("variant"), score=extra.get("score"),
                                                   score_type=extra.get("score_type"),
                                                   provenance=self.prov(f.start, f.end)))

    def performance(self) -> None:
        for f in find_performance(self.text):
            if self.ctx.categories(f.start, f.end) & _SKIP:
                continue
            ps = make_performance((f.extra or {})["scale"], f.value, self.field(f.start, f.end),
                                  self.prov(f.start, f.end), self.facts.problems)
            if ps:
                self.facts.performance_status.append(ps)

    def responses(self) -> None:
        for f in find_responses(self.text):
            before = [(start, t) for start, t in self.therapy_spans if start < f.start and f.start - start < 300]
            if before and self.usable(f.start, f.end):
                therapy = before[-1][1]
                therapy.response = therapy.response or f.value

    def nyha(self) -> None:
        found = find_nyha(self.text)
        hf = next((c for c in self.facts.comorbidities if c.key == "heart_failure"), None)
        if found and hf is not None and self.usable(found.start, found.end):
            hf.nyha_class = found.value

    def pregnancy(self) -> None:
        sex = self.facts.sex.value if self.facts.sex else None
        years = self.facts.age.years if self.facts.age else None
        if sex == "MALE" or (years is not None and years < 10):
            return
        found = {k: f for k, f in find_pregnancy(self.text).items()
                 if not (self.ctx.categories(f.start, f.end) & _SKIP)}
        if not found:
            return
        preg = Pregnancy(provenance=self.prov(min(f.start for f in found.values()), max(f.end for f in found.values())))
        negated = {k for k, f in found.items() if "NEGATED" in self.ctx.categories(f.start, f.end)}
        if "pregnant" in found:
            preg.pregnant = "pregnant" not in negated
        if "not_pregnant" in found:
            preg.pregnant = False
        if "gestational_weeks" in found and preg.pregnant:
            preg.gestational_weeks = round(found["gestational_weeks"].value, 2)
        if "breastfeeding" in found:
            preg.breastfeeding = "breastfeeding" not in negated
        if "postmenopausal" in found or "premenopausal" in found:
            preg.postmenopausal = "postmenopausal" in found and "postmenopausal" not in negated
        self.facts.pregnancy = preg


    def global_negatives(self) -> None:
        """'No past medical history', 'takes no medications': a whole class of facts denied."""
        rules = load("note_patterns.json")["global_negatives"]
        for key, kind in (("any_condition", "condition"), ("any_medication", "therapy")):
            m = regex(rules[key]).search(self.text)
            if m and not self.ctx.categories(m.start(), m.end()) & _SKIP:
                self.facts.negated.append(NegatedFinding(name=m.group(0), key=key, kind=kind,
                                                         provenance=self.prov(m.start(), m.end())))

    def consent(self) -> None:
        """Consent and protocol compliance, as stated; a refusal outweighs an agreement in the same note."""
        found = {k: f for k, f in find_consent(self.text).items() if not (self.ctx.categories(f.start, f.end) & _SKIP)}
        if not found:
            return
        spans = list(found.values())
        stated = Consent(provenance=self.prov(min(f.start for f in spans), max(f.end for f in spans)))
        if "consent" in found or "no_consent" in found:
            stated.consent = "no_consent" not in found
        if "comply" in found or "no_comply" in found:
            stated.comply = "no_comply" not in found
        if "adherence" in found or "no_adherence" in found:
            stated.adherent = "no_adherence" not in found
        self.facts.consent = stated


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)
