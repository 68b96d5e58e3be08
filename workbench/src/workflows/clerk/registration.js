// One registration, all services (docs/registrations.md): an item that is
// itself a registration (就业失业登记, 就业困难人员认定, 在职党员报到) takes the
// registration's data on the case, and the service that owns the record
// makes it once the case is resolved. The pure rules of the clerk's part:
// which items are registrations, what each asks for, the fields filled from
// grid's resident, and the form as CaseSubmit's `registration`.

export const KIND = {
  EMPLOYMENT: "CASE_REGISTRATION_KIND_EMPLOYMENT",
  DIFFICULTY: "CASE_REGISTRATION_KIND_DIFFICULTY",
  PARTY_MEMBER: "CASE_REGISTRATION_KIND_PARTY_MEMBER",
};

export const LABOR_STATUSES = ["LABOR_STATUS_UNEMPLOYED", "LABOR_STATUS_EMPLOYED", "LABOR_STATUS_FLEXIBLE",
  "LABOR_STATUS_ENTREPRENEUR", "LABOR_STATUS_STUDENT", "LABOR_STATUS_RETIRED"];
export const DIFFICULTIES = ["DIFFICULTY_CATEGORY_AGED_4050", "DIFFICULTY_CATEGORY_DISABLED",
  "DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY", "DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED",
  "DIFFICULTY_CATEGORY_LOW_INCOME", "DIFFICULTY_CATEGORY_LAND_LOST", "DIFFICULTY_CATEGORY_SINGLE_PARENT"];

// The item's kind, "" when it is no registration.
export function registrationKind(item) {
  const kind = item && item.registration;
  return Object.values(KIND).includes(kind) ? kind : "";
}

// A blank form for a kind.
export function emptyRegistration() {
  return { idNumber: "", name: "", birthDate: "", gender: "", phone: "", laborStatus: "", seekingWork: true,
    difficulties: [], disabilityCertificate: "", partyOrganisation: "" };
}

// What grid's resident gives the form (the clerk checks it against the ID
// card; a masked value is not copied).
export function fromResident(form, resident) {
  if (!resident) return form;
  const clear = value => (/\*/.test(String(value || "")) ? "" : String(value || ""));
  return { ...form, name: clear(resident.name), birthDate: clear(resident.birth_date),
    gender: resident.gender && resident.gender !== "GENDER_UNSPECIFIED" ? resident.gender : "",
    phone: clear(resident.phone) };
}

// What an 18-character ID number says of its holder (GB 11643): the birth
// date in places 7-14 and the sex in place 17 (odd for a man); null when
// the text is not shaped like one. The clerk types the number from the
// card, and the birth date and sex follow from it (intake checks all three
// again).
export function fromIdNumber(text) {
  const number = String(text || "").replace(/[\s\u3000]+/g, "").toUpperCase();
  const m = /^\d{6}(\d{4})(\d{2})(\d{2})\d{2}(\d)[\dX]$/.exec(number);
  if (!m) return null;
  return { birthDate: `${m[1]}-${m[2]}-${m[3]}`, gender: Number(m[4]) % 2 ? "GENDER_MALE" : "GENDER_FEMALE" };
}

// The form as CaseSubmit's `registration`: only the kind's own fields, the
// text as typed (the service refuses what is wrong, never cuts it), the
// identity number upper-cased without blanks.
export function registrationRequest(kind, form, residentId, householdCode) {
  const r = {
    resident_id: residentId || "",
    id_number: String(form.idNumber || "").replace(/[\s\u3000]+/g, "").toUpperCase(),
    name: String(form.name || "").trim(),
    birth_date: form.birthDate || "",
    gender: form.gender || "GENDER_UNSPECIFIED",
    phone: String(form.phone || "").replace(/[\s-]+/g, ""),
    household_code: householdCode || "",
  };
  if (kind === KIND.EMPLOYMENT || kind === KIND.DIFFICULTY) {
    if (form.laborStatus) r.labor_status = form.laborStatus;
    r.seeking_work = Boolean(form.seekingWork);
  }
  if (kind === KIND.DIFFICULTY) {
    r.difficulties = [...(form.difficulties || [])];
    if (form.disabilityCertificate) r.disability_certificate = String(form.disabilityCertificate).trim();
  }
  if (kind === KIND.PARTY_MEMBER) r.party_organisation = String(form.partyOrganisation || "").trim();
  return r;
}

// Where a case's registration stands, for the case page: its state, what it
// links to (employment's person page, or the volunteer as grid's resident)
// and the refusal. `to` is the workbench route of the link, "" for none.
export function registrationOutcome(registration) {
  if (!registration || !registration.kind || registration.kind === "CASE_REGISTRATION_KIND_UNSPECIFIED") return null;
  const state = registration.state || "CASE_REGISTRATION_STATE_UNSPECIFIED";
  const linked = state === "CASE_REGISTRATION_STATE_LINKED";
  let to = "";
  if (linked && registration.service === "employment")
    to = `/employment/persons/${encodeURIComponent(registration.linked_id)}`;
  else if (linked && registration.resident_id)
    to = `/grid/residents/${encodeURIComponent(registration.resident_id)}`;
  return { kind: registration.kind, state, service: registration.service || "", linkedId: registration.linked_id || "",
    created: Boolean(registration.created), refusal: registration.refusal || "", to,
    answered: Number(registration.answered_unix_ms || 0) };
}
