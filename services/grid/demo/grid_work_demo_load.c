/* sifang-grid-work-demo-load: a year of the district's leaders and
 * departments at work, through grid's API, after grid's demo district
 * (sifang-demo-load): every leader visits each of their contact points every
 * month or two (99 points at the seed's scale), finds a problem now and then
 * (most solved within weeks, a few registered as intake cases at the
 * community's window), and every department visits the communities it is
 * paired with every two to four months, takes on their problems and gives
 * people, money, premises and hours, each followed up. Everything is dated
 * on the demo's timeline (tools/demo_district.h) and sent pipelined, with
 * request ids from the seed and the day, so that a re-run answers from grid's
 * store instead of writing twice. */
#include "demo_district.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

#define WINDOW 256
#define TIMEOUT_MS 30000
#define MAX_ATTEMPTS 6
#define FAILURES_SHOWN 10
/* A problem found in the last weeks may still be open; one found earlier
 * was mostly solved. Cases come from the last weeks alone, so that none is
 * left past its time limit by the demo. */
#define RECENT_DAYS 21

static const char usage_text[] =
    "usage: sifang-grid-work-demo-load [--seed N] [--today YYYY-MM-DD] [--wait S]\n"
    "\n"
    "Loads a year of the district's leaders and departments at work into grid,\n"
    "after grid's demo district (sifang-demo-load): each district leader's visits\n"
    "to their contact points every month or two, the problems found there (most\n"
    "solved, a few registered as cases at intake), and each department's visits,\n"
    "problems taken on and resources given in the communities it is paired with,\n"
    "followed up, all inside the twelve months ending today (Asia/Shanghai). The\n"
    "same seed on the same day gives the same requests and request ids: a re-run\n"
    "finishes an interrupted load without writing twice. Without intake the\n"
    "problems that would have become cases stay open.\n"
    "\n"
    "  --seed N        the seed (default SIFANG_DEMO_SEED or 2012)\n"
    "  --today D       the timeline's today (default: today in Asia/Shanghai)\n"
    "  --wait S        wait up to S seconds for grid and intake (default 600)\n"
    "  --help          this text\n"
    "\n"
    "Exit status: 0 all loaded; 1 some requests failed; 2 usage; 3 grid did not answer.";

