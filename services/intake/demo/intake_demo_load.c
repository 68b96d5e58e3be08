/* sifang-intake-demo-load: a year of the citizen service agency's work at
 * Sifang's scale (24,000 cases by default over the demo's timeline, the
 * twelve months ending today: tools/demo_district.h),
 * loaded through intake's own API as the register of an earlier system
 * (each step imported at its time, on behalf of the staff member who did it)
 * after grid's demo district. It reads the district from grid's API
 * (households with their flags, zones' committee members, street cadres),
 * the catalogue and the working-day calendar from intake's, and generates
 * from a seed: cases from every channel, their lifecycle (accepted, routed,
 * started, dispatched to providers, resolved mostly in time, return visits
 * with satisfaction, some rejected, transferred or still open), community
 * meetings with their matters, and enterprises' one-stop items; and the
 * work-order rules (docs/work-orders.md): each case's type, questions
 * answered on the spot, the assignee signing for the case (签收) and
 * starting it, some late, send-backs and no-owner cases the street assigns
 * by decision, extensions granted with the resident told, co-handled cases,
 * and complaints' replies reviewed before the return visit. Requests
 * are pipelined and their ids derive from the seed, so a re-run (within
 * intake's idempotency window) writes nothing twice. */
#include "demo_district.h"
#include "sf_client.h"
#include "sf_codes.h"
#include "sf_dates.h"
#include "sf_config.h"
#include "sf_status.h"
#include "sf_text.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

#define SEED_DEFAULT 2012
#define CASES_DEFAULT 24000
#define WINDOW_DEFAULT 512
#define TIMEOUT_DEFAULT_MS 20000
#define MAX_ATTEMPTS 8
#define FAILURES_SHOWN 10
#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define MINUTE_MS 60000LL

static const char usage_text[] =
    "usage: sifang-intake-demo-load [--seed N] [--scale F] [--cases N] [--window N]\n"
    "                               [--timeout MS] [--wait S] [--dry-run]\n"
    "\n"
    "Loads the twelve months ending today (Asia/Shanghai) of the citizen service\n"
    "agency's cases into intake through its API, after grid's demo district\n"
    "(sifang-demo-load): it reads households, zones and staff from grid, waits\n"
    "until intake's copy of grid has caught up, then imports every case step by\n"
    "step at its time on behalf of the staff member who took it. Cases are\n"
    "resolved mostly within their time limits and visited again one to three\n"
    "working days later; the open ones are mostly within their limits, a few\n"
    "per cent past them, each with a note saying why. The same seed on the\n"
    "same day gives the same cases and request ids: a re-run within intake's\n"
    "idempotency window (SIFANG_IDEMPOTENCY_TTL_HOURS) writes nothing twice.\n"
    "\n"
    "  --seed N        the seed (default SIFANG_DEMO_SEED or 2012)\n"
    "  --scale F       as many cases as a district of that scale has (0 < F <= 10;\n"
    "                  24000 times F), like sifang-demo-load's --scale\n"
    "  --cases N       individual cases besides the meetings' (default 24000)\n"
    "  --window N      requests in flight (default 512)\n"
    "  --timeout MS    wait for a reply before resending it (default 20000)\n"
    "  --wait S        wait up to S seconds for grid, intake and intake's copy\n"
    "                  of grid (default 600)\n"
    "  --dry-run       read grid and intake, generate and print the figures; send\n"
    "                  nothing\n"
    "  --help          this text\n"
    "\n"
    "Acts as the admin principal \"intake-demo-loader\" (imports are for admin).\n"
    "Exit status: 0 all loaded; 1 some requests failed; 2 usage; 3 grid or\n"
    "intake did not answer.";

