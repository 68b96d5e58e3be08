// 联系点与帮建总览: for the appraisal office and the district's leaders,
// every leader's contact points (99 服务联系点) and every department's
// pairings (52 帮建部门) for a chosen half-year or year: visits, the last
// visit, points not visited for two months, problems, communities not yet
// visited, and the departments' household visits (走千人访千户).
import messages from "./messages.js";

export default {
  name: "overview",
  roles: ["appraisal_office", "leader"],
  menu: { order: 64 },
  routes: [{ path: "/overview", component: () => import("./OverviewView.vue") }],
  messages,
};
