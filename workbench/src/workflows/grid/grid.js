// The grid workflow's rules that are not a view's: which zone a person's
// page opens on, who may ask for a resident whole, what a reveal's reason
// must be (as grid checks it: 2 to 200 characters of one line), and how a
// zone's responsible pair is read from its responsibilities.

// The roles whose duty serves residents: only they may reveal (grid
// refuses everyone else), so only they are offered the button.
export const RESIDENT_DUTIES = ["window_clerk", "zone_cadre", "community_staff", "street_staff"];

export function mayReveal(roles) {
  return (roles || []).some(r => RESIDENT_DUTIES.includes(r));
}

// The zone a page opens on: a cadre's first zone, else the first zone of
// those their unit holds, else none (the page asks).
export function defaultZone(ownZones, unitZones) {
  if (ownZones && ownZones.length) return ownZones[0];
  if (unitZones && unitZones.length) return unitZones[0].code;
  return "";
}

// The reason for a reveal: "" when grid will take it, else the message key
// of what is wrong. Characters are counted as characters, not bytes.
export function reasonProblem(reason) {
  const text = String(reason || "").trim();
  const length = Array.from(text).length;
  if (!length) return "reasonRequired";
  if (/[\r\n]/.test(text)) return "reasonOneLine";
  if (length < 2 || length > 200) return "reasonLength";
  return "";
}

// The zone's street cadre and committee member (either may be missing).
export function responsiblePair(responsibilities) {
  const find = kind => (responsibilities || []).find(r => r.kind === kind) || null;
  return {
    cadre: find("RESPONSIBILITY_KIND_ZONE_CADRE"),
    committee: find("RESPONSIBILITY_KIND_ZONE_COMMITTEE"),
  };
}
