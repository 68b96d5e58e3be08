/* sifang-district-work-demo-load: the demo district's money, meetings and
 * co-building promises kept, through grid's and volunteer's APIs, after
 * their demo loads (sifang-demo-load, sifang-volunteer-demo-load):
 *   - every community's budget (社区经费) for last year (10,000 yuan) and
 *     this year (raised to 27,000 yuan), with its sources, and what it spent
 *     through the history by purpose with a voucher each;
 *   - every community's five-party meeting (五方联席会: its party committee,
 *     residents' committee, property company, owners' committee, resident
 *     units ...) and every street's joint party-building meeting
 *     (街道党建联席会议: its party working committee, resident units,
 *     departments) with who represents each member unit (a few joining or
 *     leaving during the year; joint_demo.c);
 *   - the part-time committee members' attendance at their community's
 *     monthly meeting and the quarterly five-party meeting, and at their
 *     street's quarterly joint meeting, and the member units' at the
 *     joint meetings (who came, a substitute now and then);
 *   - what each co-building's unit delivered against its commitments (most
 *     kept, some partly, some not).
 * Everything is dated in the twelve months ending today and sent with
 * request ids from the seed and the day, so that a re-run answers from the
 * services' stores instead of writing twice. */
#include "demo_district.h"
#include "joint_demo.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

#define TIMEOUT_MS 30000
#define LAST_YEAR_BUDGET_FEN 1000000     /* 10,000 yuan */
#define BUDGET_FEN 2700000               /* 27,000 yuan */

static const char usage_text[] =
    "usage: sifang-district-work-demo-load [--seed N] [--today YYYY-MM-DD] [--wait S] [--part P]\n"
    "\n"
    "Loads the demo district's community funding (each community's budget for\n"
    "last year and this, its sources and its spending by purpose with vouchers),\n"
    "the joint mechanisms' member units with their representatives, the part-time\n"
    "committee members' and member units' attendance at their meetings into grid, and\n"
    "what the co-building units delivered against their commitments into\n"
    "volunteer (when volunteer answers), all inside the twelve months ending today\n"
    "(Asia/Shanghai). The same seed on the same day gives the same requests and\n"
    "request ids: a re-run finishes an interrupted load without writing twice.\n"
    "\n"
    "  --seed N        the seed (default SIFANG_DEMO_SEED or 2012)\n"
    "  --today D       the timeline's today (default: today in Asia/Shanghai)\n"
    "  --wait S        wait up to S seconds for grid (default 600)\n"
    "  --part P        grid (funding and attendance: needs grid's district alone),\n"
    "                  cobuilding (deliveries: after volunteer's co-buildings) or all (default)\n"
    "  --help          this text\n"
    "\n"
    "Exit status: 0 all loaded; 1 some requests failed; 2 usage; 3 grid did not answer.";

static const sf_setting_t settings[] = {
    { "SIFANG_DEMO_SEED", "2012", "the seed when --seed is not given" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "where grid answers requests" },
    { "SIFANG_VOLUNTEER_ENDPOINT", "tcp://127.0.0.1:7141", "where volunteer answers requests" },
    { "SIFANG_GRID_PUBLIC_KEY_FILE", NULL, "grid's CURVE public key (enables CURVE)" },
    { "SIFANG_VOLUNTEER_PUBLIC_KEY_FILE", NULL, "volunteer's CURVE public key (enables CURVE)" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this client's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

typedef struct {
    const char *prefix;      /* request ids: "<prefix>-<tag>-<n>" */
    size_t sent, failed;
} loader_t;

/* One stream per (seed, tag, item), independent of the order of sending. */
static demo_stream_t
rng_of(uint64_t seed, const char *tag, uint64_t item)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = tag; *c; c++)
        h = (h ^ (uint8_t) *c) * 1099511628211ULL;
    demo_stream_t rng = { seed * 0x9e3779b97f4a7c15ULL ^ h ^ (item * 0xd1b54a32d192ed03ULL) };
    demo_stream_next(&rng);
    return rng;
}