static const sf_setting_t settings[] = {
    { "SIFANG_DEMO_SEED", "2012", "the seed when --seed is not given" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "where grid answers requests" },
    { "SIFANG_INTAKE_ENDPOINT", "tcp://127.0.0.1:7111", "where intake answers requests" },
    { "SIFANG_GRID_PUBLIC_KEY_FILE, SIFANG_INTAKE_PUBLIC_KEY_FILE", NULL, "the services' CURVE public keys" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this loader's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

/* --- what grid and intake tell us ---------------------------------------------- */

typedef struct {
    char code[19];
    char zone[15];
    unsigned flags;                 /* bit f for HouseholdFlag f */
} household_t;

typedef struct {
    char code[16];
    char staff[16];                 /* its committee member (first responder), or "" */
} zone_t;

typedef struct {
    char code[16];
    char name[401];                 /* grid's names: up to 100 characters of up to 4 bytes */
    char staff[16];                 /* a committee member of it */
    char head[16], reviewer[16];    /* who grid names its 负责人 and 审核人, or "" */
    size_t first_zone, n_zones;     /* into zones (sorted by code) */
} community_t;

typedef struct {
    char code[49];
    Sifang__V1__ServiceCategory category;
    Sifang__V1__CaseRouting routing;
    int limit;
    Sifang__V1__TimeLimitUnit unit;
    bool enterprise;
    double weight;
} item_t;

typedef struct {
    household_t *households;
    size_t n_households;
    zone_t *zones;
    size_t n_zones;
    community_t *communities;
    size_t n_communities;
    char (*cadres)[16];             /* street cadres, for enterprise cases */
    size_t n_cadres;
    item_t *items;
    size_t n_items;
    int64_t *working_days;          /* midnight (Qingdao) of each working day from the history's
                                     * first day to some months past today, in ms */
    size_t n_working_days;
    size_t n_past_days;             /* those before today */
} world_t;

/* --- the generated cases --------------------------------------------------------- */

typedef enum {
    OUTCOME_CLOSED, OUTCOME_REJECTED, OUTCOME_TRANSFERRED, OUTCOME_OPEN_ASSIGNED, OUTCOME_OPEN_STARTED,
    OUTCOME_RESOLVED, OUTCOME_DIRECT,   /* answered on the spot at registration */
} outcome_t;

typedef struct {
    /* From the generator. */
    const item_t *item;
    Sifang__V1__CaseChannel channel;
    Sifang__V1__RequesterKind requester_kind;
    const household_t *household;   /* residents */
    char unit[16];                  /* enterprises */
    char enterprise[64];
    char credit_code[19];
    char requester_name[16];
    const char *description;
    const char *responder;          /* staff id of the first responder */
    int64_t received_ms;
    int64_t start_ms, resolve_ms, close_ms;
    outcome_t outcome;
    int satisfaction;
    const char *provider;           /* convenience: who served */
    const char *story;              /* why it takes longer than its limit, or NULL */
    size_t meeting;                 /* meeting matters: 1 + index of the meeting, else 0 */
    size_t matter;
    /* The work-order rules. */
    Sifang__V1__CaseType type;
    const char *direct_answer;      /* OUTCOME_DIRECT: the answer given on the spot */
    int64_t sign_ms;                /* 签收 by the assignee, 0 = not signed */
    int send_backs;                 /* 1, or 2: a no-owner case the street assigns by decision */
    bool extension;                 /* five working days asked at the start and granted */
    bool cohandled;                 /* the street office co-handles a part */
    bool reviewed;                  /* a complaint's reply reviewed before the return visit */
    /* From intake. */
    int64_t id;
} demo_case_t;

typedef struct {
    const community_t *community;
    Sifang__V1__MeetingKind kind;
    char held_on[11];
    int64_t at_ms;
    int n_matters;
    int matter_topic[3];
    size_t first_case;              /* its matters' cases */
} demo_meeting_t;

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
                                        "马", "朱", "胡", "郭", "何", "林", "高", "罗" };
static const char *const given[] = { "秀英", "桂英", "秀兰", "玉兰", "建华", "建国", "志强", "海燕", "淑珍",
                                     "丽", "强", "军", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟" };

static const struct { const char *item; const char *texts[3]; } descriptions[] = {
    { "pension-certification", { "年度养老金领取资格认证", "卧床老人，申请上门认证", "异地居住，协助办理认证" } },
    { "low-income-allowance", { "家庭收入低于低保标准，申请低保", "因病致贫，申请纳入低保", "低保年度复核" } },
    { "employment-difficulty-certification", { "下岗失业，申请就业困难人员认定", "大龄失业人员申请认定", "残疾人就业困难认定" } },
    { "unemployment-registration", { "企业裁员，办理失业登记", "合同到期未续签，登记失业", "毕业未就业，办理登记" } },
    { "disability-certificate", { "肢体残疾，申请办理残疾人证", "视力残疾，申请评定", "残疾人证换证" } },
    { "elderly-allowance", { "年满80周岁，申请高龄津贴", "高龄津贴发放账户变更", "补办高龄津贴" } },
    { "medical-assistance", { "住院费用高，申请医疗救助", "大病医疗救助申请", "慢性病门诊救助" } },
    { "temporary-assistance", { "家中失火，申请临时救助", "突发疾病，生活困难", "家庭主要劳动力意外受伤" } },
    { "dispute-mediation", { "楼上漏水，邻里纠纷", "噪音扰民，请求调解", "楼道堆物引起争执" } },
    { "elderly-meal-delivery", { "独居老人，每日午餐送餐", "行动不便，需要送餐上门", "老人术后需要助餐" } },
    { "elderly-home-care", { "独居老人需要上门照料", "失能老人日间陪护", "老人洗浴助浴服务" } },
    { "housekeeping", { "家庭保洁服务", "老人家中大扫除", "换季衣物整理清洗" } },
    { "appliance-repair", { "冰箱不制冷", "洗衣机漏水", "电视无信号" } },
    { "plumbing-electrical-repair", { "水管爆裂", "电路跳闸，家中停电", "下水道堵塞" } },
    { "party-membership-transfer", { "工作调动，转入组织关系", "退休人员组织关系转入社区", "毕业生党员组织关系转接" } },
};
static const char *const default_descriptions[] = { "居民来电咨询并申请办理", "窗口受理，材料齐全", "协助办理相关手续" };

static const char *const matter_topics[][2] = {
    { "小区停车位不足，车辆乱停乱放", "划定临时停车位，物业负责管理，业委会监督" },
    { "楼道照明损坏", "物业一周内修复，社区跟踪" },
    { "小区绿化带被占用种菜", "社区劝导恢复绿化，党员志愿者参与" },
    { "老旧小区加装电梯意见征集", "成立加装电梯协调小组，逐户征求意见" },
    { "垃圾分类投放点设置", "增设两处分类投放点，志愿者值守指导" },
    { "小区安全防范，外来人员管理", "完善门岗登记，增设监控" },
    { "文化广场噪音扰民", "规定广场舞时间和音量，居民公约公示" },
    { "独居老人关爱", "党员结对走访，每周至少一次" },
};

static const char *const providers[] = {
    "社区老年食堂", "阳光家政服务中心", "海尔售后四方服务站", "四方区便民维修队", "和事佬调解志愿服务队",
    "365党员工作室志愿服务队", "居家养老服务中心",
};

/* Why a case runs past its time limit: what the case worker notes when the
 * case waits on someone else. */
/* Answers the window gives on the spot (直接答复). */
static const char *const direct_answers[] = {
    "社保卡补办在区政务服务中心二楼，携带身份证即可当场办理",
    "医保异地备案可在\"爱山东\"APP自助办理，已指导居民操作",
    "老年优待证在社区服务站即可申领，已告知所需材料",
    "居住证办理需到辖区派出所，已告知办公时间和材料",
    "高龄补贴每年一月集中认证，已告知认证方式",
};

static const char *const late_stories[] = {
    "申请人外出务工，补充材料需待其返回后提交",
    "需物业与供水公司配合停水检修，已约定施工时间",
    "涉及楼上住户，多次上门未遇，已留联系单",
    "所需配件缺货，已向厂家订购，待到货后上门",
    "需区民政局复核家庭收入，等待核对结果",
    "当事双方意见分歧，已约定再次调解",
};

/* --- the pipelined sender ------------------------------------------------------- */

struct loader_t;
typedef struct loader_t loader_t;

/* One request of a phase: sends job (building its message) and takes its
 * reply. */
typedef struct {
    const char *name;
    const char *method;
    const ProtobufCMessageDescriptor *reply;
    size_t n_jobs;
    size_t *jobs;                   /* case (or meeting) indexes */
    int (*send)(loader_t *self, size_t job, const char *request_id);
    void (*take)(loader_t *self, size_t job, const ProtobufCMessage *reply);
    size_t done, failed;
} phase_t;

typedef struct {
    bool used, waiting;
    size_t job_index;               /* into phase->jobs */
    int attempts;
    int64_t due_ms;
} slot_t;

struct loader_t {
    sf_client_t *intake;
    uint64_t seed;
    char day[9];                    /* the timeline's today, YYYYMMDD: another day, other cases */
    int64_t end_ms;                 /* the history's end: nothing is dated later */
    int window;
    int timeout_ms;
    slot_t *slots;
    long *slot_of;                  /* job index -> slot, -1 when not in flight */
    int in_flight;
    phase_t *phase;
    world_t *world;
    demo_case_t *cases;
    size_t n_cases;
    demo_meeting_t *meetings;
    size_t n_meetings;
    size_t failures_shown;
    bool tty;
};

static void
request_id_of(loader_t *self, size_t job_index, char *out, size_t size)
{
    snprintf(out, size, "demo-intake-%llu-%s-%s-%zu", (unsigned long long) self->seed, self->day,
             self->phase->name, self->phase->jobs[job_index]);
}

static void
slot_send(loader_t *self, int s)
{
    slot_t *slot = &self->slots[s];
    char id[128];
    request_id_of(self, slot->job_index, id, sizeof id);
    slot->attempts++;
    slot->waiting = self->phase->send(self, self->phase->jobs[slot->job_index], id) == 0;
    slot->due_ms = sf_clock_ms() + (slot->waiting ? self->timeout_ms : 200);
}

static void
slot_release(loader_t *self, int s)
{
    self->slot_of[self->slots[s].job_index] = -1;
    self->slots[s].used = false;
    self->in_flight--;
}

static void
fail(loader_t *self, int s, const char *why)
{
    phase_t *phase = self->phase;
    phase->failed++;
    if (self->failures_shown++ < FAILURES_SHOWN) {
        char id[128];
        request_id_of(self, self->slots[s].job_index, id, sizeof id);
        fprintf(stderr, "%s%s %s failed: %s\n", self->tty ? "\r\033[K" : "", phase->method, id, why);
    }
    slot_release(self, s);
}

static bool
retryable(sf_status_t status)
{
    return status == SF_UNAVAILABLE || status == SF_DEADLINE_EXCEEDED || status == SF_RESOURCE_EXHAUSTED
        || status == SF_ABORTED;
}

static void
take_reply(loader_t *self, const sf_reply_info_t *info, const void *body, size_t size)
{
    const char *dash = info->request_id ? strrchr(info->request_id, '-') : NULL;
    if (!dash)
        return;
    size_t job = (size_t) strtoull(dash + 1, NULL, 10);
    /* The job's index in the phase: jobs are in order, find it by search. */
    size_t lo = 0, hi = self->phase->n_jobs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (self->phase->jobs[mid] < job)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= self->phase->n_jobs || self->phase->jobs[lo] != job || self->slot_of[lo] < 0)
        return;                     /* a late reply to a resent request */
    char expected[128];
    request_id_of(self, lo, expected, sizeof expected);
    if (strcmp(expected, info->request_id) != 0)
        return;
    int s = (int) self->slot_of[lo];
    if (info->status == SF_OK) {
        ProtobufCMessage *reply = protobuf_c_message_unpack(self->phase->reply, NULL, size, body);
        if (!reply) {
            fail(self, s, "reply does not decode");
            return;
        }
        self->phase->take(self, job, reply);
        protobuf_c_message_free_unpacked(reply, NULL);
        self->phase->done++;
        slot_release(self, s);
        return;
    }
    if (retryable(info->status) && self->slots[s].attempts < MAX_ATTEMPTS) {
        self->slots[s].waiting = false;
        self->slots[s].due_ms = sf_clock_ms() + 200LL * self->slots[s].attempts;
        return;
    }
    char why[512];
    sf_text_format(why, sizeof why, "%s: %s%s%s", sf_status_name(info->status), info->message ? info->message : "",
             info->n_violations ? " at " : "", info->n_violations ? info->violation_fields[0] : "");
    fail(self, s, why);
}

static void
show_progress(loader_t *self, int64_t started, bool final)
{
    static int64_t next_ms;
    int64_t now = sf_clock_ms();
    if (!final && now < next_ms)
        return;
    next_ms = now + (self->tty ? 250 : 2000);
    phase_t *phase = self->phase;
    double seconds = (double) (now - started) / 1000.0;
    fprintf(stderr, "%s%s %zu/%zu %.0f/s", self->tty ? "\r\033[K" : "", phase->name, phase->done + phase->failed,
            phase->n_jobs, seconds > 0 ? (double) (phase->done + phase->failed) / seconds : 0.0);
    if (phase->failed)
        fprintf(stderr, " (%zu failed)", phase->failed);
    if (!self->tty || final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Sends every job of the phase, a window at a time, until all are settled. */
static void
run_phase(loader_t *self, phase_t *phase)
{
    self->phase = phase;
    phase->done = phase->failed = 0;
    free(self->slot_of);
    self->slot_of = malloc((phase->n_jobs + 1) * sizeof *self->slot_of);
    if (!self->slot_of)
        abort();
    for (size_t i = 0; i < phase->n_jobs; i++)
        self->slot_of[i] = -1;
    int64_t started = sf_clock_ms();
    size_t next = 0;
    while (next < phase->n_jobs || self->in_flight > 0) {
        for (int s = 0; s < self->window && next < phase->n_jobs; s++) {
            if (self->slots[s].used)
                continue;
            self->slots[s] = (slot_t) { .used = true, .job_index = next };
            self->slot_of[next++] = s;
            self->in_flight++;
            slot_send(self, s);
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(self->intake, 20, &body, &size, &info);
        for (int n = 0; got == 1 && n < 4096; n++) {
            take_reply(self, &info, body, size);
            free(body);
            body = NULL;
            got = sf_client_recv(self->intake, 0, &body, &size, &info);
        }
        free(body);
        int64_t now = sf_clock_ms();
        for (int s = 0; s < self->window; s++) {
            slot_t *slot = &self->slots[s];
            if (!slot->used || slot->due_ms > now)
                continue;
            if (slot->attempts >= MAX_ATTEMPTS)
                fail(self, s, "no reply after every attempt");
            else
                slot_send(self, s);
        }
        show_progress(self, started, false);
    }
    show_progress(self, started, true);
}

/* --- reading grid and intake ------------------------------------------------------ */

static bool
wait_up(sf_client_t *client, int wait_s, const char *what)
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
    fprintf(stderr, "%s did not answer with its database up within %d s\n", what, wait_s);
    return false;
}

static int
compare_zone(const void *a, const void *b)
{
    return strcmp(((const zone_t *) a)->code, ((const zone_t *) b)->code);
}

static zone_t *
find_zone(world_t *world, const char *code)
{
    zone_t key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return bsearch(&key, world->zones, world->n_zones, sizeof *world->zones, compare_zone);
}

/* Pages through a grid list; page_fn takes each reply. false on failure. */
typedef bool (*page_fn)(world_t *world, const ProtobufCMessage *reply, const char **next_token);

static bool
list_all(sf_client_t *grid, world_t *world, const char *method, ProtobufCMessage *request,
         Sifang__V1__PageRequest *page, const ProtobufCMessageDescriptor *reply_descriptor, page_fn fn)
{
    char token[256] = "";
    for (int n = 0; n < 100000; n++) {
        page->page_size = 1000;
        page->page_token = token;
        ProtobufCMessage *reply = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(grid, method, NULL, request, reply_descriptor, &reply, &info);
        if (status != SF_OK) {
            fprintf(stderr, "grid %s: %s: %s\n", method, sf_status_name(status), info.message ? info.message : "");
            return false;
        }
        const char *next = "";
        bool ok = fn(world, reply, &next);
        snprintf(token, sizeof token, "%s", next);
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!ok)
            return false;
        if (!token[0])
            return true;
    }
    return false;
}

static bool
take_households(world_t *world, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__HouseholdListReply *reply = (const Sifang__V1__HouseholdListReply *) message;
    household_t *grown = realloc(world->households, (world->n_households + reply->n_households) * sizeof *grown);
    if (!grown)
        return false;
    world->households = grown;
    for (size_t i = 0; i < reply->n_households; i++) {
        household_t *h = &world->households[world->n_households++];
        memset(h, 0, sizeof *h);
        snprintf(h->code, sizeof h->code, "%s", reply->households[i]->code);
        snprintf(h->zone, sizeof h->zone, "%.*s", (int) sf_code_ancestor(reply->households[i]->code, 14),
                 reply->households[i]->code);
        for (size_t f = 0; f < reply->households[i]->n_flags; f++)
            h->flags |= 1u << reply->households[i]->flags[f];
    }
    *next = reply->next_page_token;
    return true;
}

static bool
take_zones(world_t *world, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__UnitListReply *reply = (const Sifang__V1__UnitListReply *) message;
    zone_t *grown = realloc(world->zones, (world->n_zones + reply->n_units) * sizeof *grown);
    if (!grown)
        return false;
    world->zones = grown;
    for (size_t i = 0; i < reply->n_units; i++) {
        zone_t *z = &world->zones[world->n_zones++];
        memset(z, 0, sizeof *z);
        snprintf(z->code, sizeof z->code, "%s", reply->units[i]->code);
    }
    *next = reply->next_page_token;
    return true;
}

static bool
take_communities(world_t *world, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__UnitListReply *reply = (const Sifang__V1__UnitListReply *) message;
    community_t *grown = realloc(world->communities, (world->n_communities + reply->n_units) * sizeof *grown);
    if (!grown)
        return false;
    world->communities = grown;
    for (size_t i = 0; i < reply->n_units; i++) {
        community_t *c = &world->communities[world->n_communities++];
        memset(c, 0, sizeof *c);
        snprintf(c->code, sizeof c->code, "%s", reply->units[i]->code);
        snprintf(c->name, sizeof c->name, "%s", reply->units[i]->name);
    }
    *next = reply->next_page_token;
    return true;
}

/* The community of a code (a community's, or a zone's or household's
 * under it); NULL for a street's or one not read. */
static community_t *
community_named(world_t *world, const char *code)
{
    for (size_t i = 0; i < world->n_communities; i++)
        if (strncmp(world->communities[i].code, code, 12) == 0 && strlen(code) >= 12)
            return &world->communities[i];
    return NULL;
}

static bool
take_responsibilities(world_t *world, const ProtobufCMessage *message, const char **next)
{
    const Sifang__V1__ResponsibilityListReply *reply = (const Sifang__V1__ResponsibilityListReply *) message;
    for (size_t i = 0; i < reply->n_responsibilities; i++) {
        const Sifang__V1__Responsibility *r = reply->responsibilities[i];
        if (r->kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE) {
            zone_t *zone = find_zone(world, r->unit_code);
            if (zone)
                snprintf(zone->staff, sizeof zone->staff, "%s", r->staff_id);
        } else if (r->kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_UNIT_HEAD
                   || r->kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_UNIT_REVIEWER) {
            community_t *community = community_named(world, r->unit_code);
            if (community)
                snprintf(r->kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_UNIT_HEAD
                         ? community->head : community->reviewer, 16, "%s", r->staff_id);
        } else if (r->kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE) {
            char (*grown)[16] = realloc(world->cadres, (world->n_cadres + 1) * sizeof *grown);
            if (!grown)
                return false;
            world->cadres = grown;
            snprintf(world->cadres[world->n_cadres++], 16, "%s", r->staff_id);
        }
    }
    *next = reply->next_page_token;
    return true;
}

static bool
read_grid(sf_client_t *grid, world_t *world)
{
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    Sifang__V1__UnitListRequest units = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
    units.under = "";
    units.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
    units.page = &page;
    if (!list_all(grid, world, "UnitList", &units.base, &page, &sifang__v1__unit_list_reply__descriptor, take_zones))
        return false;
    units.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    if (!list_all(grid, world, "UnitList", &units.base, &page, &sifang__v1__unit_list_reply__descriptor,
                  take_communities))
        return false;
    qsort(world->zones, world->n_zones, sizeof *world->zones, compare_zone);
    Sifang__V1__ResponsibilityListRequest responsibilities = SIFANG__V1__RESPONSIBILITY_LIST_REQUEST__INIT;
    responsibilities.page = &page;
    if (!list_all(grid, world, "ResponsibilityList", &responsibilities.base, &page,
                  &sifang__v1__responsibility_list_reply__descriptor, take_responsibilities))
        return false;
    Sifang__V1__HouseholdListRequest households = SIFANG__V1__HOUSEHOLD_LIST_REQUEST__INIT;
    households.page = &page;
    if (!list_all(grid, world, "HouseholdList", &households.base, &page, &sifang__v1__household_list_reply__descriptor,
                  take_households))
        return false;
    /* Each community's zones (codes sort under it) and a committee member. */
    for (size_t c = 0; c < world->n_communities; c++) {
        community_t *community = &world->communities[c];
        size_t length = strlen(community->code);
        community->first_zone = world->n_zones;
        for (size_t z = 0; z < world->n_zones; z++)
            if (strncmp(world->zones[z].code, community->code, length) == 0) {
                if (community->first_zone == world->n_zones)
                    community->first_zone = z;
                community->n_zones++;
                if (!community->staff[0] && world->zones[z].staff[0])
                    snprintf(community->staff, sizeof community->staff, "%s", world->zones[z].staff);
            }
    }
    return world->n_households > 0 && world->n_zones > 0 && world->n_communities > 0;
}

static bool
read_intake(sf_client_t *intake, world_t *world, int32_t first_day, int32_t last_day)
{
    Sifang__V1__ItemListRequest items = SIFANG__V1__ITEM_LIST_REQUEST__INIT;
    Sifang__V1__ItemListReply *listed = NULL;
    sf_reply_info_t info;
    if (sf_client_call(intake, "ItemList", NULL, &items.base, &sifang__v1__item_list_reply__descriptor,
                       (ProtobufCMessage **) &listed, &info) != SF_OK) {
        fprintf(stderr, "intake ItemList: %s\n", info.message ? info.message : "");
        return false;
    }
    world->items = calloc(listed->n_items, sizeof *world->items);
    for (size_t i = 0; world->items && i < listed->n_items; i++) {
        const Sifang__V1__ServiceItem *from = listed->items[i];
        item_t *item = &world->items[world->n_items++];
        snprintf(item->code, sizeof item->code, "%s", from->code);
        item->category = from->category;
        item->routing = from->routing;
        item->limit = from->time_limit;
        item->unit = from->time_limit_unit;
        item->enterprise = from->enterprise;
        /* What a community station sees most: certifications, allowances,
         * repairs and meals; party affairs and the rest less. */
        item->weight = from->enterprise ? 0
                     : from->category == SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE ? 2.4
                     : from->category == SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_PARTY ? 0.8 : 1.7;
        if (strcmp(from->code, "community-affairs") == 0)
            item->weight = 0.3;
        /* A registration takes its person's data (the ID number among
         * them): sifang-intake-demo-registrations registers those. */
        if (from->registration)
            item->weight = 0;
    }
    protobuf_c_message_free_unpacked(&listed->base, NULL);
    if (!world->items)
        return false;

    /* The calendar in pieces (a call covers at most 366 days), past the
     * end of the history too: cases still open fall due after it. */
    world->working_days = calloc((size_t) (last_day - first_day + 1), sizeof *world->working_days);
    if (!world->working_days)
        return false;
    for (int32_t from = first_day; from <= last_day; from += 300) {
        int32_t to = from + 299 < last_day ? from + 299 : last_day;
        char from_text[11], to_text[11];
        sf_date_format(from, from_text);
        sf_date_format(to, to_text);
        Sifang__V1__IntakeCalendarListRequest calendar = SIFANG__V1__INTAKE_CALENDAR_LIST_REQUEST__INIT;
        calendar.from = from_text;
        calendar.to = to_text;
        Sifang__V1__IntakeCalendarListReply *days = NULL;
        if (sf_client_call(intake, "CalendarList", NULL, &calendar.base,
                           &sifang__v1__intake_calendar_list_reply__descriptor, (ProtobufCMessage **) &days,
                           &info) != SF_OK) {
            fprintf(stderr, "intake CalendarList: %s\n", info.message ? info.message : "");
            return false;
        }
        for (size_t i = 0; i < days->n_days; i++) {
            int32_t day;
            if (days->days[i]->working && sf_date_parse(days->days[i]->date, &day) && day >= from && day <= to
                && world->n_working_days < (size_t) (last_day - first_day + 1))
                world->working_days[world->n_working_days++] = demo_day_start_ms(day);
        }
        protobuf_c_message_free_unpacked(&days->base, NULL);
    }
    return world->n_working_days > 0;
}

/* Waits until intake's copy of grid has caught up with grid's event log. */
static bool
wait_for_copy(sf_client_t *grid, sf_client_t *intake, int wait_s)
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
        fprintf(stderr, "\rintake's copy of grid: event %lld of %lld", (long long) cursor, (long long) head);
        if (cursor >= head) {
            fputc('\n', stderr);
            return true;
        }
        if (sf_clock_ms() > until) {
            fprintf(stderr, "\nintake's copy of grid did not catch up within %d s (is SIFANG_INTAKE_FOLLOW_GRID on,"
                    " and intake pointed at this grid?)\n", wait_s);
            return false;
        }
        sleep(1);
    }
}

