// Employment (就业): the counsellor registers a job seeker of their unit with
// the difficulty categories, matches vacancies near home (a list and a map
// of home and work), records a placement, enrols them in a training course;
// and the community's and street's employment figures, which street and
// community staff and leaders read too (the page of job seekers is the
// counsellors'; the others open on the figures); the counsellor's
// follow-through (visits due after placements and start-ups, separations,
// incubation bases) and the enterprises' side of 招工难 by industry and street;
// the open vacancies, each with the job seekers who suit it (difficulty
// categories first) and 推荐上岗.
import messages from "./messages.js";

export default {
  name: "employment",
  roles: ["employment_counsellor", "community_staff", "street_staff", "leader"],
  menu: { order: 4 },
  routes: [
    { path: "/employment", component: () => import("./SeekersView.vue") },
    { path: "/employment/persons/:id", component: () => import("./PersonView.vue") },
    { path: "/employment/figures", component: () => import("./FiguresView.vue") },
    { path: "/employment/follow-ups", component: () => import("./FollowUpsView.vue") },
    { path: "/employment/hiring", component: () => import("./HiringView.vue") },
    { path: "/employment/vacancies", component: () => import("./VacanciesView.vue") },
    { path: "/employment/vacancies/:id", component: () => import("./VacancyView.vue") },
  ],
  messages,
};
