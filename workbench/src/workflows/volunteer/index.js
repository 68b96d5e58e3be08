// The volunteer coordinator's workflow (志愿服务): the volunteers and teams
// of their community, pending service hours to approve or return, a party
// member's pairing and its contact log, and the dispatches still open; and
// the 15-minute life service circle: its providers with their ratings and
// load (registered, edited and closed by the coordinator), offers that
// timed out or came back, and pairing proposals (相邻就近).
import messages from "./messages.js";

export default {
  name: "volunteer",
  roles: ["volunteer_coordinator"],
  menu: { order: 50 },
  routes: [
    { path: "/volunteer", component: () => import("./VolunteerView.vue") },
    { path: "/volunteer/circle", component: () => import("./CircleView.vue") },
    { path: "/volunteer/circle/providers/new", component: () => import("./ProviderEditView.vue") },
    { path: "/volunteer/circle/providers/:id", component: () => import("./ProviderEditView.vue") },
  ],
  messages,
};