/* --- generating ---------------------------------------------------------------------- */

/* A random item by weight, for a resident. */
static const item_t *
pick_item(demo_stream_t *rng, const world_t *world)
{
    double total = 0;
    for (size_t i = 0; i < world->n_items; i++)
        total += world->items[i].weight;
    double at = demo_stream_unit(rng) * total;
    for (size_t i = 0; i < world->n_items; i++) {
        at -= world->items[i].weight;
        if (at < 0 && world->items[i].weight > 0)
            return &world->items[i];
    }
    return &world->items[0];
}

static const item_t *
item_named(const world_t *world, const char *code)
{
    for (size_t i = 0; i < world->n_items; i++)
        if (strcmp(world->items[i].code, code) == 0)
            return &world->items[i];
    return NULL;
}

/* A household that suits the item: the elderly alone for meals and care,
 * low income for allowances, the disabled, the laid off. */
static const household_t *
pick_household(demo_stream_t *rng, const world_t *world, const item_t *item)
{
    int flag = 0;
    if (strstr(item->code, "elderly") || strcmp(item->code, "pension-certification") == 0)
        flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE;
    else if (strstr(item->code, "low-income") || strstr(item->code, "assistance") || strstr(item->code, "housing"))
        flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME;
    else if (strstr(item->code, "disability"))
        flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_DISABLED;
    else if (strstr(item->code, "employment") || strstr(item->code, "unemployment"))
        flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF;
    if (flag && demo_stream_unit(rng) < 0.7)
        for (int tries = 0; tries < 400; tries++) {
            const household_t *h = &world->households[demo_stream_below(rng, (int) world->n_households)];
            if (h->flags & (1u << flag))
                return h;
        }
    return &world->households[demo_stream_below(rng, (int) world->n_households)];
}