/* A write, tried again while the service is briefly away; the same request
 * id each time, so a retry after a lost reply is answered from the store. */
static bool
send_one(loader_t *loader, sf_client_t *client, const char *method, const char *tag, size_t n,
         const ProtobufCMessage *request)
{
    char request_id[160];
    snprintf(request_id, sizeof request_id, "%s-%s-%zu", loader->prefix, tag, n);
    sf_reply_info_t info;
    sf_status_t status = SF_UNAVAILABLE;
    for (int attempt = 0; attempt < 6; attempt++) {
        status = sf_client_call(client, method, request_id, request, NULL, NULL, &info);
        if (status != SF_UNAVAILABLE && status != SF_DEADLINE_EXCEEDED && status != SF_ABORTED)
            break;
        sleep(1);
    }
    loader->sent++;
    if (status == SF_OK || status == SF_ALREADY_EXISTS)
        return true;
    if (loader->failed++ < 10)
        fprintf(stderr, "%s %s: %s: %s (%s)\n", method, request_id, sf_status_name(status),
                info.message ? info.message : "", info.n_violations ? info.violation_fields[0] : "");
    return false;
}

/* --- what grid holds ----------------------------------------------------------------- */

typedef struct {
    char code[16];
    char name[96];
    char members[16][16];   /* part-time committee members seated here */
    size_t n_members;
} community_t;

typedef struct {
    community_t *communities;
    size_t n_communities;
    char streets[32][16];
    char street_names[32][96];
    size_t n_streets;
    joint_demo_t joint;     /* the joint mechanisms' member units */
} district_t;

static community_t *
community_of(district_t *d, const char *code)
{
    for (size_t i = 0; i < d->n_communities; i++)
        if (strcmp(d->communities[i].code, code) == 0)
            return &d->communities[i];
    return NULL;
}

static bool
read_district(sf_client_t *grid, district_t *d)
{
    for (int kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET; kind <= SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY; kind++) {
        char token[256] = "";
        do {
            Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
            page.page_size = 1000;
            page.page_token = token;
            Sifang__V1__UnitListRequest list = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
            list.kind = (Sifang__V1__UnitKind) kind;
            list.page = &page;
            Sifang__V1__UnitListReply *reply = NULL;
            if (sf_client_call(grid, "UnitList", NULL, &list.base, &sifang__v1__unit_list_reply__descriptor,
                               (ProtobufCMessage **) &reply, NULL) != SF_OK)
                return false;
            if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET) {
                for (size_t i = 0; i < reply->n_units && d->n_streets < 32; i++) {
                    snprintf(d->street_names[d->n_streets], 96, "%s", reply->units[i]->name);
                    snprintf(d->streets[d->n_streets++], 16, "%s", reply->units[i]->code);
                }
            } else {
                community_t *grown = realloc(d->communities, (d->n_communities + reply->n_units + 1) * sizeof *grown);
                if (!grown) {
                    protobuf_c_message_free_unpacked(&reply->base, NULL);
                    return false;
                }
                d->communities = grown;
                for (size_t i = 0; i < reply->n_units; i++) {
                    community_t *c = &d->communities[d->n_communities++];
                    memset(c, 0, sizeof *c);
                    snprintf(c->code, sizeof c->code, "%s", reply->units[i]->code);
                    snprintf(c->name, sizeof c->name, "%s", reply->units[i]->name);
                }
            }
            snprintf(token, sizeof token, "%s", reply->next_page_token);
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        } while (*token);
    }
    char token[256] = "";
    do {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        Sifang__V1__ResponsibilityListRequest list = SIFANG__V1__RESPONSIBILITY_LIST_REQUEST__INIT;
        list.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE;
        list.page = &page;
        Sifang__V1__ResponsibilityListReply *reply = NULL;
        if (sf_client_call(grid, "ResponsibilityList", NULL, &list.base,
                           &sifang__v1__responsibility_list_reply__descriptor, (ProtobufCMessage **) &reply, NULL)
            != SF_OK)
            return false;
        for (size_t i = 0; i < reply->n_responsibilities; i++) {
            community_t *c = community_of(d, reply->responsibilities[i]->unit_code);
            if (c && c->n_members < 16)
                snprintf(c->members[c->n_members++], 16, "%s", reply->responsibilities[i]->staff_id);
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    } while (*token);
    return d->n_communities > 0;
}

