/* sifang-intake-demo-follow: the demo district's follow-through (issue 18,
 * docs/follow-through.md), over the year intake's demo loader left:
 *   - the coming year's working-day calendar loaded from its file (--calendar,
 *     as sifang-intake-calendar does; a faulty file stops the loader);
 *   - return visits of 1 or 2 on cases awaiting theirs: reopened for rework
 *     (零误差), most done again and closed at a second return visit;
 *   - residents' complaints of closed cases: reopened;
 *   - the open cases past due: reminded (催办), most supervised (督办), some
 *     referred up (提级督办); their first responders follow most of them up
 *     (首问负责), most within a working day of the miss, as recorded at that
 *     time;
 *   - meetings of the three new kinds: 社区恳谈会, 党代表工作室 in communities,
 *     街道党建联席会议 in a street, their matters followed as cases.
 * Every step goes through intake's API and notifies the people concerned
 * (their inboxes). Request ids are fixed by case: a second run finds the
 * meetings there and repeats nothing. */
#include "intake_calendar_file.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define SUPERVISE(name) SIFANG__V1__CASE_SUPERVISE_KIND__CASE_SUPERVISE_KIND_##name
#define MEETING(name) SIFANG__V1__MEETING_KIND__MEETING_KIND_##name
#define PARTY(name) SIFANG__V1__MEETING_PARTY__MEETING_PARTY_##name
#define MAX_CALENDARS 8
#define LIST_MAX 20000
#define HOUR_MS (3600LL * 1000)

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_TRANSPORT 3

static const char usage_text[] =
    "usage: sifang-intake-demo-follow [--calendar FILE]... [--wait S]\n"
    "\n"
    "The demo district's follow-through, after sifang-intake-demo-load: the\n"
    "calendar files loaded, unsatisfactory return visits and complaints that\n"
    "reopen cases for rework, the supervision ladder on the cases past due and\n"
    "their first responders' follow-ups, and meetings of the three new kinds.\n"
    "  --calendar FILE  a year's holiday arrangement (services/intake/calendar/)\n"
    "  --wait S         wait up to S seconds for intake (default 120)\n"
    "Acts as the admin principal \"intake-demo-follow\". Exit status: 0 done; 1 some\n"
    "requests failed; 2 usage or a faulty calendar file; 3 intake did not answer.";

