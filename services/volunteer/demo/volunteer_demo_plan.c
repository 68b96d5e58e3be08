/* What the volunteer demo loads, decided from the seed and grid's district:
 * who volunteers (every adult party member, then other adults up to the
 * plan's 53,000, one resident in seven), their skills, availability and
 * national numbers, certificates for the skills that need one, 200 teams
 * with members, 5,000 party members paired with 8,600 households in
 * difficulty in their own communities, contacts, the year's service hours
 * (approved but for the last week), visits by grid's staff, two co-building
 * pairs per community, two service providers of the 15-minute circle per
 * community (a canteen, elderly care, housekeeping, a repair point, a health
 * station). The circle's dispatches are intake's cases, offered through intake
 * by sifang-volunteer-demo-circle once intake runs. Everything is dated
 * inside the demo timeline's twelve months (tools/demo_district.h). Each
 * part's items are built when sent, from a generator seeded by (seed, part,
 * item), so resending an item sends the same. */
#include "volunteer_demo.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sf_text.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sifang's figures (scale 1). */
#define VOLUNTEERS DEMO_VOLUNTEERS
#define TEAMS 200
#define PAIRED_MEMBERS 5000
#define PAIRED_HOUSEHOLDS 8600
#define PROVIDERS_PER_COMMUNITY 2
#define PENDING_DAYS 7
/* Household visits a year by each of grid's staff (see the plan's visits). */
#define VISITS_LEAST 16
#define VISITS_MOST 32
/* Volunteers' ages: adults, the oldest still active. */
#define VOLUNTEER_AGE_MIN 18
#define VOLUNTEER_AGE_MAX 80

/* The skill catalogue volunteer's migration seeds, with how common each is
 * and the credential it needs (CredentialKind). */
static const struct {
    const char *code;
    int weight;
    int requires;
    const char *activity;
} skills[] = {
    { "meals", 20, 0, "为老人送餐" },
    { "elderly_care", 20, 0, "探访照料老年居民" },
    { "housekeeping", 14, 0, "为困难家庭做家政" },
    { "repair", 12, 0, "入户维修" },
    { "escort", 10, 0, "陪同就医、代办跑腿" },
    { "patrol", 8, 0, "楼院平安巡逻" },
    { "environment", 8, 0, "清扫楼院环境" },
    { "culture", 8, 0, "文体活动" },
    { "tutoring", 8, 0, "辅导孩子作业" },
    { "policy", 5, 0, "为居民宣讲政策" },
    { "mediation", 5, 0, "调解邻里纠纷" },
    { "employment", 4, 0, "帮助求职" },
    { "plumbing", 4, 0, "水暖维修" },
    { "electrical", 4, 1, "电路维修" },
    { "first_aid", 4, 2, "急救值守" },
    { "medical", 2, 1, "健康检查" },
    { "legal_advice", 2, 1, "法律咨询" },
    { "psychological", 2, 1, "心理疏导" },
};
#define N_SKILLS (sizeof skills / sizeof *skills)

static const struct {
    int type;                 /* VolunteerTeamType */
    const char *label;
    const char *brand;
    const char *skills[3];
} team_kinds[] = {
    { 1, "和事佬调解队", "", { "mediation", "policy", NULL } },
    { 2, "法律咨询服务队", "", { "legal_advice", "policy", NULL } },
    { 3, "365党员工作室", "365党员工作室", { "policy", "escort", "repair" } },
    { 3, "有事找党员服务队", "有事找党员", { "meals", "elderly_care", "repair" } },
    { 4, "爱心助老队", "", { "elderly_care", "meals", "escort" } },
    { 5, "便民服务队", "", { "repair", "housekeeping", "plumbing" } },
    { 6, "文体志愿队", "", { "culture", "tutoring", NULL } },
    { 7, "平安巡逻队", "", { "patrol", NULL, NULL } },
    { 8, "环保志愿队", "", { "environment", NULL, NULL } },
};
#define N_TEAM_KINDS (sizeof team_kinds / sizeof *team_kinds)

static const char *const resident_units[] = {
    "青岛港集团", "青岛啤酒第二厂", "海信电器四方工业园", "南车四方机车车辆股份有限公司", "青岛第二中学",
    "青岛市立医院东院", "中国银行四方支行", "国网青岛四方供电部", "青岛科技大学", "四方实验小学",
    "四方区人民法院", "青岛海湾化学", "利群集团四方店", "青岛公交集团四方巴士", "四方消防大队",
    "中国移动四方营业部", "青岛日报社", "四方区中心医院", "青岛碱业", "海尔电器四方物流中心",
    "工商银行四方支行", "四方区税务局", "青岛第五十八中学", "青岛城投四方公司", "青岛地铁运营四方段",
};
#define N_UNITS (sizeof resident_units / sizeof *resident_units)

static const char *const help_given[] = {
    "米和食用油", "过冬棉被", "帮助申请最低生活保障", "推荐工作", "孩子的学费", "代购药品", "修好热水器",
};

typedef struct {
    /* Volunteers: the resident each registers, and the id volunteer gave. */
    size_t *volunteer_resident; size_t n_volunteers;
    char (*volunteer_id)[16];
    long *resident_volunteer;             /* resident index -> volunteer item, -1 */
    size_t **community_volunteers;        /* community -> volunteer items */
    size_t *n_community_volunteers;
    long *volunteer_team;                 /* volunteer item -> a team it joined, -1 */
    /* Credentials: (volunteer item, skill index). */
    size_t *credential_volunteer; size_t *credential_skill; size_t n_credentials;
    /* Teams. */
    size_t n_teams;
    int *team_community;
    size_t *team_kind;
    long *team_leader;                    /* volunteer item */
    char (*team_id)[16];
    /* Members: (team, volunteer item). */
    size_t *member_team; size_t *member_volunteer; size_t n_members;
    /* Pairings: (member resident, household in difficulty). */
    size_t *pairing_member; size_t *pairing_household; size_t n_pairings;
    char (*pairing_id)[16];
    /* Contacts: (pairing, k). */
    size_t *contact_pairing; size_t n_contacts;
    /* Service records: (volunteer item, k). */
    size_t *record_volunteer; size_t *record_k; size_t n_records;
    /* Approval passes over the communities. */
    int approve_pass;
    bool *approve_again;
    /* Visits: (staff, k); the id volunteer gave and the moment of each. */
    size_t *visit_staff; size_t n_visits;
    char (*visit_id)[16];
    int64_t *visit_at;
    /* Co-building: two per community. */
    size_t n_cobuildings;
    /* Providers: PROVIDERS_PER_COMMUNITY a community. */
    size_t n_providers;
    /* Time: the plan dates everything from the district's midnight today
     * (the loader's timeline), not from the clock, so that a second run on
     * the same day sends the same requests (a request id bound to another
     * body is refused). */
    int64_t midnight_ms;
} plan_t;

