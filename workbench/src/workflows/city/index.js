// 全市排名, the city's leaders' view: the city's evaluation (evaluation@city,
// SIFANG_EVALUATION_LEVEL=city) follows every district's event logs and
// scores each district against the period's scheme; this page ranks the
// districts like with like, in total and KPI by KPI (CityScorecardGet
// through the gateway). The district's leaders and appraisal office read it
// too: where their district stands among the city's.
import messages from "./messages.js";

export default {
  name: "city",
  roles: ["leader", "appraisal_office"],
  menu: { order: 71 },
  routes: [{ path: "/city", component: () => import("./CityView.vue") }],
  messages,
};
