// Frontline work (一线工作): a district leader's contact points (服务联系点,
// 一线工作法: visits, the problems found, solved or handed to a case) and a
// department's work in the communities it is paired with (帮建对子: visits,
// problems taken on, resources given, each followed up).
import messages from "./messages.js";

export default {
  name: "frontline",
  roles: ["leader", "department_staff"],
  menu: { order: 65 },
  routes: [{ path: "/frontline", component: () => import("./FrontlineView.vue") }],
  messages,
};
