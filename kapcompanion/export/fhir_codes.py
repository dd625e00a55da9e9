"""Every code the FHIR export writes, in one table, each with the published source it comes from.

Sources (checked while writing this table):

- LOINC (Regenstrief Institute, https://loinc.org, terms looked up by number at
  https://loinc.org/<code>):
    85354-9 Blood pressure panel with all children optional; 8480-6 Systolic blood pressure;
    8462-4 Diastolic blood pressure; 8867-4 Heart rate; 59408-5 Oxygen saturation in
    Arterial blood by Pulse oximetry; 2708-6 Oxygen saturation in Arterial blood. These are
    the codes the FHIR R4 Vital Signs profiles require (http://hl7.org/fhir/R4/observation-
    vitalsigns.html: the oxygen saturation profile carries 2708-6 and 59408-5 together).
    44261-6 Patient Health Questionnaire 9 item (PHQ-9) total score [Reported], panel 44249-1;
    70274-6 Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ], panel
    69737-5; 101698-9 PTSD PCL-5 score [PCL-5] and panel 101697-1 (first released in LOINC
    2.75). LOINC has no term for the AAQ-II total (none found in LOINC 2.80) nor for the
    0-10 and 0-100 craving ratings as this app records them: those use our own code system.
- RxNorm (U.S. National Library of Medicine, RxNav, https://mor.nlm.nih.gov/RxNav/):
  ingredient concepts (term type IN) 6130 ketamine and 2180323 esketamine.
- SNOMED CT (International edition; the routes are members of FHIR's SNOMED CT Route Codes
  value set, http://hl7.org/fhir/R4/valueset-route-codes.html): 47625008 Intravenous route,
  78421000 Intramuscular route, 37839007 Sublingual route, 46713006 Nasal route,
  26643006 Oral route.
- UCUM (https://ucum.org/ucum): mm[Hg], /min, %, mg, {score}.
- HL7 terminology (https://terminology.hl7.org): observation-category vital-signs and survey;
  v3-ActCode AMB (ambulatory encounter); consentscope treatment; provenance-participant-type
  author and assembler; LOINC 59284-0 Consent Document as the Consent category (the
  R4 Consent examples use it).
- Consent.scope, from FHIR R4's Consent Scope Codes value set
  (http://hl7.org/fhir/R4/valueset-consent-scope.html, system
  http://terminology.hl7.org/CodeSystem/consentscope, four codes): ``treatment`` "Treatment"
  (consent to undergo a specific treatment) for the consent to ketamine-assisted
  psychotherapy, music and recording and the touch agreement; ``patient-privacy`` "Privacy
  Consent" (agreement to collect, access, use or disclose information) for the 42 CFR Part 2
  disclosure consent. Its Consent.policyRule is v3-ActCode ``42CFRPart2`` "42 CFR Part2"
  (ActCode's _ActPrivacyLaw branch, where HL7 moved the old ActUSPrivacyLaw codes;
  https://terminology.hl7.org/CodeSystem-v3-ActCode.html, as the HL7 DS4P security-label
  guide uses it). The template id and version a consent was signed on go in Consent.policy.uri
  under our own base (no standard identifier or extension exists for a clinic's form
  version).
- LOINC document types for the attached PDFs (DocumentReference.type): 28570-0 Procedure
  note, a member of C-CDA's ProcedureNoteDocumentTypeCodes value set
  (http://hl7.org/fhir/us/ccda/ValueSet/2.16.840.1.113883.11.20.6.1), for a dosing session
  record (a drug given under monitoring, with its course and discharge); 34133-9 Summary of
  episode note, the type of the US Core "episode summary" DocumentReference example
  (https://hl7.org/fhir/us/core/DocumentReference-episode-summary.html), for the course
  summary; 59284-0 Consent Document for a signed consent (as above).
- HL7 FHIR Extensions Pack (http://hl7.org/fhir/extensions/StructureDefinition-individual-
  pronouns.html): the standard ``individual-pronouns`` extension, usable in R4; its ``value``
  carries the pronouns as the client gave them (as text: we do not guess a code).

Codes that are ours live under :data:`LOCAL_BASE`, a URL in the ``.invalid`` top-level
domain (RFC 2606), which never resolves and never collides with anyone else's system.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapcompanion.core.dose import Route

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
PRONOUNS_EXTENSION = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"

#: our own systems and identifiers (stable; never resolvable)
LOCAL_BASE = "https://kapcompanion.invalid/fhir"
LOCAL_MEASURES = f"{LOCAL_BASE}/CodeSystem/measure-scores"
LOCAL_CLIENT_ID = f"{LOCAL_BASE}/identifier/client-record-number"
LOCAL_LICENCE = f"{LOCAL_BASE}/identifier/practitioner-licence"
LOCAL_AUDIT_ANCHOR = f"{LOCAL_BASE}/identifier/audit-anchor"
LOCAL_QUESTIONNAIRE = f"{LOCAL_BASE}/Questionnaire"
#: Consent.policy.uri of a signed consent: ``{LOCAL_CONSENT_TEMPLATE}/<template id>/<version>``
LOCAL_CONSENT_TEMPLATE = f"{LOCAL_BASE}/consent-template"


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


# --------------------------------------------------------------------------- vital signs
VITALS_CATEGORY = Code(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")
SURVEY_CATEGORY = Code(OBSERVATION_CATEGORY, "survey", "Survey")
BP_PANEL = Code(LOINC, "85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = Code(LOINC, "8480-6", "Systolic blood pressure")
DIASTOLIC = Code(LOINC, "8462-4", "Diastolic blood pressure")
HEART_RATE = Code(LOINC, "8867-4", "Heart rate")
SPO2_PULSE_OX = Code(LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")
SPO2 = Code(LOINC, "2708-6", "Oxygen saturation in Arterial blood")


@dataclass(frozen=True)
class Unit:
    code: str  # UCUM
    unit: str  # what a person reads


MM_HG = Unit("mm[Hg]", "mmHg")
PER_MIN = Unit("/min", "beats/minute")
PERCENT = Unit("%", "%")
MG = Unit("mg", "mg")
SCORE = Unit("{score}", "score")

# --------------------------------------------------------------------------- medication
KETAMINE = Code(RXNORM, "6130", "ketamine")
ESKETAMINE = Code(RXNORM, "2180323", "esketamine")

ROUTES: dict[Route, Code] = {
    Route.IV: Code(SNOMED, "47625008", "Intravenous route"),
    Route.IM: Code(SNOMED, "78421000", "Intramuscular route"),
    Route.SUBLINGUAL: Code(SNOMED, "37839007", "Sublingual route"),
    Route.INTRANASAL: Code(SNOMED, "46713006", "Nasal route"),
    Route.ORAL: Code(SNOMED, "26643006", "Oral route"),
}


def medication_code(drug: str) -> Code:
    """RxNorm for what was given: esketamine only when the record names it, else ketamine
    (the vault records racemic ketamine unless a dose says otherwise)."""
    return ESKETAMINE if drug.strip().lower() == "esketamine" else KETAMINE


# --------------------------------------------------------------------------- measures
@dataclass(frozen=True)
class MeasureCodes:
    total: Code  # the Observation of the total score
    questionnaire: str  # canonical URL of the questionnaire the response answers


MEASURES: dict[str, MeasureCodes] = {
    "phq9": MeasureCodes(
        Code(
            LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"
        ),
        "http://loinc.org/q/44249-1",
    ),
    "gad7": MeasureCodes(
        Code(LOINC, "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score"),
        "http://loinc.org/q/69737-5",
    ),
    "pcl5": MeasureCodes(
        Code(LOINC, "101698-9", "PTSD PCL-5 score [PCL-5]"),
        "http://loinc.org/q/101697-1",
    ),
    "aaq2": MeasureCodes(
        Code(LOCAL_MEASURES, "aaq2-total", "AAQ-II total score"),
        f"{LOCAL_QUESTIONNAIRE}/aaq2",
    ),
    "craving10": MeasureCodes(
        Code(LOCAL_MEASURES, "craving10", "Craving rating, 0-10"),
        f"{LOCAL_QUESTIONNAIRE}/craving10",
    ),
    "craving100": MeasureCodes(
        Code(LOCAL_MEASURES, "craving100", "Craving rating, 0-100 visual analogue scale"),
        f"{LOCAL_QUESTIONNAIRE}/craving100",
    ),
}


def measure_codes(instrument_id: str) -> MeasureCodes:
    """The codes of a measure; an instrument this table does not know gets local codes."""
    known = MEASURES.get(instrument_id)
    if known is not None:
        return known
    return MeasureCodes(
        Code(LOCAL_MEASURES, f"{instrument_id}-total", f"{instrument_id} total score"),
        f"{LOCAL_QUESTIONNAIRE}/{instrument_id}",
    )


# --------------------------------------------------------------------------- encounters etc.
AMBULATORY = Code(ACT_CODE, "AMB", "ambulatory")
CONSENT_TREATMENT = Code(CONSENT_SCOPE, "treatment", "Treatment")
CONSENT_PRIVACY = Code(CONSENT_SCOPE, "patient-privacy", "Privacy Consent")
CONSENT_DOCUMENT = Code(LOINC, "59284-0", "Consent Document")
PART2_POLICY = Code(ACT_CODE, "42CFRPart2", "42 CFR Part2")

# --------------------------------------------------------------------------- attached PDFs
PROCEDURE_NOTE = Code(LOINC, "28570-0", "Procedure note")
EPISODE_SUMMARY = Code(LOINC, "34133-9", "Summary of episode note")
#: DocumentReference.type of each PDF the bundle can carry (fhir_documents.DocumentSource.kind)
DOCUMENT_TYPES: dict[str, Code] = {
    "session": PROCEDURE_NOTE,
    "consent": CONSENT_DOCUMENT,
    "course": EPISODE_SUMMARY,
}
AGENT_AUTHOR = Code(PROVENANCE_AGENT, "author", "Author")
AGENT_ASSEMBLER = Code(PROVENANCE_AGENT, "assembler", "Assembler")
