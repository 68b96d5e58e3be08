// Workflow 7, the leader's view: the district's figures from every service
// by street, community and zone, charts per child unit, the zones on a map,
// this half-year against the last. Leaders read it; the appraisal office
// and the streets' staff may read it too (a street's staff start at their
// street). It replaces the old read-only dashboard.
import messages from "./messages.js";

export default {
  name: "leader",
  roles: ["leader", "appraisal_office", "street_staff"],
  menu: { order: 70 },
  routes: [{ path: "/leader", component: () => import("./LeaderView.vue") }],
  messages,
};