/* --- the generator ----------------------------------------------------------- */

uint64_t
vd_next(vd_rng_t *rng)
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

vd_rng_t
vd_rng(uint64_t seed, const char *tag, uint64_t item)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (const char *c = tag; *c; c++)
        h = (h ^ (unsigned char) *c) * 1099511628211ULL;
    vd_rng_t rng = { h ^ (item * 0x9E3779B97F4A7C15ULL) };
    vd_next(&rng);
    return rng;
}

size_t
vd_below(vd_rng_t *rng, size_t n)
{
    return n ? (size_t) (vd_next(rng) % n) : 0;
}

bool
vd_chance(vd_rng_t *rng, double p)
{
    return (double) (vd_next(rng) >> 11) / 9007199254740992.0 < p;
}

static size_t
scaled(const vd_loader_t *loader, size_t figure)
{
    size_t n = (size_t) llround((double) figure * loader->scale);
    return n ? n : 1;
}

/* YYYY-MM-DD of the timeline's today minus days. */
static void
date_before(const vd_loader_t *loader, int days, char out[11])
{
    sf_date_format(loader->timeline.today - days, out);
}

/* Days of history before today: a date this many days back or fewer is
 * inside the timeline's twelve months. */
static int
history_days(const vd_loader_t *loader)
{
    return loader->timeline.n_days - 1;
}

/* Old enough to volunteer and not too old, on the timeline's today. */
static bool
volunteer_age(const vd_loader_t *loader, const vd_resident_t *r)
{
    if (!r->birth)
        return false;
    int by, bm, bd, y, m, d;
    sf_civil_from_days(r->birth, &by, &bm, &bd);
    sf_civil_from_days(loader->timeline.today, &y, &m, &d);
    int age = y - by - (m < bm || (m == bm && d < bd));
    return age >= VOLUNTEER_AGE_MIN && age <= VOLUNTEER_AGE_MAX;
}

/* --- volunteers ----------------------------------------------------------------- */

/* A volunteer's skills (1 to 3, distinct) and levels, from its resident. */
static size_t
volunteer_skills(const vd_loader_t *loader, size_t item, size_t codes[3], int levels[3])
{
    const plan_t *plan = loader->plan;
    vd_rng_t rng = vd_rng(loader->seed, "skills", loader->grid.residents[plan->volunteer_resident[item]].serial);
    size_t n = 1 + vd_below(&rng, 3), have = 0;
    int total = 0;
    for (size_t s = 0; s < N_SKILLS; s++)
        total += skills[s].weight;
    for (int tries = 0; have < n && tries < 20; tries++) {
        int pick = (int) vd_below(&rng, (size_t) total);
        size_t s = 0;
        while (pick >= skills[s].weight)
            pick -= skills[s++].weight;
        bool seen = false;
        for (size_t k = 0; k < have; k++)
            seen |= codes[k] == s;
        if (seen)
            continue;
        codes[have] = s;
        levels[have] = 1 + (int) vd_below(&rng, 5);
        have++;
    }
    return have;
}

static bool
in_service(const vd_loader_t *loader, size_t resident)
{
    const vd_resident_t *r = &loader->grid.residents[resident];
    vd_rng_t rng = vd_rng(loader->seed, "in-service", (uint64_t) r->serial);
    /* About one party member in seven: 1,780 of Sifang's 12,500. */
    return r->party_member && vd_below(&rng, 7) == 0;
}

/* How many service records volunteer i has (none for two in five, else one
 * to four, each in its own quarter back from today). */
static size_t
records_of(const vd_loader_t *loader, size_t i)
{
    vd_rng_t rng = vd_rng(loader->seed, "records", i);
    return vd_chance(&rng, 0.6) ? 1 + vd_below(&rng, 4) : 0;
}

/* When volunteer i registered: a weekday-ish office hour on a day of the
 * year, before their first service record (m records reach m quarters
 * back; the fourth one's volunteers registered at the year's start, on the
 * day of their first service at the latest). */
static int64_t
volunteer_registered(const vd_loader_t *loader, size_t i)
{
    const plan_t *plan = loader->plan;
    vd_rng_t rng = vd_rng(loader->seed, "registered", i);
    int history = history_days(loader);
    int earliest = (int) records_of(loader, i) * 91;
    earliest = earliest < 1 ? 1 : earliest > history ? history : earliest;
    int64_t days = earliest + (int64_t) vd_below(&rng, (size_t) (history - earliest + 1));
    return plan->midnight_ms - days * 86400000 + (int64_t) (9 * 60 + vd_below(&rng, 8 * 60)) * 60000;
}

static int
send_volunteer(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    plan_t *plan = loader->plan;
    size_t resident = plan->volunteer_resident[i];
    vd_rng_t rng = vd_rng(loader->seed, "volunteer", loader->grid.residents[resident].serial);
    Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    Sifang__V1__VolunteerSkillLevel levels[3];
    Sifang__V1__VolunteerSkillLevel *level_list[3];
    Sifang__V1__VolunteerAvailability windows[2];
    Sifang__V1__VolunteerAvailability *window_list[2];
    size_t codes[3];
    int level_values[3];
    size_t n = volunteer_skills(loader, i, codes, level_values);
    for (size_t k = 0; k < n; k++) {
        sifang__v1__volunteer_skill_level__init(&levels[k]);
        levels[k].skill = (char *) skills[codes[k]].code;
        levels[k].level = level_values[k];
        level_list[k] = &levels[k];
    }
    profile.resident_id = loader->grid.residents[resident].id;
    profile.skills = level_list;
    profile.n_skills = n;
    /* Half are available any time; the others give one or two windows. */
    if (vd_chance(&rng, 0.5)) {
        size_t w = 1 + vd_below(&rng, 2);
        for (size_t k = 0; k < w; k++) {
            sifang__v1__volunteer_availability__init(&windows[k]);
            windows[k].weekday = (int) vd_below(&rng, 8);
            windows[k].start_minute = (int) (8 * 60 + 30 * vd_below(&rng, 20));
            windows[k].end_minute = windows[k].start_minute + (int) (120 + 60 * vd_below(&rng, 3));
            window_list[k] = &windows[k];
        }
        profile.availability = window_list;
        profile.n_availability = w;
    }
    profile.registered_unix_ms = volunteer_registered(loader, i);
    profile.in_service_party_member = in_service(loader, resident);
    if (profile.in_service_party_member)
        profile.party_organisation = (char *) resident_units[vd_below(&rng, N_UNITS)];
    char number[32];
    if (vd_chance(&rng, 0.6)) {
        snprintf(number, sizeof number, "3702052012%07zu", i + 1);
        profile.national_number = number;
    }
    return sf_client_send(loader->client, part->method, request_id, &profile.base);
}

