/* The dashboard: reads the district through the gateway's JSON routes with
   the viewer's API key and fills each panel on its own, so that a service
   that is not running leaves its panel "not available" and the rest work.
   Drill-down street -> community -> zone follows #unit=<code>. */
"use strict";

const KEY_STORAGE = "sifang.apiKey";
const KIND_NAMES = {
  UNIT_KIND_DISTRICT: "district", UNIT_KIND_STREET: "street", UNIT_KIND_COMMUNITY: "community",
  UNIT_KIND_ZONE: "zone", UNIT_KIND_BUILDING_GROUP: "building group",
};
const CHILD_TITLES = {
  UNIT_KIND_DISTRICT: "Streets", UNIT_KIND_STREET: "Communities", UNIT_KIND_COMMUNITY: "Zones",
  UNIT_KIND_ZONE: "Building groups",
};
const COLOURS = { open: "#2f6fb3", overdue: "#c2410c", soon: "#e0a800", households: "#7b8794",
                  placed: "#2e7d32", volunteers: "#6b46c1", score: "#b42318", satisfaction: "#0f766e" };

/* The district's calendar, as the daemons keep it (their SIFANG_*_TIMEZONE):
   "today", the half-year and due times are Qingdao's, whatever the
   browser's zone. At 07:00 in Qingdao UTC is still on the day before. */
