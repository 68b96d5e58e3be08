// Grid (网格): a zone's page (its households, building groups, the pair who
// answer for it, the community's pairings) and a resident's card, masked as
// the services give it, with a reveal that asks for the reason and is
// audited by grid. Every role that reads residents gets it; the services
// decide what each sees in clear and who may reveal.
import messages from "./messages.js";

export default {
  name: "grid",
  roles: ["zone_cadre", "community_staff", "street_staff", "window_clerk", "leader", "department_staff"],
  menu: { order: 3 },
  routes: [
    { path: "/grid", component: () => import("./ZoneView.vue") },
    { path: "/grid/zones/:code", component: () => import("./ZoneView.vue") },
    { path: "/grid/residents/:id", component: () => import("./ResidentView.vue") },
  ],
  messages,
};