/* Reads every volunteer back: the ids volunteer gave, by resident. */
static bool
read_volunteers(vd_loader_t *loader)
{
    plan_t *plan = loader->plan;
    char token[64] = "";
    size_t known = 0;
    for (;;) {
        Sifang__V1__VolunteerListRequest request = SIFANG__V1__VOLUNTEER_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        ProtobufCMessage *reply = NULL;
        sf_reply_info_t info;
        if (sf_client_call(loader->client, "VolunteerList", NULL, &request.base,
                           &sifang__v1__volunteer_list_reply__descriptor, &reply, &info) != SF_OK) {
            fprintf(stderr, "cannot list volunteers: %s\n", info.message ? info.message : "");
            return false;
        }
        Sifang__V1__VolunteerListReply *list = (Sifang__V1__VolunteerListReply *) reply;
        for (size_t k = 0; k < list->n_volunteers; k++) {
            long resident = vd_resident_find(&loader->grid, list->volunteers[k]->resident_id);
            long item = resident >= 0 ? plan->resident_volunteer[resident] : -1;
            if (item >= 0) {
                snprintf(plan->volunteer_id[item], sizeof plan->volunteer_id[item], "%s", list->volunteers[k]->id);
                known++;
            }
        }
        snprintf(token, sizeof token, "%s", list->next_page_token);
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!token[0])
            break;
    }
    /* The volunteers of each community, for teams. */
    for (size_t i = 0; i < plan->n_volunteers; i++) {
        int c = loader->grid.residents[plan->volunteer_resident[i]].community;
        if (c >= 0 && plan->volunteer_id[i][0])
            plan->community_volunteers[c][plan->n_community_volunteers[c]++] = i;
    }
    fprintf(stderr, "%zu of the %zu volunteers are registered\n", known, plan->n_volunteers);
    return known > 0;
}

/* --- credentials ------------------------------------------------------------------ */

static int
send_credential(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    plan_t *plan = loader->plan;
    size_t volunteer = plan->credential_volunteer[i], skill = plan->credential_skill[i];
    if (!plan->volunteer_id[volunteer][0])
        return 2;
    vd_rng_t rng = vd_rng(loader->seed, "credential", i);
    Sifang__V1__VolunteerCredential credential = SIFANG__V1__VOLUNTEER_CREDENTIAL__INIT;
    credential.volunteer_id = plan->volunteer_id[volunteer];
    credential.kind = (Sifang__V1__CredentialKind) skills[skill].requires;
    credential.skill = (char *) skills[skill].code;
    credential.name = credential.kind == SIFANG__V1__CREDENTIAL_KIND__CREDENTIAL_KIND_TRAINING
                    ? "红十字会急救培训" : "职业资格证书";
    credential.issuer = credential.kind == SIFANG__V1__CREDENTIAL_KIND__CREDENTIAL_KIND_TRAINING
                      ? "青岛市红十字会" : "青岛市人力资源和社会保障局";
    char issued[11], expires[11];
    /* Issued in the year, valid for one to three; one in ten was a
     * half-year's training that has lapsed: it keeps its holder out of
     * dispatch. */
    bool lapsed = vd_chance(&rng, 0.1);
    int age = lapsed ? 200 + (int) vd_below(&rng, (size_t) (history_days(loader) - 199))
                     : 1 + (int) vd_below(&rng, (size_t) history_days(loader));
    date_before(loader, age, issued);
    int valid = lapsed ? 182 : 365 * (1 + (int) vd_below(&rng, 3));
    date_before(loader, age - valid, expires);
    credential.issued_on = issued;
    credential.expires_on = expires;
    return sf_client_send(loader->client, part->method, request_id, &credential.base);
}

/* --- teams ---------------------------------------------------------------------------- */

static void
team_name(const vd_loader_t *loader, size_t t, char *out, size_t size)
{
    const plan_t *plan = loader->plan;
    sf_text_format(out, size, "%s%s", loader->grid.communities[plan->team_community[t]].name,
             team_kinds[plan->team_kind[t]].label);
}

static int
send_team(vd_loader_t *loader, vd_part_t *part, size_t t, const char *request_id)
{
    plan_t *plan = loader->plan;
    if (plan->team_leader[t] < 0)
        return 2;
    Sifang__V1__VolunteerTeam team = SIFANG__V1__VOLUNTEER_TEAM__INIT;
    char name[160];
    team_name(loader, t, name, sizeof name);
    char *team_skills[3];
    size_t n = 0;
    for (size_t k = 0; k < 3 && team_kinds[plan->team_kind[t]].skills[k]; k++)
        team_skills[n++] = (char *) team_kinds[plan->team_kind[t]].skills[k];
    team.name = name;
    team.type = (Sifang__V1__VolunteerTeamType) team_kinds[plan->team_kind[t]].type;
    team.community_code = loader->grid.communities[plan->team_community[t]].code;
    team.leader_id = plan->volunteer_id[plan->team_leader[t]];
    team.service_brand = (char *) team_kinds[plan->team_kind[t]].brand;
    team.skills = team_skills;
    team.n_skills = n;
    return sf_client_send(loader->client, part->method, request_id, &team.base);
}

static bool
read_teams(vd_loader_t *loader)
{
    plan_t *plan = loader->plan;
    char token[64] = "";
    for (;;) {
        Sifang__V1__TeamListRequest request = SIFANG__V1__TEAM_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        ProtobufCMessage *reply = NULL;
        if (sf_client_call(loader->client, "TeamList", NULL, &request.base, &sifang__v1__team_list_reply__descriptor,
                           &reply, NULL) != SF_OK)
            return false;
        Sifang__V1__TeamListReply *list = (Sifang__V1__TeamListReply *) reply;
        for (size_t k = 0; k < list->n_teams; k++)
            for (size_t t = 0; t < plan->n_teams; t++) {
                char name[160];
                team_name(loader, t, name, sizeof name);
                if (list->teams[k]->active && strcmp(list->teams[k]->name, name) == 0
                    && strcmp(list->teams[k]->community_code, loader->grid.communities[plan->team_community[t]].code) == 0)
                    snprintf(plan->team_id[t], sizeof plan->team_id[t], "%s", list->teams[k]->id);
            }
        snprintf(token, sizeof token, "%s", list->next_page_token);
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!token[0])
            break;
    }
    return true;
}

