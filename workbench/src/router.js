// Pages by hash (/#/cases ...), so that the gateway serves one page and a
// reload lands where it was. A page that needs a session sends the person
// to log in, then back; a page of a workflow their roles do not reach is
// not offered (the home page lists what is).
import { createRouter, createWebHashHistory } from "vue-router";
import { session, restore } from "./session.js";
import { workflows } from "./workflows/index.js";
import LoginView from "./views/LoginView.vue";
import PasswordView from "./views/PasswordView.vue";
import HomeView from "./views/HomeView.vue";

const routes = [
  { path: "/login", component: LoginView, meta: { public: true } },
  { path: "/password", component: PasswordView },
  { path: "/", component: HomeView },
];
for (const w of workflows)
  for (const route of w.routes) routes.push({ ...route, meta: { ...(route.meta || {}), roles: w.roles, workflow: w.name } });

export const router = createRouter({ history: createWebHashHistory(), routes });

router.beforeEach(async to => {
  if (!session.loaded) await restore();
  if (to.meta.public) return true;
  if (!session.account) return { path: "/login", query: { next: to.fullPath } };
  if (session.mustChangePassword && to.path !== "/password") return { path: "/password" };
  if (to.meta.roles && !to.meta.roles.some(r => session.roles.includes(r))) return { path: "/" };
  return true;
});
