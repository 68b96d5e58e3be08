// Community funding (社区经费): the community's finance person records what
// it spent, with the voucher; the street sets its communities' budgets with
// their sources; both see the budget, the spending by purpose and the
// balance, and the street and district their communities' figures.
import messages from "./messages.js";

export default {
  name: "funding",
  roles: ["community_staff", "street_staff", "leader"],
  menu: { order: 67 },
  routes: [{ path: "/funding", component: () => import("./FundingView.vue") }],
  messages,
};