/* --- funding ------------------------------------------------------------------------ */

/* Spending by purpose: activities and services for residents most of it. */
static const struct { Sifang__V1__FundingPurpose purpose; int weight; const char *what[3]; } purposes[] = {
    { SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES, 40,
      { "重阳节敬老活动", "社区文艺汇演", "暑期青少年课堂" } },
    { SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_SERVICES, 20,
      { "便民理发、修鞋服务", "老年助餐补贴", "居民健康义诊" } },
    { SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_PARTY_BUILDING, 15,
      { "主题党日活动", "党员学习资料", "红色教育参观" } },
    { SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_OFFICE, 15, { "办公用品", "打印耗材", "网格员工作包" } },
    { SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_TRAINING, 5, { "网格员业务培训", "社工培训", "消防培训" } },
    { SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_OTHER, 5, { "应急物资", "宣传展板", "其他支出" } },
};

static size_t
purpose_draw(demo_stream_t *rng)
{
    int roll = demo_stream_below(rng, 100);
    for (size_t i = 0; i < sizeof purposes / sizeof *purposes; i++) {
        if (roll < purposes[i].weight)
            return i;
        roll -= purposes[i].weight;
    }
    return 0;
}

static void
load_budget(loader_t *loader, sf_client_t *grid, const community_t *c, size_t index, int year, bool raised,
            uint64_t seed)
{
    demo_stream_t rng = rng_of(seed, raised ? "budget" : "budget-last", index);
    Sifang__V1__FundingSource sources[4] = { SIFANG__V1__FUNDING_SOURCE__INIT, SIFANG__V1__FUNDING_SOURCE__INIT,
                                             SIFANG__V1__FUNDING_SOURCE__INIT, SIFANG__V1__FUNDING_SOURCE__INIT };
    Sifang__V1__FundingSource *list[4];
    size_t n = 0;
    int64_t total = raised ? BUDGET_FEN : LAST_YEAR_BUDGET_FEN;
    /* District finance most, party fees under the district's management,
     * the street and others the rest (in whole yuan). */
    int64_t fees = raised ? 600000 + 10000 * demo_stream_below(&rng, 21) : 400000;
    int64_t street = raised ? 200000 + 10000 * demo_stream_below(&rng, 11) : 0;
    int64_t others = raised && demo_stream_below(&rng, 3) == 0 ? 100000 + 10000 * demo_stream_below(&rng, 11) : 0;
    int64_t finance = total - fees - street - others;
    const struct { Sifang__V1__FundingSourceKind kind; int64_t amount; const char *note; } parts[4] = {
        { SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_DISTRICT_FINANCE, finance, "区财政拨付" },
        { SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_PARTY_FEES, fees, "区管党费返还" },
        { SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_STREET, street, "街道配套" },
        { SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_OTHER, others, "共建单位支持" },
    };
    for (size_t i = 0; i < 4; i++) {
        if (parts[i].amount <= 0)
            continue;
        sources[n].kind = parts[i].kind;
        sources[n].amount_fen = parts[i].amount;
        sources[n].note = (char *) parts[i].note;
        list[n] = &sources[n];
        n++;
    }
    Sifang__V1__FundingBudget budget = SIFANG__V1__FUNDING_BUDGET__INIT;
    budget.community_code = (char *) c->code;
    budget.year = year;
    budget.budget_fen = total;
    budget.sources = list;
    budget.n_sources = n;
    budget.note = raised ? "社区工作经费由每年1万元提高到2.7万元" : "";
    send_one(loader, grid, "FundingBudgetSet", raised ? "budget" : "budget-last", index, &budget.base);
}