/* Members: 10 to 35 volunteers of the team's community besides the leader. */
static bool
plan_members(vd_loader_t *loader)
{
    plan_t *plan = loader->plan;
    size_t capacity = plan->n_teams * 36;
    plan->member_team = calloc(capacity, sizeof *plan->member_team);
    plan->member_volunteer = calloc(capacity, sizeof *plan->member_volunteer);
    if (!plan->member_team || !plan->member_volunteer)
        return false;
    for (size_t t = 0; t < plan->n_teams; t++) {
        int c = plan->team_community[t];
        if (!plan->team_id[t][0] || plan->team_leader[t] < 0)
            continue;
        plan->volunteer_team[plan->team_leader[t]] = (long) t;
        size_t pool = plan->n_community_volunteers[c];
        vd_rng_t rng = vd_rng(loader->seed, "members", t);
        size_t want = 10 + vd_below(&rng, 26), start = vd_below(&rng, pool ? pool : 1);
        /* A run of the community's volunteers from a random start. */
        for (size_t k = 0; k < pool && want > 0; k++) {
            size_t item = plan->community_volunteers[c][(start + k * 7) % pool];
            if ((long) item == plan->team_leader[t] || plan->volunteer_team[item] == (long) t)
                continue;
            if (plan->volunteer_team[item] < 0)
                plan->volunteer_team[item] = (long) t;
            else
                continue;   /* one team each keeps the numbers simple */
            plan->member_team[plan->n_members] = t;
            plan->member_volunteer[plan->n_members] = item;
            plan->n_members++;
            want--;
        }
    }
    return true;
}

static int
send_member(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    plan_t *plan = loader->plan;
    Sifang__V1__TeamMembership membership = SIFANG__V1__TEAM_MEMBERSHIP__INIT;
    membership.team_id = plan->team_id[plan->member_team[i]];
    membership.volunteer_id = plan->volunteer_id[plan->member_volunteer[i]];
    return sf_client_send(loader->client, part->method, request_id, &membership.base);
}

/* --- pairings and contacts ------------------------------------------------------------- */

/* 8,600 households in difficulty, each with a party member of its own
 * community; 5,000 members in all, spread in proportion. */
static bool
plan_pairings(vd_loader_t *loader)
{
    plan_t *plan = loader->plan;
    const vd_grid_t *grid = &loader->grid;
    size_t households = scaled(loader, PAIRED_HOUSEHOLDS);
    if (households > grid->n_flagged)
        households = grid->n_flagged;
    size_t members = scaled(loader, PAIRED_MEMBERS);
    plan->pairing_member = calloc(households ? households : 1, sizeof *plan->pairing_member);
    plan->pairing_household = calloc(households ? households : 1, sizeof *plan->pairing_household);
    plan->pairing_id = calloc(households ? households : 1, sizeof *plan->pairing_id);
    size_t *party = calloc(grid->n_residents ? grid->n_residents : 1, sizeof *party);
    size_t *chosen = calloc(grid->n_flagged ? grid->n_flagged : 1, sizeof *chosen);
    if (!plan->pairing_member || !plan->pairing_household || !plan->pairing_id || !party || !chosen) {
        free(party);
        free(chosen);
        return false;
    }
    /* Which flagged households: a seeded sample, kept in code order. */
    size_t picked = 0;
    for (size_t h = 0; h < grid->n_flagged && picked < households; h++) {
        vd_rng_t rng = vd_rng(loader->seed, "paired", h);
        size_t left = grid->n_flagged - h, need = households - picked;
        if (vd_below(&rng, left) < need)
            chosen[picked++] = h;
    }
    for (size_t c = 0; c < grid->n_communities; c++) {
        size_t n_party = 0;
        for (size_t r = 0; r < grid->n_residents; r++)
            if (grid->residents[r].community == (int) c && grid->residents[r].party_member)
                party[n_party++] = r;
        size_t first = plan->n_pairings, here = 0;
        for (size_t k = 0; k < picked; k++)
            if (grid->flagged[chosen[k]].community == (int) c)
                here++;
        if (!here || !n_party)
            continue;
        size_t want = (size_t) llround((double) here * (double) members / (double) households);
        want = want < 1 ? 1 : want > n_party ? n_party : want;
        vd_rng_t rng = vd_rng(loader->seed, "pairing-members", c);
        size_t start = vd_below(&rng, n_party), slot = 0;
        for (size_t k = 0; k < picked; k++) {
            if (grid->flagged[chosen[k]].community != (int) c)
                continue;
            plan->pairing_household[plan->n_pairings] = chosen[k];
            plan->pairing_member[plan->n_pairings] = party[(start + slot++ % want) % n_party];
            plan->n_pairings++;
        }
        (void) first;
    }
    free(party);
    free(chosen);
    return true;
}

/* When pairing i began: a day of the year before the last month, in the
 * afternoon (a month at least: contacts follow it). */
static int64_t
pairing_began(const vd_loader_t *loader, size_t i)
{
    const plan_t *plan = loader->plan;
    vd_rng_t rng = vd_rng(loader->seed, "pairing-began", i);
    int64_t days = 30 + (int64_t) vd_below(&rng, (size_t) (history_days(loader) - 30));
    return plan->midnight_ms - days * 86400000 + (int64_t) (13 + vd_below(&rng, 5)) * 3600000;
}

static int
send_pairing(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    plan_t *plan = loader->plan;
    Sifang__V1__HelpPairing pairing = SIFANG__V1__HELP_PAIRING__INIT;
    pairing.member_resident_id = loader->grid.residents[plan->pairing_member[i]].id;
    pairing.household_code = loader->grid.flagged[plan->pairing_household[i]].code;
    pairing.created_unix_ms = pairing_began(loader, i);
    return sf_client_send(loader->client, part->method, request_id, &pairing.base);
}

static bool
read_pairings(vd_loader_t *loader)
{
    plan_t *plan = loader->plan;
    char token[64] = "";
    size_t known = 0;
    for (;;) {
        Sifang__V1__HelpPairingListRequest request = SIFANG__V1__HELP_PAIRING_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        ProtobufCMessage *reply = NULL;
        if (sf_client_call(loader->client, "HelpPairingList", NULL, &request.base,
                           &sifang__v1__help_pairing_list_reply__descriptor, &reply, NULL) != SF_OK)
            return false;
        Sifang__V1__HelpPairingListReply *list = (Sifang__V1__HelpPairingListReply *) reply;
        for (size_t k = 0; k < list->n_pairings; k++) {
            const Sifang__V1__HelpPairing *p = list->pairings[k];
            /* The plan's pairings are in household order: bisect. */
            size_t lo = 0, hi = plan->n_pairings;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int cmp = strcmp(loader->grid.flagged[plan->pairing_household[mid]].code, p->household_code);
                if (cmp < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t i = lo; i < plan->n_pairings
                 && strcmp(loader->grid.flagged[plan->pairing_household[i]].code, p->household_code) == 0; i++)
                if (strcmp(loader->grid.residents[plan->pairing_member[i]].id, p->member_resident_id) == 0) {
                    snprintf(plan->pairing_id[i], sizeof plan->pairing_id[i], "%s", p->id);
                    known++;
                }
        }
        snprintf(token, sizeof token, "%s", list->next_page_token);
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!token[0])
            break;
    }
    fprintf(stderr, "%zu of the %zu pairings are active\n", known, plan->n_pairings);
    return true;
}

