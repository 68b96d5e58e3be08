// The workflows: each folder here (src/workflows/<name>/index.js) exports
//   { name, roles, menu: { icon, order }, routes, messages }
// and is found by this one glob, so a workflow is added without touching
// any shared file. roles: who sees it in the menu and may open it (the
// services still decide what each may do).
import { addMessages } from "../i18n/index.js";

const modules = import.meta.glob("./*/index.js", { eager: true });

export const workflows = Object.values(modules)
  .map(m => m.default)
  .filter(Boolean)
  .sort((a, b) => (a.menu?.order ?? 99) - (b.menu?.order ?? 99));

for (const w of workflows) if (w.messages) addMessages(w.name, w.messages);

export function workflowsFor(roles) {
  return workflows.filter(w => w.roles.some(r => roles.includes(r)));
}