/* Spending through the part of year the history holds: about what the days
 * held make of the budget, 85-100% of it over a whole year. */
static size_t
load_spending(loader_t *loader, sf_client_t *grid, const community_t *c, size_t index, int year,
              const demo_timeline_t *timeline, uint64_t seed)
{
    int32_t first = sf_days_from_civil(year, 1, 1), last = sf_days_from_civil(year, 12, 31);
    if (first < timeline->first_day)
        first = timeline->first_day;
    if (last > timeline->today)
        last = timeline->today;
    if (last < first)
        return 0;
    int64_t budget = year == atoi(timeline->today_text) ? BUDGET_FEN : LAST_YEAR_BUDGET_FEN;
    int32_t year_days = sf_days_from_civil(year, 12, 31) - sf_days_from_civil(year, 1, 1) + 1;
    demo_stream_t rng = rng_of(seed, "spending", index * 10000 + (size_t) year);
    double share = (0.85 + 0.15 * demo_stream_unit(&rng)) * (last - first + 1) / year_days;
    int64_t left = (int64_t) (budget * share);
    int n = 6 + demo_stream_below(&rng, 9);
    size_t sent = 0;
    char tag[32], day_text[11], voucher[32];
    snprintf(tag, sizeof tag, "spend-%d", year);
    for (int k = 0; k < n && left > 100; k++) {
        int64_t amount = k == n - 1 ? left : (left / (n - k)) * (50 + demo_stream_below(&rng, 100)) / 100;
        amount = amount / 100 * 100;    /* whole yuan */
        if (amount <= 0)
            continue;
        left -= amount;
        size_t p = purpose_draw(&rng);
        int32_t day = first + demo_stream_below(&rng, last - first + 1);
        sf_date_format(day, day_text);
        snprintf(voucher, sizeof voucher, "记-%.4s-%03d", day_text, (int) (index * 20 + (size_t) k) % 1000);
        Sifang__V1__FundingSpending spending = SIFANG__V1__FUNDING_SPENDING__INIT;
        spending.community_code = (char *) c->code;
        spending.purpose = purposes[p].purpose;
        spending.amount_fen = amount;
        spending.spent_on = day_text;
        spending.voucher = voucher;
        spending.description = (char *) purposes[p].what[demo_stream_below(&rng, 3)];
        sent += send_one(loader, grid, "FundingSpendingRecord", tag, index * 100 + (size_t) k, &spending.base);
    }
    return sent;
}

/* --- attendance ---------------------------------------------------------------------- */

static Sifang__V1__MeetingAttendanceStatus
status_draw(demo_stream_t *rng)
{
    int roll = demo_stream_below(rng, 100);
    return roll < 84 ? SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ATTENDED
         : roll < 95 ? SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE
                     : SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITHOUT_LEAVE;
}

#define UNITS_MAX 64

/* A meeting of unit naming every seat (members) and, for a joint
 * mechanism, every member unit of it on the day; nothing sent when it has
 * nobody to expect. */