static Sifang__V1__CaseChannel
pick_channel(demo_stream_t *rng, const item_t *item)
{
    double r = demo_stream_unit(rng);
    if (item->category == SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE)
        return r < 0.35 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_HOTLINE
             : r < 0.65 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_ONE_KEY_CALL
             : r < 0.85 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW
             : r < 0.93 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WEBSITE
             : SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_PARTY_MEMBER_CARD;
    if (item->category == SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_PARTY)
        return r < 0.5 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW
             : r < 0.75 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_PARTY_MEMBER_CARD
             : r < 0.9 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WEBSITE : SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_EMAIL;
    return r < 0.62 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW
         : r < 0.82 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_HOTLINE
         : r < 0.92 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WEBSITE
         : r < 0.96 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_EMAIL : SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_RESIDENT_COUNCIL;
}

static const char *
pick_description(demo_stream_t *rng, const item_t *item)
{
    for (size_t i = 0; i < sizeof descriptions / sizeof *descriptions; i++)
        if (strcmp(descriptions[i].item, item->code) == 0)
            return descriptions[i].texts[demo_stream_below(rng, 3)];
    return default_descriptions[demo_stream_below(rng, 3)];
}

/* The working day index at or after a time. */
static size_t
working_day_at(const world_t *world, int64_t ms)
{
    size_t lo = 0, hi = world->n_working_days;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (world->working_days[mid] + DAY_MS <= ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A time within office hours (8:30-17:30 Qingdao) on a working day. */
static int64_t
office_time(demo_stream_t *rng, int64_t day_ms)
{
    return day_ms + 8 * HOUR_MS + 30 * MINUTE_MS + (int64_t) demo_stream_below(rng, 9 * 60) * MINUTE_MS;
}

/* When the case is resolved: mostly well within its limit, now and then
 * late (the zero-backlog rule is a goal, not a given). */
static int64_t
resolve_time(demo_stream_t *rng, const world_t *world, const demo_case_t *c, bool late)
{
    const item_t *item = c->item;
    if (item->unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_HOURS) {
        double share = late ? 1.1 + demo_stream_unit(rng) * 1.4 : 0.2 + demo_stream_unit(rng) * 0.7;
        return c->received_ms + (int64_t) (share * (double) item->limit * HOUR_MS);
    }
    size_t day = working_day_at(world, c->received_ms);
    /* Late: one to eight working days past the limit (a part on order, an
     * applicant away). */
    int span = late ? item->limit + 1 + demo_stream_below(rng, 8) : 1 + demo_stream_below(rng, item->limit > 1 ? item->limit : 1);
    size_t at = day + (size_t) span;
    if (at >= world->n_working_days)
        at = world->n_working_days - 1;
    int64_t when = office_time(rng, world->working_days[at]);
    return when > c->received_ms + HOUR_MS ? when : c->received_ms + HOUR_MS;
}

/* An 18-character unified social credit code with its check character. */
static void
credit_code(demo_stream_t *rng, char out[19])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
    const char *prefix = "91370205";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        char c = i < 8 ? prefix[i] : alphabet[demo_stream_below(rng, i < 16 ? 10 : 31)];
        out[i] = c;
        sum += (int) (strchr(alphabet, c) - alphabet) * weights[i];
    }
    out[17] = alphabet[(31 - sum % 31) % 31];
    out[18] = 0;
}

/* When intake will say the case falls due (intake_ref_due's rule): hours
 * from receipt, or the end of the limit-th working day after the day of
 * receipt (a case received on a day off counts from the next working day).
 * INT64_MAX past the calendar read. */
static int64_t
due_of(const world_t *world, const demo_case_t *c)
{
    const item_t *item = c->item;
    if (item->unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_HOURS)
        return c->received_ms + (int64_t) item->limit * HOUR_MS;
    size_t day = working_day_at(world, c->received_ms);
    bool working = day < world->n_working_days && world->working_days[day] <= c->received_ms;
    size_t at = day + (size_t) (item->limit > 0 ? item->limit : 1) - (working ? 0 : 1);
    return at < world->n_working_days ? world->working_days[at] + DAY_MS : INT64_MAX;
}

/* A case's lifecycle up to end_ms (the start of today: the history ends
 * with yesterday). Most are resolved well within their limit and closed by
 * the return visit one to three working days later; 3 % run late, each with
 * its story. Of the cases still open, a district that keeps its limits
 * finishes those that would fall due today before the day starts, so the
 * open cases past due are the late ones alone: a few per cent. */
static void
outcome_for(demo_stream_t *rng, const world_t *world, demo_case_t *c, int64_t end_ms)
{
    double r = demo_stream_unit(rng);
    bool late = demo_stream_unit(rng) < 0.03;
    c->start_ms = c->received_ms + 10 * MINUTE_MS + (int64_t) demo_stream_below(rng, 130) * MINUTE_MS;
    c->resolve_ms = resolve_time(rng, world, c, late);
    if (c->resolve_ms <= c->start_ms)
        c->resolve_ms = c->start_ms + 30 * MINUTE_MS;
    size_t day = working_day_at(world, c->resolve_ms) + 1 + (size_t) demo_stream_below(rng, 3);
    c->close_ms = day < world->n_working_days ? office_time(rng, world->working_days[day]) : end_ms + DAY_MS;
    if (c->close_ms <= c->resolve_ms)
        c->close_ms = c->resolve_ms + HOUR_MS;
    double s = demo_stream_unit(rng);
    c->satisfaction = s < 0.82 ? 5 : s < 0.96 ? 4 : s < 0.99 ? 3 : s < 0.997 ? 2 : 1;
    size_t story = (size_t) demo_stream_below(rng, (int) (sizeof late_stories / sizeof *late_stories));
    if (late)
        c->story = late_stories[story];
    if (r < 0.03)
        c->outcome = OUTCOME_REJECTED;
    else if (r < 0.04 && c->item->routing != SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER)
        c->outcome = OUTCOME_TRANSFERRED;
    else if (c->close_ms <= end_ms)
        c->outcome = OUTCOME_CLOSED;
    else if (c->resolve_ms <= end_ms)
        c->outcome = OUTCOME_RESOLVED;
    else if (!late && due_of(world, c) < end_ms + DAY_MS) {
        /* Due by tonight: resolved on one of the last working days before
         * today, its return visit still to come. */
        if (c->start_ms >= end_ms)
            c->start_ms = c->received_ms + (end_ms - c->received_ms) / 4;
        size_t last = world->n_past_days - 1 - (size_t) demo_stream_below(rng, world->n_past_days > 2 ? 3 : 1);
        c->resolve_ms = office_time(rng, world->working_days[last]);
        if (c->resolve_ms <= c->start_ms || c->resolve_ms >= end_ms)
            c->resolve_ms = c->start_ms + (end_ms - c->start_ms) / 2;
        c->outcome = OUTCOME_RESOLVED;
    } else if (c->start_ms < end_ms)
        c->outcome = OUTCOME_OPEN_STARTED;
    else
        c->outcome = OUTCOME_OPEN_ASSIGNED;
}