static const sf_setting_t settings[] = {
    { "SIFANG_DEMO_SEED", "2012", "the seed when --seed is not given" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "where grid answers requests" },
    { "SIFANG_INTAKE_ENDPOINT", "tcp://127.0.0.1:7111", "where intake answers requests" },
    { "SIFANG_GRID_PUBLIC_KEY_FILE", NULL, "grid's CURVE public key (enables CURVE)" },
    { "SIFANG_INTAKE_PUBLIC_KEY_FILE", NULL, "intake's CURVE public key (enables CURVE)" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this client's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

/* --- randomness: one stream per (seed, tag, item), so an item's draws do
 * not depend on the order things are sent in --------------------------------- */

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

static bool
chance(demo_stream_t *rng, double p)
{
    return demo_stream_unit(rng) < p;
}

#define PICK(rng, list) (list)[demo_stream_below(rng, (int) (sizeof(list) / sizeof *(list)))]

/* --- what is said ------------------------------------------------------------- */

static const char *const people_met[] = {
    "社区书记、网格员", "社区居委会主任、居民代表", "楼组长王大爷、李阿姨", "困难家庭户主张秀英",
    "退役军人赵建国", "物业经理、业委会主任", "驻区单位负责人", "党员志愿者代表", "独居老人刘桂兰",
    "街道党工委书记", "低保户陈玉兰一家", "新就业群体代表", "网格员、楼组长",
};
static const char *const findings[] = {
    "走访网格，了解居民对环境整治的意见，总体满意",
    "召开居民座谈会，听取对社区服务的意见建议",
    "察看老旧小区改造进度，居民希望加快施工",
    "走访困难家庭，了解救助政策落实情况",
    "检查社区为民服务中心窗口服务，群众反映办事方便",
    "调研社区养老服务站运营情况",
    "了解网格化管理运行情况，网格员反映工作量较大",
    "检查安全生产和消防隐患整改情况",
    "走访驻区单位，商议结对共建项目",
    "参加社区议事会，协调停车难问题",
};
static const char *const problems[] = {
    "老旧楼院楼道照明损坏，夜间出行不便",
    "小区停车位不足，车辆乱停乱放",
    "社区老年人助餐点距离较远",
    "雨季楼顶渗漏，居民多次反映未解决",
    "背街小巷垃圾清运不及时",
    "社区活动场地紧张，居民活动受限",
    "独居老人缺少日常照护",
    "无障碍设施缺失，轮椅出行困难",
    "部分楼院监控设施老化",
    "下水管道堵塞，影响居民生活",
    "困难家庭子女入学需要帮扶",
    "路灯不亮，夜间存在安全隐患",
};
static const char *const solutions[] = {
    "协调物业和街道维修完毕，居民满意",
    "责成相关部门限期整改，已整改到位",
    "纳入社区为民办实事项目，已完成",
    "协调驻区单位共建解决",
    "社区与职能部门联合处置，已办结",
    "落实帮扶措施，已回访确认",
};
static const char *const dept_visit_content[] = {
    "走遍社区：深入网格走访居民，了解民情民意",
    "走千人访千户：入户走访困难家庭和老党员",
    "与社区两委座谈，研究帮建工作计划",
    "参加社区共驻共建联席会议",
    "检查帮建项目进展情况",
};
static const char *const dept_problems[] = {
    "认领社区居民活动室改造问题", "帮助协调社区停车场建设", "解决困难家庭就业帮扶问题",
    "协调老旧小区管网改造", "推动社区卫生服务站设施更新", "帮助社区解决助老服务人手不足",
};
static const char *const dept_follow_ups[] = {
    "已协调落实，向社区反馈办理结果", "项目已完工，社区验收合格", "已纳入部门年度计划并实施",
    "已安排专人跟进，问题解决", "正在协调资金，预计下季度完成",
};
static const struct { Sifang__V1__ResourceKind kind; const char *content; int least, most; } resources[] = {
    { SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_PEOPLE, "选派干部到社区开展志愿服务", 2, 20 },
    { SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_MONEY, "资助社区为民办实事项目经费", 2000, 50000 },
    { SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_PREMISES, "开放部门会议室供社区活动使用", 20, 300 },
    { SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_HOURS, "部门党员到社区报到服务", 10, 200 },
};

/* --- the district as grid has it ------------------------------------------------ */

typedef struct {
    char staff_id[16];
    char unit_code[16];
    Sifang__V1__UnitKind kind;
} point_t;

typedef struct {
    char department_code[48];
    char community_code[16];
} pair_t;

typedef struct {
    char id[16];
    char department_code[48];
} member_t;

typedef struct {
    point_t *points;    size_t n_points;
    char (*zones)[16];  size_t n_zones;       /* sorted by code */
    pair_t *pairs;      size_t n_pairs;
    member_t *members;  size_t n_members;     /* department staff, by department */
    member_t *locals;   size_t n_locals;      /* committee members and street cadres, by unit */
} district_t;

static bool
grow(void **array, size_t *capacity, size_t wanted, size_t size)
{
    if (wanted <= *capacity)
        return true;
    size_t next = *capacity ? *capacity * 2 : 256;
    while (next < wanted)
        next *= 2;
    void *grown = realloc(*array, next * size);
    if (!grown)
        return false;
    *array = grown;
    *capacity = next;
    return true;
}

/* Calls a list method page by page; take reads each reply (false stops). */
typedef bool take_page_fn(district_t *district, const ProtobufCMessage *reply, const char **next_token);

static bool
list_all(sf_client_t *grid, const char *method, ProtobufCMessage *request, Sifang__V1__PageRequest *page,
         const ProtobufCMessageDescriptor *descriptor, district_t *district, take_page_fn *take)
{
    char token[256] = "";
    for (;;) {
        if (page)
            page->page_token = token;
        ProtobufCMessage *reply = NULL;
        sf_reply_info_t info;
        if (sf_client_call(grid, method, NULL, request, descriptor, &reply, &info) != SF_OK) {
            fprintf(stderr, "grid %s: %s: %s\n", method, sf_status_name(info.status), info.message ? info.message : "");
            return false;
        }
        const char *next = "";
        bool ok = take(district, reply, &next);
        snprintf(token, sizeof token, "%s", next ? next : "");
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!ok)
            return false;
        if (!page || !*token)
            return true;
    }
}

static bool
take_points(district_t *d, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__ContactPointListReply *reply = (const Sifang__V1__ContactPointListReply *) message;
    *next = "";
    d->points = calloc(reply->n_points + 1, sizeof *d->points);
    if (!d->points)
        return false;
    for (size_t i = 0; i < reply->n_points; i++) {
        point_t *p = &d->points[d->n_points++];
        snprintf(p->staff_id, sizeof p->staff_id, "%s", reply->points[i]->staff_id);
        snprintf(p->unit_code, sizeof p->unit_code, "%s", reply->points[i]->unit_code);
        p->kind = reply->points[i]->unit_kind;
    }
    return true;
}

static size_t zone_capacity, pair_capacity, member_capacity;

static bool
take_zones(district_t *d, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__UnitListReply *reply = (const Sifang__V1__UnitListReply *) message;
    if (!grow((void **) &d->zones, &zone_capacity, d->n_zones + reply->n_units, sizeof *d->zones))
        return false;
    for (size_t i = 0; i < reply->n_units; i++)
        snprintf(d->zones[d->n_zones++], sizeof *d->zones, "%s", reply->units[i]->code);
    *next = reply->next_page_token;
    return true;
}

static bool
take_pairs(district_t *d, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__PairingListReply *reply = (const Sifang__V1__PairingListReply *) message;
    if (!grow((void **) &d->pairs, &pair_capacity, d->n_pairs + reply->n_pairings, sizeof *d->pairs))
        return false;
    for (size_t i = 0; i < reply->n_pairings; i++) {
        pair_t *p = &d->pairs[d->n_pairs++];
        snprintf(p->department_code, sizeof p->department_code, "%s", reply->pairings[i]->department_code);
        snprintf(p->community_code, sizeof p->community_code, "%s", reply->pairings[i]->community_code);
    }
    *next = reply->next_page_token;
    return true;
}

static bool
take_members(district_t *d, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__StaffListReply *reply = (const Sifang__V1__StaffListReply *) message;
    if (!grow((void **) &d->members, &member_capacity, d->n_members + reply->n_staff, sizeof *d->members))
        return false;
    for (size_t i = 0; i < reply->n_staff; i++) {
        if (!reply->staff[i]->active || !*reply->staff[i]->department_code)
            continue;
        member_t *m = &d->members[d->n_members++];
        snprintf(m->id, sizeof m->id, "%s", reply->staff[i]->id);
        snprintf(m->department_code, sizeof m->department_code, "%s", reply->staff[i]->department_code);
    }
    *next = reply->next_page_token;
    return true;
}

static size_t local_capacity;

/* Community committee members and street cadres, their unit in the
 * department's place: who registers and handles a case at the window. */
static bool
take_locals(district_t *d, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__StaffListReply *reply = (const Sifang__V1__StaffListReply *) message;
    if (!grow((void **) &d->locals, &local_capacity, d->n_locals + reply->n_staff, sizeof *d->locals))
        return false;
    for (size_t i = 0; i < reply->n_staff; i++) {
        if (!reply->staff[i]->active)
            continue;
        member_t *m = &d->locals[d->n_locals++];
        snprintf(m->id, sizeof m->id, "%s", reply->staff[i]->id);
        snprintf(m->department_code, sizeof m->department_code, "%s", reply->staff[i]->unit_code);
    }
    *next = reply->next_page_token;
    return true;
}

/* The first local staff member of the place's community (of its street
 * for a street), else NULL. */
static const char *
local_of(const district_t *d, const char *place)
{
    char unit[16];
    snprintf(unit, sizeof unit, "%.*s", strlen(place) >= 12 ? 12 : 9, place);
    for (size_t i = 0; i < d->n_locals; i++)
        if (strcmp(d->locals[i].department_code, unit) == 0)
            return d->locals[i].id;
    return NULL;
}

static int
compare_zone(const void *a, const void *b)
{
    return strcmp((const char *) a, (const char *) b);
}

static bool
read_district(sf_client_t *grid, district_t *d)
{
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 1000;
    Sifang__V1__ContactPointListRequest points = SIFANG__V1__CONTACT_POINT_LIST_REQUEST__INIT;
    Sifang__V1__UnitListRequest zones = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
    zones.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
    zones.page = &page;
    Sifang__V1__PairingListRequest pairs = SIFANG__V1__PAIRING_LIST_REQUEST__INIT;
    pairs.page = &page;
    Sifang__V1__StaffListRequest members = SIFANG__V1__STAFF_LIST_REQUEST__INIT;
    members.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF;
    members.page = &page;
    if (!list_all(grid, "ContactPointList", &points.base, NULL, &sifang__v1__contact_point_list_reply__descriptor, d,
                  take_points)
        || !list_all(grid, "UnitList", &zones.base, &page, &sifang__v1__unit_list_reply__descriptor, d, take_zones)
        || !list_all(grid, "PairingList", &pairs.base, &page, &sifang__v1__pairing_list_reply__descriptor, d,
                     take_pairs)
        || !list_all(grid, "StaffList", &members.base, &page, &sifang__v1__staff_list_reply__descriptor, d,
                     take_members))
        return false;
    members.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE;
    if (!list_all(grid, "StaffList", &members.base, &page, &sifang__v1__staff_list_reply__descriptor, d, take_locals))
        return false;
    members.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE;
    if (!list_all(grid, "StaffList", &members.base, &page, &sifang__v1__staff_list_reply__descriptor, d, take_locals))
        return false;
    qsort(d->zones, d->n_zones, sizeof *d->zones, compare_zone);
    return true;
}

/* The zones whose code starts with prefix: [*first, *first + count). */
static size_t
zones_under(const district_t *d, const char *prefix, size_t *first)
{
    size_t length = strlen(prefix), lo = 0, hi = d->n_zones;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(d->zones[mid], prefix, length) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < d->n_zones && strncmp(d->zones[end], prefix, length) == 0)
        end++;
    *first = lo;
    return end - lo;
}

