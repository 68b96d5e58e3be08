/* sifang-employment-demo-load: the demo district's twelve months of employment
 * work (the demo timeline of tools/demo_district.h: the year ending today)
 * at the scale of Sifang's 2012, loaded through employment's own API after
 * grid's demo district: job seekers among the residents of working age, a
 * difficulty population from the households in difficulty, enterprises of
 * the district's trades with liaison officers, vacancies that open and close
 * through the year for the occupations their trade employs, at wages above
 * Qingdao's minimum, 32,736 placements through the year of which some end
 * again (each separation with its reason), 1,230 entrepreneurs supported, a
 * seventh of them in the district's two incubation bases (some moved out
 * again), the follow-up visits that fell due recorded but a fifth of them
 * (left overdue, for the counsellor's list), and the online vocational
 * school. Difficulty categories fit their rules (4050 by age on the year's
 * first day, the disabled with their certificate).
 * Each person's record tells their story: placed people are at work and no
 * longer seeking, people whose placement ended seek again. Deterministic from
 * a seed and the day; request ids derive from both, so a re-run that day
 * finishes an interrupted load and writes nothing twice. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "demo_district.h"
#include "sf_client.h"
#include "sf_codes.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sf_ids.h"
#include "sf_status.h"
#include "sf_text.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

/* Sifang's figures (January to October 2012), spread over the timeline's
 * twelve months. */
#define PLACED 32736
#define ENTREPRENEURS 1230
#define DIFFICULTY 2200            /* people with employment difficulties ... */
#define DIFFICULTY_EMPLOYED 2140   /* ... of whom at work at the end: 97.27% */
#define DIFFICULTY_SUPPORTED 40    /* of those, as entrepreneurs */
#define SEEKERS_LEFT 4800          /* registered job seekers still looking */
#define ENTERPRISES 1500
#define VACANCIES 2600
#define COURSES 24
#define ENROLMENTS 3000
/* Placements that end again within the year (a contract run out, a job
 * left), among people outside the difficulty population: they seek again. */
#define SEPARATED_PERCENT 9

/* Qingdao's monthly minimum wage: its urban districts (Sifang's old ground,
 * now Shibei) are in Shandong's first tier, 2,200 yuan a month from
 * 1 October 2023 (Shandong provincial government, 关于公布全省最低工资标准的
 * 通知, 鲁政字〔2023〕166号; second tier 2,010, third 1,820). Every vacancy's
 * lowest wage here is at least a third above it (MINIMUM_WAGE_MARGIN), so
 * that a later rise of the first tier does not leave the demo below the
 * law; the demo test checks every wage against the figure. */
#define QINGDAO_MINIMUM_WAGE 2200
#define MINIMUM_WAGE_MARGIN 1.35

static const char usage_text[] =
    "usage: sifang-employment-demo-load [--seed N] [--scale F] [--today YYYY-MM-DD] [--window N] [--wait S]\n"
    "\n"
    "Loads twelve months of employment work (the year ending today, in the district's\n"
    "time zone) at Sifang's scale into the employment service through its API, after\n"
    "grid's demo district (sifang-demo-load): %d placements through the year, some\n"
    "of them ended again, %d entrepreneurs supported, %d people with employment\n"
    "difficulties of whom %d at work at the end (97.27%%), %d enterprises of the\n"
    "district's trades with liaison officers, %d vacancies opening and closing\n"
    "through the year at wages above Qingdao's minimum (%d yuan a month), courses,\n"
    "enrolments, mock tests and certification exams. It reads the district from grid\n"
    "(units, staff, households, residents) and waits until employment has followed\n"
    "grid that far. The same seed on the same day gives the same load and the same\n"
    "request ids: a re-run completes an interrupted one.\n"
    "\n"
    "  --seed N     the seed (default SIFANG_DEMO_SEED or 2012)\n"
    "  --scale F    a proportionally smaller (or larger) load, 0 < F <= 10 (default 1)\n"
    "  --today D    the timeline's today (default: today in Asia/Shanghai)\n"
    "  --window N   requests in flight (default 512)\n"
    "  --wait S     wait up to S seconds for employment to follow grid (default 300)\n"
    "  --help       this text\n"
    "\n"
    "exit status: 0 loaded; 1 some requests failed; 2 usage; 3 a service did not answer.\n";

static const sf_setting_t settings[] = {
    { "SIFANG_DEMO_SEED", "2012", "the seed when --seed is not given" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "where grid answers" },
    { "SIFANG_EMPLOYMENT_ENDPOINT", "tcp://127.0.0.1:7121", "where employment answers" },
    { NULL, NULL, NULL },
};

static demo_timeline_t timeline;

/* --- a small deterministic generator (splitmix64) --------------------------------- */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t
rng_below(size_t n)
{
    return n ? (size_t) (rng_next() % n) : 0;
}

static int32_t
rng_day(int32_t first, int32_t last)
{
    return last <= first ? first : first + (int32_t) rng_below((size_t) (last - first + 1));
}

/* --- what grid holds -------------------------------------------------------------------- */

typedef struct {
    char id[16];
    char zone[16];
    bool female;
    int32_t birth;
    int flags;                     /* bit per HouseholdFlag of the household */
} resident_t;

typedef struct {
    char (*zones)[16];
    size_t n_zones;
    char (*cadres)[16];            /* street cadres: the liaison officers */
    size_t n_cadres;
    resident_t *residents;
    size_t n_residents;
} district_t;

static sf_client_t *grid, *employment;
static int window = 512;

static bool
grid_page(const char *method, ProtobufCMessage *request, const ProtobufCMessageDescriptor *reply_type,
          ProtobufCMessage **reply)
{
    sf_reply_info_t info;
    for (int attempt = 0; attempt < 5; attempt++) {
        sf_status_t status = sf_client_call(grid, method, NULL, request, reply_type, reply, &info);
        if (status == SF_OK)
            return true;
        if (status != SF_UNAVAILABLE) {
            fprintf(stderr, "grid %s: %s: %s\n", method, sf_status_name(status), info.message ? info.message : "");
            return false;
        }
        sleep(1);
    }
    fprintf(stderr, "grid %s: no answer\n", method);
    return false;
}

