// Who is logged in: the gateway's session (GET /v1/session), the person's
// grid staff record (their unit) and the zones they answer for, kept in
// one reactive object the views read. Roles decide the menu; the services
// decide what each role may do, and the views show their refusals.
import { reactive } from "vue";
import { api, listAll, setCsrfToken } from "./api.js";
import { DISTRICT, chosenInstance, intakePath, workableInstances } from "./instances.js";

export const session = reactive({
  loaded: false,
  account: "",
  displayName: "",
  staffId: "",
  department: "",
  roles: [],
  mustChangePassword: false,
  staff: null,          // grid's staff record: unit_code, name, title
  zones: [],            // zone codes they answer for (zone cadres)
  homeInstance: "",     // the intake their account works at ("" the district's; instances.js)
  instances: [],        // the intake instances the gateway reaches
  intake: DISTRICT,     // the intake worked at now: the case desk and case page go there
  departmentNames: {},  // grid's departments, code -> name, to name their instances
});

const INSTANCE_KEY = "sifang.intake.";

function storedInstance(account) {
  try {
    return localStorage.getItem(INSTANCE_KEY + account) || "";
  } catch {
    return "";
  }
}

// The intakes the person may work at (theirs first), and choosing one.
export function workable() {
  return workableInstances(session.homeInstance, session.instances);
}

export function chooseIntake(instance) {
  session.intake = chosenInstance(instance, session.homeInstance, session.instances);
  try {
    localStorage.setItem(INSTANCE_KEY + session.account, session.intake);
  } catch {
    /* private mode: the choice lasts this page */
  }
}

// An intake route's path at the intake worked at now.
export function intake(path) {
  return intakePath(session.intake, path);
}

function apply(json) {
  session.account = json.account || "";
  session.displayName = json.display_name || json.account || "";
  session.staffId = json.staff_id || "";
  session.department = json.department_code || "";
  session.roles = json.roles || [];
  session.mustChangePassword = !!json.must_change_password;
  session.homeInstance = json.instance || "";
  session.instances = json.instances || [];
  session.intake = chosenInstance(storedInstance(session.account), session.homeInstance, session.instances);
  setCsrfToken(json.csrf_token);
  session.loaded = true;
}

function clear() {
  Object.assign(session, {
    loaded: true, account: "", displayName: "", staffId: "", department: "", roles: [],
    mustChangePassword: false, staff: null, zones: [], homeInstance: "", instances: [], intake: DISTRICT,
    departmentNames: {},
  });
  setCsrfToken("");
}

// Where the person works, for the views' defaults; a failure leaves it
// unknown (the views then ask).
async function loadDuty() {
  if (session.mustChangePassword) return;
  await loadDepartmentNames();
  if (!session.staffId) return;
  try {
    session.staff = await api.get(`/v1/grid/staff/${encodeURIComponent(session.staffId)}`);
  } catch {
    session.staff = null;
  }
  try {
    const held = await api.get("/v1/grid/responsibilities", { staff_id: session.staffId, page_size: 100 });
    session.zones = (held.responsibilities || [])
      .filter(r => r.kind === "RESPONSIBILITY_KIND_ZONE_CADRE" || r.kind === "RESPONSIBILITY_KIND_ZONE_COMMITTEE")
      .map(r => r.unit_code);
  } catch {
    session.zones = [];
  }
}

// The departments' names, when the gateway reaches a department's instance
// (the header and the hand-off name it); its code stands in when grid does
// not answer.
async function loadDepartmentNames() {
  if (session.instances.length < 2) return;
  try {
    const departments = await listAll("/v1/grid/departments", "departments", { page_size: 200 }, 1000);
    session.departmentNames = Object.fromEntries(departments.map(d => [d.code, d.name]));
  } catch {
    session.departmentNames = {};
  }
}

export async function restore() {
  try {
    apply(await api.get("/v1/session"));
    await loadDuty();
  } catch {
    clear();
  }
  return session;
}

export async function logIn(login, password) {
  apply(await api.post("/v1/session", { login, password }));
  await loadDuty();
  return session;
}

export async function changePassword(oldPassword, newPassword) {
  await api.post("/v1/session/password", { old_password: oldPassword, new_password: newPassword });
  return restore();
}

export async function logOut() {
  try {
    await api.delete("/v1/session");
  } finally {
    clear();
  }
}

export function hasRole(...roles) {
  return session.roles.some(r => roles.includes(r));
}

// The unit the person works in: their staff record's.
export function homeUnit() {
  return (session.staff && session.staff.unit_code) || "";
}