static int
send_contact(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    plan_t *plan = loader->plan;
    size_t pairing = plan->contact_pairing[i];
    if (!plan->pairing_id[pairing][0])
        return 2;
    vd_rng_t rng = vd_rng(loader->seed, "contact", i);
    Sifang__V1__HelpContact contact = SIFANG__V1__HELP_CONTACT__INIT;
    contact.pairing_id = plan->pairing_id[pairing];
    contact.kind = (Sifang__V1__ContactKind) (1 + vd_below(&rng, 3));
    /* Between the pairing's start and yesterday evening. */
    int64_t began = pairing_began(loader, pairing), last = plan->midnight_ms - 3600000;
    contact.at_unix_ms = began + 3600000 + (int64_t) vd_below(&rng, (size_t) ((last - began - 3600000) / 1000)) * 1000;
    contact.note = contact.kind == SIFANG__V1__CONTACT_KIND__CONTACT_KIND_CALL ? "电话问候近况" : "上门看望";
    if (contact.kind == SIFANG__V1__CONTACT_KIND__CONTACT_KIND_HELP)
        contact.help_given = (char *) help_given[vd_below(&rng, sizeof help_given / sizeof *help_given)];
    return sf_client_send(loader->client, part->method, request_id, &contact.base);
}

/* --- hours ---------------------------------------------------------------------------- */

static int
send_record(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    plan_t *plan = loader->plan;
    size_t volunteer = plan->record_volunteer[i];
    if (!plan->volunteer_id[volunteer][0])
        return 2;
    vd_rng_t rng = vd_rng(loader->seed, "record", i);
    size_t codes[3];
    int levels[3];
    size_t n = volunteer_skills(loader, volunteer, codes, levels);
    size_t skill = codes[vd_below(&rng, n)];
    Sifang__V1__VolunteerServiceRecord record = SIFANG__V1__VOLUNTEER_SERVICE_RECORD__INIT;
    static const double hours[] = { 1, 1.5, 2, 2.5, 3, 4 };
    char day[11];
    /* Each of a volunteer's records on its own day of the year (a quarter
     * apart): never near 24 h. */
    date_before(loader, 1 + (int) ((plan->record_k[i] * 91 + vd_below(&rng, 91)) % (size_t) history_days(loader)), day);
    record.volunteer_id = plan->volunteer_id[volunteer];
    long team = plan->volunteer_team[volunteer];
    if (team >= 0 && plan->team_id[team][0] && vd_chance(&rng, 0.3))
        record.team_id = plan->team_id[team];
    record.activity = (char *) skills[skill].activity;
    record.skill = (char *) skills[skill].code;
    record.served_on = day;
    record.hours = hours[vd_below(&rng, sizeof hours / sizeof *hours)];
    return sf_client_send(loader->client, part->method, request_id, &record.base);
}

/* Approves each community's pending records older than a week, a pass at a
 * time (a review takes up to 5,000). */
static int
send_approval(vd_loader_t *loader, vd_part_t *part, size_t c, const char *request_id)
{
    plan_t *plan = loader->plan;
    if (!plan->approve_again[c])
        return 2;
    char through[11];
    date_before(loader, PENDING_DAYS, through);
    Sifang__V1__ServiceRecordReviewRequest review = SIFANG__V1__SERVICE_RECORD_REVIEW_REQUEST__INIT;
    review.decision = SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE;
    review.under = loader->grid.communities[c].code;
    review.through = through;
    review.note = "社区工作站已核实";
    return sf_client_send(loader->client, part->method, request_id, &review.base);
}

static void
take_approval(vd_loader_t *loader, vd_part_t *part, size_t c, const void *body, size_t size)
{
    (void) part;
    plan_t *plan = loader->plan;
    Sifang__V1__ServiceRecordReviewReply *reply = sifang__v1__service_record_review_reply__unpack(NULL, size, body);
    plan->approve_again[c] = reply && reply->reviewed >= 5000;
    if (reply)
        sifang__v1__service_record_review_reply__free_unpacked(reply, NULL);
}

/* --- visits and co-building ------------------------------------------------------------ */

/* What was found on a visit, and what followed (走千人访千户). */
static const char *const visit_notes[] = {
    "走千人访千户：了解家庭近况，听取意见建议", "独居老人，冬季取暖有困难", "家中有失业人员，希望推荐工作",
    "反映楼道照明损坏，夜间出行不便", "老人行动不便，需要代购药品", "孩子上学有经济困难", "对社区服务满意，无特别诉求",
};
static const char *const follow_up_notes[] = {
    "已联系社区工作站，安排网格员跟进", "已协调物业维修完毕", "已推荐到辖区企业面试", "已申请临时救助，等待审批",
    "已代购药品送到家中", "电话回访，情况已好转", "已转交街道民政科办理",
};

static int
send_visit(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    plan_t *plan = loader->plan;
    const vd_grid_t *grid = &loader->grid;
    const vd_staff_t *staff = &grid->staff[plan->visit_staff[i]];
    vd_rng_t rng = vd_rng(loader->seed, "visit", i);
    /* A household where the visitor works: a department's staff in one of
     * the communities their department is paired with (帮建对子), anyone
     * else in their own unit; the range of codes it prefixes. */
    size_t paired = 0;
    const vd_pairing_t *pairings = vd_department_pairings(grid, staff->department, &paired);
    if (staff->department[0] && !paired)
        return 2;
    const char *within = paired ? pairings[vd_below(&rng, paired)].community : staff->unit;
    size_t length = strlen(within), lo = 0, hi = grid->n_households;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(grid->households[mid], within, length) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < grid->n_households && strncmp(grid->households[end], within, length) == 0)
        end++;
    if (end == lo)
        return 2;
    Sifang__V1__HouseholdVisit visit = SIFANG__V1__HOUSEHOLD_VISIT__INIT;
    visit.staff_id = (char *) staff->id;
    visit.household_code = (char *) grid->households[lo + vd_below(&rng, end - lo)];
    visit.kind = vd_chance(&rng, 0.7) ? SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT
               : vd_chance(&rng, 0.5) ? SIFANG__V1__CONTACT_KIND__CONTACT_KIND_CALL
                                      : SIFANG__V1__CONTACT_KIND__CONTACT_KIND_HELP;
    visit.at_unix_ms = plan->midnight_ms - (int64_t) (3600 + vd_below(&rng, (size_t) history_days(loader) * 86400)) * 1000;
    visit.note = (char *) visit_notes[vd_below(&rng, sizeof visit_notes / sizeof *visit_notes)];
    if (visit.kind == SIFANG__V1__CONTACT_KIND__CONTACT_KIND_HELP)
        visit.help_given = (char *) help_given[vd_below(&rng, sizeof help_given / sizeof *help_given)];
    plan->visit_at[i] = visit.at_unix_ms;
    return sf_client_send(loader->client, part->method, request_id, &visit.base);
}