/* The work-order rules a case goes through, drawn after its outcome: its
 * type (a policy question is a consultation, most of them answered on the
 * spot), when its assignee signs for it (before the work starts: most within
 * the 30 working minutes, some late), and for a few of those in hand a
 * send-back (one in three twice: a no-owner case), an extension asked when
 * the work starts of a case that runs late, a part co-handled by the street
 * office, and a complaint's reply reviewed before the return visit. */
static void
plan_rules(demo_stream_t *rng, const world_t *world, demo_case_t *c, int64_t end_ms)
{
    bool question = strcmp(c->item->code, "policy-consultation") == 0;
    double t = demo_stream_unit(rng);
    /* A meeting's matter is registered as a request for help. */
    c->type = question ? SIFANG__V1__CASE_TYPE__CASE_TYPE_CONSULTATION
            : c->meeting ? SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP
            : t < 0.10 ? SIFANG__V1__CASE_TYPE__CASE_TYPE_COMPLAINT
            : t < 0.15 ? SIFANG__V1__CASE_TYPE__CASE_TYPE_SUGGESTION : SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP;
    double a = demo_stream_unit(rng), b = demo_stream_unit(rng), d = demo_stream_unit(rng);
    int answer = demo_stream_below(rng, (int) (sizeof direct_answers / sizeof *direct_answers));
    if (question && !c->meeting && c->requester_kind == SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT
        && a < 0.7) {
        c->direct_answer = direct_answers[answer];
        c->outcome = OUTCOME_DIRECT;
        return;
    }
    if (c->outcome == OUTCOME_REJECTED || c->outcome == OUTCOME_TRANSFERRED)
        return;
    bool in_hand = c->outcome == OUTCOME_CLOSED || c->outcome == OUTCOME_RESOLVED || c->outcome == OUTCOME_OPEN_STARTED;
    int64_t start_offset = c->start_ms - c->received_ms;
    int64_t sign_ms = c->received_ms + 6 * MINUTE_MS
                    + (int64_t) demo_stream_below(rng, (int) ((start_offset - 7 * MINUTE_MS) / MINUTE_MS)) * MINUTE_MS;
    if (sign_ms < end_ms)
        c->sign_ms = sign_ms;
    if (!in_hand || c->provider)
        return;
    /* Of the cases that fit each rule, a steady share in the order they
     * come (the same seed, the same cases): every 30th fitting case is sent
     * back twice, two more of the 30 once; every 12th fitting case has a part
     * co-handled; the late ones and every 40th other fitting case ask for an
     * extension. */
    static size_t fit_send_back, fit_cohandled, fit_extension;
    (void) b;
    (void) d;
    /* Sent back before it was signed; re-routed at +30 minutes, sent back
     * again at +45 and assigned by the street at +60; signed after. */
    if (start_offset >= 100 * MINUTE_MS) {
        size_t n = fit_send_back++ % 30;
        c->send_backs = n == 0 ? 2 : n == 10 || n == 20 ? 1 : 0;
        if (c->send_backs)
            c->sign_ms = c->received_ms + (c->send_backs == 2 ? 62 : 32) * MINUTE_MS;
    }
    /* Every step is imported at a past time, and a case still open may be
     * planned to resolve after today began: the extension's decision (+61
     * minutes) and the co-handler's answer (+1 day) must fall before end_ms
     * too, or intake refuses them as not yet past (an evening load in UTC is
     * already the next day in the district). */
    int64_t due = due_of(world, c);
    if (c->start_ms + 2 * HOUR_MS < due && c->resolve_ms > c->start_ms + 2 * HOUR_MS
        && c->start_ms + 2 * HOUR_MS < end_ms)
        c->extension = c->story || fit_extension++ % 40 == 0;
    if (due - c->start_ms > 8 * DAY_MS && c->resolve_ms > c->start_ms + DAY_MS + 2 * HOUR_MS
        && c->start_ms + DAY_MS + 2 * HOUR_MS < end_ms)
        c->cohandled = fit_cohandled++ % 12 == 0;
    c->reviewed = c->type == SIFANG__V1__CASE_TYPE__CASE_TYPE_COMPLAINT
               && (c->outcome == OUTCOME_CLOSED || c->resolve_ms + 30 * MINUTE_MS < end_ms);
}

/* A community's meetings: one a month in the third week, from the month the
 * history starts in to the current one, those that were held by end_ms. */
static size_t
plan_meetings(demo_stream_t *rng, world_t *world, const demo_timeline_t *timeline, int64_t start_ms, int64_t end_ms,
              demo_meeting_t *meetings, size_t *matters_p)
{
    int year, month, mday;
    sf_civil_from_days(timeline->first_day, &year, &month, &mday);
    size_t n = 0, matters = 0;
    for (int k = 0; k < 13; k++) {
        int y = year + (month - 1 + k) / 12, m = (month - 1 + k) % 12 + 1;
        int64_t fifteenth = demo_day_start_ms(sf_days_from_civil(y, m, 15));
        for (size_t c = 0; c < world->n_communities; c++) {
            demo_meeting_t *meeting = &meetings[n];
            memset(meeting, 0, sizeof *meeting);
            meeting->community = &world->communities[c];
            meeting->kind = (Sifang__V1__MeetingKind) (1 + (k + (int) (c % 3)) % 3);
            size_t day = working_day_at(world, fifteenth) + (size_t) demo_stream_below(rng, 5);
            meeting->n_matters = 1 + demo_stream_below(rng, 3);
            for (int t = 0; t < meeting->n_matters; t++)
                meeting->matter_topic[t] = demo_stream_below(rng, (int) (sizeof matter_topics / sizeof *matter_topics));
            if (day >= world->n_working_days)
                continue;
            meeting->at_ms = world->working_days[day] + 15 * HOUR_MS;
            if (meeting->at_ms < start_ms || meeting->at_ms >= end_ms)
                continue;
            sf_date_format(demo_day_of_ms(meeting->at_ms), meeting->held_on);
            matters += (size_t) meeting->n_matters;
            n++;
        }
    }
    *matters_p = matters;
    return n;
}

static void
generate(demo_stream_t *rng, world_t *world, const demo_timeline_t *timeline, size_t n_cases, int64_t start_ms,
         int64_t end_ms, demo_case_t **cases_p, size_t *n_cases_p, demo_meeting_t **meetings_p,
         size_t *n_meetings_p)
{
    demo_meeting_t *meetings = calloc(world->n_communities * 13 + 1, sizeof *meetings);
    size_t matters = 0;
    size_t n_meetings = meetings ? plan_meetings(rng, world, timeline, start_ms, end_ms, meetings, &matters) : 0;
    size_t total = n_cases + matters;
    demo_case_t *cases = calloc(total + 1, sizeof *cases);
    if (!cases || !meetings) {
        fprintf(stderr, "out of memory\n");
        exit(EXIT_FAILED);
    }
    const item_t *hiring[] = { item_named(world, "enterprise-hiring"), item_named(world, "enterprise-customs-clearance"),
                               item_named(world, "enterprise-tax-refund") };
    /* Received times in order over the period: each case a working day
     * (window) or any day (calls), so the loads follow the calendar. */
    int64_t span = end_ms - start_ms;
    for (size_t i = 0; i < n_cases; i++) {
        demo_case_t *c = &cases[i];
        int64_t at = start_ms + (int64_t) ((double) span * (double) i / (double) n_cases);
        bool enterprise = hiring[0] && demo_stream_unit(rng) < 0.015;
        c->item = enterprise ? hiring[demo_stream_below(rng, 3)] : pick_item(rng, world);
        if (!c->item)
            c->item = pick_item(rng, world);
        c->channel = enterprise ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW : pick_channel(rng, c->item);
        bool calls = c->channel == SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_HOTLINE
                  || c->channel == SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_ONE_KEY_CALL;
        /* The window's last working day is the last before today. */
        size_t day = working_day_at(world, at);
        if (day >= world->n_past_days)
            day = world->n_past_days - 1;
        /* Calls come any day from 7:00 to 21:00; the window on working days. */
        int64_t midnight = demo_day_start_ms(demo_day_of_ms(at));
        c->received_ms = calls ? midnight + 7 * HOUR_MS + (int64_t) demo_stream_below(rng, 14 * 60) * MINUTE_MS
                               : office_time(rng, world->working_days[day]);
        if (enterprise) {
            c->requester_kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_ENTERPRISE;
            const community_t *community = &world->communities[demo_stream_below(rng, (int) world->n_communities)];
            snprintf(c->unit, sizeof c->unit, "%s", community->code);
            static const char *const trades[] = { "机械", "纺织", "食品", "电子", "物流", "橡胶" };
            snprintf(c->enterprise, sizeof c->enterprise, "青岛%s%s有限公司", surnames[demo_stream_below(rng, 20)],
                     trades[demo_stream_below(rng, 6)]);
            credit_code(rng, c->credit_code);
            c->responder = world->n_cadres ? world->cadres[demo_stream_below(rng, (int) world->n_cadres)]
                                           : community->staff;
            c->description = "企业联络员一站式服务：协调办理";
        } else {
            c->requester_kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
            c->household = pick_household(rng, world, c->item);
            zone_t *zone = find_zone(world, c->household->zone);
            c->responder = zone && zone->staff[0] ? zone->staff : "S-station";
            c->description = pick_description(rng, c->item);
        }
        snprintf(c->requester_name, sizeof c->requester_name, "%s%s", surnames[demo_stream_below(rng, 20)],
                 given[demo_stream_below(rng, 20)]);
        if (c->item->routing == SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER)
            c->provider = providers[demo_stream_below(rng, (int) (sizeof providers / sizeof *providers))];
        outcome_for(rng, world, c, end_ms);
        plan_rules(rng, world, c, end_ms);
    }
    /* The meetings' matters, followed as cases. */
    size_t at = n_cases;
    for (size_t m = 0; m < n_meetings; m++) {
        meetings[m].first_case = at;
        for (int k = 0; k < meetings[m].n_matters; k++) {
            demo_case_t *c = &cases[at++];
            c->item = item_named(world, "community-affairs");
            if (!c->item)
                c->item = pick_item(rng, world);
            c->meeting = m + 1;
            c->matter = (size_t) k;
            c->received_ms = meetings[m].at_ms;
            c->responder = meetings[m].community->staff[0] ? meetings[m].community->staff : "S-station";
            outcome_for(rng, world, c, end_ms);
            if (c->outcome == OUTCOME_TRANSFERRED || c->outcome == OUTCOME_REJECTED)
                c->outcome = c->close_ms <= end_ms ? OUTCOME_CLOSED : OUTCOME_OPEN_STARTED;
            plan_rules(rng, world, c, end_ms);
        }
    }
    *cases_p = cases;
    *n_cases_p = total;
    *meetings_p = meetings;
    *n_meetings_p = n_meetings;
}