static bool
record_meeting(loader_t *loader, sf_client_t *grid, const district_t *d, const char *unit,
               Sifang__V1__MeetingAttendanceMechanism mechanism, const char *title, int32_t day, char members[][16],
               size_t n_members, const char *tag, size_t n, uint64_t seed)
{
    Sifang__V1__MeetingAttendanceEntry entries[128];
    Sifang__V1__MeetingAttendanceEntry *list[128];
    Sifang__V1__MeetingMemberEntry units[UNITS_MAX];
    Sifang__V1__MeetingMemberEntry *unit_list[UNITS_MAX];
    char came[UNITS_MAX][32];
    size_t n_units = 0;
    demo_stream_t rng = rng_of(seed, tag, n);
    size_t count = 0;
    for (size_t i = 0; i < n_members && count < 128; i++) {
        sifang__v1__meeting_attendance_entry__init(&entries[count]);
        entries[count].staff_id = members[i];
        entries[count].status = status_draw(&rng);
        entries[count].note = entries[count].status
            == SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE ? "因公外出，已请假" : "";
        list[count] = &entries[count];
        count++;
    }
    for (size_t i = 0; i < d->joint.n && n_units < UNITS_MAX; i++) {
        const joint_demo_member_t *member = &d->joint.members[i];
        if (!joint_demo_expected(member, unit, mechanism, day))
            continue;
        sifang__v1__meeting_member_entry__init(&units[n_units]);
        units[n_units].member_id = (char *) member->id;
        units[n_units].status = joint_demo_turn_up(member, &rng, came[n_units]);
        units[n_units].representative = came[n_units];
        units[n_units].note = units[n_units].status
            == SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE ? "因工作冲突请假" : "";
        unit_list[n_units] = &units[n_units];
        n_units++;
    }
    if (count == 0 && n_units == 0)
        return false;
    char held_on[11];
    sf_date_format(day, held_on);
    Sifang__V1__MeetingAttendance meeting = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    meeting.unit_code = (char *) unit;
    meeting.mechanism = mechanism;
    meeting.title = (char *) title;
    meeting.held_on = held_on;
    meeting.attendees = list;
    meeting.n_attendees = count;
    meeting.member_units = unit_list;
    meeting.n_member_units = n_units;
    return send_one(loader, grid, "MeetingAttendanceRecord", tag, n, &meeting.base);
}

static size_t
load_attendance(loader_t *loader, sf_client_t *grid, district_t *d, const demo_timeline_t *timeline, uint64_t seed)
{
    size_t sent = 0;
    /* Month by month back from this one: the 15th of each month held. */
    int year, month, mday;
    sf_civil_from_days(timeline->today, &year, &month, &mday);
    for (int back = 0; back < 12; back++) {
        int y = year, m = month - back;
        while (m < 1) {
            m += 12;
            y--;
        }
        for (size_t i = 0; i < d->n_communities; i++) {
            community_t *c = &d->communities[i];
            int32_t day = sf_days_from_civil(y, m, 10 + (int) (i % 10));
            if (!demo_timeline_holds(timeline, day))
                continue;
            if (c->n_members)
                sent += record_meeting(loader, grid, d, c->code,
                                       SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_PART_TIME_COMMITTEE,
                                       "社区兼职委员例会", day, c->members, c->n_members, "monthly",
                                       (size_t) back * 1000 + i, seed);
            if (m % 3 == 0 && demo_timeline_holds(timeline, day + 2))
                sent += record_meeting(loader, grid, d, c->code,
                                       SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY,
                                       "五方联席会", day + 2, c->members, c->n_members, "five-party",
                                       (size_t) back * 1000 + i, seed);
        }
        if (m % 3 != 0)
            continue;
        /* The street's joint meeting: every seat of its communities. */
        for (size_t s = 0; s < d->n_streets; s++) {
            char members[128][16];
            size_t n = 0;
            for (size_t i = 0; i < d->n_communities; i++)
                if (strncmp(d->communities[i].code, d->streets[s], strlen(d->streets[s])) == 0)
                    for (size_t k = 0; k < d->communities[i].n_members && n < 128; k++)
                        memcpy(members[n++], d->communities[i].members[k], 16);
            int32_t day = sf_days_from_civil(y, m, 25);
            if (demo_timeline_holds(timeline, day))
                sent += record_meeting(loader, grid, d, d->streets[s],
                                       SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_STREET_JOINT,
                                       "街道党建联席会议", day, members, n, "street-joint", (size_t) back * 100 + s, seed);
        }
    }
    return sent;
}

/* --- the joint mechanisms' member units ------------------------------------------------ */