static void
take_visit(vd_loader_t *loader, vd_part_t *part, size_t i, const void *body, size_t size)
{
    (void) part;
    plan_t *plan = loader->plan;
    Sifang__V1__HouseholdVisit *visit = sifang__v1__household_visit__unpack(NULL, size, body);
    if (visit)
        snprintf(plan->visit_id[i], sizeof plan->visit_id[i], "%s", visit->id);
    if (visit)
        sifang__v1__household_visit__free_unpacked(visit, NULL);
}

/* What followed about one visit in three: a few days later, settled or
 * still followed (two for some, the second settling it), never after the
 * loader's midnight. Items 2i and 2i+1 are visit i's first and second. */
static int
send_follow_up(vd_loader_t *loader, vd_part_t *part, size_t item, const char *request_id)
{
    plan_t *plan = loader->plan;
    size_t i = item / 2;
    vd_rng_t rng = vd_rng(loader->seed, "follow-up", i);
    if (!plan->visit_id[i][0] || !vd_chance(&rng, 1.0 / 3))
        return 2;
    bool two = vd_chance(&rng, 0.3);
    if (item % 2 && !two)
        return 2;
    int64_t after = (int64_t) (1 + vd_below(&rng, 10)) * 86400 * 1000 * (int64_t) (item % 2 + 1);
    int64_t at = plan->visit_at[i] + after;
    if (at >= plan->midnight_ms)
        return 2;
    Sifang__V1__VisitFollowUp follow_up = SIFANG__V1__VISIT_FOLLOW_UP__INIT;
    follow_up.visit_id = plan->visit_id[i];
    size_t notes = sizeof follow_up_notes / sizeof *follow_up_notes;
    follow_up.note = (char *) follow_up_notes[(vd_below(&rng, notes) + item % 2) % notes];
    follow_up.at_unix_ms = at;
    follow_up.done = two ? item % 2 == 1 : vd_chance(&rng, 0.6);
    return sf_client_send(loader->client, part->method, request_id, &follow_up.base);
}

static int
send_cobuilding(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    const vd_grid_t *grid = &loader->grid;
    size_t c = i / 2 % grid->n_communities;
    vd_rng_t rng = vd_rng(loader->seed, "cobuilding", i);
    Sifang__V1__CoBuilding pair = SIFANG__V1__CO_BUILDING__INIT;
    Sifang__V1__CoBuildingCommitment commitments[3];
    Sifang__V1__CoBuildingCommitment *list[3];
    static const char *const venues[] = { "会议室，每月8小时", "周末开放运动场", "中午开放职工食堂供老人就餐" };
    for (int k = 0; k < 3; k++) {
        sifang__v1__co_building_commitment__init(&commitments[k]);
        list[k] = &commitments[k];
    }
    commitments[0].kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_PEOPLE;
    commitments[0].description = "职工到社区志愿服务";
    commitments[0].quantity = (double) (5 + vd_below(&rng, 26));
    commitments[0].unit = "人";
    commitments[1].kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_MONEY;
    commitments[1].description = "社区活动经费";
    commitments[1].quantity = (double) (5000 + 1000 * vd_below(&rng, 46));
    commitments[1].unit = "元";
    commitments[2].kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_VENUE;
    commitments[2].description = (char *) venues[vd_below(&rng, 3)];
    commitments[2].quantity = 1;
    commitments[2].unit = "处";
    /* Two different units per community. */
    size_t unit = (c * 7 + (i % 2) * 11) % N_UNITS;
    pair.unit_name = (char *) resident_units[unit];
    pair.community_code = (char *) grid->communities[c].code;
    pair.commitments = list;
    pair.n_commitments = 3;
    pair.contact_name = "党组织书记";
    /* Agreed on a day of the year, not all today. */
    char since[11];
    date_before(loader, (int) vd_below(&rng, (size_t) history_days(loader)), since);
    pair.since = since;
    return sf_client_send(loader->client, part->method, request_id, &pair.base);
}

/* --- providers of the 15-minute circle -------------------------------------------------- */

static const struct {
    int category;             /* ProviderCategory */
    int kind;                 /* ProviderKind */
    const char *name;         /* after the community's name */
    const char *skills[2];
    bool lunch_and_supper;    /* a canteen's hours; else 08:00-20:00 */
} provider_kinds[] = {
    { 1, 1, "长者食堂", { "meals", NULL }, true },
    { 2, 2, "颐养服务站", { "elderly_care", "escort" }, false },
    { 3, 1, "家政服务社", { "housekeeping", NULL }, false },
    { 4, 1, "便民维修点", { "repair", "plumbing" }, false },
    { 5, 2, "社区卫生服务站", { "health_care", "elderly_care" }, false },
};
#define N_PROVIDER_KINDS (sizeof provider_kinds / sizeof *provider_kinds)

/* Provider i: community i / 2, of the kinds in turn; it serves the zones of
 * its community that have households (up to 50). */
static int
send_provider(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id)
{
    const vd_grid_t *grid = &loader->grid;
    size_t c = i / PROVIDERS_PER_COMMUNITY;
    if (c >= grid->n_communities)
        return 2;
    const char *community = grid->communities[c].code;
    size_t kind = i % N_PROVIDER_KINDS;
    vd_rng_t rng = vd_rng(loader->seed, "provider", i);
    static char zones[50][16];
    char *zone_p[50];
    size_t n_zones = 0;
    size_t length = strlen(community);
    for (size_t h = 0; h < grid->n_households && n_zones < 50; h++) {
        if (strncmp(grid->households[h], community, length) != 0)
            continue;
        if (n_zones && strncmp(zones[n_zones - 1], grid->households[h], 14) == 0)
            continue;
        snprintf(zones[n_zones], sizeof zones[n_zones], "%.14s", grid->households[h]);
        zone_p[n_zones] = zones[n_zones];
        n_zones++;
    }
    if (!n_zones)
        return 2;
    char name[160], phone[24], contact[32];
    snprintf(name, sizeof name, "%s%s", grid->communities[c].name, provider_kinds[kind].name);
    snprintf(phone, sizeof phone, "0532-8%07zu", vd_below(&rng, 10000000));
    static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "孙" };
    snprintf(contact, sizeof contact, "%s经理", surnames[vd_below(&rng, 8)]);
    char *skills_p[2];
    size_t n_skills = 0;
    for (size_t k = 0; k < 2 && provider_kinds[kind].skills[k]; k++)
        skills_p[n_skills++] = (char *) provider_kinds[kind].skills[k];
    Sifang__V1__VolunteerAvailability lunch = SIFANG__V1__VOLUNTEER_AVAILABILITY__INIT;
    Sifang__V1__VolunteerAvailability supper = SIFANG__V1__VOLUNTEER_AVAILABILITY__INIT;
    Sifang__V1__VolunteerAvailability day = SIFANG__V1__VOLUNTEER_AVAILABILITY__INIT;
    Sifang__V1__VolunteerAvailability *meal_hours[] = { &lunch, &supper }, *day_hours[] = { &day };
    lunch.start_minute = 10 * 60;
    lunch.end_minute = 13 * 60 + 30;
    supper.start_minute = 16 * 60 + 30;
    supper.end_minute = 19 * 60;
    day.start_minute = 8 * 60;
    day.end_minute = 20 * 60;
    Sifang__V1__ServiceProvider provider = SIFANG__V1__SERVICE_PROVIDER__INIT;
    provider.name = name;
    provider.kind = (Sifang__V1__ProviderKind) provider_kinds[kind].kind;
    provider.category = (Sifang__V1__ProviderCategory) provider_kinds[kind].category;
    provider.skills = skills_p;
    provider.n_skills = n_skills;
    provider.community_code = (char *) community;
    provider.zone_codes = zone_p;
    provider.n_zone_codes = n_zones;
    provider.hours = provider_kinds[kind].lunch_and_supper ? meal_hours : day_hours;
    provider.n_hours = provider_kinds[kind].lunch_and_supper ? 2 : 1;
    provider.capacity = 3 + (int) vd_below(&rng, 6);
    provider.contact_name = contact;
    provider.contact_phone = phone;
    provider.active = true;
    return sf_client_send(loader->client, part->method, request_id, &provider.base);
}