/* --- the requests -------------------------------------------------------------- */

static Sifang__V1__CaseImport *
import_at(Sifang__V1__CaseImport *imported, int64_t at_ms, const char *actor)
{
    sifang__v1__case_import__init(imported);
    imported->at_unix_ms = at_ms;
    imported->actor_id = (char *) actor;
    return imported;
}

static Sifang__V1__CaseRef *
ref_of(Sifang__V1__CaseRef *ref, const demo_case_t *c)
{
    sifang__v1__case_ref__init(ref);
    ref->id = c->id;
    return ref;
}

static int
send_submit(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = c->requester_kind;
    requester.name = c->requester_name;
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    if (c->household)
        requester.household_code = (char *) c->household->code;
    else {
        requester.enterprise_name = c->enterprise;
        requester.enterprise_credit_code = c->credit_code;
        request.unit_code = c->unit;
    }
    request.channel = c->channel;
    request.item_code = (char *) c->item->code;
    request.requester = &requester;
    request.description = (char *) c->description;
    request.case_type = c->type;
    request.direct_answer = (char *) (c->direct_answer ? c->direct_answer : "");
    Sifang__V1__CaseImport imported;
    request.imported = import_at(&imported, c->received_ms, c->responder);
    return sf_client_send(self->intake, "CaseSubmit", request_id, &request.base);
}

static void
take_case(loader_t *self, size_t job, const ProtobufCMessage *reply)
{
    self->cases[job].id = ((const Sifang__V1__Case *) reply)->id;
}

static int
send_meeting(loader_t *self, size_t job, const char *request_id)
{
    demo_meeting_t *meeting = &self->meetings[job];
    Sifang__V1__MeetingAttendee attendees[5];
    Sifang__V1__MeetingAttendee *attendee_ptrs[5];
    static const struct { Sifang__V1__MeetingParty party; const char *name; } five[] = {
        { SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PARTY_ORGANISATION, "社区党委" },
        { SIFANG__V1__MEETING_PARTY__MEETING_PARTY_RESIDENTS_COMMITTEE, "社区居委会" },
        { SIFANG__V1__MEETING_PARTY__MEETING_PARTY_OWNERS_COMMITTEE, "业主委员会" },
        { SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PROPERTY_COMPANY, "物业服务企业" },
        { SIFANG__V1__MEETING_PARTY__MEETING_PARTY_RESIDENT_UNIT, "驻区单位" },
    };
    size_t n = 0;
    if (meeting->kind == SIFANG__V1__MEETING_KIND__MEETING_KIND_FIVE_PARTY) {
        for (; n < 5; n++) {
            sifang__v1__meeting_attendee__init(&attendees[n]);
            attendees[n].party = five[n].party;
            attendees[n].name = (char *) five[n].name;
            attendees[n].people = (int32_t) (n == 0 ? 2 : 1);
        }
    } else {
        sifang__v1__meeting_attendee__init(&attendees[n]);
        attendees[n].party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PARTY_ORGANISATION;
        attendees[n++].name = "社区党委";
        sifang__v1__meeting_attendee__init(&attendees[n]);
        attendees[n].party = meeting->kind == SIFANG__V1__MEETING_KIND__MEETING_KIND_RESIDENT_COUNCIL
            ? SIFANG__V1__MEETING_PARTY__MEETING_PARTY_RESIDENTS : SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PARTY_MEMBERS;
        attendees[n].name = meeting->kind == SIFANG__V1__MEETING_KIND__MEETING_KIND_RESIDENT_COUNCIL
            ? "居民代表" : "社区党员";
        attendees[n++].people = 12 + (int32_t) (job % 20);
    }
    for (size_t i = 0; i < n; i++)
        attendee_ptrs[i] = &attendees[i];
    Sifang__V1__MeetingMatter matters[3];
    Sifang__V1__MeetingMatter *matter_ptrs[3];
    for (int k = 0; k < meeting->n_matters; k++) {
        sifang__v1__meeting_matter__init(&matters[k]);
        matters[k].description = (char *) matter_topics[meeting->matter_topic[k]][0];
        matters[k].resolution = (char *) matter_topics[meeting->matter_topic[k]][1];
        const community_t *community = meeting->community;
        if (community->n_zones)
            matters[k].unit_code = self->world->zones[community->first_zone + (job + (size_t) k) % community->n_zones].code;
        matter_ptrs[k] = &matters[k];
    }
    static const char *const titles[] = { "", "居民议事会", "党员议事日", "五方联席会" };
    /* Intake takes 100 characters: the community's name gives up to 80 of
     * them. held_on is our own YYYY-MM-DD, so its month is 7 bytes exactly. */
    char title[400];
    const char *name = meeting->community->name;
    snprintf(title, sizeof title, "%.*s %.7s %s", (int) sf_utf8_prefix_chars(name, 80), name, meeting->held_on,
             titles[meeting->kind]);
    Sifang__V1__CommunityMeeting request = SIFANG__V1__COMMUNITY_MEETING__INIT;
    request.kind = meeting->kind;
    request.community_code = (char *) meeting->community->code;
    request.held_on = meeting->held_on;
    request.title = title;
    request.n_attendees = n;
    request.attendees = attendee_ptrs;
    request.n_matters = (size_t) meeting->n_matters;
    request.matters = matter_ptrs;
    Sifang__V1__CaseImport imported;
    request.imported = import_at(&imported, meeting->at_ms,
                                 meeting->community->staff[0] ? meeting->community->staff : "S-station");
    return sf_client_send(self->intake, "MeetingRecord", request_id, &request.base);
}

static void
take_meeting(loader_t *self, size_t job, const ProtobufCMessage *reply)
{
    const Sifang__V1__CommunityMeeting *meeting = (const Sifang__V1__CommunityMeeting *) reply;
    for (size_t k = 0; k < meeting->n_matters && k < (size_t) self->meetings[job].n_matters; k++)
        self->cases[self->meetings[job].first_case + k].id = meeting->matters[k]->case_id;
}

static void
take_nothing(loader_t *self, size_t job, const ProtobufCMessage *reply)
{
    (void) self;
    (void) job;
    (void) reply;
}

static int
send_dispatch(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseDispatchRequest request = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    bool team = strstr(c->provider, "队") != NULL;
    request.provider_kind = team ? SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_TEAM
                                 : SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS;
    request.provider_name = (char *) c->provider;
    request.imported = import_at(&imported, c->received_ms + 5 * MINUTE_MS, c->responder);
    return sf_client_send(self->intake, "CaseDispatch", request_id, &request.base);
}

static int
send_dispatch_accept(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseDispatchAnswerRequest request = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.accepted = true;
    request.note = (char *) (c->story ? c->story : "");
    request.imported = import_at(&imported, c->start_ms, c->responder);
    return sf_client_send(self->intake, "CaseDispatchAnswer", request_id, &request.base);
}

static int
send_start(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseStepRequest request = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    /* A case that will run late says why when its work starts. */
    request.note = (char *) (c->story ? c->story : "已联系申请人，开始办理");
    request.imported = import_at(&imported, c->start_ms, c->responder);
    return sf_client_send(self->intake, "CaseStart", request_id, &request.base);
}

static int
send_resolve(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    if (c->provider) {
        Sifang__V1__CaseDispatchAnswerRequest request = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
        request.ref = ref_of(&ref, c);
        request.completed = true;
        request.note = "服务完成";
        request.imported = import_at(&imported, c->resolve_ms, c->responder);
        return sf_client_send(self->intake, "CaseDispatchAnswer", request_id, &request.base);
    }
    Sifang__V1__CaseResolveRequest request = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.resolution = c->meeting ? "已按会议决议落实" : "已办结，结果已告知申请人";
    request.imported = import_at(&imported, c->resolve_ms, c->responder);
    return sf_client_send(self->intake, "CaseResolve", request_id, &request.base);
}

static int
send_close(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseCloseRequest request = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.satisfaction = c->satisfaction;
    request.note = c->satisfaction <= 2 ? "回访：居民认为办理时间过长" : "电话回访";
    request.imported = import_at(&imported, c->close_ms, c->responder);
    return sf_client_send(self->intake, "CaseClose", request_id, &request.base);
}

static int
send_end(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    int64_t at = c->received_ms + 2 * HOUR_MS;
    if (at >= self->end_ms)
        at = c->received_ms + (self->end_ms - c->received_ms) / 2;
    if (c->outcome == OUTCOME_TRANSFERRED) {
        Sifang__V1__CaseTransferRequest request = SIFANG__V1__CASE_TRANSFER_REQUEST__INIT;
        request.ref = ref_of(&ref, c);
        request.transferred_to = "青岛市12345政务服务热线";
        request.reason = "超出社区办理权限，转市级部门";
        request.imported = import_at(&imported, at, c->responder);
        return sf_client_send(self->intake, "CaseTransfer", request_id, &request.base);
    }
    Sifang__V1__CaseRejectRequest request = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.reason = "经核实不符合办理条件，已当面解释";
    request.imported = import_at(&imported, at, c->responder);
    return sf_client_send(self->intake, "CaseReject", request_id, &request.base);
}