/* grid's ids of the plan's members, by holder, mechanism and name. */
static bool
read_joint_ids(sf_client_t *grid, joint_demo_t *joint)
{
    char token[256] = "";
    do {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        Sifang__V1__JointMemberListRequest list = SIFANG__V1__JOINT_MEMBER_LIST_REQUEST__INIT;
        list.include_left = true;
        list.page = &page;
        Sifang__V1__JointMemberListReply *reply = NULL;
        if (sf_client_call(grid, "JointMemberList", NULL, &list.base, &sifang__v1__joint_member_list_reply__descriptor,
                           (ProtobufCMessage **) &reply, NULL) != SF_OK)
            return false;
        for (size_t r = 0; r < reply->n_members; r++) {
            const Sifang__V1__JointMember *held = reply->members[r];
            for (size_t i = 0; i < joint->n; i++) {
                joint_demo_member_t *m = &joint->members[i];
                if (m->mechanism == held->mechanism && strcmp(m->unit, held->unit_code) == 0
                    && strcmp(m->name, held->name) == 0)
                    snprintf(m->id, sizeof m->id, "%s", held->id);
            }
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    } while (*token);
    return true;
}

static void
member_request(Sifang__V1__JointMember *member, const joint_demo_member_t *m, char joined[11], char left[11])
{
    sf_date_format(m->joined, joined);
    *left = '\0';
    sifang__v1__joint_member__init(member);
    member->unit_code = (char *) m->unit;
    member->mechanism = m->mechanism;
    member->kind = m->kind;
    member->name = (char *) m->name;
    member->representative = (char *) m->representative;
    member->representative_post = (char *) m->post;
    member->joined_on = joined;
    member->left_on = left;
    member->active = true;
}

/* Every community's five-party members and every street's joint meeting's,
 * then those that left during the year. Returns how many members. */
static size_t
load_joint_members(loader_t *loader, sf_client_t *grid, district_t *d, const demo_timeline_t *timeline,
                   uint64_t seed)
{
    joint_demo_t *joint = &d->joint;
    for (size_t i = 0; i < d->n_communities; i++)
        joint_demo_community(joint, d->communities[i].code, d->communities[i].name, i, timeline, seed);
    for (size_t s = 0; s < d->n_streets; s++)
        joint_demo_street(joint, d->streets[s], d->street_names[s], s, timeline, seed);
    char joined[11], left[11];
    for (size_t i = 0; i < joint->n; i++) {
        Sifang__V1__JointMember member;
        member_request(&member, &joint->members[i], joined, left);
        send_one(loader, grid, "JointMemberSet", "joint", i, &member.base);
    }
    if (!read_joint_ids(grid, joint)) {
        loader->failed++;
        return joint->n;
    }
    for (size_t i = 0; i < joint->n; i++) {
        const joint_demo_member_t *m = &joint->members[i];
        if (!m->left || !*m->id)
            continue;
        Sifang__V1__JointMember member;
        member_request(&member, m, joined, left);
        sf_date_format(m->left, left);
        member.id = (char *) m->id;
        member.unit_code = "";
        member.mechanism = 0;
        member.active = false;
        send_one(loader, grid, "JointMemberSet", "joint-left", i, &member.base);
    }
    return joint->n;
}

/* --- co-building deliveries ------------------------------------------------------------- */

static const char *const evidence[] = { "活动签到表", "转账凭证", "场地使用登记", "活动照片", "社区出具的收据" };

static size_t
load_deliveries(loader_t *loader, sf_client_t *volunteer, const demo_timeline_t *timeline, uint64_t seed,
                size_t *pairs_seen)
{
    size_t sent = 0, index = 0;
    char token[256] = "";
    do {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 500;
        page.page_token = token;
        Sifang__V1__CoBuildingListRequest list = SIFANG__V1__CO_BUILDING_LIST_REQUEST__INIT;
        list.page = &page;
        Sifang__V1__CoBuildingListReply *reply = NULL;
        if (sf_client_call(volunteer, "CoBuildingList", NULL, &list.base, &sifang__v1__co_building_list_reply__descriptor,
                           (ProtobufCMessage **) &reply, NULL) != SF_OK) {
            loader->failed++;
            return sent;
        }
        for (size_t p = 0; p < reply->n_cobuildings; p++, index++) {
            const Sifang__V1__CoBuilding *pair = reply->cobuildings[p];
            int32_t since = 0;
            if (!sf_date_parse(pair->since, &since))
                continue;
            int32_t first = since > timeline->first_day ? since : timeline->first_day;
            if (first > timeline->today)
                continue;
            (*pairs_seen)++;
            for (size_t k = 0; k < pair->n_commitments; k++) {
                const Sifang__V1__CoBuildingCommitment *commitment = pair->commitments[k];
                demo_stream_t rng = rng_of(seed, "delivery", index * 64 + k);
                /* 60% kept, 25% partly, 15% nothing this year. */
                int roll = demo_stream_below(&rng, 100);
                double target = roll < 60 ? commitment->quantity : roll < 85 ? commitment->quantity * 0.5 : 0;
                int pieces = 1 + demo_stream_below(&rng, 3);
                for (int piece = 0; piece < pieces && target > 0; piece++) {
                    double quantity = commitment->quantity > 0 ? (double) (long long) (target / pieces + 0.999)
                                                               : 1;
                    if (quantity <= 0)
                        quantity = 1;
                    int32_t day = first + demo_stream_below(&rng, timeline->today - first + 1);
                    char delivered_on[11];
                    sf_date_format(day, delivered_on);
                    Sifang__V1__CoBuildingDelivery delivery = SIFANG__V1__CO_BUILDING_DELIVERY__INIT;
                    delivery.cobuilding_id = pair->id;
                    delivery.commitment = (int32_t) k;
                    delivery.quantity = quantity;
                    delivery.delivered_on = delivered_on;
                    delivery.evidence = (char *) evidence[demo_stream_below(&rng, 5)];
                    delivery.note = (char *) commitment->description;
                    sent += send_one(loader, volunteer, "CoBuildingDeliveryRecord", "delivery",
                                     (index * 64 + k) * 8 + (size_t) piece, &delivery.base);
                }
            }
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    } while (*token);
    return sent;
}

/* --- main ---------------------------------------------------------------------------- */

static bool
wait_up(sf_client_t *client, int wait_s)
{
    int64_t until = sf_clock_ms() + (int64_t) wait_s * 1000;
    do {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        Sifang__V1__PingReply *pong = NULL;
        if (sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                           (ProtobufCMessage **) &pong, NULL) == SF_OK) {
            bool up = pong->database_up;
            protobuf_c_message_free_unpacked(&pong->base, NULL);
            if (up)
                return true;
        }
        sleep(1);
    } while (sf_clock_ms() < until);
    return false;
}

static int
usage_error(const char *format, const char *argument)
{
    fprintf(stderr, "sifang-district-work-demo-load: ");
    fprintf(stderr, format, argument);
    fprintf(stderr, "\n(sifang-district-work-demo-load --help for usage)\n");
    return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    long long seed = sf_env_int("SIFANG_DEMO_SEED", 2012);
    long wait_s = 600;
    bool grid_part = true, cobuilding_part = true;
    demo_timeline_t timeline;
    demo_timeline_today(&timeline);
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a], *value = a + 1 < argc ? argv[a + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            sf_config_help(stdout, usage_text, settings);
            return EXIT_OK;
        }
        if (!value)
            return usage_error("%s: unknown, or needs a value", arg);
        char *end = NULL;
        if (strcmp(arg, "--seed") == 0) {
            seed = strtoll(value, &end, 10);
            if (!*value || *end || seed < 0)
                return usage_error("--seed takes a whole number >= 0, not \"%s\"", value);
        } else if (strcmp(arg, "--wait") == 0) {
            wait_s = strtol(value, &end, 10);
            if (!*value || *end || wait_s < 0 || wait_s > 86400)
                return usage_error("--wait takes seconds, not \"%s\"", value);
        } else if (strcmp(arg, "--today") == 0) {
            if (!demo_timeline_parse(&timeline, value))
                return usage_error("--today takes a date YYYY-MM-DD, not \"%s\"", value);
        } else if (strcmp(arg, "--part") == 0) {
            grid_part = strcmp(value, "grid") == 0 || strcmp(value, "all") == 0;
            cobuilding_part = strcmp(value, "cobuilding") == 0 || strcmp(value, "all") == 0;
            if (!grid_part && !cobuilding_part)
                return usage_error("--part takes grid, cobuilding or all, not \"%s\"", value);
        } else if (strcmp(arg, "--scale") != 0)   /* the scale is grid's: its communities are read */
            return usage_error("unknown argument \"%s\"", arg);
        a++;
    }
    if (seed < 0)
        return usage_error("SIFANG_DEMO_SEED must be a whole number >= 0, not \"%s\"", getenv("SIFANG_DEMO_SEED"));
    char error[256];
    sf_client_t *grid = sf_client_for_service("grid", error, sizeof error);
    if (!grid) {
        fprintf(stderr, "sifang-district-work-demo-load: %s\n", error);
        return EXIT_USAGE;
    }
    sf_client_t *volunteer = cobuilding_part ? sf_client_for_service("volunteer", error, sizeof error) : NULL;
    sf_client_set_timeout(grid, TIMEOUT_MS);
    int64_t started = sf_clock_ms();
    if (!wait_up(grid, (int) wait_s)) {
        fprintf(stderr, "grid did not answer with its database up within %ld s\n", wait_s);
        sf_client_destroy(&grid);
        sf_client_destroy(&volunteer);
        return EXIT_TRANSPORT;
    }
    if (volunteer) {
        sf_client_set_timeout(volunteer, TIMEOUT_MS);
        if (!wait_up(volunteer, 30)) {
            fprintf(stderr, "volunteer is not there: no co-building deliveries\n");
            sf_client_destroy(&volunteer);
        }
    }
    district_t district;
    memset(&district, 0, sizeof district);
    int rc = EXIT_OK;
    if (!read_district(grid, &district)) {
        fprintf(stderr, "cannot read grid's communities and part-time committee seats\n");
        rc = EXIT_TRANSPORT;
        goto done;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "dwork-%lld-%s", seed, timeline.today_text);
    loader_t loader = { .prefix = prefix };
    int year = atoi(timeline.today_text);
    size_t spendings = 0, seats = 0, meetings = 0, joint_members = 0;
    for (size_t i = 0; grid_part && i < district.n_communities; i++) {
        load_budget(&loader, grid, &district.communities[i], i, year - 1, false, (uint64_t) seed);
        load_budget(&loader, grid, &district.communities[i], i, year, true, (uint64_t) seed);
        spendings += load_spending(&loader, grid, &district.communities[i], i, year - 1, &timeline, (uint64_t) seed);
        spendings += load_spending(&loader, grid, &district.communities[i], i, year, &timeline, (uint64_t) seed);
        seats += district.communities[i].n_members;
    }
    if (grid_part) {
        joint_members = load_joint_members(&loader, grid, &district, &timeline, (uint64_t) seed);
        meetings = load_attendance(&loader, grid, &district, &timeline, (uint64_t) seed);
    }
    size_t deliveries = 0, pairs = 0;
    if (volunteer && cobuilding_part)
        deliveries = load_deliveries(&loader, volunteer, &timeline, (uint64_t) seed, &pairs);
    if (grid_part)
        fprintf(stderr, "%zu communities: 2 budgets each, %zu spendings; %zu part-time seats, %zu joint member units:"
                " %zu meetings' attendance\n", district.n_communities, spendings, seats, joint_members, meetings);
    if (cobuilding_part)
        fprintf(stderr, "%zu co-buildings: %zu deliveries\n", pairs, deliveries);
    fprintf(stderr, "%zu requests in %.1f s%s\n", loader.sent, (double) (sf_clock_ms() - started) / 1000.0,
            loader.failed ? " with failures" : "");
    if (loader.failed)
        rc = EXIT_FAILED;
done:
    free(district.communities);
    joint_demo_release(&district.joint);
    sf_client_destroy(&grid);
    sf_client_destroy(&volunteer);
    return rc;
}
