// The appraisal office's workflow (考核评估): survey responses for a round
// (the sample, progress per community), the scorecard with its weights and
// sign-off, the ranking, the 双挂钩 appraisal list, and the report to
// download. Leaders read the scorecard, ranking, list and report; entering
// responses and signing off are the appraisal office's (the service decides).
import messages from "./messages.js";

export default {
  name: "appraisal",
  roles: ["appraisal_office", "leader"],
  menu: { order: 60 },
  routes: [{ path: "/appraisal", component: () => import("./AppraisalView.vue") }],
  messages,
};
