// 入户走访 (走千人访千户): a department's staff or a zone cadre records a
// household visit (the household found by its code or its address, what
// was found, the help given), lists their own or their department's visits
// for a month, half-year or year, and adds what followed each (跟进, kept
// as a history, the latest saying whether it is settled).
import messages from "./messages.js";

export default {
  name: "visits",
  roles: ["department_staff", "zone_cadre"],
  menu: { order: 66 },
  routes: [{ path: "/visits", component: () => import("./VisitsView.vue") }],
  messages,
};
