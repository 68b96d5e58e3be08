// Workflow: my notices (我的消息). Every person at work has an inbox that
// intake fills from the steps of the cases they answer for: a case assigned
// to them or their zone, one about to be due or overdue, escalated or
// referred to them, a provider's answer or none in time, a case reopened
// for rework, a reminder or supervision, and, as first responder (首问负责),
// every step of the cases they registered. Unread first; opening a notice
// marks it read and goes to its case.
import { messages } from "./messages.js";

export default {
  name: "notices",
  roles: ["window_clerk", "zone_cadre", "community_staff", "street_staff", "department_staff", "leader",
    "employment_counsellor", "volunteer_coordinator", "appraisal_office"],
  menu: { order: 0 },
  routes: [{ path: "/notices", component: () => import("./NoticesView.vue") }],
  messages,
};
