// Which intake the workbench works at: the district's own (/v1/intake/...)
// or a department's own instance that the gateway reaches
// (intake@civil-affairs, the civil affairs bureau's window), whose routes
// are /v1/instances/<instance>/intake/... . A person's account names the
// intake they work at (an administrator sets it; the gateway refuses a
// person another department's instance); a department's person may also
// work the district's intake, where their department's cases are assigned.
// The choice is kept per account in localStorage and shown in the header.

export const DISTRICT = "intake";

// An instance's name as the gateway takes it in a path: "intake" or
// service@department, nothing to escape.
const NAME = /^[a-z][a-z0-9_-]{0,31}(@[a-z0-9][a-z0-9._-]{0,62})?$/;

export function validInstance(name) {
  return typeof name === "string" && NAME.test(name);
}

// The intakes the person may work at, theirs first: their department's
// instance (when the gateway reaches it), then the district's.
export function workableInstances(home, reached = []) {
  const list = [];
  if (home && home !== DISTRICT && validInstance(home) && reached.includes(home)) list.push(home);
  list.push(DISTRICT);
  return list;
}

// The intake worked at now: the stored choice when it is still one the
// person may work at, else their own.
export function chosenInstance(stored, home, reached = []) {
  const workable = workableInstances(home, reached);
  return workable.includes(stored) ? stored : workable[0];
}

// An intake route's path at the instance: "/v1/intake/cases/7" at
// intake@civil-affairs is "/v1/instances/intake@civil-affairs/intake/cases/7".
export function intakePath(instance, path) {
  if (!path.startsWith("/v1/intake")) throw new Error(`not an intake route: ${path}`);
  if (!instance || instance === DISTRICT) return path;
  if (!validInstance(instance)) throw new Error(`not an instance: ${instance}`);
  return `/v1/instances/${instance}${path.slice(3)}`;
}

// The department whose instance it is ("civil-affairs"), "" for the district's.
export function departmentOf(instance) {
  const at = String(instance || "").indexOf("@");
  return at < 0 ? "" : instance.slice(at + 1);
}

// How a person reads an instance: the district's intake, or the department's
// by its name in grid (departments: code -> name; its code when unknown).
// t: vue-i18n's, with instances.district and instances.department.
export function instanceLabel(instance, departments, t) {
  if (!instance || instance === DISTRICT) return t("instances.district");
  const code = departmentOf(instance);
  const name = (departments && departments[code]) || code || instance;
  return t("instances.department", { name });
}

// A text intake wrote naming instances by their names (a hand-off's notes
// "handed to intake@civil-affairs: …", its actor "intake") with each as
// people read it: the names given (those the gateway reaches), the longest
// first, each whole (not "intake" inside "intake@civil-affairs").
export function withInstanceLabels(text, instances, label) {
  let result = String(text || "");
  const names = [...instances].filter(validInstance).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const pattern = new RegExp(`(?<![\\w@.-])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w@.-])`, "g");
    result = result.replace(pattern, () => label(name));
  }
  return result;
}