/* --- the pipeline --------------------------------------------------------------- */

typedef struct {
    const char *prefix;         /* request ids: <prefix>-<tag>-<i> */
    bool tty;
    size_t failed;
    int failures_shown;
} loader_t;

/* Reads the reply of request i. */
typedef void take_fn(void *context, size_t i, const void *body, size_t size);

static bool
transient(sf_status_t status)
{
    return status == SF_UNAVAILABLE || status == SF_DEADLINE_EXCEEDED || status == SF_ABORTED;
}

/* Sends requests[0..n) of method (NULL ones are passed over) with at most
 * WINDOW in flight; take reads each success. Returns how many succeeded. */
static size_t
run(loader_t *loader, sf_client_t *client, const char *method, const char *tag, ProtobufCMessage **requests,
    size_t n, take_fn *take, void *context)
{
    int *attempts = calloc(n + 1, sizeof *attempts);
    bool *settled = calloc(n + 1, sizeof *settled);
    if (!attempts || !settled) {
        free(attempts);
        free(settled);
        loader->failed += n;
        return 0;
    }
    size_t next = 0, in_flight = 0, done = 0, succeeded = 0, total = 0;
    for (size_t i = 0; i < n; i++)
        total += requests[i] != NULL;
    int64_t started = sf_clock_ms(), shown = 0;
    char request_id[128];
    while (done < total) {
        while (in_flight < WINDOW && next < n) {
            size_t i = next++;
            if (!requests[i])
                continue;
            snprintf(request_id, sizeof request_id, "%s-%s-%zu", loader->prefix, tag, i);
            attempts[i]++;
            if (sf_client_send(client, method, request_id, requests[i]) == 0)
                in_flight++;
            else {
                settled[i] = true;
                done++;
                loader->failed++;
            }
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(client, TIMEOUT_MS, &body, &size, &info);
        if (got <= 0) {
            /* Nothing for a while: resend what is unsettled among those sent
             * (idempotent by request id), or give up after a few rounds. */
            bool resent = false;
            for (size_t i = 0; i < next; i++) {
                if (!requests[i] || settled[i])
                    continue;
                if (attempts[i] >= MAX_ATTEMPTS) {
                    settled[i] = true;
                    done++;
                    in_flight--;
                    loader->failed++;
                    continue;
                }
                snprintf(request_id, sizeof request_id, "%s-%s-%zu", loader->prefix, tag, i);
                attempts[i]++;
                resent = sf_client_send(client, method, request_id, requests[i]) == 0 || resent;
            }
            if (!resent && in_flight == 0 && next >= n)
                break;
            continue;
        }
        /* The item the reply's request id names. */
        size_t prefix_length = strlen(loader->prefix), tag_length = strlen(tag);
        const char *rid = info.request_id ? info.request_id : "";
        char *end = NULL;
        long i = -1;
        if (strncmp(rid, loader->prefix, prefix_length) == 0 && rid[prefix_length] == '-'
            && strncmp(rid + prefix_length + 1, tag, tag_length) == 0 && rid[prefix_length + 1 + tag_length] == '-')
            i = strtol(rid + prefix_length + tag_length + 2, &end, 10);
        if (i < 0 || (size_t) i >= n || !end || *end || settled[i]) {
            free(body);
            continue;
        }
        if (info.status == SF_OK) {
            succeeded++;
            if (take)
                take(context, (size_t) i, body, size);
        } else if (transient(info.status) && attempts[i] < MAX_ATTEMPTS) {
            usleep(100000);
            attempts[i]++;
            snprintf(request_id, sizeof request_id, "%s", rid);
            if (sf_client_send(client, method, request_id, requests[i]) == 0) {
                free(body);
                continue;
            }
            loader->failed++;
        } else {
            loader->failed++;
            if (loader->failures_shown++ < FAILURES_SHOWN) {
                fprintf(stderr, "%s%s %s: %s: %s", loader->tty ? "\n" : "", method, rid, sf_status_name(info.status),
                        info.message ? info.message : "");
                for (size_t v = 0; v < info.n_violations; v++)
                    fprintf(stderr, "%s%s: %s", v ? "; " : " (", info.violation_fields[v],
                            info.violation_descriptions[v]);
                fprintf(stderr, "%s\n", info.n_violations ? ")" : "");
            }
        }
        free(body);
        settled[i] = true;
        done++;
        in_flight--;
        int64_t now = sf_clock_ms();
        if (loader->tty && now >= shown) {
            fprintf(stderr, "\r\033[K%-22s %zu/%zu", tag, done, total);
            shown = now + 250;
        }
    }
    double seconds = (double) (sf_clock_ms() - started) / 1000.0;
    fprintf(stderr, "%s%-22s %zu/%zu in %.1f s\n", loader->tty ? "\r\033[K" : "", tag, succeeded, total, seconds);
    free(attempts);
    free(settled);
    return succeeded;
}

/* --- the plan ----------------------------------------------------------------------- */

static char *
text_copy(const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        abort();   /* a loader out of memory has nothing better to do */
    return copy;
}

static void *
new_message(const ProtobufCMessageDescriptor *descriptor)
{
    ProtobufCMessage *message = calloc(1, descriptor->sizeof_message);
    if (!message)
        abort();
    protobuf_c_message_init(descriptor, message);
    return message;
}

static void
free_all(ProtobufCMessage **messages, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (messages[i])
            protobuf_c_message_free_unpacked(messages[i], NULL);
    free(messages);
}

/* A moment of day in office hours; today's is its first minute (never
 * after now, and the same for a re-run later today). */
static int64_t
office_time(demo_stream_t *rng, int32_t day, int64_t now_ms)
{
    int64_t at = demo_day_start_ms(day) + (int64_t) (8 * 3600 + demo_stream_below(rng, 9 * 3600)) * 1000;
    return day < demo_day_of_ms(now_ms) ? at : demo_day_start_ms(day) + 60000;
}

/* A found problem and what becomes of it. */
typedef struct {
    char id[16];
    char staff_id[16];
    char place_code[16];
    int64_t found_ms;
    int fate;                 /* 0 open, 1 solved, 2 case */
    int64_t closed_ms;        /* solved, or registered as a case */
    bool case_done;           /* a case handled to the end: started, resolved, visited again */
    const char *actor;        /* who registered and handled the case */
    int64_t case_id;
    char registration[40];
    char description[160];
} found_t;

typedef struct {
    found_t *found;
    size_t n_found;
    size_t capacity;
    const demo_timeline_t *timeline;
    uint64_t seed;
    int64_t now_ms;
} contact_plan_t;

static void
take_visit(void *context, size_t i, const void *body, size_t size)
{
    (void) i;
    contact_plan_t *plan = context;
    Sifang__V1__ContactVisit *visit = sifang__v1__contact_visit__unpack(NULL, size, body);
    if (!visit)
        return;
    for (size_t p = 0; p < visit->n_problems; p++) {
        if (!grow((void **) &plan->found, &plan->capacity, plan->n_found + 1, sizeof *plan->found))
            break;
        found_t *f = &plan->found[plan->n_found++];
        memset(f, 0, sizeof *f);
        snprintf(f->id, sizeof f->id, "%s", visit->problems[p]->id);
        snprintf(f->staff_id, sizeof f->staff_id, "%s", visit->staff_id);
        snprintf(f->place_code, sizeof f->place_code, "%s", visit->place_code);
        snprintf(f->description, sizeof f->description, "%s", visit->problems[p]->description);
        f->found_ms = visit->visited_unix_ms;
        f->fate = visit->problems[p]->status == SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_OPEN ? -1
                                                                                                                : -2;
    }
    protobuf_c_message_free_unpacked(&visit->base, NULL);
}

static void
take_case(void *context, size_t i, const void *body, size_t size)
{
    found_t *found = context;
    Sifang__V1__Case *c = sifang__v1__case__unpack(NULL, size, body);
    if (!c)
        return;
    found[i].case_id = c->id;
    snprintf(found[i].registration, sizeof found[i].registration, "%s", c->registration_number);
    protobuf_c_message_free_unpacked(&c->base, NULL);
}

/* A step of a case at intake, imported at its time on behalf of actor. */
static Sifang__V1__CaseRef *
case_ref(int64_t id)
{
    Sifang__V1__CaseRef *ref = new_message(&sifang__v1__case_ref__descriptor);
    ref->id = id;
    return ref;
}

static Sifang__V1__CaseImport *
case_import(int64_t at_ms, const char *actor)
{
    Sifang__V1__CaseImport *imported = new_message(&sifang__v1__case_import__descriptor);
    imported->at_unix_ms = at_ms;
    imported->actor_id = text_copy(actor);
    return imported;
}

/* The older problems' cases handled to the end at intake, as the window
 * would have: work started the day it was registered, resolved two to
 * eight days later, the return visit one to three days after (well within
 * community affairs' time limit). */
static void
handle_cases(loader_t *loader, sf_client_t *intake, const contact_plan_t *plan)
{
    size_t n = plan->n_found;
    ProtobufCMessage **starts = calloc(n + 1, sizeof *starts), **resolves = calloc(n + 1, sizeof *resolves),
                     **closes = calloc(n + 1, sizeof *closes);
    if (!starts || !resolves || !closes)
        abort();
    for (size_t i = 0; i < n; i++) {
        const found_t *f = &plan->found[i];
        if (f->fate != 2 || !f->case_done || !f->case_id)
            continue;
        demo_stream_t rng = rng_of(plan->seed, "case", (uint64_t) atoll(f->id + 1));
        int64_t started = f->closed_ms + 2 * 3600 * 1000;
        int64_t resolved = f->closed_ms + (int64_t) (2 + demo_stream_below(&rng, 7)) * DEMO_DAY_MS;
        int64_t visited = resolved + (int64_t) (1 + demo_stream_below(&rng, 3)) * DEMO_DAY_MS;
        Sifang__V1__CaseStepRequest *start = new_message(&sifang__v1__case_step_request__descriptor);
        start->ref = case_ref(f->case_id);
        start->note = text_copy("已联系相关单位，开始办理");
        start->imported = case_import(started, f->actor);
        starts[i] = &start->base;
        Sifang__V1__CaseResolveRequest *resolve = new_message(&sifang__v1__case_resolve_request__descriptor);
        resolve->ref = case_ref(f->case_id);
        resolve->resolution = text_copy(PICK(&rng, solutions));
        resolve->imported = case_import(resolved, f->actor);
        resolves[i] = &resolve->base;
        Sifang__V1__CaseCloseRequest *close = new_message(&sifang__v1__case_close_request__descriptor);
        close->ref = case_ref(f->case_id);
        close->satisfaction = 4 + demo_stream_below(&rng, 2);
        close->note = text_copy("电话回访，居民满意");
        close->imported = case_import(visited, f->actor);
        closes[i] = &close->base;
    }
    run(loader, intake, "CaseStart", "contact-case-starts", starts, n, NULL, NULL);
    run(loader, intake, "CaseResolve", "contact-case-resolutions", resolves, n, NULL, NULL);
    run(loader, intake, "CaseClose", "contact-case-visits", closes, n, NULL, NULL);
    free_all(starts, n);
    free_all(resolves, n);
    free_all(closes, n);
}

static int
compare_found(const void *a, const void *b)
{
    return strcmp(((const found_t *) a)->id, ((const found_t *) b)->id);
}

/* Leaders' visits and the problems found, solved or registered as cases. */
static void
load_contacts(loader_t *loader, sf_client_t *grid, sf_client_t *intake, const district_t *d, contact_plan_t *plan,
              size_t *visits_p, size_t *solved_p, size_t *cases_p)
{
    const demo_timeline_t *timeline = plan->timeline;
    size_t capacity = 0, n = 0;
    ProtobufCMessage **visits = NULL;
    for (size_t p = 0; p < d->n_points; p++) {
        const point_t *point = &d->points[p];
        demo_stream_t rng = rng_of(plan->seed, "contact-point", p);
        /* Every month or two: the first within the first gap of the year. */
        int gap = 30 + demo_stream_below(&rng, 31);
        for (int32_t day = timeline->first_day + demo_stream_below(&rng, gap); day <= timeline->today; day += 30 + demo_stream_below(&rng, 31)) {
            if (!grow((void **) &visits, &capacity, n + 1, sizeof *visits))
                abort();
            Sifang__V1__ContactVisit *visit = new_message(&sifang__v1__contact_visit__descriptor);
            visit->staff_id = text_copy(point->staff_id);
            visit->point_code = text_copy(point->unit_code);
            /* Where: a zone of the community, or a community of the street
             * (its zones' community), else the point itself. */
            size_t first = 0, count = zones_under(d, point->unit_code, &first);
            const char *place = point->unit_code;
            char community[16];
            if (count && chance(&rng, 0.6)) {
                place = d->zones[first + (size_t) demo_stream_below(&rng, (int) count)];
                if (point->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET) {
                    snprintf(community, sizeof community, "%.12s", place);
                    place = community;
                }
            }
            visit->place_code = text_copy(place);
            visit->visited_unix_ms = office_time(&rng, day, plan->now_ms);
            visit->people_met = text_copy(PICK(&rng, people_met));
            visit->findings = text_copy(PICK(&rng, findings));
            int found = chance(&rng, 0.45) ? 1 + chance(&rng, 0.3) : 0;
            if (found) {
                visit->problems = calloc((size_t) found, sizeof *visit->problems);
                for (int k = 0; k < found; k++) {
                    Sifang__V1__ContactProblem *problem = new_message(&sifang__v1__contact_problem__descriptor);
                    problem->description = text_copy(PICK(&rng, problems));
                    visit->problems[visit->n_problems++] = problem;
                }
            }
            visits[n++] = &visit->base;
        }
    }
    *visits_p = run(loader, grid, "ContactVisitRecord", "contact-visits", visits, n, take_visit, plan);
    free_all(visits, n);

    /* The fate of each problem, drawn by its id (a re-run draws the same). */
    qsort(plan->found, plan->n_found, sizeof *plan->found, compare_found);
    int64_t recent_ms = demo_day_start_ms(timeline->today - RECENT_DAYS), today_ms = demo_day_start_ms(timeline->today);
    ProtobufCMessage **cases = calloc(plan->n_found + 1, sizeof *cases);
    if (!cases)
        abort();
    for (size_t i = 0; i < plan->n_found; i++) {
        found_t *f = &plan->found[i];
        if (f->fate == -2) {          /* followed up by an earlier run */
            f->fate = 3;
            continue;
        }
        demo_stream_t rng = rng_of(plan->seed, "problem", (uint64_t) atoll(f->id + 1));
        /* An older problem: mostly solved within a month, one in twenty
         * registered as a case the next day and handled to its end within
         * its time limit; a recent one as likely open, solved or a case
         * under way. */
        bool recent = f->found_ms >= recent_ms;
        double to_case = recent ? 0.35 : 0.05, solve = recent ? 0.35 : 0.85;
        double draw = (double) (demo_stream_next(&rng) >> 11) / 9007199254740992.0;
        int days = draw < to_case ? 1 : 1 + demo_stream_below(&rng, recent ? 7 : 30);
        f->closed_ms = f->found_ms + (int64_t) days * DEMO_DAY_MS;
        if (f->closed_ms > today_ms)
            f->closed_ms = today_ms;   /* not after now, the same for a re-run today */
        f->fate = f->closed_ms <= f->found_ms ? 0 : draw < to_case ? 2 : draw < to_case + solve ? 1 : 0;
        f->actor = local_of(d, f->place_code);
        if (f->fate != 2 || !intake || !f->actor) {
            if (f->fate == 2)
                f->fate = 0;   /* no intake (or no one there) to register it: it stays open */
            continue;
        }
        f->case_done = !recent;
        /* Registered at the community's window on the leader's word: a
         * community affair of the place, imported at its time. */
        Sifang__V1__CaseSubmitRequest *submit = new_message(&sifang__v1__case_submit_request__descriptor);
        submit->channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
        submit->item_code = text_copy("community-affairs");
        submit->unit_code = text_copy(f->place_code);
        char description[240];
        snprintf(description, sizeof description, "领导联系点走访发现：%s", f->description);
        submit->description = text_copy(description);
        submit->requester = new_message(&sifang__v1__case_requester__descriptor);
        submit->requester->kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_COMMUNITY;
        submit->requester->name = text_copy("社区居委会");
        submit->imported = new_message(&sifang__v1__case_import__descriptor);
        submit->imported->at_unix_ms = f->closed_ms;
        submit->imported->actor_id = text_copy(f->actor);
        cases[i] = &submit->base;
    }
    *cases_p = intake ? run(loader, intake, "CaseSubmit", "contact-cases", cases, plan->n_found, take_case,
                            plan->found) : 0;
    free_all(cases, plan->n_found);
    if (intake)
        handle_cases(loader, intake, plan);

    ProtobufCMessage **updates = calloc(plan->n_found + 1, sizeof *updates);
    if (!updates)
        abort();
    for (size_t i = 0; i < plan->n_found; i++) {
        found_t *f = &plan->found[i];
        if (f->fate != 1 && !(f->fate == 2 && f->case_id))
            continue;
        demo_stream_t rng = rng_of(plan->seed, "solution", (uint64_t) atoll(f->id + 1));
        Sifang__V1__ContactProblemUpdateRequest *update =
            new_message(&sifang__v1__contact_problem_update_request__descriptor);
        update->id = text_copy(f->id);
        update->at_unix_ms = f->closed_ms;
        if (f->fate == 1) {
            update->status = SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED;
            update->resolution = text_copy(PICK(&rng, solutions));
        } else {
            update->status = SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE;
            update->resolution = text_copy("转社区为民服务中心受理");
            update->case_id = f->case_id;
            update->case_registration = text_copy(f->registration);
        }
        updates[i] = &update->base;
    }
    size_t followed = run(loader, grid, "ContactProblemUpdate", "contact-problems", updates, plan->n_found, NULL, NULL);
    (void) followed;
    *solved_p = 0;
    for (size_t i = 0; i < plan->n_found; i++)
        *solved_p += plan->found[i].fate == 1;
    free_all(updates, plan->n_found);
}

/* What a department recorded, for its follow-up. */
typedef struct {
    char id[16];
    int64_t at_ms;
    int kind;
} recorded_t;

static void
take_work(void *context, size_t i, const void *body, size_t size)
{
    recorded_t *recorded = context;
    Sifang__V1__DepartmentWork *work = sifang__v1__department_work__unpack(NULL, size, body);
    if (!work)
        return;
    snprintf(recorded[i].id, sizeof recorded[i].id, "%s", work->id);
    recorded[i].at_ms = work->at_unix_ms;
    recorded[i].kind = work->kind;
    protobuf_c_message_free_unpacked(&work->base, NULL);
}

/* Departments' visits, problems taken on and resources, then what followed. */
static void
load_department_work(loader_t *loader, sf_client_t *grid, const district_t *d, const demo_timeline_t *timeline,
                     uint64_t seed, int64_t now_ms, size_t *records_p, size_t *follow_ups_p)
{
    size_t capacity = 0, n = 0;
    ProtobufCMessage **works = NULL;
    for (size_t p = 0; p < d->n_pairs; p++) {
        const pair_t *pair = &d->pairs[p];
        const member_t *staff[16];
        size_t n_staff = 0;
        for (size_t m = 0; m < d->n_members && n_staff < 16; m++)
            if (strcmp(d->members[m].department_code, pair->department_code) == 0)
                staff[n_staff++] = &d->members[m];
        if (!n_staff)
            continue;
        demo_stream_t rng = rng_of(seed, "pairing", p);
        /* Visits every two to four months; problems one to three a year;
         * resources one or two. */
        int n_problems = 1 + demo_stream_below(&rng, 3), n_resources = 1 + demo_stream_below(&rng, 2);
        for (int32_t day = timeline->first_day + demo_stream_below(&rng, 60); day <= timeline->today; day += 60 + demo_stream_below(&rng, 61)) {
            if (!grow((void **) &works, &capacity, n + 1, sizeof *works))
                abort();
            Sifang__V1__DepartmentWork *work = new_message(&sifang__v1__department_work__descriptor);
            work->department_code = text_copy(pair->department_code);
            work->community_code = text_copy(pair->community_code);
            work->kind = SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_VISIT;
            work->staff_id = text_copy(staff[demo_stream_below(&rng, (int) n_staff)]->id);
            work->at_unix_ms = office_time(&rng, day, now_ms);
            work->people_met = text_copy(PICK(&rng, people_met));
            work->content = text_copy(PICK(&rng, dept_visit_content));
            works[n++] = &work->base;
        }
        for (int k = 0; k < n_problems + n_resources; k++) {
            if (!grow((void **) &works, &capacity, n + 1, sizeof *works))
                abort();
            Sifang__V1__DepartmentWork *work = new_message(&sifang__v1__department_work__descriptor);
            work->department_code = text_copy(pair->department_code);
            work->community_code = text_copy(pair->community_code);
            work->staff_id = text_copy(staff[demo_stream_below(&rng, (int) n_staff)]->id);
            work->at_unix_ms = office_time(&rng, timeline->first_day + demo_stream_below(&rng, timeline->n_days), now_ms);
            if (k < n_problems) {
                work->kind = SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_PROBLEM;
                work->content = text_copy(PICK(&rng, dept_problems));
            } else {
                int r = demo_stream_below(&rng, (int) (sizeof resources / sizeof *resources));
                work->kind = SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_RESOURCE;
                work->content = text_copy(resources[r].content);
                work->resource_kind = resources[r].kind;
                work->amount = resources[r].least + demo_stream_below(&rng, resources[r].most - resources[r].least + 1);
            }
            works[n++] = &work->base;
        }
    }
    recorded_t *recorded = calloc(n + 1, sizeof *recorded);
    if (!recorded)
        abort();
    *records_p = run(loader, grid, "DepartmentWorkRecord", "department-work", works, n, take_work, recorded);
    free_all(works, n);

    /* What followed: most problems solved and resources delivered within
     * weeks; the rest under way. Visits are followed where they found something. */
    ProtobufCMessage **follow_ups = calloc(n + 1, sizeof *follow_ups);
    if (!follow_ups)
        abort();
    for (size_t i = 0; i < n; i++) {
        const recorded_t *r = &recorded[i];
        if (!*r->id)
            continue;
        demo_stream_t rng = rng_of(seed, "follow-up", (uint64_t) atoll(r->id + 1));
        bool visit = r->kind == SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_VISIT;
        if (visit && !chance(&rng, 0.3))
            continue;
        int64_t at = r->at_ms + (int64_t) (3 + demo_stream_below(&rng, 45)) * DEMO_DAY_MS, today_ms = demo_day_start_ms(timeline->today);
        if (at > today_ms) {
            if (r->at_ms >= today_ms - 2 * DEMO_DAY_MS)
                continue;   /* too fresh for anything to have followed */
            at = today_ms;  /* not after now, the same for a re-run today */
        }
        Sifang__V1__DepartmentWorkFollowUpRequest *follow = new_message(&sifang__v1__department_work_follow_up_request__descriptor);
        follow->id = text_copy(r->id);
        follow->at_unix_ms = at;
        follow->done = visit || chance(&rng, 0.8);
        follow->follow_up = text_copy(visit ? "走访中发现的情况已反馈社区并落实" : follow->done ? PICK(&rng, dept_follow_ups)
                                                                               : "正在协调资金，预计下季度完成");
        follow_ups[i] = &follow->base;
    }
    *follow_ups_p = run(loader, grid, "DepartmentWorkFollowUp", "department-follow-ups", follow_ups, n, NULL, NULL);
    free_all(follow_ups, n);
    free(recorded);
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

/* Whether intake's copy of grid holds the district (its follower's cursor
 * has reached grid's head as it stood before this loader wrote). */
static bool
wait_for_intake(sf_client_t *grid, sf_client_t *intake, int wait_s)
{
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    Sifang__V1__PingReply *pong = NULL;
    if (sf_client_call(grid, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                       (ProtobufCMessage **) &pong, NULL) != SF_OK)
        return false;
    int64_t head = pong->event_head;
    protobuf_c_message_free_unpacked(&pong->base, NULL);
    int64_t until = sf_clock_ms() + (int64_t) wait_s * 1000;
    for (;;) {
        Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
        Sifang__V1__StatsReply *stats = NULL;
        int64_t cursor = -1;
        if (sf_client_call(intake, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                           (ProtobufCMessage **) &stats, NULL) == SF_OK) {
            for (size_t i = 0; i < stats->n_followers; i++)
                if (strcmp(stats->followers[i]->status, "grid") == 0)
                    cursor = stats->followers[i]->count;
            protobuf_c_message_free_unpacked(&stats->base, NULL);
        }
        if (cursor >= head)
            return true;
        if (sf_clock_ms() > until)
            return false;
        sleep(1);
    }
}

static int
usage_error(const char *format, const char *argument)
{
    fprintf(stderr, "sifang-grid-work-demo-load: ");
    fprintf(stderr, format, argument);
    fprintf(stderr, "\n(sifang-grid-work-demo-load --help for usage)\n");
    return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    long long seed = sf_env_int("SIFANG_DEMO_SEED", 2012);
    long wait_s = 600;
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
        } else if (strcmp(arg, "--scale") != 0)   /* the scale is grid's: its points and pairings are read */
            return usage_error("unknown argument \"%s\"", arg);
        a++;
    }
    if (seed < 0)
        return usage_error("SIFANG_DEMO_SEED must be a whole number >= 0, not \"%s\"", getenv("SIFANG_DEMO_SEED"));

    char error[256];
    sf_client_t *grid = sf_client_for_service("grid", error, sizeof error);
    if (!grid) {
        fprintf(stderr, "sifang-grid-work-demo-load: %s\n", error);
        return EXIT_USAGE;
    }
    sf_client_t *intake = sf_client_for_service("intake", error, sizeof error);
    sf_client_set_timeout(grid, TIMEOUT_MS);
    int64_t started = sf_clock_ms();
    if (!wait_up(grid, (int) wait_s)) {
        fprintf(stderr, "grid did not answer with its database up within %ld s\n", wait_s);
        sf_client_destroy(&grid);
        sf_client_destroy(&intake);
        return EXIT_TRANSPORT;
    }
    if (intake) {
        sf_client_set_timeout(intake, TIMEOUT_MS);
        if (!wait_up(intake, 30) || !wait_for_intake(grid, intake, (int) wait_s)) {
            fprintf(stderr, "intake is not there or has not followed grid: problems stay open instead of cases\n");
            sf_client_destroy(&intake);
        }
    }
    district_t district;
    memset(&district, 0, sizeof district);
    int rc = EXIT_OK;
    if (!read_district(grid, &district)) {
        rc = EXIT_TRANSPORT;
        goto done;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "gwork-%lld-%s", seed, timeline.today_text);
    loader_t loader = { .prefix = prefix, .tty = isatty(STDERR_FILENO) };
    contact_plan_t plan = { .timeline = &timeline, .seed = (uint64_t) seed, .now_ms = demo_timeline_now_ms(&timeline) };
    size_t visits = 0, solved = 0, cases = 0, records = 0, follow_ups = 0;
    load_contacts(&loader, grid, intake, &district, &plan, &visits, &solved, &cases);
    load_department_work(&loader, grid, &district, &timeline, (uint64_t) seed, plan.now_ms, &records, &follow_ups);
    fprintf(stderr, "%zu contact points: %zu visits, %zu problems (%zu solved, %zu cases); %zu pairings: %zu records,"
            " %zu follow-ups in %.1f s%s\n", district.n_points, visits, plan.n_found, solved, cases, district.n_pairs,
            records, follow_ups, (double) (sf_clock_ms() - started) / 1000.0, loader.failed ? " with failures" : "");
    if (loader.failed)
        rc = EXIT_FAILED;
    free(plan.found);
done:
    free(district.points);
    free(district.zones);
    free(district.pairs);
    free(district.members);
    free(district.locals);
    sf_client_destroy(&grid);
    sf_client_destroy(&intake);
    return rc;
}