static const sf_setting_t settings[] = {
    { "SIFANG_INTAKE_ENDPOINT", "tcp://127.0.0.1:7111", "where intake answers requests" },
    { "SIFANG_INTAKE_PUBLIC_KEY_FILE", NULL, "intake's CURVE public key" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this loader's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

static sf_client_t *intake;
static int failures;

/* A step of the demo: its reply (freed by the caller) or NULL, a failure
 * said once. Fixed request ids: a repeat is answered from intake's store. */
static ProtobufCMessage *
call(const char *method, const char *what, int64_t id, const ProtobufCMessage *request,
     const ProtobufCMessageDescriptor *reply_descriptor)
{
    char request_id[96];
    snprintf(request_id, sizeof request_id, "demo-follow-%s-%lld", what, (long long) id);
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(intake, method, request_id, request, reply_descriptor, &reply, &info);
    if (status != SF_OK) {
        if (failures++ < 10)
            fprintf(stderr, "%s of %lld: %s: %s\n", method, (long long) id, sf_status_name(status),
                    info.message ? info.message : "");
        return NULL;
    }
    return reply;
}

static void
done_with(ProtobufCMessage *reply)
{
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
}

/* --- the cases to follow -------------------------------------------------------- */

typedef struct {
    Sifang__V1__Case **cases;
    size_t n;
    Sifang__V1__CaseListReply **pages;
    size_t n_pages;
} list_t;

static bool
list_cases(list_t *list, Sifang__V1__CaseStatus status, bool open_only)
{
    memset(list, 0, sizeof *list);
    Sifang__V1__CaseStatus statuses[] = { status };
    Sifang__V1__CaseListRequest request = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 1000;
    request.page = &page;
    request.open_only = open_only;
    request.exclude_direct_answers = true;
    if (!open_only) {
        request.statuses = statuses;
        request.n_statuses = 1;
    }
    char token[64] = "";
    do {
        page.page_token = token;
        Sifang__V1__CaseListReply *reply = NULL;
        if (sf_client_call(intake, "CaseList", NULL, &request.base, &sifang__v1__case_list_reply__descriptor,
                           (ProtobufCMessage **) &reply, NULL) != SF_OK)
            return false;
        Sifang__V1__CaseListReply **pages = realloc(list->pages, (list->n_pages + 1) * sizeof *pages);
        Sifang__V1__Case **cases = realloc(list->cases, (list->n + reply->n_cases + 1) * sizeof *cases);
        if (!pages || !cases) {
            free(pages ? pages : list->pages);
            return false;
        }
        list->pages = pages;
        list->cases = cases;
        list->pages[list->n_pages++] = reply;
        for (size_t i = 0; i < reply->n_cases; i++)
            if (!reply->cases[i]->registration)   /* a registration's case is its service's to answer */
                list->cases[list->n++] = reply->cases[i];
        snprintf(token, sizeof token, "%s", reply->next_page_token);
    } while (*token && list->n < LIST_MAX);
    return true;
}

static void
list_free(list_t *list)
{
    for (size_t i = 0; i < list->n_pages; i++)
        protobuf_c_message_free_unpacked(&list->pages[i]->base, NULL);
    free(list->pages);
    free(list->cases);
}

/* Every k-th of n for about want of them (at least one when n > 0). */
static size_t
stride(size_t n, size_t want)
{
    return want == 0 || n <= want ? 1 : n / want;
}

static Sifang__V1__CaseRef *
ref_to(Sifang__V1__CaseRef *ref, const Sifang__V1__Case *c)
{
    sifang__v1__case_ref__init(ref);
    ref->id = c->id;
    return ref;
}

/* --- rework (零误差) and complaints ---------------------------------------------- */

static const char *const unsatisfied[] = {
    "回访：居民表示问题未解决，要求重新处理", "回访：办理结果与居民诉求不符", "回访：居民对处理时间不满意",
};
static const char *const complaints[] = {
    "居民来电投诉：维修后问题再次出现", "居民投诉：答复内容未落实", "居民投诉：承诺事项未兑现",
};

static void
rework(size_t *reopened, size_t *closed_again)
{
    list_t resolved;
    if (!list_cases(&resolved, STATUS(RESOLVED), false))
        return;
    size_t step = stride(resolved.n, resolved.n / 6 + 3), k = 0;
    for (size_t i = 0; i < resolved.n; i += step, k++) {
        const Sifang__V1__Case *c = resolved.cases[i];
        if (c->case_type == SIFANG__V1__CASE_TYPE__CASE_TYPE_COMPLAINT)
            continue;   /* a complaint's reply is reviewed before its visit: not the story here */
        Sifang__V1__CaseRef ref;
        Sifang__V1__CaseCloseRequest visit = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
        visit.ref = ref_to(&ref, c);
        visit.satisfaction = 1 + (int) (k % 2);
        visit.note = (char *) unsatisfied[k % 3];
        Sifang__V1__Case *after = (Sifang__V1__Case *) call("CaseClose", "visit", c->id, &visit.base,
                                                             &sifang__v1__case__descriptor);
        if (!after)
            continue;
        bool reopened_now = after->status == STATUS(IN_PROGRESS);
        done_with(&after->base);
        if (!reopened_now)
            continue;
        (*reopened)++;
        if (k % 3 == 2)
            continue;   /* still being reworked */
        Sifang__V1__CaseResolveRequest redo = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
        redo.ref = ref_to(&ref, c);
        redo.resolution = "返工：重新上门核实并处理，问题已解决";
        done_with(call("CaseResolve", "redo", c->id, &redo.base, &sifang__v1__case__descriptor));
        visit.satisfaction = 4 + (int) (k % 2);
        visit.note = "二次回访：居民表示满意";
        Sifang__V1__Case *closed = (Sifang__V1__Case *) call("CaseClose", "second-visit", c->id, &visit.base,
                                                              &sifang__v1__case__descriptor);
        *closed_again += closed && closed->status == STATUS(CLOSED);
        done_with(closed ? &closed->base : NULL);
    }
    list_free(&resolved);
}

static void
complain(size_t *complained)
{
    list_t closed;
    if (!list_cases(&closed, STATUS(CLOSED), false))
        return;
    size_t step = stride(closed.n, closed.n / 80 + 2), k = 0;
    for (size_t i = 0; i < closed.n; i += step, k++) {
        const Sifang__V1__Case *c = closed.cases[i];
        if (c->case_type == SIFANG__V1__CASE_TYPE__CASE_TYPE_COMPLAINT)
            continue;
        Sifang__V1__CaseRef ref;
        Sifang__V1__CaseComplainRequest request = SIFANG__V1__CASE_COMPLAIN_REQUEST__INIT;
        request.ref = ref_to(&ref, c);
        request.note = (char *) complaints[k % 3];
        Sifang__V1__Case *after = (Sifang__V1__Case *) call("CaseComplain", "complaint", c->id, &request.base,
                                                             &sifang__v1__case__descriptor);
        *complained += after != NULL;
        done_with(after ? &after->base : NULL);
    }
    list_free(&closed);
}

/* --- the ladder on the cases past due, and the first responders' follow-ups ----- */

static void
supervise_one(const Sifang__V1__Case *c, Sifang__V1__CaseSuperviseKind kind, const char *what, const char *note,
              size_t *count)
{
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseSuperviseRequest request = SIFANG__V1__CASE_SUPERVISE_REQUEST__INIT;
    request.ref = ref_to(&ref, c);
    request.kind = kind;
    request.note = (char *) note;
    ProtobufCMessage *reply = call("CaseSupervise", what, c->id, &request.base, &sifang__v1__case__descriptor);
    *count += reply != NULL;
    done_with(reply);
}

/* The first responder's follow-up: recorded at its time (hours after the
 * miss for most; days after it for some), on their behalf; a case whose
 * later steps are already on record is followed up now. */
static bool
follow_up(const Sifang__V1__Case *c, size_t k, int64_t now_ms, bool *in_time)
{
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported = SIFANG__V1__CASE_IMPORT__INIT;
    Sifang__V1__CaseFollowUpRequest request = SIFANG__V1__CASE_FOLLOW_UP_REQUEST__INIT;
    request.ref = ref_to(&ref, c);
    request.note = k % 2 ? "首问责任人电话联系承办人，督促加快办理，并向居民说明进度" : "首问责任人上门了解情况，协调承办单位";
    int64_t at = c->due_unix_ms + (k % 4 == 3 ? 72 : 2 + (int64_t) (k % 5)) * HOUR_MS;
    if (at <= c->updated_unix_ms)
        at = c->updated_unix_ms + 1000;
    if (at > now_ms)
        at = now_ms;
    if (at <= c->updated_unix_ms)
        return false;
    imported.at_unix_ms = at;
    imported.actor_id = c->first_responder_id;
    request.imported = &imported;
    Sifang__V1__Case *after = (Sifang__V1__Case *) call("CaseFollowUp", "follow-up", c->id, &request.base,
                                                         &sifang__v1__case__descriptor);
    if (!after)
        return false;
    *in_time = after->followed_up_in_time;
    done_with(&after->base);
    return true;
}

/* Cases registered at a window two weeks ago by a community's staff member
 * (their first responder), past due now and not yet seen by the sweep: the
 * story of 首问负责, each followed up hours after its deadline (one in four
 * three days after). The households are those of closed cases. */
#define STORY_CASES 8

static void
story(const list_t *closed, int64_t now_ms, size_t *followed, size_t *in_time)
{
    size_t made = 0;
    for (size_t i = 0; i < closed->n && made < STORY_CASES; i += 7) {
        const Sifang__V1__Case *c = closed->cases[i];
        if (!c->requester || !*c->requester->household_code || c->first_responder_id[0] != 'S')
            continue;
        Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
        requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requester.household_code = c->requester->household_code;
        requester.name = c->requester->name;
        requester.phone = c->requester->phone;
        Sifang__V1__CaseImport imported = SIFANG__V1__CASE_IMPORT__INIT;
        imported.at_unix_ms = now_ms - 14 * 24 * HOUR_MS;
        imported.actor_id = c->first_responder_id;
        Sifang__V1__CaseSubmitRequest submit = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
        submit.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
        submit.item_code = "dispute-mediation";
        submit.requester = &requester;
        submit.description = "邻里噪音纠纷，多次协商未果，请求调解";
        submit.imported = &imported;
        Sifang__V1__Case *made_case = (Sifang__V1__Case *) call("CaseSubmit", "story", c->id, &submit.base,
                                                                 &sifang__v1__case__descriptor);
        if (!made_case)
            continue;
        made++;
        bool timely = false;
        if (made_case->due_unix_ms && made_case->due_unix_ms < now_ms && follow_up(made_case, made, now_ms, &timely)) {
            (*followed)++;
            *in_time += timely;
        }
        done_with(&made_case->base);
    }
}

static void
ladder(size_t *reminded, size_t *supervised, size_t *referred, size_t *followed, size_t *in_time)
{
    list_t open;
    if (!list_cases(&open, STATUS(UNSPECIFIED), true))
        return;
    int64_t now_ms = (int64_t) time(NULL) * 1000;
    Sifang__V1__Case **past = calloc(open.n + 1, sizeof *past);
    size_t n_past = 0;
    for (size_t i = 0; past && i < open.n; i++)
        if (open.cases[i]->due_unix_ms && open.cases[i]->due_unix_ms < now_ms)
            past[n_past++] = open.cases[i];
    /* The first responders first: a follow-up recorded at its time must
     * come before the supervisors' steps of today. One in three. */
    for (size_t i = 0; i < n_past; i += 3) {
        const Sifang__V1__Case *c = past[i];
        bool timely = false;
        if (*c->first_responder_id && !c->followed_up_unix_ms && follow_up(c, i, now_ms, &timely)) {
            (*followed)++;
            *in_time += timely;
        }
    }
    size_t step = stride(n_past, n_past / 2 + 2), k = 0;
    for (size_t i = 0; i < n_past; i += step, k++) {
        const Sifang__V1__Case *c = past[i];
        supervise_one(c, SUPERVISE(REMIND), "remind", "催办：已超过办理时限，请抓紧办理并反馈", reminded);
        if (k % 3 == 2)
            continue;
        supervise_one(c, SUPERVISE(SUPERVISE), "supervise", "督办：超期未办结，限三个工作日内办结并书面反馈",
                      supervised);
        if (k % 4 == 1)
            supervise_one(c, SUPERVISE(REFER_UP), "refer-up", "提级督办：久拖未决，提请上一级督办", referred);
    }
    free(past);
    list_free(&open);
}

/* --- the three new meeting kinds ------------------------------------------------- */

static void
hold_meeting(Sifang__V1__MeetingKind kind, const char *unit, const char *actor, int days_ago, const char *title,
             Sifang__V1__MeetingAttendee **attendees, size_t n_attendees, const char *description,
             const char *resolution, size_t *held)
{
    Sifang__V1__MeetingMatter matter = SIFANG__V1__MEETING_MATTER__INIT;
    matter.description = (char *) description;
    matter.resolution = (char *) resolution;
    Sifang__V1__MeetingMatter *matters[] = { &matter };
    char held_on[11];
    int32_t day = sf_today() - days_ago;
    sf_date_format(day, held_on);
    Sifang__V1__CaseImport imported = SIFANG__V1__CASE_IMPORT__INIT;
    imported.at_unix_ms = ((int64_t) day * 86400 + 7 * 3600) * 1000;   /* 15:00 in Qingdao */
    imported.actor_id = (char *) actor;
    Sifang__V1__CommunityMeeting meeting = SIFANG__V1__COMMUNITY_MEETING__INIT;
    meeting.kind = kind;
    meeting.community_code = (char *) unit;
    meeting.held_on = held_on;
    meeting.title = (char *) title;
    meeting.attendees = attendees;
    meeting.n_attendees = n_attendees;
    meeting.matters = matters;
    meeting.n_matters = 1;
    meeting.imported = *actor ? &imported : NULL;
    char what[48];
    snprintf(what, sizeof what, "meeting-%d-%s", (int) kind, unit);
    ProtobufCMessage *reply = call("MeetingRecord", what, days_ago, &meeting.base,
                                   &sifang__v1__community_meeting__descriptor);
    *held += reply != NULL;
    done_with(reply);
}

static void
meetings(size_t *held)
{
    list_t closed;
    if (!list_cases(&closed, STATUS(CLOSED), false))
        return;
    Sifang__V1__MeetingAttendee residents = SIFANG__V1__MEETING_ATTENDEE__INIT, committee = residents,
                                party = residents, units = residents, members = residents;
    residents.party = PARTY(RESIDENTS);
    residents.name = "居民代表";
    residents.people = 12;
    committee.party = PARTY(RESIDENTS_COMMITTEE);
    committee.name = "社区居委会";
    committee.people = 3;
    party.party = PARTY(PARTY_ORGANISATION);
    party.name = "街道党工委";
    party.people = 4;
    units.party = PARTY(RESIDENT_UNIT);
    units.name = "驻区单位党组织";
    units.people = 9;
    members.party = PARTY(PARTY_MEMBERS);
    members.name = "区党代表";
    members.people = 3;
    Sifang__V1__MeetingAttendee *talks[] = { &residents, &committee }, *studio[] = { &members, &residents },
                                *joint[] = { &party, &units };
    /* The communities of the first cases with a staff first responder: held
     * there, recorded by that person. */
    const char *done_communities[3] = { 0 };
    size_t n_done = 0;
    for (size_t i = 0; i < closed.n && n_done < 3; i++) {
        const Sifang__V1__Case *c = closed.cases[i];
        if (!*c->community_code || !*c->first_responder_id || c->first_responder_id[0] != 'S')
            continue;
        bool seen = false;
        for (size_t j = 0; j < n_done; j++)
            seen |= strcmp(done_communities[j], c->community_code) == 0;
        if (seen)
            continue;
        done_communities[n_done++] = c->community_code;
        hold_meeting(MEETING(COMMUNITY_TALKS), c->community_code, c->first_responder_id, 20 + (int) n_done,
                     "社区恳谈会：老旧小区改造", talks, 2, "老旧小区加装电梯意见不一",
                     "分单元征求意见，形成加装方案后公示", held);
        hold_meeting(MEETING(PARTY_REP_STUDIO), c->community_code, c->first_responder_id, 10 + (int) n_done,
                     "党代表工作室接待日", studio, 2, "居民反映社区卫生服务站就诊排队时间长",
                     "党代表向区卫健局提出建议，增设预约时段", held);
        if (n_done == 1)
            hold_meeting(MEETING(STREET_JOINT), c->street_code, c->first_responder_id, 15,
                         "街道党建联席会议", joint, 2, "辖区共建单位开放停车位缓解停车难",
                         "三家共建单位夜间开放车位，街道统一管理", held);
    }
    list_free(&closed);
}

/* Whether an earlier run left its meetings: then nothing is done again. */
static bool
already_loaded(void)
{
    Sifang__V1__MeetingListRequest request = SIFANG__V1__MEETING_LIST_REQUEST__INIT;
    request.kind = MEETING(COMMUNITY_TALKS);
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 1;
    request.page = &page;
    Sifang__V1__MeetingListReply *reply = NULL;
    if (sf_client_call(intake, "MeetingList", NULL, &request.base, &sifang__v1__meeting_list_reply__descriptor,
                       (ProtobufCMessage **) &reply, NULL) != SF_OK)
        return false;
    bool loaded = reply->n_meetings > 0;
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return loaded;
}

/* --- the calendar files ------------------------------------------------------------ */

static char *
read_text(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = 0;
    return strlen(text) == n ? text : NULL;
}

static bool
wait_up(int wait_s)
{
    for (int i = 0; i <= wait_s * 2; i++) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        Sifang__V1__PingReply *reply = NULL;
        if (sf_client_call(intake, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                           (ProtobufCMessage **) &reply, NULL) == SF_OK) {
            bool ready = reply->database_up;
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            if (ready)
                return true;
        }
        usleep(500 * 1000);
    }
    return false;
}

int
main(int argc, char **argv)
{
    const char *calendars[MAX_CALENDARS];
    size_t n_calendars = 0;
    int wait_s = 120;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts(usage_text);
            sf_config_help(stdout, "", settings);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--calendar") == 0 && value && n_calendars < MAX_CALENDARS) {
            calendars[n_calendars++] = value;
            i++;
        } else if (strcmp(argv[i], "--wait") == 0 && value) {
            wait_s = atoi(value);
            i++;
        } else {
            fprintf(stderr, "%s\n", usage_text);
            return EXIT_USAGE;
        }
    }
    char error[512];
    if (!sf_calendar_set("SIFANG_INTAKE_TIMEZONE", "Asia/Shanghai", error, sizeof error)) {
        fprintf(stderr, "%s\n", error);
        return EXIT_USAGE;
    }
    /* Every file is checked before anything is sent. */
    static intake_calendar_file_t files[MAX_CALENDARS];
    for (size_t f = 0; f < n_calendars; f++) {
        const char *text = read_text(calendars[f]);
        if (!text || !intake_calendar_file_parse(text, &files[f])) {
            fprintf(stderr, "%s: refused whole, nothing loaded:\n%s", calendars[f],
                    text ? files[f].errors : "cannot read it as text\n");
            return EXIT_USAGE;
        }
    }
    intake = sf_client_for_service("intake", error, sizeof error);
    if (!intake) {
        fprintf(stderr, "%s\n", error);
        return EXIT_USAGE;
    }
    sf_client_set_principal(intake, "intake-demo-follow", "admin", "");
    sf_client_set_timeout(intake, 30000);
    if (!wait_up(wait_s)) {
        fprintf(stderr, "intake did not answer\n");
        sf_client_destroy(&intake);
        return EXIT_TRANSPORT;
    }
    for (size_t f = 0; f < n_calendars; f++) {
        int changed = 0, working = 0;
        char message[256];
        if (intake_calendar_file_send(intake, &files[f], &changed, &working, message, sizeof message) != SF_OK) {
            fprintf(stderr, "%s: %s\n", calendars[f], message);
            failures++;
        } else
            fprintf(stderr, "calendar %d from %s: %d days changed, %d working days%s\n", files[f].year, calendars[f],
                    changed, working, files[f].pattern ? " (the statutory pattern: check it against the notice)" : "");
    }
    if (already_loaded()) {
        fprintf(stderr, "the follow-through is already loaded: nothing more to do\n");
    } else {
        size_t reopened = 0, closed_again = 0, complained = 0, reminded = 0, supervised = 0, referred = 0,
               followed = 0, in_time = 0, held = 0;
        list_t closed;
        if (list_cases(&closed, STATUS(CLOSED), false)) {
            story(&closed, (int64_t) time(NULL) * 1000, &followed, &in_time);
            list_free(&closed);
        }
        rework(&reopened, &closed_again);
        complain(&complained);
        ladder(&reminded, &supervised, &referred, &followed, &in_time);
        meetings(&held);
        fprintf(stderr, "rework: %zu reopened after the return visit (%zu closed at a second), %zu complaints;"
                " past due: %zu reminded, %zu supervised, %zu referred up, %zu followed up by their first"
                " responder (%zu within a working day); %zu meetings of the new kinds\n", reopened, closed_again,
                complained, reminded, supervised, referred, followed, in_time, held);
    }
    /* The sweep now: the stories' cases marked overdue (their follow-ups
     * stand), the reminders due given. */
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    done_with(call("CaseSweep", "sweep", 0, &sweep.base, &sifang__v1__case_sweep_reply__descriptor));
    sf_client_destroy(&intake);
    fprintf(stderr, failures ? "%d requests failed\n" : "all loaded\n", failures);
    return failures ? EXIT_FAILED : EXIT_OK;
}
