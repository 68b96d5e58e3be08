// The volunteer coordinator's workflow (志愿服务): the volunteers and teams
// of their community, pending service hours to approve or return, a party
// member's pairing and its contact log, and the dispatches still open.
import messages from "./messages.js";

export default {
  name: "volunteer",
  roles: ["volunteer_coordinator"],
  menu: { order: 50 },
  routes: [{ path: "/volunteer", component: () => import("./VolunteerView.vue") }],
  messages,
};