static int
household_flags_find(char (*codes)[20], int *flags, size_t n, const char *code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(codes[mid], code);
        if (c == 0)
            return flags[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Household codes lead their pairs: compare them as strings. */
static int
compare_codes(const void *a, const void *b)
{
    return strcmp((const char *) a, (const char *) b);
}

static bool
read_district(district_t *d)
{
    memset(d, 0, sizeof *d);
    char token[256] = "";
    /* Zones. */
    do {
        Sifang__V1__UnitListRequest request = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        request.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__UnitListReply *reply = NULL;
        if (!grid_page("UnitList", &request.base, &sifang__v1__unit_list_reply__descriptor, (ProtobufCMessage **) &reply))
            return false;
        d->zones = realloc(d->zones, (d->n_zones + reply->n_units + 1) * sizeof *d->zones);
        for (size_t i = 0; i < reply->n_units; i++)
            snprintf(d->zones[d->n_zones++], 16, "%s", reply->units[i]->code);
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        sifang__v1__unit_list_reply__free_unpacked(reply, NULL);
    } while (*token);
    /* Street cadres. */
    do {
        Sifang__V1__StaffListRequest request = SIFANG__V1__STAFF_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        request.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__StaffListReply *reply = NULL;
        if (!grid_page("StaffList", &request.base, &sifang__v1__staff_list_reply__descriptor, (ProtobufCMessage **) &reply))
            return false;
        d->cadres = realloc(d->cadres, (d->n_cadres + reply->n_staff + 1) * sizeof *d->cadres);
        for (size_t i = 0; i < reply->n_staff; i++)
            if (reply->staff[i]->active)
                snprintf(d->cadres[d->n_cadres++], 16, "%s", reply->staff[i]->id);
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        sifang__v1__staff_list_reply__free_unpacked(reply, NULL);
    } while (*token);
    /* Households in difficulty, with their flags (codes arrive in order). */
    size_t n_flagged = 0, capacity = 0;
    char (*codes)[20] = NULL;
    int *flags = NULL;
    for (int flag = 1; flag <= 7; flag++) {
        do {
            Sifang__V1__HouseholdListRequest request = SIFANG__V1__HOUSEHOLD_LIST_REQUEST__INIT;
            Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
            request.flag = (Sifang__V1__HouseholdFlag) flag;
            page.page_size = 1000;
            page.page_token = token;
            request.page = &page;
            Sifang__V1__HouseholdListReply *reply = NULL;
            if (!grid_page("HouseholdList", &request.base, &sifang__v1__household_list_reply__descriptor,
                           (ProtobufCMessage **) &reply))
                return false;
            for (size_t i = 0; i < reply->n_households; i++) {
                if (n_flagged == capacity) {
                    capacity = capacity ? capacity * 2 : 4096;
                    codes = realloc(codes, capacity * sizeof *codes);
                    flags = realloc(flags, capacity * sizeof *flags);
                }
                snprintf(codes[n_flagged], 20, "%s", reply->households[i]->code);
                flags[n_flagged++] = 1 << flag;
            }
            snprintf(token, sizeof token, "%s", reply->next_page_token);
            sifang__v1__household_list_reply__free_unpacked(reply, NULL);
        } while (*token);
    }
    /* Sort the codes (insertion into order would be slow; qsort pairs). */
    typedef struct { char code[20]; int flags; } pair_t;
    pair_t *pairs = malloc((n_flagged + 1) * sizeof *pairs);
    for (size_t i = 0; i < n_flagged; i++) {
        memcpy(pairs[i].code, codes[i], 20);
        pairs[i].flags = flags[i];
    }
    qsort(pairs, n_flagged, sizeof *pairs, compare_codes);
    size_t n_unique = 0;
    for (size_t i = 0; i < n_flagged; i++) {
        if (n_unique && strcmp(codes[n_unique - 1], pairs[i].code) == 0)
            flags[n_unique - 1] |= pairs[i].flags;
        else {
            memcpy(codes[n_unique], pairs[i].code, 20);
            flags[n_unique++] = pairs[i].flags;
        }
    }
    free(pairs);
    /* Residents. */
    size_t residents_capacity = 0;
    do {
        Sifang__V1__ResidentListRequest request = SIFANG__V1__RESIDENT_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__ResidentListReply *reply = NULL;
        if (!grid_page("ResidentList", &request.base, &sifang__v1__resident_list_reply__descriptor,
                       (ProtobufCMessage **) &reply))
            return false;
        if (d->n_residents + reply->n_residents > residents_capacity) {
            residents_capacity = (d->n_residents + reply->n_residents) * 2;
            d->residents = realloc(d->residents, residents_capacity * sizeof *d->residents);
        }
        for (size_t i = 0; i < reply->n_residents; i++) {
            const Sifang__V1__Resident *from = reply->residents[i];
            int32_t birth;
            if (!sf_date_parse(from->birth_date, &birth) || strlen(from->household_code) != 18)
                continue;
            resident_t *to = &d->residents[d->n_residents++];
            snprintf(to->id, sizeof to->id, "%s", from->id);
            snprintf(to->zone, sizeof to->zone, "%.*s", (int) sf_code_ancestor(from->household_code, 14),
                     from->household_code);
            to->female = from->gender == SIFANG__V1__GENDER__GENDER_FEMALE;
            to->birth = birth;
            to->flags = household_flags_find(codes, flags, n_unique, from->household_code);
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        sifang__v1__resident_list_reply__free_unpacked(reply, NULL);
        fprintf(stderr, "\rreading grid: %zu residents", d->n_residents);
    } while (*token);
    fprintf(stderr, "\n");
    free(codes);
    free(flags);
    return d->n_zones > 0 && d->n_residents > 0;
}

/* --- the plan ---------------------------------------------------------------------------- */

enum { ROLE_PLACED, ROLE_ENTREPRENEUR, ROLE_SEEKER };

/* The occupations the district's work mostly is (classification 2022, as
 * employment's catalogue has them), with the monthly wages Qingdao's
 * employers offered for them (yuan, the low and the high end). */
static const struct {
    const char *code;
    const char *title;
    int wage_low, wage_high;
} occupations[] = {
    { "4-03-02-01", "中式烹调师", 5000, 7500 },      /* 0 */
    { "4-03-02-02", "中式面点师", 4500, 6500 },
    { "4-03-02-05", "餐厅服务员", 3600, 4800 },
    { "4-01-02-04", "收银员", 3400, 4300 },
    { "4-01-02-03", "商品营业员", 3600, 4800 },
    { "4-01-02-01", "营销员", 4000, 8000 },          /* 5 */
    { "4-02-06-01", "仓储管理员", 4200, 5500 },
    { "4-01-01-01", "采购员", 4500, 6500 },
    { "4-07-05-01", "保安员", 3300, 4300 },
    { "6-31-01-03", "电工", 5500, 7800 },
    { "4-10-01-06", "家政服务员", 4500, 7000 },      /* 10 */
    { "4-10-01-02", "育婴员", 6000, 9000 },
    { "4-10-01-05", "养老护理员", 4200, 6000 },
    { "4-02-07-08", "快递员", 6000, 8500 },
    { "4-02-07-09", "快件处理员", 4300, 5600 },
    { "4-02-07-10", "网约配送员", 6000, 9500 },      /* 15 */
    { "6-18-01-01", "车工", 5500, 7800 },
    { "6-18-02-04", "焊工", 6000, 9000 },
    { "6-29-01-01", "砌筑工", 6500, 9500 },
    { "6-29-01-04", "钢筋工", 6500, 9500 },
    { "4-12-01-01", "汽车维修工", 5000, 8000 },      /* 20 */
    { "4-03-01-02", "客房服务员", 3500, 4500 },
    { "4-03-01-01", "前厅服务员", 3600, 4600 },
    { "4-10-03-02", "美发师", 4000, 8000 },
    { "4-10-03-01", "美容师", 4000, 7500 },
    { "2-06-03-00", "会计", 4500, 7000 },            /* 25 */
};
#define N_OCCUPATIONS (sizeof occupations / sizeof occupations[0])

/* The district's trades: what its enterprises are called and whom each
 * employs (indexes into occupations, the most hired first), weighted by how
 * many of the district's enterprises are in it. A construction firm hires
 * bricklayers, never hairdressers. */
#define TRADE_OCCUPATIONS 5
static const struct {
    const char *industry;
    const char *suffix;
    int weight;
    int hires[TRADE_OCCUPATIONS];     /* -1 ends the list */
} trades[] = {
    { "餐饮", "餐饮管理有限公司", 18, { 2, 0, 1, 3, -1 } },
    { "批发零售", "商贸有限公司", 16, { 4, 3, 5, 6, 7 } },
    { "物业管理", "物业管理有限公司", 8, { 8, 9, 10, -1, -1 } },
    { "家政服务", "家政服务有限公司", 8, { 10, 11, 12, -1, -1 } },
    { "快递物流", "物流有限公司", 9, { 13, 14, 6, 15, -1 } },
    { "机械制造", "机械制造有限公司", 6, { 16, 17, 9, 6, -1 } },
    { "建筑施工", "建筑工程有限公司", 6, { 18, 19, 17, 9, -1 } },
    { "养老服务", "养老服务有限公司", 5, { 12, 0, 10, -1, -1 } },
    { "汽车维修", "汽车维修服务有限公司", 6, { 20, 5, 3, -1, -1 } },
    { "住宿", "酒店管理有限公司", 6, { 21, 22, 2, 0, -1 } },
    { "美容美发", "美容美发有限公司", 8, { 23, 24, 3, -1, -1 } },
    { "财务咨询", "财务咨询有限公司", 4, { 25, 5, -1, -1, -1 } },
};
#define N_TRADES (sizeof trades / sizeof trades[0])

/* Shop names: two characters from these, as Qingdao's firms are named. */
static const char *const brand_first[] = {
    "鑫", "海", "瑞", "恒", "华", "德", "金", "永", "嘉", "宏", "润", "盛", "福", "泰", "新",
    "安", "祥", "鸿", "兴", "佳", "信", "丰", "和", "志", "通", "顺", "益", "诚", "美", "康",
};
static const char *const brand_second[] = {
    "源", "达", "泰", "丰", "诚", "盛", "宇", "辉", "晟", "鼎", "隆", "远", "信", "邦", "博",
    "特", "众", "业", "和", "益", "利", "昌", "顺", "恒", "润", "成", "航", "创", "诺", "程",
};
#define N_BRANDS ((sizeof brand_first / sizeof *brand_first) * (sizeof brand_second / sizeof *brand_second))

/* Roads of the old Sifang district, for enterprises' addresses. */
static const char *const roads[] = {
    "人民路", "洛阳路", "瑞昌路", "嘉定路", "鞍山路", "开平路", "郑州路", "杭州路", "南京路", "兴隆路",
    "四流南路", "重庆南路", "湖岛路", "海岸路", "萍乡路", "金华路", "温州路", "华阳路", "错埠岭路", "阜新路",
};

typedef struct {
    const resident_t *resident;
    int role;
    bool difficulty;
    int category;                  /* DifficultyCategory when difficulty */
    int32_t registered, event;     /* registration; start of the placement or support */
    int32_t ended;                 /* the last day of a placement that ended, else 0 */
    int occupation;                /* index into occupations */
    int kind;                      /* PlacementKind when placed */
    int vacancy;                   /* index into vacancies, -1 without */
    int enterprise;                /* for public-welfare placements without vacancy */
    int64_t placement_id;          /* from the reply */
    int64_t support_id;            /* from the reply */
    int64_t tenant_id;             /* from the reply: in an incubation base */
} plan_person_t;

typedef struct {
    char credit_code[19];
    char name[64];
    char address[64];
    int trade;
    const char *zone;
    const char *liaison;
} plan_enterprise_t;

typedef struct {
    int enterprise;
    int occupation;
    int positions;
    int filled;
    int wage_min, wage_max;
    int32_t opens, closes;         /* closes: the last day it takes applicants */
    int64_t id;                    /* from the reply */
} plan_vacancy_t;

typedef struct {
    plan_person_t *people;
    size_t n_people;
    plan_enterprise_t *enterprises;
    size_t n_enterprises;
    plan_vacancy_t *vacancies;
    size_t n_vacancies;
    size_t n_courses, n_enrolments;
    int64_t *enrolment_ids;
    size_t *enrolment_person;
    int64_t base_ids[2];           /* the incubation bases, from the replies */
    /* The follow-up visits due by today and to be recorded (read from
     * employment after the placements and supports). */
    int64_t *follow_up_ids;
    int32_t *follow_up_due;
    int *follow_up_kind;
    size_t n_follow_ups;
} plan_t;

/* The district's incubation bases (创业孵化基地): a supported business is
 * placed in one when its support names it. */
static const char *const incubation_bases[2] = { "四方区创业孵化基地", "四方区大学生创业孵化基地" };
/* A supported business every this many is in a base. */
#define INCUBATED_EVERY 7
/* Tenants that moved in this long ago, one in three, have moved out again. */
#define INCUBATION_DAYS 180
/* Of the follow-up visits due, those whose id is a multiple of this are left
 * unrecorded: overdue. */
#define FOLLOW_UP_LEFT_EVERY 5

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static void
credit_code(size_t i, char out[19])
{
    static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
    /* 91 (an enterprise), 370205 (Sifang), nine characters of organisation code. */
    snprintf(out, 19, "91370205%09zu", 100000000 + i * 7919 % 900000000);
    int sum = 0;
    for (int k = 0; k < 17; k++)
        sum += (int) (strchr(alphabet, out[k]) - alphabet) * weights[k];
    int check = 31 - sum % 31;
    out[17] = alphabet[check == 31 ? 0 : check];
    out[18] = 0;
}

/* Full years of age on day. */
static int
age_on(const resident_t *r, int32_t day)
{
    int by, bm, bd, y, m, d;
    sf_civil_from_days(r->birth, &by, &bm, &bd);
    sf_civil_from_days(day, &y, &m, &d);
    return y - by - (m < bm || (m == bm && d < bd));
}

/* Of working age through the whole timeline: sixteen on its first day, not
 * yet of retirement age (60 for men, 55 for women) on its last. */
static bool
working_age_all_year(const resident_t *r)
{
    return age_on(r, timeline.first_day) >= 16 && age_on(r, timeline.today) < (r->female ? 55 : 60);
}

static int
category_of(const resident_t *r)
{
    if (r->flags & (1 << SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ZERO_EMPLOYMENT))
        return SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY;
    if (r->flags & (1 << SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_DISABLED))
        return SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_DISABLED;
    if (r->flags & (1 << SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME))
        return SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_LOW_INCOME;
    if ((r->flags & (1 << SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF))
        && age_on(r, timeline.first_day) >= (r->female ? 40 : 50))   /* at any registration in the year */
        return SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_AGED_4050;
    return SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED;
}

static size_t
scaled(size_t full, double scale)
{
    size_t value = (size_t) llround((double) full * scale);
    return value ? value : 1;
}

/* Yuan, rounded to the hundred. */
static int
hundreds(double yuan)
{
    return (int) llround(yuan / 100.0) * 100;
}

/* Enterprises of the trades in their shares; each one's vacancies are for
 * what its trade employs, open for one to five months from a day of the
 * year, at a wage within the occupation's range, and never below the
 * minimum wage's margin. */
static void
plan_enterprises(const district_t *d, double scale, plan_t *p)
{
    p->n_enterprises = scaled(ENTERPRISES, scale);
    p->enterprises = calloc(p->n_enterprises, sizeof *p->enterprises);
    int total = 0;
    for (size_t t = 0; t < N_TRADES; t++)
        total += trades[t].weight;
    size_t in_trade[N_TRADES] = { 0 };
    for (size_t e = 0; e < p->n_enterprises; e++) {
        plan_enterprise_t *enterprise = &p->enterprises[e];
        int pick = (int) rng_below((size_t) total), t = 0;
        while (pick >= trades[t].weight)
            pick -= trades[t++].weight;
        enterprise->trade = t;
        /* A trade's k-th firm takes the k-th brand of a stride through all
         * of them: no two firms of a trade share a name. */
        size_t brand = (in_trade[t]++ * 37 + (size_t) t * 101) % N_BRANDS;
        size_t n_second = sizeof brand_second / sizeof *brand_second;
        credit_code(e, enterprise->credit_code);
        snprintf(enterprise->name, sizeof enterprise->name, "青岛%s%s%s", brand_first[brand / n_second],
                 brand_second[brand % n_second], trades[t].suffix);
        snprintf(enterprise->address, sizeof enterprise->address, "青岛市四方区%s%zu号",
                 roads[rng_below(sizeof roads / sizeof *roads)], 1 + rng_below(180));
        enterprise->zone = d->zones[rng_below(d->n_zones)];
        enterprise->liaison = d->n_cadres ? d->cadres[e % d->n_cadres] : NULL;
    }
    p->n_vacancies = scaled(VACANCIES, scale);
    p->vacancies = calloc(p->n_vacancies, sizeof *p->vacancies);
    for (size_t v = 0; v < p->n_vacancies; v++) {
        plan_vacancy_t *vacancy = &p->vacancies[v];
        vacancy->enterprise = (int) (v % p->n_enterprises);
        const int *hires = trades[p->enterprises[vacancy->enterprise].trade].hires;
        int n_hires = 0;
        while (n_hires < TRADE_OCCUPATIONS && hires[n_hires] >= 0)
            n_hires++;
        /* The trade's first occupation most often. */
        size_t pick = rng_below(10);
        vacancy->occupation = hires[pick < 4 ? 0 : (int) (pick % (size_t) n_hires)];
        int low = occupations[vacancy->occupation].wage_low, high = occupations[vacancy->occupation].wage_high;
        int floor_wage = hundreds(QINGDAO_MINIMUM_WAGE * MINIMUM_WAGE_MARGIN + 50);
        vacancy->wage_min = hundreds(low + (double) (high - low) * (double) rng_below(40) / 100.0);
        if (vacancy->wage_min < floor_wage)
            vacancy->wage_min = floor_wage;
        vacancy->wage_max = hundreds(vacancy->wage_min + (high - low) * (0.3 + (double) rng_below(40) / 100.0));
        /* Open one to five months from a day of the year: the year's last
         * ones are open still. */
        vacancy->opens = rng_day(timeline.first_day, timeline.today);
        vacancy->closes = vacancy->opens + 30 + (int32_t) rng_below(121);
    }
}

/* A vacancy to fill on or before the last day: one open then with a
 * position left, looked for from a random start. */
static int
vacancy_for(plan_t *p, int32_t last)
{
    size_t start = rng_below(p->n_vacancies);
    for (size_t k = 0; k < p->n_vacancies; k++) {
        plan_vacancy_t *v = &p->vacancies[(start + k) % p->n_vacancies];
        if (v->opens <= last && v->filled < 12)
            return (int) ((start + k) % p->n_vacancies);
    }
    return -1;
}

static bool
make_plan(const district_t *d, double scale, plan_t *p)
{
    memset(p, 0, sizeof *p);
    size_t placed = scaled(PLACED, scale), entrepreneurs = scaled(ENTREPRENEURS, scale);
    size_t difficulty = scaled(DIFFICULTY, scale);
    size_t difficulty_employed = (size_t) llround((double) difficulty * DIFFICULTY_EMPLOYED / DIFFICULTY);
    size_t difficulty_supported = scaled(DIFFICULTY_SUPPORTED, scale);
    if (difficulty_supported > difficulty_employed)
        difficulty_supported = difficulty_employed;
    size_t seekers = scaled(SEEKERS_LEFT, scale);
    /* Candidates: working age all through the year, households in difficulty first. */
    size_t n = d->n_residents;
    size_t *order = malloc(n * sizeof *order);
    size_t n_hard = 0, n_easy = 0;
    size_t *hard = malloc(n * sizeof *hard), *easy = malloc(n * sizeof *easy);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {   /* a shuffle */
        size_t j = rng_below(i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t k = 0; k < n; k++) {
        const resident_t *r = &d->residents[order[k]];
        if (!working_age_all_year(r))
            continue;
        if (r->flags)
            hard[n_hard++] = order[k];
        else
            easy[n_easy++] = order[k];
    }
    free(order);
    size_t total = placed + entrepreneurs + seekers;
    if (difficulty > n_hard || total > n_hard + n_easy) {
        fprintf(stderr, "the district has %zu + %zu people of working age: too few for the load\n", n_hard, n_easy);
        free(hard);
        free(easy);
        return false;
    }
    p->people = calloc(total, sizeof *p->people);
    size_t next_hard = 0, next_easy = 0;
    for (size_t k = 0; k < total; k++) {
        plan_person_t *person = &p->people[p->n_people++];
        /* The difficulty population first: employed ones placed or supported, the rest seekers. */
        bool is_hard = k < difficulty;
        person->resident = &d->residents[is_hard ? hard[next_hard++] : next_easy < n_easy ? easy[next_easy++] : hard[next_hard++]];
        person->difficulty = is_hard;
        person->category = is_hard ? category_of(person->resident) : 0;
        if (is_hard)
            person->role = k < difficulty_employed - difficulty_supported ? ROLE_PLACED
                         : k < difficulty_employed ? ROLE_ENTREPRENEUR : ROLE_SEEKER;
        person->vacancy = -1;
        person->enterprise = -1;
    }
    /* Fill the remaining roles to the figures. */
    size_t have_placed = 0, have_supported = 0;
    for (size_t k = 0; k < difficulty; k++) {
        have_placed += p->people[k].role == ROLE_PLACED;
        have_supported += p->people[k].role == ROLE_ENTREPRENEUR;
    }
    for (size_t k = difficulty; k < total; k++) {
        plan_person_t *person = &p->people[k];
        if (have_placed < placed) {
            person->role = ROLE_PLACED;
            have_placed++;
        } else if (have_supported < entrepreneurs) {
            person->role = ROLE_ENTREPRENEUR;
            have_supported++;
        } else
            person->role = ROLE_SEEKER;
    }
    free(hard);
    free(easy);
    plan_enterprises(d, scale, p);
    /* Placements through the year: 60% fill a vacancy open on their first
     * day, the rest flexible work, public-welfare posts and self-employment.
     * Registration comes first, up to two months before, inside the year. */
    for (size_t k = 0; k < p->n_people; k++) {
        plan_person_t *person = &p->people[k];
        person->event = rng_day(timeline.first_day, timeline.today);
        person->occupation = (int) rng_below(N_OCCUPATIONS);
        if (person->role == ROLE_SEEKER) {
            person->registered = rng_day(timeline.first_day, timeline.today);
            continue;
        }
        if (person->role == ROLE_PLACED) {
            size_t pick = rng_below(100);
            int v = pick < 60 ? vacancy_for(p, timeline.today) : -1;
            if (v >= 0) {
                plan_vacancy_t *vacancy = &p->vacancies[v];
                person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_ENTERPRISE;
                person->vacancy = v;
                vacancy->filled++;
                person->occupation = vacancy->occupation;
                int32_t last = vacancy->closes < timeline.today ? vacancy->closes : timeline.today;
                person->event = rng_day(vacancy->opens, last);
            } else if (pick < 85)
                person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_FLEXIBLE;
            else if (pick < 93) {
                person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_PUBLIC_WELFARE_POST;
                person->enterprise = (int) rng_below(p->n_enterprises);
                /* Public-welfare posts: cleaning, guarding, care. */
                static const int posts[] = { 8, 10, 12 };
                person->occupation = posts[rng_below(3)];
            } else
                person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_SELF_EMPLOYED;
            /* Some placements end again: not the difficulty population's
             * (at work at the end, the 97.27%), not self-employment. */
            if (!person->difficulty && person->kind != SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_SELF_EMPLOYED
                && rng_below(100) < SEPARATED_PERCENT) {
                int32_t end = person->event + 30 + (int32_t) rng_below(240);
                if (end < timeline.today - 1)
                    person->ended = end;
            }
        }
        person->registered = person->event - (int32_t) rng_below(61);
        if (person->registered < timeline.first_day)
            person->registered = timeline.first_day;
    }
    /* A vacancy posts what it fills and up to two more: about a third are
     * filled (and close themselves), the others close on their day or are
     * open still. */
    for (size_t i = 0; i < p->n_vacancies; i++) {
        plan_vacancy_t *v = &p->vacancies[i];
        v->positions = v->filled + (int) rng_below(3);
        if (v->positions < 1)
            v->positions = 1;
    }
    p->n_courses = COURSES;
    p->n_enrolments = scaled(ENROLMENTS, scale);
    p->enrolment_ids = calloc(p->n_enrolments, sizeof *p->enrolment_ids);
    p->enrolment_person = calloc(p->n_enrolments, sizeof *p->enrolment_person);
    /* Each enrolment a different person (one course each): a partial shuffle. */
    size_t *picks = malloc(p->n_people * sizeof *picks);
    if (!picks)
        return false;
    for (size_t i = 0; i < p->n_people; i++)
        picks[i] = i;
    if (p->n_enrolments > p->n_people)
        p->n_enrolments = p->n_people;
    for (size_t i = 0; i < p->n_enrolments; i++) {
        size_t j = i + rng_below(p->n_people - i);
        size_t t = picks[i];
        picks[i] = picks[j];
        picks[j] = t;
        p->enrolment_person[i] = picks[i];
    }
    free(picks);
    return true;
}

/* --- sending ------------------------------------------------------------------------------ */

/* The parts in order; the later ones (bases to follow-ups) after the ones
 * they were added beside, so that each part keeps its request ids. */
typedef enum {
    PART_PEOPLE, PART_ENTERPRISES, PART_VACANCIES, PART_PLACEMENTS, PART_SEPARATIONS, PART_CLOSES, PART_SUPPORT,
    PART_COURSES, PART_ENROLMENTS, PART_MOCK_TESTS, PART_EXAMS, PART_BASES, PART_TENANTS, PART_LEAVES,
    PART_FOLLOW_UPS, PART_COUNT
} part_t;

static const char *const part_names[] = { "people", "enterprises", "vacancies", "placements", "separations",
                                          "closed", "support", "courses", "enrolments", "mock tests", "exams",
                                          "bases", "tenants", "moved out", "follow-ups" };
static const char *const part_methods[] = { "PersonRegister", "EnterpriseRegister", "VacancyPost", "PlacementRegister",
                                            "PlacementEnd", "VacancyClose", "SupportGrant", "CourseCreate",
                                            "EnrolmentCreate", "MockTestRecord", "ExamResultRecord",
                                            "IncubationBaseCreate", "IncubationTenantAdmit", "IncubationTenantLeave",
                                            "FollowUpRecord" };

/* Why placements end, in turn (SeparationReason), with a counsellor's note. */
static const struct {
    int reason;
    const char *note;
} separations[] = {
    { SIFANG__V1__SEPARATION_REASON__SEPARATION_REASON_CONTRACT_ENDED, "劳动合同期满未续签" },
    { SIFANG__V1__SEPARATION_REASON__SEPARATION_REASON_RESIGNED, "本人辞职，另谋职业" },
    { SIFANG__V1__SEPARATION_REASON__SEPARATION_REASON_MUTUAL, "协商一致解除劳动合同" },
    { SIFANG__V1__SEPARATION_REASON__SEPARATION_REASON_DISMISSED, "用人单位解除劳动合同" },
    { SIFANG__V1__SEPARATION_REASON__SEPARATION_REASON_ENTERPRISE_CLOSED, "用人单位停业" },
    { SIFANG__V1__SEPARATION_REASON__SEPARATION_REASON_RESIGNED, "照顾家庭，暂不工作" },
    { SIFANG__V1__SEPARATION_REASON__SEPARATION_REASON_OTHER, "其他原因" },
};

/* The base a supported person's business is in (-1: none). */
static int
base_of(size_t person)
{
    return person % INCUBATED_EVERY == 0 ? (int) (person / INCUBATED_EVERY % 2) : -1;
}

/* The disabled person's certificate (残疾人证) of a resident: an ID number
 * with their birth date (a region of Sifang, a sequence from the id, the
 * check character), the kind of disability and its grade. */
static void
disability_certificate(const resident_t *r, size_t i, char out[21])
{
    int y, m, d;
    sf_civil_from_days(r->birth, &y, &m, &d);
    char first17[18];
    snprintf(first17, sizeof first17, "370205%04d%02d%02d%03zu", y, m, d, i % 1000);
    snprintf(out, 21, "%s%c%c%c", first17, sf_id_number_check_char(first17), (char) ('1' + i % 7),
             (char) ('1' + i % 4));
}

typedef struct {
    plan_t *plan;
    const district_t *district;
    char prefix[64];
    size_t done, created, existed, failed, shown;
} loader_t;

/* The day a training step happens, days after registration, and never after
 * today. */
static void
training_day(const plan_person_t *who, int32_t after, char out[11])
{
    int32_t day = who->registered + after;
    sf_date_format(day < timeline.today ? day : timeline.today, out);
}

/* The i-th request of a part (NULL when it has none), built in static memory. */
static ProtobufCMessage *
build(loader_t *self, part_t part, size_t i)
{
    static char a[11], b[11], c[64], d[64];
    static Sifang__V1__Person person;
    static Sifang__V1__DifficultyCategory categories[1];
    static Sifang__V1__Skill skill, *skills[1] = { &skill };
    static char *desired[1];
    static Sifang__V1__Enterprise enterprise;
    static Sifang__V1__Vacancy vacancy;
    static Sifang__V1__VacancyKey vacancy_key;
    static Sifang__V1__Placement placement;
    static Sifang__V1__PlacementEndRequest placement_end;
    static Sifang__V1__EntrepreneurshipSupport support;
    static Sifang__V1__Course course;
    static Sifang__V1__Enrolment enrolment;
    static Sifang__V1__MockTest mock;
    static Sifang__V1__ExamResult exam;
    static Sifang__V1__IncubationBase base;
    static Sifang__V1__IncubationTenant tenant;
    static Sifang__V1__IncubationTenantLeaveRequest leave;
    static Sifang__V1__FollowUpRecordRequest visit;
    static char certificate[21];
    plan_t *p = self->plan;
    switch (part) {
    case PART_PEOPLE: {
        const plan_person_t *who = &p->people[i];
        sifang__v1__person__init(&person);
        sifang__v1__skill__init(&skill);
        person.resident_id = (char *) who->resident->id;
        person.status = SIFANG__V1__LABOR_STATUS__LABOR_STATUS_UNEMPLOYED;
        sf_date_format(who->registered, a);
        person.registered_on = a;
        if (who->difficulty) {
            categories[0] = (Sifang__V1__DifficultyCategory) who->category;
            person.n_difficulties = 1;
            person.difficulties = categories;
            if (who->category == SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_DISABLED) {
                disability_certificate(who->resident, i, certificate);
                person.disability_certificate = certificate;
            }
        }
        skill.occupation_code = (char *) occupations[who->occupation].code;
        skill.grade = (Sifang__V1__SkillGrade) (1 + i % 3);
        skill.years = (int32_t) (i % 12);
        person.n_skills = 1;
        person.skills = skills;
        /* As the person stands today: at work or running a business, not
         * looking; still looking, or again since their job ended. */
        person.seeking_work = who->role == ROLE_SEEKER || who->ended;
        if (person.seeking_work) {
            desired[0] = (char *) occupations[who->occupation].code;
            person.desired_occupations = desired;
            person.n_desired_occupations = 1;
        }
        return &person.base;
    }
    case PART_ENTERPRISES: {
        const plan_enterprise_t *e = &p->enterprises[i];
        sifang__v1__enterprise__init(&enterprise);
        enterprise.credit_code = (char *) e->credit_code;
        enterprise.name = (char *) e->name;
        enterprise.zone_code = (char *) e->zone;
        enterprise.liaison_staff_id = (char *) (e->liaison ? e->liaison : "");
        enterprise.address = (char *) e->address;
        enterprise.industry = (char *) trades[e->trade].industry;
        return &enterprise.base;
    }
    case PART_VACANCIES: {
        const plan_vacancy_t *v = &p->vacancies[i];
        sifang__v1__vacancy__init(&vacancy);
        vacancy.enterprise_credit_code = p->enterprises[v->enterprise].credit_code;
        vacancy.title = (char *) occupations[v->occupation].title;
        vacancy.occupation_code = (char *) occupations[v->occupation].code;
        vacancy.positions = v->positions;
        vacancy.full_time = true;
        vacancy.wage_min = v->wage_min;
        vacancy.wage_max = v->wage_max;
        sf_date_format(v->opens, a);
        sf_date_format(v->closes, b);
        vacancy.opens_on = a;
        vacancy.closes_on = b;
        return &vacancy.base;
    }
    case PART_PLACEMENTS: {
        const plan_person_t *who = &p->people[i];
        if (who->role != ROLE_PLACED || (who->vacancy >= 0 && !p->vacancies[who->vacancy].id))
            return NULL;
        sifang__v1__placement__init(&placement);
        placement.resident_id = (char *) who->resident->id;
        placement.kind = (Sifang__V1__PlacementKind) who->kind;
        placement.source = (Sifang__V1__PlacementSource) (1 + i % 3);
        placement.full_time = who->kind != SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_FLEXIBLE;
        sf_date_format(who->event, a);
        placement.start_date = a;
        placement.occupation_code = (char *) occupations[who->occupation].code;
        if (who->vacancy >= 0)
            placement.vacancy_id = p->vacancies[who->vacancy].id;
        else if (who->enterprise >= 0)
            placement.enterprise_credit_code = p->enterprises[who->enterprise].credit_code;
        else
            placement.employer_name = who->kind == SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_SELF_EMPLOYED ? "个体经营" : "灵活就业";
        return &placement.base;
    }
    case PART_SEPARATIONS: {
        const plan_person_t *who = &p->people[i];
        if (!who->ended || !who->placement_id)
            return NULL;
        sifang__v1__placement_end_request__init(&placement_end);
        placement_end.id = who->placement_id;
        sf_date_format(who->ended, a);
        placement_end.end_date = a;
        placement_end.next_status = SIFANG__V1__LABOR_STATUS__LABOR_STATUS_UNEMPLOYED;
        placement_end.reason = (Sifang__V1__SeparationReason) separations[i % (sizeof separations / sizeof *separations)].reason;
        placement_end.note = (char *) separations[i % (sizeof separations / sizeof *separations)].note;
        return &placement_end.base;
    }
    case PART_CLOSES: {
        /* Past its closing day with positions left: closed (a filled one
         * closed itself). */
        const plan_vacancy_t *v = &p->vacancies[i];
        if (!v->id || v->closes >= timeline.today || v->filled >= v->positions)
            return NULL;
        sifang__v1__vacancy_key__init(&vacancy_key);
        vacancy_key.id = v->id;
        return &vacancy_key.base;
    }
    case PART_SUPPORT: {
        const plan_person_t *who = &p->people[i];
        if (who->role != ROLE_ENTREPRENEUR)
            return NULL;
        sifang__v1__entrepreneurship_support__init(&support);
        support.resident_id = (char *) who->resident->id;
        snprintf(c, sizeof c, "四方区%s%s%s", roads[i % (sizeof roads / sizeof *roads)],
                 occupations[who->occupation].title, i % 2 ? "工作室" : "服务部");
        support.business_name = c;
        support.subsidy_yuan = 3000 + (int64_t) (i % 5) * 1000;
        support.guaranteed_loan_yuan = i % 3 == 0 ? 50000 : 0;
        support.incubation_base = base_of(i) >= 0 ? (char *) incubation_bases[base_of(i)] : "";
        sf_date_format(who->event, a);
        support.granted_on = a;
        return &support.base;
    }
    case PART_COURSES:
        sifang__v1__course__init(&course);
        snprintf(c, sizeof c, "C%.4s-%02zu", timeline.current_half.code, i + 1);
        course.code = c;
        snprintf(d, sizeof d, "%s（网上职业学校）", occupations[i % N_OCCUPATIONS].title);
        course.title = d;
        course.occupation_code = (char *) occupations[i % N_OCCUPATIONS].code;
        course.grade = (Sifang__V1__SkillGrade) (1 + i % 3);
        course.hours = 40 + (int32_t) (i % 4) * 20;
        course.online = true;
        course.provider = "四方区网上职业学校";
        return &course.base;
    case PART_ENROLMENTS: {
        const plan_person_t *who = &p->people[p->enrolment_person[i]];
        sifang__v1__enrolment__init(&enrolment);
        snprintf(c, sizeof c, "C%.4s-%02zu", timeline.current_half.code, i % p->n_courses + 1);
        enrolment.course_code = c;
        enrolment.resident_id = (char *) who->resident->id;
        training_day(who, 1, a);
        enrolment.enrolled_on = a;
        return &enrolment.base;
    }
    case PART_MOCK_TESTS: {
        if (!p->enrolment_ids[i])
            return NULL;
        const plan_person_t *who = &p->people[p->enrolment_person[i]];
        sifang__v1__mock_test__init(&mock);
        mock.enrolment_id = p->enrolment_ids[i];
        mock.score = 45 + (int32_t) (i * 13 % 55);
        training_day(who, 20, a);
        mock.taken_on = a;
        return &mock.base;
    }
    case PART_EXAMS: {
        if (!p->enrolment_ids[i] || i % 3 == 2)
            return NULL;
        const plan_person_t *who = &p->people[p->enrolment_person[i]];
        sifang__v1__exam_result__init(&exam);
        exam.resident_id = (char *) who->resident->id;
        exam.occupation_code = (char *) occupations[i % p->n_courses % N_OCCUPATIONS].code;
        exam.grade = (Sifang__V1__SkillGrade) (1 + i % p->n_courses % 3);
        training_day(who, 40, b);
        exam.exam_date = b;
        exam.theory_score = 50 + (int32_t) (i * 7 % 50);
        exam.practical_score = 55 + (int32_t) (i * 11 % 45);
        if (exam.theory_score >= 60 && exam.practical_score >= 60) {
            snprintf(d, sizeof d, "QD%.4s-%06zu", timeline.today_text, i);
            exam.certificate_number = d;
        }
        return &exam.base;
    }
    case PART_BASES: {
        /* Room for every business the year placed in it, and some more. */
        size_t tenants = 0;
        for (size_t k = 0; k < p->n_people; k++)
            tenants += p->people[k].role == ROLE_ENTREPRENEUR && base_of(k) == (int) i;
        sifang__v1__incubation_base__init(&base);
        base.name = (char *) incubation_bases[i];
        snprintf(c, sizeof c, "%s %zu 号", roads[i * 7 % (sizeof roads / sizeof *roads)], 10 + i * 17);
        base.address = c;
        base.zone_code = (char *) self->district->zones[i * self->district->n_zones / 2];
        base.operator_name = i == 0 ? "四方区人力资源和社会保障局" : "四方区创业服务中心";
        base.capacity = (int32_t) (tenants + 20);
        sf_date_format(timeline.first_day - 365, a);
        base.opened_on = a;
        return &base.base;
    }
    case PART_TENANTS: {
        const plan_person_t *who = &p->people[i];
        if (who->role != ROLE_ENTREPRENEUR || base_of(i) < 0 || !who->support_id || !p->base_ids[base_of(i)])
            return NULL;
        sifang__v1__incubation_tenant__init(&tenant);
        tenant.base_id = p->base_ids[base_of(i)];
        snprintf(c, sizeof c, "四方区%s%s%s", roads[i % (sizeof roads / sizeof *roads)],
                 occupations[who->occupation].title, i % 2 ? "工作室" : "服务部");
        tenant.business_name = c;
        tenant.resident_id = (char *) who->resident->id;
        tenant.support_id = who->support_id;
        sf_date_format(who->event, a);
        tenant.entered_on = a;
        return &tenant.base;
    }
    case PART_LEAVES: {
        const plan_person_t *who = &p->people[i];
        if (!who->tenant_id || i / INCUBATED_EVERY % 3 != 0 || who->event + INCUBATION_DAYS > timeline.today)
            return NULL;
        sifang__v1__incubation_tenant_leave_request__init(&leave);
        leave.id = who->tenant_id;
        sf_date_format(who->event + INCUBATION_DAYS, a);
        leave.left_on = a;
        leave.reason = i % 2 ? "孵化期满，迁出自营" : "孵化期满迁出";
        return &leave.base;
    }
    case PART_FOLLOW_UPS: {
        if (i >= p->n_follow_ups)
            return NULL;
        sifang__v1__follow_up_record_request__init(&visit);
        visit.id = p->follow_up_ids[i];
        /* Within a fortnight of falling due, never after today. */
        int32_t visited = p->follow_up_due[i] + (int32_t) (p->follow_up_ids[i] % 14);
        sf_date_format(visited < timeline.today ? visited : timeline.today, a);
        visit.visited_on = a;
        bool placement_visit = p->follow_up_kind[i] == SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_PLACEMENT;
        visit.outcome = p->follow_up_ids[i] % 11 == 0 ? SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_NEEDS_HELP
                        : placement_visit ? SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_STILL_EMPLOYED
                        : SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_BUSINESS_OPERATING;
        visit.note = visit.outcome == SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_NEEDS_HELP ? "反映技能不足，推荐培训"
                     : placement_visit ? "在岗稳定" : "经营正常";
        return &visit.base;
    }
    default:
        return NULL;
    }
}

static void
took_reply(loader_t *self, part_t part, size_t i, const void *body, size_t size)
{
    if (part == PART_VACANCIES) {
        Sifang__V1__Vacancy *vacancy = sifang__v1__vacancy__unpack(NULL, size, body);
        if (vacancy) {
            self->plan->vacancies[i].id = vacancy->id;
            sifang__v1__vacancy__free_unpacked(vacancy, NULL);
        }
    } else if (part == PART_PLACEMENTS) {
        Sifang__V1__Placement *placement = sifang__v1__placement__unpack(NULL, size, body);
        if (placement) {
            self->plan->people[i].placement_id = placement->id;
            sifang__v1__placement__free_unpacked(placement, NULL);
        }
    } else if (part == PART_SUPPORT) {
        Sifang__V1__EntrepreneurshipSupport *support = sifang__v1__entrepreneurship_support__unpack(NULL, size, body);
        if (support) {
            self->plan->people[i].support_id = support->id;
            sifang__v1__entrepreneurship_support__free_unpacked(support, NULL);
        }
    } else if (part == PART_BASES) {
        Sifang__V1__IncubationBase *base = sifang__v1__incubation_base__unpack(NULL, size, body);
        if (base) {
            self->plan->base_ids[i] = base->id;
            sifang__v1__incubation_base__free_unpacked(base, NULL);
        }
    } else if (part == PART_TENANTS) {
        Sifang__V1__IncubationTenant *tenant = sifang__v1__incubation_tenant__unpack(NULL, size, body);
        if (tenant) {
            self->plan->people[i].tenant_id = tenant->id;
            sifang__v1__incubation_tenant__free_unpacked(tenant, NULL);
        }
    } else if (part == PART_ENROLMENTS) {
        Sifang__V1__Enrolment *enrolment = sifang__v1__enrolment__unpack(NULL, size, body);
        if (enrolment) {
            self->plan->enrolment_ids[i] = enrolment->id;
            sifang__v1__enrolment__free_unpacked(enrolment, NULL);
        }
    }
}

/* Sends every request of a part with a window in flight; resends (same id)
 * what got UNAVAILABLE or no reply. */
static bool
load_part(loader_t *self, part_t part, size_t n)
{
    size_t next = 0, in_flight = 0, created = 0, existed = 0, failed = 0, skipped = 0;
    char *waiting = calloc(n ? n : 1, 1);
    int64_t *sent_at = calloc(n ? n : 1, sizeof *sent_at);
    int64_t started = sf_clock_ms(), shown = 0;
    bool ok = true;
    while ((next < n || in_flight > 0) && ok) {
        while (next < n && in_flight < (size_t) window) {
            ProtobufCMessage *request = build(self, part, next);
            if (!request) {
                skipped++;
                next++;
                continue;
            }
            char id[96];
            snprintf(id, sizeof id, "%s-%d-%zu", self->prefix, (int) part, next);
            if (sf_client_send(employment, part_methods[part], id, request) != 0) {
                ok = false;
                break;
            }
            waiting[next] = 1;
            sent_at[next] = sf_clock_ms();
            next++;
            in_flight++;
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(employment, 1000, &body, &size, &info);
        if (got < 0) {
            ok = false;
            break;
        }
        if (got == 1) {
            int reply_part = -1;
            size_t i = 0;
            const char *tail = info.request_id ? strrchr(info.request_id, '-') : NULL;
            if (tail && sscanf(info.request_id + strlen(self->prefix), "-%d-%zu", &reply_part, &i) == 2
                && reply_part == (int) part && i < n && waiting[i]) {
                if (info.status == SF_UNAVAILABLE || info.status == SF_DEADLINE_EXCEEDED) {
                    usleep(200000);
                    ProtobufCMessage *request = build(self, part, i);
                    char id[96];
                    snprintf(id, sizeof id, "%s-%d-%zu", self->prefix, (int) part, i);
                    /* A resend that does not go is sent again after 30 s
                     * without a reply, below. */
                    SF_IGNORE(sf_client_send(employment, part_methods[part], id, request));
                    sent_at[i] = sf_clock_ms();
                } else {
                    waiting[i] = 0;
                    in_flight--;
                    if (info.status == SF_OK) {
                        created++;
                        took_reply(self, part, i, body, size);
                    } else if (info.status == SF_ALREADY_EXISTS)
                        existed++;
                    else {
                        failed++;
                        if (self->shown++ < 10)
                            fprintf(stderr, "\n%s %zu: %s: %s", part_names[part], i, sf_status_name(info.status),
                                    info.message ? info.message : "");
                    }
                }
            }
            free(body);
        } else {
            /* Nothing for a second: resend what waited 30 s. */
            int64_t now = sf_clock_ms();
            for (size_t i = 0; i < next; i++) {
                if (!waiting[i] || now - sent_at[i] < 30000)
                    continue;
                ProtobufCMessage *request = build(self, part, i);
                char id[96];
                snprintf(id, sizeof id, "%s-%d-%zu", self->prefix, (int) part, i);
                /* One that does not go comes round again in 30 s. */
                SF_IGNORE(sf_client_send(employment, part_methods[part], id, request));
                sent_at[i] = now;
            }
        }
        if (sf_clock_ms() - shown > 500) {
            shown = sf_clock_ms();
            fprintf(stderr, "\r%-12s %zu/%zu", part_names[part], created + existed + failed + skipped, n);
        }
    }
    double seconds = (double) (sf_clock_ms() - started) / 1000.0;
    fprintf(stderr, "\r%-12s %zu sent: %zu written, %zu there already, %zu failed (%.1f s)\n", part_names[part],
            n - skipped, created, existed, failed, seconds);
    self->created += created;
    self->existed += existed;
    self->failed += failed;
    free(waiting);
    free(sent_at);
    return ok;
}

/* The bases' ids a reply did not give (created by an earlier day's load):
 * by name from the list. */
static bool
find_bases(plan_t *p)
{
    if (p->base_ids[0] && p->base_ids[1])
        return true;
    Sifang__V1__IncubationBaseListRequest request = SIFANG__V1__INCUBATION_BASE_LIST_REQUEST__INIT;
    Sifang__V1__IncubationBaseListReply *reply = NULL;
    sf_reply_info_t info;
    if (sf_client_call(employment, "IncubationBaseList", NULL, &request.base,
                       &sifang__v1__incubation_base_list_reply__descriptor, (ProtobufCMessage **) &reply, &info) != SF_OK) {
        fprintf(stderr, "IncubationBaseList: %s\n", info.message ? info.message : sf_status_name(info.status));
        return false;
    }
    for (size_t i = 0; i < reply->n_bases; i++)
        for (int b = 0; b < 2; b++)
            if (strcmp(reply->bases[i]->name, incubation_bases[b]) == 0)
                p->base_ids[b] = reply->bases[i]->id;
    sifang__v1__incubation_base_list_reply__free_unpacked(reply, NULL);
    return true;
}

/* The follow-up visits due by today not yet recorded, but every
 * FOLLOW_UP_LEFT_EVERY-th (left overdue): what the follow-ups part records.
 * A second run the same day finds only those left, and records none. */
static bool
read_follow_ups(plan_t *p)
{
    char token[64] = "", due_by[11];
    sf_date_format(timeline.today, due_by);
    size_t capacity = 0;
    do {
        Sifang__V1__FollowUpListRequest request = SIFANG__V1__FOLLOW_UP_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        request.pending_only = true;
        request.due_by = due_by;
        Sifang__V1__FollowUpListReply *reply = NULL;
        sf_reply_info_t info;
        if (sf_client_call(employment, "FollowUpList", NULL, &request.base, &sifang__v1__follow_up_list_reply__descriptor,
                           (ProtobufCMessage **) &reply, &info) != SF_OK) {
            fprintf(stderr, "FollowUpList: %s\n", info.message ? info.message : sf_status_name(info.status));
            return false;
        }
        if (p->n_follow_ups + reply->n_follow_ups > capacity) {
            capacity = (p->n_follow_ups + reply->n_follow_ups) * 2;
            p->follow_up_ids = realloc(p->follow_up_ids, capacity * sizeof *p->follow_up_ids);
            p->follow_up_due = realloc(p->follow_up_due, capacity * sizeof *p->follow_up_due);
            p->follow_up_kind = realloc(p->follow_up_kind, capacity * sizeof *p->follow_up_kind);
            if (!p->follow_up_ids || !p->follow_up_due || !p->follow_up_kind)
                abort();
        }
        for (size_t i = 0; i < reply->n_follow_ups; i++) {
            const Sifang__V1__FollowUp *f = reply->follow_ups[i];
            int32_t due = 0;
            if (f->id % FOLLOW_UP_LEFT_EVERY == 0 || !sf_date_parse(f->due_on, &due))
                continue;
            p->follow_up_ids[p->n_follow_ups] = f->id;
            p->follow_up_due[p->n_follow_ups] = due;
            p->follow_up_kind[p->n_follow_ups++] = f->kind;
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        sifang__v1__follow_up_list_reply__free_unpacked(reply, NULL);
    } while (*token);
    return true;
}

/* Employment has followed grid as far as grid's head when its cursor is there. */
static bool
wait_for_follower(int wait_s)
{
    int64_t deadline = sf_clock_ms() + (int64_t) wait_s * 1000;
    while (sf_clock_ms() < deadline) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        Sifang__V1__StatsRequest stats = SIFANG__V1__STATS_REQUEST__INIT;
        Sifang__V1__PingReply *head = NULL;
        Sifang__V1__StatsReply *cursor = NULL;
        sf_reply_info_t info;
        if (sf_client_call(grid, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                           (ProtobufCMessage **) &head, &info) == SF_OK
            && sf_client_call(employment, "Sys.Stats", NULL, &stats.base, &sifang__v1__stats_reply__descriptor,
                              (ProtobufCMessage **) &cursor, &info) == SF_OK) {
            int64_t at = -1;
            /* Grid's cursor: employment follows intake too (its one registration). */
            for (size_t i = 0; i < cursor->n_followers; i++)
                if (strncmp(cursor->followers[i]->status, "grid", 4) == 0)
                    at = cursor->followers[i]->count;
            bool caught_up = at >= head->event_head;
            fprintf(stderr, "\rwaiting for employment to follow grid: %lld/%lld", (long long) at,
                    (long long) head->event_head);
            sifang__v1__ping_reply__free_unpacked(head, NULL);
            sifang__v1__stats_reply__free_unpacked(cursor, NULL);
            if (caught_up) {
                fprintf(stderr, "\n");
                return true;
            }
        } else {
            if (head)
                sifang__v1__ping_reply__free_unpacked(head, NULL);
            if (cursor)
                sifang__v1__stats_reply__free_unpacked(cursor, NULL);
        }
        sleep(1);
    }
    fprintf(stderr, "\nemployment did not catch up with grid in %d s\n", wait_s);
    return false;
}

int
main(int argc, char **argv)
{
    long seed = sf_env_int("SIFANG_DEMO_SEED", 2012);
    double scale = 1.0;
    int wait_s = 300;
    demo_timeline_today(&timeline);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            char text[sizeof usage_text + 64];
            snprintf(text, sizeof text, usage_text, PLACED, ENTREPRENEURS, DIFFICULTY, DIFFICULTY_EMPLOYED, ENTERPRISES,
                     VACANCIES, QINGDAO_MINIMUM_WAGE);
            sf_config_help(stdout, text, settings);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = atol(argv[++i]);
        else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale = atof(argv[++i]);
            if (!(scale > 0 && scale <= DEMO_SCALE_MAX)) {
                fprintf(stderr, "--scale takes 0 < F <= %g\n", DEMO_SCALE_MAX);
                return EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--today") == 0 && i + 1 < argc) {
            if (!demo_timeline_parse(&timeline, argv[++i])) {
                fprintf(stderr, "--today takes a date YYYY-MM-DD\n");
                return EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc) {
            window = atoi(argv[++i]);
            if (window < 1 || window > 8192) {
                fprintf(stderr, "--window takes 1 to 8192\n");
                return EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
            wait_s = atoi(argv[++i]);
        else {
            fprintf(stderr, "sifang-employment-demo-load: bad argument %s (see --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    char error[256];
    grid = sf_client_for_service("grid", error, sizeof error);
    employment = grid ? sf_client_for_service("employment", error, sizeof error) : NULL;
    if (!grid || !employment) {
        fprintf(stderr, "sifang-employment-demo-load: %s\n", error);
        return EXIT_USAGE;
    }
    sf_client_set_timeout(grid, 30000);
    sf_client_set_timeout(employment, 30000);
    int rc = EXIT_OK;
    district_t district;
    memset(&district, 0, sizeof district);
    plan_t plan;
    memset(&plan, 0, sizeof plan);
    rng_state = (uint64_t) seed * 0x2545F4914F6CDD1Dull + 4;
    if (!wait_for_follower(wait_s) || !read_district(&district)) {
        rc = EXIT_TRANSPORT;
        goto cleanup;
    }
    if (!make_plan(&district, scale, &plan)) {
        rc = EXIT_FAILED;
        goto cleanup;
    }
    loader_t loader = { .plan = &plan, .district = &district };
    /* The day is part of the ids: another day's plan is another load. */
    snprintf(loader.prefix, sizeof loader.prefix, "emp-demo-%ld-%g-%s", seed, scale, timeline.today_text);
    size_t separated = 0;
    for (size_t k = 0; k < plan.n_people; k++)
        separated += plan.people[k].ended != 0;
    char first[11];
    sf_date_format(timeline.first_day, first);
    fprintf(stderr, "%s to %s: %zu people (%zu placements ending again), %zu enterprises, %zu vacancies\n",
            first, timeline.today_text, plan.n_people, separated, plan.n_enterprises, plan.n_vacancies);
    size_t sizes[PART_COUNT] = { plan.n_people, plan.n_enterprises, plan.n_vacancies, plan.n_people, plan.n_people,
                                 plan.n_vacancies, plan.n_people, plan.n_courses, plan.n_enrolments,
                                 plan.n_enrolments, plan.n_enrolments, 2, plan.n_people, plan.n_people, 0 };
    for (int part = 0; part < PART_COUNT; part++) {
        if ((part == PART_TENANTS && !find_bases(&plan)) || (part == PART_FOLLOW_UPS && !read_follow_ups(&plan))) {
            rc = EXIT_TRANSPORT;
            goto cleanup;
        }
        if (part == PART_FOLLOW_UPS)
            sizes[part] = plan.n_follow_ups;
        if (!load_part(&loader, (part_t) part, sizes[part])) {
            rc = EXIT_TRANSPORT;
            goto cleanup;
        }
    }
    fprintf(stderr, "done: %zu written, %zu there already, %zu failed\n", loader.created, loader.existed,
            loader.failed);
    if (loader.failed)
        rc = EXIT_FAILED;
cleanup:
    free(district.zones);
    free(district.cadres);
    free(district.residents);
    free(plan.people);
    free(plan.enterprises);
    free(plan.vacancies);
    free(plan.enrolment_ids);
    free(plan.enrolment_person);
    free(plan.follow_up_ids);
    free(plan.follow_up_due);
    free(plan.follow_up_kind);
    sf_client_destroy(&grid);
    sf_client_destroy(&employment);
    return rc;
}
