// 人员考核 (issue 19): a person's own figures at the window or in their
// zones (我的业绩), their team's for the managers (团队业绩), the half-year
// report with the figures attached and its grade (述职考核), and the awards
// linked to the appraisal and survey results (双挂钩). Everyone who works a
// window or a zone sees their own; the services decide whose else.
import messages from "./messages.js";

export default {
  name: "people",
  roles: ["window_clerk", "zone_cadre", "community_staff", "street_staff", "appraisal_office", "leader"],
  menu: { order: 65 },
  routes: [{ path: "/people", component: () => import("./PeopleView.vue") }],
  messages,
};