const DISTRICT_TIME_ZONE = "Asia/Shanghai";
const DISTRICT_CLOCK = new Intl.DateTimeFormat("en-CA", {
  timeZone: DISTRICT_TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

/* { year, month, day, hour, minute } (strings) of a moment in the district. */
function districtTime(when) {
  return Object.fromEntries(DISTRICT_CLOCK.formatToParts(when).map(part => [part.type, part.value]));
}

function districtToday() {
  const t = districtTime(new Date());
  return `${t.year}-${t.month}-${t.day}`;
}

let generation = 0;
let me = null;

/* --- talking to the gateway ------------------------------------------------ */

class Unavailable extends Error {}
class Unauthenticated extends Error {}

async function api(path) {
  const key = localStorage.getItem(KEY_STORAGE) || "";
  let response;
  try {
    /* No key: the gateway may admit the request anonymously (a local
       install's SIFANG_GATEWAY_ANONYMOUS); it answers 401 otherwise. */
    response = await fetch(path, key ? { headers: { Authorization: `Bearer ${key}` } } : {});
  } catch (error) {
    throw new Unavailable(`the gateway did not answer (${error.message})`);
  }
  let body = null;
  try { body = await response.json(); } catch (error) { body = null; }
  if (response.status === 401) throw new Unauthenticated(body?.error?.message || "the key was refused");
  if (!response.ok) {
    const message = body?.error?.message || `HTTP ${response.status}`;
    throw new Unavailable(message);
  }
  return body;
}

/* Every page of a list route. */
async function all(path, field) {
  const items = [];
  let token = "";
  for (let page = 0; page < 50; page++) {
    const separator = path.includes("?") ? "&" : "?";
    const body = await api(`${path}${separator}page_size=500${token ? `&page_token=${encodeURIComponent(token)}` : ""}`);
    items.push(...(body[field] || []));
    token = body.next_page_token || "";
    if (!token) break;
  }
  return items;
}

/* --- panels ------------------------------------------------------------------ */

function panel(id) {
  return document.getElementById(id);
}

function fill(id, ...nodes) {
  const body = panel(id).querySelector(".body");
  body.replaceChildren(...nodes);
  panel(id).dataset.state = "ready";
}

function unavailable(id, why) {
  const note = document.createElement("div");
  note.className = "unavailable-note";
  note.textContent = `not available: ${why}`;
  panel(id).querySelector(".body").replaceChildren(note);
  panel(id).dataset.state = "unavailable";
}

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function tile(label, value, alert) {
  const node = document.createElement("div");
  node.className = `tile${alert ? " alert" : ""}`;
  node.append(text("div", Charts.format(value), "figure"), text("div", label, "label"));
  return node;
}

/* A table: columns [{name, get, number}], rows; clicking a row drills. */
function table(columns, rows, drill) {
  const node = document.createElement("table");
  const head = document.createElement("tr");
  for (const column of columns) head.append(text("th", column.name, column.number ? "number" : ""));
  node.append(head);
  for (const row of rows) {
    const line = document.createElement("tr");
    if (drill && row.code) {
      line.className = "drill";
      line.dataset.unit = row.code;
      line.addEventListener("click", () => { location.hash = `unit=${row.code}`; });
    }
    for (const column of columns) {
      const value = column.get(row);
      line.append(text("td", typeof value === "number" ? Charts.format(value) : (value ?? "–"),
                       column.number ? "number" : ""));
    }
    node.append(line);
  }
  return node;
}

/* Runs one panel's loader, turning a refusal into "not available". */
async function guarded(id, stamp, loader) {
  try {
    await loader();
  } catch (error) {
    if (stamp !== generation) return;
    if (error instanceof Unauthenticated) { showLogin(error.message); return; }
    unavailable(id, error.message);
  }
}

/* --- the unit and its children ------------------------------------------------- */

async function loadGrid(unit, stamp) {
  const summary = await api(`/v1/grid/summary?under=${unit.code}`);
  if (stamp !== generation) return;
  const tiles = document.getElementById("grid-tiles");
  tiles.replaceChildren(
    ...(unit.kind === "UNIT_KIND_DISTRICT" ? [tile("streets", summary.streets)] : []),
    ...(["UNIT_KIND_DISTRICT", "UNIT_KIND_STREET"].includes(unit.kind) ? [tile("communities", summary.communities)] : []),
    tile("zones", summary.zones), tile("building groups", summary.building_groups),
    tile("households", summary.households), tile("residents", summary.residents), tile("staff", summary.staff),
    tile("households in difficulty", summary.households_in_difficulty),
    tile("zones fully staffed", summary.zones_fully_staffed));
  const nodes = [];
  if (unit.kind === "UNIT_KIND_ZONE") {
    const zone = await api(`/v1/grid/zones/${unit.code}`);
    if (stamp !== generation) return;
    const pair = (zone.responsible || []).map(r => `${r.staff_name || r.staff_id} (${r.kind.replace("RESPONSIBILITY_KIND_", "").toLowerCase().replace("_", " ")})`);
    nodes.push(text("p", `Responsible: ${pair.length ? pair.join(", ") : "nobody assigned yet"}`));
  }
  fill("panel-grid", ...nodes);
}

async function loadUnits(unit, stamp) {
  const children = await all(`/v1/grid/units?parent_code=${unit.code}`, "units");
  if (stamp !== generation) return;
  document.getElementById("units-title").textContent =
    `${CHILD_TITLES[unit.kind] || "Units"} of ${unit.name}`;
  /* Each child's figures from every service that answers. */
  const rows = await Promise.all(children.map(async child => {
    const row = { code: child.code, name: child.name, kind: child.kind };
    const [grid, volunteer] = await Promise.allSettled([
      api(`/v1/grid/summary?under=${child.code}`),
      api(`/v1/volunteer/summary?under=${child.code}`),
    ]);
    if (grid.status === "fulfilled") Object.assign(row, { households: grid.value.households, zones: grid.value.zones,
                                                         difficulty: grid.value.households_in_difficulty });
    if (volunteer.status === "fulfilled") row.volunteers = volunteer.value.volunteers;
    return row;
  }));
  let backlog = {};
  try {
    const reply = await api(`/v1/intake/backlog?under=${unit.code}`);
    for (const r of reply.rows || []) backlog[r.unit_code] = r;
  } catch (error) {
    if (error instanceof Unauthenticated) throw error;
    backlog = null;
  }
  if (stamp !== generation) return;
  for (const row of rows) {
    const b = backlog && backlog[row.code];
    row.open = backlog ? (b ? b.open : 0) : undefined;
    row.overdue = backlog ? (b ? b.overdue : 0) : undefined;
  }
  const drillable = unit.kind !== "UNIT_KIND_ZONE";
  const columns = [
    { name: KIND_NAMES[children[0]?.kind] || "unit", get: r => r.name },
    { name: "code", get: r => r.code },
    { name: "households", get: r => r.households, number: true },
    { name: "in difficulty", get: r => r.difficulty, number: true },
    { name: "open cases", get: r => r.open, number: true },
    { name: "overdue", get: r => r.overdue, number: true },
    { name: "volunteers", get: r => r.volunteers, number: true },
  ];
  const chartRows = rows.map(r => ({ label: r.name, values: [r.households ?? NaN] }));
  const nodes = [];
  if (!rows.length) nodes.push(text("p", "No units below this one yet."));
  else nodes.push(Charts.bars(chartRows, [{ name: "households", colour: COLOURS.households }],
                              { title: "households per unit" }));
  nodes.push(table(columns, rows, drillable));
  fill("panel-units", ...nodes);
}

async function loadBacklog(unit, stamp) {
  const reply = await api(`/v1/intake/backlog?under=${unit.code}`);
  if (stamp !== generation) return;
  const total = reply.total || {};
  const tiles = document.createElement("div");
  tiles.className = "tiles";
  tiles.append(tile("open cases", total.open || 0), tile("overdue", total.overdue || 0, (total.overdue || 0) > 0),
               tile("due within 24 h", total.due_soon || 0), tile("not yet accepted", total.unaccepted || 0));
  const rows = (reply.rows || []).map(r => ({ label: r.unit_name || r.unit_code,
                                              values: [r.open || 0, r.overdue || 0, r.due_soon || 0] }));
  const nodes = [tiles];
  if (rows.length)
    nodes.push(Charts.bars(rows, [{ name: "open", colour: COLOURS.open }, { name: "overdue", colour: COLOURS.overdue },
                                  { name: "due soon", colour: COLOURS.soon }], { title: "cases per unit" }));
  fill("panel-backlog", ...nodes);
}

async function loadOverdue(unit, stamp) {
  const reply = await api(`/v1/intake/cases?under=${unit.code}&overdue_only=true&page_size=20`);
  if (stamp !== generation) return;
  const cases = reply.cases || [];
  if (!cases.length) { fill("panel-overdue", text("p", "No overdue cases: zero backlog.")); return; }
  const due = c => {
    if (!c.due_unix_ms) return "–";
    const t = districtTime(new Date(Number(c.due_unix_ms)));
    return `${t.year}-${t.month}-${t.day} ${t.hour}:${t.minute}`;
  };
  fill("panel-overdue", table([
    { name: "registration", get: c => c.registration_number || `#${c.id}` },
    { name: "item", get: c => c.item_name || c.item_code },
    { name: "unit", get: c => c.unit_code },
    { name: "status", get: c => (c.status || "").replace("CASE_STATUS_", "").toLowerCase() },
    { name: "due", get: due },
    { name: "handler", get: c => c.assignee?.name || c.assignee?.code || "–" },
  ], cases, false));
}

async function loadEmployment(unit, stamp) {
  const grouping = { UNIT_KIND_DISTRICT: "STATISTICS_GROUPING_STREET", UNIT_KIND_STREET: "STATISTICS_GROUPING_COMMUNITY" }[unit.kind];
  /* The year to date, in the district's calendar days. */
  const today = districtToday();
  const from = `${today.slice(0, 4)}-01-01`;
  const reply = await api(`/v1/employment/statistics?under=${unit.code}&from=${from}&to=${today}`
                          + (grouping ? `&group_by=${grouping}` : ""));
  if (stamp !== generation) return;
  const total = reply.total || {};
  const tiles = document.createElement("div");
  tiles.className = "tiles";
  tiles.append(tile(`people placed since ${from}`, total.people_placed || 0),
               tile("entrepreneurs supported", total.entrepreneurs_supported || 0),
               tile("employment rate, difficulty (%)", 100 * (total.difficulty_employment_rate || 0)));
  const rows = (reply.rows || []).map(r => ({ label: r.unit_name || r.unit_code, values: [r.people_placed || 0] }));
  const nodes = [tiles];
  if (rows.length) nodes.push(Charts.bars(rows, [{ name: "people placed", colour: COLOURS.placed }], { title: "placements" }));
  fill("panel-employment", ...nodes);
}

async function loadVolunteer(unit, stamp) {
  const summary = await api(`/v1/volunteer/summary?under=${unit.code}`);
  if (stamp !== generation) return;
  const tiles = document.createElement("div");
  tiles.className = "tiles";
  tiles.append(tile("volunteers", summary.volunteers || 0), tile("teams", summary.teams || 0),
               tile("in-service party members", summary.in_service_party_members || 0),
               tile("approved hours", summary.approved_hours || 0),
               tile("paired households", summary.paired_households || 0), tile("visits", summary.visits || 0));
  fill("panel-volunteer", tiles);
}

/* The newest scorecard there is: this half-year, the last, this year, the last. */
function periods() {
  const now = districtTime(new Date());
  const year = Number(now.year);
  const half = Number(now.month) <= 6 ? 1 : 2;
  return [`${year}-H${half}`, half === 2 ? `${year}-H1` : `${year - 1}-H2`, `${year}`, `${year - 1}`];
}

function itemValue(score, pattern) {
  const item = (score.items || []).find(i => pattern.test(i.kpi_code) || pattern.test(i.kpi_name || ""));
  return item && item.has_value ? item.value : NaN;
}

async function loadScorecard(unit, stamp) {
  let card = null, lastError = null;
  for (const period of periods()) {
    try { card = await api(`/v1/evaluation/scorecards/${period}`); break; }
    catch (error) { if (error instanceof Unauthenticated) throw error; lastError = error; }
  }
  if (stamp !== generation) return;
  if (!card) throw lastError || new Unavailable("no scorecard yet");
  const scores = [...(card.streets || []), ...(card.communities || [])]
    .filter(s => s.parent_code === unit.code || (unit.kind === "UNIT_KIND_DISTRICT" && s.unit_kind === "UNIT_KIND_STREET"));
  const onTime = /on.?time/i, satisfaction = /satisf/i;
  const nodes = [text("p", `${card.period} — ${card.scheme_name || "scheme"} v${card.scheme_version}${card.frozen ? " (frozen)" : ""}`)];
  const district = card.district;
  if (district) {
    const tiles = document.createElement("div");
    tiles.className = "tiles";
    tiles.append(tile("district composite", district.composite), tile("on-time rate", itemValue(district, onTime)),
                 tile("satisfaction", itemValue(district, satisfaction)));
    nodes.push(tiles);
  }
  if (scores.length) {
    nodes.push(Charts.bars(scores.map(s => ({ label: s.unit_name || s.unit_code,
                                             values: [s.composite, itemValue(s, onTime), itemValue(s, satisfaction)] })),
                           [{ name: "composite", colour: COLOURS.score }, { name: "on-time rate", colour: COLOURS.open },
                            { name: "satisfaction", colour: COLOURS.satisfaction }], { title: "scores" }));
    nodes.push(table([
      { name: "rank", get: s => s.rank, number: true }, { name: "unit", get: s => s.unit_name || s.unit_code },
      { name: "composite", get: s => s.composite, number: true },
      { name: "flag", get: s => (s.flag || "").replace("APPRAISAL_FLAG_", "").toLowerCase() },
    ], scores.sort((a, b) => (a.rank || 0) - (b.rank || 0)), false));
  }
  fill("panel-scorecard", ...nodes);
}

/* --- navigation ----------------------------------------------------------------------- */

async function trail(unit) {
  const nav = document.getElementById("trail");
  const path = [unit];
  let at = unit;
  while (at.parent_code && (!me.scope || at.code !== me.scope)) {
    try { at = await api(`/v1/grid/units/${at.parent_code}`); } catch (error) { break; }
    path.unshift(at);
  }
  const nodes = [];
  path.forEach((u, i) => {
    if (i) nodes.push(text("span", "›", "sep"));
    if (i === path.length - 1) nodes.push(text("span", u.name));
    else {
      const link = text("a", u.name);
      link.href = `#unit=${u.code}`;
      nodes.push(link);
    }
  });
  nav.replaceChildren(...nodes);
}

async function rootUnit() {
  if (me.scope) return me.scope;
  const reply = await api("/v1/grid/units?kind=UNIT_KIND_DISTRICT&page_size=1");
  if (!reply.units || !reply.units.length) throw new Unavailable("grid has no district yet");
  return reply.units[0].code;
}

async function show() {
  const stamp = ++generation;
  for (const section of document.querySelectorAll(".panel")) section.dataset.state = "loading";
  let unit;
  try {
    if (!me) {
      me = await api("/v1/me");
      document.getElementById("who").textContent = `${me.id} · ${me.role}${me.scope ? ` · ${me.scope}` : ""}`;
    }
    const match = /unit=([0-9A-Za-z._-]+)/.exec(location.hash);
    const code = match ? match[1] : await rootUnit();
    unit = await api(`/v1/grid/units/${code}`);
  } catch (error) {
    if (error instanceof Unauthenticated) { showLogin(error.message); return; }
    for (const section of document.querySelectorAll(".panel")) unavailable(section.id, error.message);
    return;
  }
  document.getElementById("login").hidden = true;
  document.getElementById("board").hidden = false;
  document.getElementById("unit-title").textContent = `${unit.name} (${KIND_NAMES[unit.kind] || "unit"} ${unit.code})`;
  document.body.dataset.unit = unit.code;
  document.body.dataset.kind = unit.kind;
  trail(unit);
  await Promise.all([
    guarded("panel-grid", stamp, () => loadGrid(unit, stamp)),
    guarded("panel-units", stamp, () => loadUnits(unit, stamp)),
    guarded("panel-backlog", stamp, () => loadBacklog(unit, stamp)),
    guarded("panel-overdue", stamp, () => loadOverdue(unit, stamp)),
    guarded("panel-employment", stamp, () => loadEmployment(unit, stamp)),
    guarded("panel-volunteer", stamp, () => loadVolunteer(unit, stamp)),
    guarded("panel-scorecard", stamp, () => loadScorecard(unit, stamp)),
  ]);
  if (stamp === generation) document.body.dataset.loaded = unit.code;
}

function showLogin(message) {
  me = null;
  document.getElementById("board").hidden = true;
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = localStorage.getItem(KEY_STORAGE) ? message : "";
}

document.getElementById("login-form").addEventListener("submit", event => {
  event.preventDefault();
  localStorage.setItem(KEY_STORAGE, document.getElementById("api-key").value.trim());
  show();
});
document.getElementById("logout").addEventListener("click", () => {
  localStorage.removeItem(KEY_STORAGE);
  showLogin("");
});
window.addEventListener("hashchange", show);
/* Try at once: with the stored key, or without one where the gateway lets
   visitors read; a 401 shows the key form. */
show();