/* --- the work-order rules' steps ------------------------------------------------ */

/* A street cadre other than who, for the steps the level above takes. */
static const char *
cadre_other_than(const loader_t *self, const demo_case_t *c, const char *who)
{
    const world_t *world = self->world;
    if (!world->n_cadres)
        return "S-station";
    size_t at = (size_t) (c - self->cases) % world->n_cadres;
    if (strcmp(world->cadres[at], who) == 0)
        at = (at + 1) % world->n_cadres;
    return world->cadres[at];
}

static int
send_sign(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseStepRequest request = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.note = "已签收";
    request.imported = import_at(&imported, c->sign_ms, c->responder);
    return sf_client_send(self->intake, "CaseSign", request_id, &request.base);
}

static int
send_back(loader_t *self, size_t job, const char *request_id, int64_t after_ms, const char *reason)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseSendBackRequest request = SIFANG__V1__CASE_SEND_BACK_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.reason = (char *) reason;
    request.imported = import_at(&imported, c->received_ms + after_ms, c->responder);
    return sf_client_send(self->intake, "CaseSendBack", request_id, &request.base);
}

static int
send_back_first(loader_t *self, size_t job, const char *request_id)
{
    return send_back(self, job, request_id, 15 * MINUTE_MS, "不属于本网格职责范围，请重新派单");
}

static int
send_back_second(loader_t *self, size_t job, const char *request_id)
{
    return send_back(self, job, request_id, 45 * MINUTE_MS, "涉及多个部门职责，无法确定承办单位");
}

static int
send_reassign(loader_t *self, size_t job, const char *request_id, int64_t after_ms, const char *actor,
              const char *note)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
    named.code = (char *) cadre_other_than(self, c, c->responder);
    Sifang__V1__CaseAssignRequest request = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.assignee = &named;
    request.note = (char *) note;
    request.imported = import_at(&imported, c->received_ms + after_ms, actor);
    return sf_client_send(self->intake, "CaseAssign", request_id, &request.base);
}

static int
send_reroute(loader_t *self, size_t job, const char *request_id)
{
    return send_reassign(self, job, request_id, 30 * MINUTE_MS, self->cases[job].responder, "重新派单");
}

static int
send_decision(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    return send_reassign(self, job, request_id, 60 * MINUTE_MS, cadre_other_than(self, c, c->responder),
                         "无头事项：街道研究决定交办");
}

static int
send_extension(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseExtensionAskRequest request = SIFANG__V1__CASE_EXTENSION_ASK_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.working_days = 5;
    request.reason = (char *) (c->story ? c->story : "需相关部门补充核实材料");
    request.imported = import_at(&imported, c->start_ms + MINUTE_MS, c->responder);
    return sf_client_send(self->intake, "CaseExtensionAsk", request_id, &request.base);
}

static int
send_extension_decision(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseExtensionDecideRequest request = SIFANG__V1__CASE_EXTENSION_DECIDE_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.approved = true;
    request.note = "同意延期，请按期办结";
    request.imported = import_at(&imported, c->start_ms + 61 * MINUTE_MS, cadre_other_than(self, c, c->responder));
    return sf_client_send(self->intake, "CaseExtensionDecide", request_id, &request.base);
}

static int
send_cohandler(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    char street[16];
    const char *place = c->household ? c->household->zone
                      : c->meeting ? self->meetings[c->meeting - 1].community->code : c->unit;
    snprintf(street, sizeof street, "%.9s", place);
    Sifang__V1__CaseAssignee co = SIFANG__V1__CASE_ASSIGNEE__INIT;
    co.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT;
    co.code = street;
    Sifang__V1__CaseCoHandlerAddRequest request = SIFANG__V1__CASE_CO_HANDLER_ADD_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.co_handler = &co;
    request.task = "协调街道城管、物业等力量现场核实处置";
    request.working_days = 2;
    request.imported = import_at(&imported, c->start_ms + 90 * MINUTE_MS, c->responder);
    return sf_client_send(self->intake, "CaseCoHandlerAdd", request_id, &request.base);
}

static int
send_cohandler_done(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseCoHandlerCompleteRequest request = SIFANG__V1__CASE_CO_HANDLER_COMPLETE_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.task_seq = 1;
    request.reply = "街道已派员现场核实，协办事项已完成";
    request.imported = import_at(&imported, c->start_ms + DAY_MS, cadre_other_than(self, c, c->responder));
    return sf_client_send(self->intake, "CaseCoHandlerComplete", request_id, &request.base);
}

/* Who signs a reply at 审核, as intake asks it: the station's reviewer grid
 * names (审核人), else its head when the reviewer wrote the reply; a street
 * cadre when grid names neither (a grid loaded without them). */
static const char *
reviewer_of(const loader_t *self, const demo_case_t *c)
{
    const community_t *station = community_named(self->world, c->household ? c->household->zone : c->unit);
    if (station && *station->reviewer && strcmp(station->reviewer, c->responder) != 0)
        return station->reviewer;
    if (station && *station->head && strcmp(station->head, c->responder) != 0)
        return station->head;
    return cadre_other_than(self, c, c->responder);
}

static int
send_review(loader_t *self, size_t job, const char *request_id)
{
    demo_case_t *c = &self->cases[job];
    Sifang__V1__CaseRef ref;
    Sifang__V1__CaseImport imported;
    Sifang__V1__CaseReviewRequest request = SIFANG__V1__CASE_REVIEW_REQUEST__INIT;
    request.ref = ref_of(&ref, c);
    request.approved = true;
    request.note = "答复内容属实，同意回访";
    request.imported = import_at(&imported, c->resolve_ms + 30 * MINUTE_MS, reviewer_of(self, c));
    return sf_client_send(self->intake, "CaseReview", request_id, &request.base);
}

/* --- main ------------------------------------------------------------------------ */

typedef bool (*wants_fn)(const demo_case_t *c);

static bool wants_dispatch(const demo_case_t *c)
{
    return c->id && c->provider && c->outcome != OUTCOME_REJECTED && c->outcome != OUTCOME_TRANSFERRED;
}
/* A case is marked started (开始办理) when it is still in hand or runs late
 * and notes why; the rest go from their handler to resolved, as most of a
 * station's quick cases do (and a step fewer each keeps the load short). */
static bool wants_start(const demo_case_t *c)
{
    return c->id && (c->outcome == OUTCOME_OPEN_STARTED || c->outcome == OUTCOME_CLOSED
                     || c->outcome == OUTCOME_RESOLVED);
}
static bool wants_sign(const demo_case_t *c) { return c->id && c->sign_ms; }
static bool wants_send_back(const demo_case_t *c) { return c->id && c->send_backs >= 1; }
static bool wants_second_send_back(const demo_case_t *c) { return c->id && c->send_backs == 2; }
static bool wants_extension(const demo_case_t *c) { return c->id && c->extension; }
static bool wants_cohandler(const demo_case_t *c) { return c->id && c->cohandled; }
static bool wants_review(const demo_case_t *c) { return c->id && c->reviewed; }
/* A provider accepts when the work starts: not yet for a case still waiting. */
static bool wants_answer(const demo_case_t *c)
{
    return wants_dispatch(c) && c->outcome != OUTCOME_OPEN_ASSIGNED;
}
static bool wants_resolve(const demo_case_t *c)
{
    return c->id && (c->outcome == OUTCOME_CLOSED || c->outcome == OUTCOME_RESOLVED);
}
static bool wants_close(const demo_case_t *c) { return c->id && c->outcome == OUTCOME_CLOSED; }
static bool wants_end(const demo_case_t *c)
{
    return c->id && (c->outcome == OUTCOME_REJECTED || c->outcome == OUTCOME_TRANSFERRED);
}

static size_t
jobs_where(loader_t *self, size_t **jobs_p, wants_fn wants, size_t limit)
{
    size_t n = 0;
    size_t *jobs = malloc((self->n_cases + 1) * sizeof *jobs);
    if (!jobs)
        abort();
    for (size_t i = 0; i < self->n_cases && i < limit; i++)
        if (!wants || wants(&self->cases[i]))
            jobs[n++] = i;
    *jobs_p = jobs;
    return n;
}