/* --- the plan ------------------------------------------------------------------------ */

bool
vd_plan_new(vd_loader_t *loader)
{
    const vd_grid_t *grid = &loader->grid;
    if (!grid->n_residents || !grid->n_communities) {
        fprintf(stderr, "grid holds no residents or communities: load grid's demo first (sifang-demo-load)\n");
        return false;
    }
    plan_t *plan = calloc(1, sizeof *plan);
    if (!plan)
        return false;
    loader->plan = plan;
    plan->midnight_ms = demo_day_start_ms(loader->timeline.today);

    /* Every party member, then a seeded sample of the others. */
    size_t n = grid->n_residents, want = scaled(loader, VOLUNTEERS);
    if (want > n)
        want = n;
    plan->volunteer_resident = calloc(want, sizeof *plan->volunteer_resident);
    plan->volunteer_id = calloc(want, sizeof *plan->volunteer_id);
    plan->resident_volunteer = calloc(n, sizeof *plan->resident_volunteer);
    plan->volunteer_team = calloc(want, sizeof *plan->volunteer_team);
    plan->community_volunteers = calloc(grid->n_communities, sizeof *plan->community_volunteers);
    plan->n_community_volunteers = calloc(grid->n_communities, sizeof *plan->n_community_volunteers);
    if (!plan->volunteer_resident || !plan->volunteer_id || !plan->resident_volunteer || !plan->volunteer_team
        || !plan->community_volunteers || !plan->n_community_volunteers)
        return false;
    size_t party = 0, adults = 0;
    for (size_t r = 0; r < n; r++)
        if (volunteer_age(loader, &grid->residents[r])) {
            adults++;
            party += grid->residents[r].party_member;
        }
    size_t others_wanted = want > party ? want - party : 0, others_left = adults - party;
    for (size_t r = 0; r < n; r++) {
        plan->resident_volunteer[r] = -1;
        bool take;
        if (!volunteer_age(loader, &grid->residents[r]))
            take = false;
        else if (grid->residents[r].party_member)
            take = plan->n_volunteers < want;
        else {
            vd_rng_t rng = vd_rng(loader->seed, "volunteers", (uint64_t) grid->residents[r].serial);
            take = vd_below(&rng, others_left) < others_wanted;
            others_left--;
            if (take)
                others_wanted--;
        }
        if (take && plan->n_volunteers < want) {
            plan->resident_volunteer[r] = (long) plan->n_volunteers;
            plan->volunteer_resident[plan->n_volunteers++] = r;
        }
    }
    for (size_t i = 0; i < plan->n_volunteers; i++)
        plan->volunteer_team[i] = -1;
    for (size_t c = 0; c < grid->n_communities; c++) {
        plan->community_volunteers[c] = calloc(plan->n_volunteers, sizeof **plan->community_volunteers);
        if (!plan->community_volunteers[c])
            return false;
    }

    /* Credentials for the skills that need one. */
    plan->credential_volunteer = calloc(plan->n_volunteers * 3, sizeof *plan->credential_volunteer);
    plan->credential_skill = calloc(plan->n_volunteers * 3, sizeof *plan->credential_skill);
    if (!plan->credential_volunteer || !plan->credential_skill)
        return false;
    for (size_t i = 0; i < plan->n_volunteers; i++) {
        size_t codes[3];
        int levels[3];
        size_t k = volunteer_skills(loader, i, codes, levels);
        for (size_t s = 0; s < k; s++)
            if (skills[codes[s]].requires) {
                plan->credential_volunteer[plan->n_credentials] = i;
                plan->credential_skill[plan->n_credentials++] = codes[s];
            }
    }

    /* Teams: each community's share, kinds in turn. */
    plan->n_teams = scaled(loader, TEAMS);
    plan->team_community = calloc(plan->n_teams, sizeof *plan->team_community);
    plan->team_kind = calloc(plan->n_teams, sizeof *plan->team_kind);
    plan->team_leader = calloc(plan->n_teams, sizeof *plan->team_leader);
    plan->team_id = calloc(plan->n_teams, sizeof *plan->team_id);
    if (!plan->team_community || !plan->team_kind || !plan->team_leader || !plan->team_id)
        return false;
    for (size_t t = 0; t < plan->n_teams; t++) {
        size_t round = t / grid->n_communities;
        plan->team_community[t] = (int) (t % grid->n_communities);
        plan->team_kind[t] = (t % grid->n_communities + round * 5) % N_TEAM_KINDS;
        plan->team_leader[t] = -1;
    }

    if (!plan_pairings(loader))
        return false;
    plan->contact_pairing = calloc(plan->n_pairings * 3 + 1, sizeof *plan->contact_pairing);
    if (!plan->contact_pairing)
        return false;
    for (size_t p = 0; p < plan->n_pairings; p++) {
        vd_rng_t rng = vd_rng(loader->seed, "contacts", p);
        for (size_t k = vd_below(&rng, 4); k > 0; k--)
            plan->contact_pairing[plan->n_contacts++] = p;
    }

    /* Hours: three in five volunteers, one to four records each. */
    plan->record_volunteer = calloc(plan->n_volunteers * 4, sizeof *plan->record_volunteer);
    plan->record_k = calloc(plan->n_volunteers * 4, sizeof *plan->record_k);
    if (!plan->record_volunteer || !plan->record_k)
        return false;
    for (size_t i = 0; i < plan->n_volunteers; i++) {
        for (size_t k = 0, m = records_of(loader, i); k < m; k++) {
            plan->record_volunteer[plan->n_records] = i;
            plan->record_k[plan->n_records++] = k;
        }
    }
    plan->approve_again = calloc(grid->n_communities, sizeof *plan->approve_again);
    if (!plan->approve_again)
        return false;

    /* Visits: 16 to 32 a year per staff member, about one in every four
     * households of the district visited a year (走千人访千户), so that
     * each half-year's cadre visits per 100 households (about 12) stand
     * above the scheme's threshold of 5: a district whose cadres visit as
     * asked, not one flagged everywhere. (Grid's staff scale with the
     * district, so the visits per household hold at every scale.) */
    plan->visit_staff = calloc(grid->n_staff * VISITS_MOST + 1, sizeof *plan->visit_staff);
    plan->visit_id = calloc(grid->n_staff * VISITS_MOST + 1, sizeof *plan->visit_id);
    plan->visit_at = calloc(grid->n_staff * VISITS_MOST + 1, sizeof *plan->visit_at);
    if (!plan->visit_staff || !plan->visit_id || !plan->visit_at)
        return false;
    for (size_t s = 0; s < grid->n_staff; s++) {
        vd_rng_t rng = vd_rng(loader->seed, "visits", s);
        for (size_t k = VISITS_LEAST + vd_below(&rng, VISITS_MOST - VISITS_LEAST + 1); k > 0; k--)
            plan->visit_staff[plan->n_visits++] = s;
    }
    plan->n_cobuildings = grid->n_communities * 2;
    plan->n_providers = grid->n_communities * PROVIDERS_PER_COMMUNITY;
    fprintf(stderr, "plan: %zu volunteers (%zu party members), %zu credentials, %zu teams, %zu pairings,"
            " %zu contacts, %zu service records, %zu visits, %zu co-building pairs, %zu providers\n",
            plan->n_volunteers, party < plan->n_volunteers ? party : plan->n_volunteers, plan->n_credentials,
            plan->n_teams, plan->n_pairings, plan->n_contacts, plan->n_records, plan->n_visits,
            plan->n_cobuildings, plan->n_providers);
    return true;
}

