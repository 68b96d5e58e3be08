// Co-building kept and meetings attended (共建兑现与会议出勤): the volunteer
// coordinator records what a co-building unit delivered against its
// commitments and sees each commitment kept, partly kept or not for the
// year; the community's and street's staff record who of the part-time
// committee members attended a meeting and see the attendance rates.
import messages from "./messages.js";

export default {
  name: "commitments",
  roles: ["volunteer_coordinator", "community_staff", "street_staff"],
  menu: { order: 68 },
  routes: [{ path: "/commitments", component: () => import("./CommitmentsView.vue") }],
  messages,
};