int
main(int argc, char **argv)
{
    uint64_t seed = (uint64_t) sf_env_int("SIFANG_DEMO_SEED", SEED_DEFAULT);
    long n_individual = -1;
    double scale = 1.0;
    int window = WINDOW_DEFAULT, timeout_ms = TIMEOUT_DEFAULT_MS, wait_s = 600;
    bool dry_run = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            puts(usage_text);
            sf_config_help(stdout, "", settings);
            return EXIT_OK;
        } else if (strcmp(arg, "--dry-run") == 0)
            dry_run = true;
        else if (strcmp(arg, "--seed") == 0 && value) {
            seed = strtoull(value, NULL, 10);
            i++;
        } else if (strcmp(arg, "--cases") == 0 && value) {
            n_individual = atol(value);
            i++;
        } else if (strcmp(arg, "--scale") == 0 && value) {
            char *end;
            scale = strtod(value, &end);
            if (!*value || *end || !(scale > 0 && scale <= DEMO_SCALE_MAX)) {
                fprintf(stderr, "--scale takes a number in (0, %g], not \"%s\"\n", DEMO_SCALE_MAX, value);
                return EXIT_USAGE;
            }
            i++;
        } else if (strcmp(arg, "--window") == 0 && value) {
            window = atoi(value);
            i++;
        } else if (strcmp(arg, "--timeout") == 0 && value) {
            timeout_ms = atoi(value);
            i++;
        } else if (strcmp(arg, "--wait") == 0 && value) {
            wait_s = atoi(value);
            i++;
        } else {
            fprintf(stderr, "%s\n", usage_text);
            return EXIT_USAGE;
        }
    }
    if (n_individual < 0)
        n_individual = (long) (CASES_DEFAULT * scale + 0.5);
    if (n_individual < 0 || n_individual > 1000000 || window < 1 || window > 8192 || timeout_ms < 100 || wait_s < 0) {
        fprintf(stderr, "--cases 0..1000000, --window 1..8192, --timeout >= 100, --wait >= 0\n");
        return EXIT_USAGE;
    }
    char error[512];
    sf_client_t *grid = sf_client_for_service("grid", error, sizeof error);
    sf_client_t *intake = sf_client_for_service("intake", error, sizeof error);
    if (!grid || !intake) {
        fprintf(stderr, "%s\n", error);
        return EXIT_USAGE;
    }
    sf_client_set_principal(grid, "intake-demo-loader", "admin", "");
    sf_client_set_principal(intake, "intake-demo-loader", "admin", "");
    if (!wait_up(grid, wait_s, "grid") || !wait_up(intake, wait_s, "intake"))
        return EXIT_TRANSPORT;

    world_t world = { 0 };
    /* The demo's timeline: the twelve months ending today; the history
     * ends when today began, and the calendar is read some months on for
     * the time limits of the cases still open. */
    demo_timeline_t timeline;
    demo_timeline_today(&timeline);
    int64_t start_ms = demo_day_start_ms(timeline.first_day), end_ms = demo_day_start_ms(timeline.today);
    fprintf(stderr, "reading the district from grid ...\n");
    if (!read_grid(grid, &world) || !read_intake(intake, &world, timeline.first_day, timeline.today + 120)) {
        fprintf(stderr, "cannot read the district or the catalogue (is grid's demo district loaded?)\n");
        return EXIT_FAILED;
    }
    while (world.n_past_days < world.n_working_days && world.working_days[world.n_past_days] < end_ms)
        world.n_past_days++;
    if (world.n_past_days == 0) {
        fprintf(stderr, "intake's calendar has no working day from %s to today\n", timeline.today_text);
        return EXIT_FAILED;
    }
    char first_text[11];
    sf_date_format(timeline.first_day, first_text);
    fprintf(stderr, "%s to %s: %zu households, %zu zones, %zu communities, %zu items, %zu working days\n",
            first_text, timeline.today_text, world.n_households, world.n_zones, world.n_communities,
            world.n_items, world.n_past_days);
    demo_stream_t rng = { seed * 0x2545F4914F6CDD1DULL + 3 };
    loader_t self = { .intake = intake, .seed = seed, .end_ms = end_ms, .window = window,
                      .timeout_ms = timeout_ms, .world = &world, .tty = isatty(STDERR_FILENO) };
    snprintf(self.day, sizeof self.day, "%.4s%.2s%.2s", timeline.today_text, timeline.today_text + 5,
             timeline.today_text + 8);
    generate(&rng, &world, &timeline, (size_t) n_individual, start_ms, end_ms, &self.cases, &self.n_cases,
             &self.meetings, &self.n_meetings);
    size_t counts[OUTCOME_DIRECT + 1] = { 0 }, past_due = 0;
    int64_t now = demo_timeline_now_ms(&timeline);
    for (size_t i = 0; i < self.n_cases; i++) {
        const demo_case_t *c = &self.cases[i];
        counts[c->outcome]++;
        past_due += (c->outcome == OUTCOME_OPEN_ASSIGNED || c->outcome == OUTCOME_OPEN_STARTED) && due_of(&world, c) < now;
    }
    size_t open = counts[OUTCOME_OPEN_ASSIGNED] + counts[OUTCOME_OPEN_STARTED];
    fprintf(stderr, "%zu cases (%ld individual, %zu from %zu meetings): %zu closed, %zu resolved awaiting the"
            " return visit, %zu open (%zu past due now, %.1f%%), %zu rejected, %zu transferred, %zu answered on"
            " the spot\n", self.n_cases,
            n_individual, self.n_cases - (size_t) n_individual, self.n_meetings, counts[OUTCOME_CLOSED],
            counts[OUTCOME_RESOLVED], open, past_due, open ? 100.0 * (double) past_due / (double) open : 0.0,
            counts[OUTCOME_REJECTED], counts[OUTCOME_TRANSFERRED], counts[OUTCOME_DIRECT]);
    if (dry_run)
        return EXIT_OK;
    if (!wait_for_copy(grid, intake, wait_s))
        return EXIT_TRANSPORT;

    self.slots = calloc((size_t) window, sizeof *self.slots);
    if (!self.slots)
        return EXIT_FAILED;
    size_t failed = 0;
    phase_t submit = { .name = "cases", .method = "CaseSubmit", .reply = &sifang__v1__case__descriptor,
                       .send = send_submit, .take = take_case };
    submit.n_jobs = jobs_where(&self, &submit.jobs, NULL, (size_t) n_individual);
    run_phase(&self, &submit);
    failed += submit.failed;
    phase_t meetings = { .name = "meetings", .method = "MeetingRecord",
                         .reply = &sifang__v1__community_meeting__descriptor, .send = send_meeting,
                         .take = take_meeting };
    meetings.jobs = malloc((self.n_meetings + 1) * sizeof *meetings.jobs);
    for (size_t m = 0; meetings.jobs && m < self.n_meetings; m++)
        meetings.jobs[meetings.n_jobs++] = m;
    run_phase(&self, &meetings);
    failed += meetings.failed;
    struct { const char *name; const char *method; wants_fn wants; int (*send)(loader_t *, size_t, const char *); }
    steps[] = {
        { "send-backs", "CaseSendBack", wants_send_back, send_back_first },
        { "re-routings", "CaseAssign", wants_send_back, send_reroute },
        { "second-send-backs", "CaseSendBack", wants_second_send_back, send_back_second },
        { "no-owner-decisions", "CaseAssign", wants_second_send_back, send_decision },
        { "ends", "CaseReject/CaseTransfer", wants_end, send_end },
        { "dispatches", "CaseDispatch", wants_dispatch, send_dispatch },
        { "signs", "CaseSign", wants_sign, send_sign },
        { "provider-answers", "CaseDispatchAnswer", wants_answer, send_dispatch_accept },
        { "starts", "CaseStart", NULL, send_start },
        { "extensions", "CaseExtensionAsk", wants_extension, send_extension },
        { "extension-decisions", "CaseExtensionDecide", wants_extension, send_extension_decision },
        { "co-handlers", "CaseCoHandlerAdd", wants_cohandler, send_cohandler },
        { "co-handler-answers", "CaseCoHandlerComplete", wants_cohandler, send_cohandler_done },
        { "resolutions", "CaseResolve", wants_resolve, send_resolve },
        { "reviews", "CaseReview", wants_review, send_review },
        { "return-visits", "CaseClose", wants_close, send_close },
    };
    for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
        phase_t phase = { .name = steps[s].name, .method = steps[s].method, .reply = &sifang__v1__case__descriptor,
                          .send = steps[s].send, .take = take_nothing };
        /* Provider cases start by the provider accepting, the rest by CaseStart. */
        size_t *jobs = NULL;
        size_t n = jobs_where(&self, &jobs, steps[s].wants ? steps[s].wants : wants_start, self.n_cases);
        if (steps[s].send == send_start) {
            size_t kept = 0;
            for (size_t j = 0; j < n; j++)
                if (!self.cases[jobs[j]].provider)
                    jobs[kept++] = jobs[j];
            n = kept;
        }
        phase.jobs = jobs;
        phase.n_jobs = n;
        run_phase(&self, &phase);
        failed += phase.failed;
        free(jobs);
    }
    free(submit.jobs);
    free(meetings.jobs);

    /* The deadline sweep now rather than at its next round, so that the
     * board shows what the district looks like. */
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    Sifang__V1__CaseSweepReply *swept = NULL;
    if (sf_client_call(intake, "CaseSweep", NULL, &sweep.base, &sifang__v1__case_sweep_reply__descriptor,
                       (ProtobufCMessage **) &swept, NULL) == SF_OK)
        protobuf_c_message_free_unpacked(&swept->base, NULL);
    Sifang__V1__CaseBacklogRequest backlog = SIFANG__V1__CASE_BACKLOG_REQUEST__INIT;
    Sifang__V1__CaseBacklogReply *board = NULL;
    if (sf_client_call(intake, "CaseBacklog", NULL, &backlog.base, &sifang__v1__case_backlog_reply__descriptor,
                       (ProtobufCMessage **) &board, NULL) == SF_OK) {
        int open = board->total->open, overdue = board->total->overdue;
        fprintf(stderr, "backlog now: %d open, %d overdue (%.1f%%)\n", open, overdue,
                open ? 100.0 * overdue / open : 0.0);
        protobuf_c_message_free_unpacked(&board->base, NULL);
    }
    fprintf(stderr, failed ? "%zu requests failed\n" : "all loaded\n", failed);
    free(self.slots);
    free(self.slot_of);
    free(self.cases);
    free(self.meetings);
    free(world.households);
    free(world.zones);
    free(world.communities);
    free(world.cadres);
    free(world.items);
    free(world.working_days);
    sf_client_destroy(&grid);
    sf_client_destroy(&intake);
    return failed ? EXIT_FAILED : EXIT_OK;
}