void
vd_plan_destroy(vd_loader_t *loader)
{
    plan_t *plan = loader->plan;
    if (!plan)
        return;
    for (size_t c = 0; plan->community_volunteers && c < loader->grid.n_communities; c++)
        free(plan->community_volunteers[c]);
    void *arrays[] = {
        plan->volunteer_resident, plan->volunteer_id, plan->resident_volunteer, plan->community_volunteers,
        plan->n_community_volunteers, plan->volunteer_team, plan->credential_volunteer, plan->credential_skill,
        plan->team_community, plan->team_kind, plan->team_leader, plan->team_id, plan->member_team,
        plan->member_volunteer, plan->pairing_member, plan->pairing_household, plan->pairing_id,
        plan->contact_pairing, plan->record_volunteer, plan->record_k, plan->approve_again, plan->visit_staff,
        plan->visit_id, plan->visit_at,
    };
    for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++)
        free(arrays[k]);
    free(plan);
    loader->plan = NULL;
}

static vd_part_t
part(const char *name, const char *tag, const char *method, size_t total, vd_send_fn send, vd_take_fn take)
{
    vd_part_t p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.tag = tag;
    p.method = method;
    p.total = total;
    p.send = send;
    p.take = take;
    return p;
}

size_t
vd_plan_load(vd_loader_t *loader)
{
    plan_t *plan = loader->plan;
    const vd_grid_t *grid = &loader->grid;
    size_t failed = 0;

    vd_part_t volunteers = part("volunteers", "vol", "VolunteerRegister", plan->n_volunteers, send_volunteer, NULL);
    failed += vd_load_part(loader, &volunteers);
    if (!read_volunteers(loader))
        return failed + 1;

    vd_part_t credentials = part("credentials", "cred", "CredentialAdd", plan->n_credentials, send_credential, NULL);
    failed += vd_load_part(loader, &credentials);

    /* Leaders: a volunteer of the community, a party member for party teams. */
    for (size_t t = 0; t < plan->n_teams; t++) {
        int c = plan->team_community[t];
        size_t pool = plan->n_community_volunteers[c];
        vd_rng_t rng = vd_rng(loader->seed, "leader", t);
        bool party_team = team_kinds[plan->team_kind[t]].type == 3;
        for (size_t k = 0, start = vd_below(&rng, pool ? pool : 1); k < pool && plan->team_leader[t] < 0; k++) {
            size_t item = plan->community_volunteers[c][(start + k) % pool];
            if (!party_team || grid->residents[plan->volunteer_resident[item]].party_member)
                plan->team_leader[t] = (long) item;
        }
    }
    vd_part_t teams = part("teams", "team", "TeamCreate", plan->n_teams, send_team, NULL);
    failed += vd_load_part(loader, &teams);
    if (!read_teams(loader) || !plan_members(loader))
        return failed + 1;
    vd_part_t members = part("team members", "member", "TeamMemberAdd", plan->n_members, send_member, NULL);
    failed += vd_load_part(loader, &members);

    vd_part_t pairings = part("pairings", "pair", "HelpPairingCreate", plan->n_pairings, send_pairing, NULL);
    failed += vd_load_part(loader, &pairings);
    if (!read_pairings(loader))
        return failed + 1;
    vd_part_t contacts = part("contacts", "contact", "HelpContactRecord", plan->n_contacts, send_contact, NULL);
    failed += vd_load_part(loader, &contacts);

    vd_part_t records = part("service hours", "rec", "ServiceRecordSubmit", plan->n_records, send_record, NULL);
    failed += vd_load_part(loader, &records);
    for (size_t c = 0; c < grid->n_communities; c++)
        plan->approve_again[c] = true;
    for (int pass = 0; pass < 20; pass++) {
        char tag[16];
        snprintf(tag, sizeof tag, "approve%d", pass);
        vd_part_t approvals = part("approvals", tag, "ServiceRecordReview", grid->n_communities, send_approval,
                                   take_approval);
        failed += vd_load_part(loader, &approvals);
        bool again = false;
        for (size_t c = 0; c < grid->n_communities; c++)
            again |= plan->approve_again[c];
        if (!again)
            break;
    }

    vd_part_t visits = part("visits", "visit", "VisitRecord", plan->n_visits, send_visit, take_visit);
    failed += vd_load_part(loader, &visits);
    vd_part_t follow_ups = part("visits' follow-ups", "follow", "VisitFollowUpAdd", plan->n_visits * 2,
                                send_follow_up, NULL);
    failed += vd_load_part(loader, &follow_ups);
    vd_part_t cobuildings = part("co-building", "cob", "CoBuildingCreate", plan->n_cobuildings, send_cobuilding,
                                 NULL);
    failed += vd_load_part(loader, &cobuildings);

    /* The circle's providers, before the dispatches rank them. */
    vd_part_t providers = part("providers", "provider", "ProviderRegister", plan->n_providers, send_provider, NULL);
    failed += vd_load_part(loader, &providers);

    return failed;
}
