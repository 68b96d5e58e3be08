// Meetings (会议议事): the council, party members' discussion day, five-party
// meeting, community talks (社区恳谈会), party representative studio
// (党代表工作室) and the street's joint meeting (街道党建联席会议) of the
// person's community or street, filtered by unit and kind, each with the
// parties present and the matters it took up as the cases that follow
// them; community and street staff record one (intake's MeetingRecord),
// leaders read them.
import messages from "./messages.js";

export default {
  name: "meetings",
  roles: ["community_staff", "street_staff", "leader"],
  menu: { order: 45 },
  routes: [
    { path: "/meetings", component: () => import("./MeetingsView.vue") },
    { path: "/meetings/new", component: () => import("./MeetingRecordView.vue") },
  ],
  messages,
};
