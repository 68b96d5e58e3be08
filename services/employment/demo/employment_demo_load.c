/* sifang-employment-demo-load: Sifang District's ten months of employment work
 * (January to October of DEMO_YEAR, at the scale of Sifang's 2012) loaded
 * through employment's own API after grid's
 * demo district: job seekers among the residents of working age, a
 * difficulty population from the households in difficulty, enterprises with
 * liaison officers, vacancies, 32,736 placements, 1,230 entrepreneurs
 * supported, and the online vocational school. Deterministic from a seed;
 * request ids derive from it, so a re-run finishes an interrupted load and
 * writes nothing twice. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sf_client.h"
#include "sf_codes.h"
#include "sf_config.h"
#include "sf_status.h"
#include "sf_text.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

/* Sifang's figures for January to October 2012, set in DEMO_YEAR: the year
 * intake's demo cases and grid's demo ages are set in, so that the
 * dashboard and evaluation see one district in one year. */
#define DEMO_YEAR 2026
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
#define PERIOD_DAYS 304            /* January to October (DEMO_YEAR is not a leap year) */

static const char usage_text[] =
    "usage: sifang-employment-demo-load [--seed N] [--scale F] [--window N] [--wait S]\n"
    "\n"
    "Loads ten months (January-October 2026) of employment work at Sifang's scale into the\n"
    "employment service through its API, after grid's demo district\n"
    "(sifang-demo-load): %d placements, %d entrepreneurs supported, %d people\n"
    "with employment difficulties of whom %d at work at the end (97.27%%),\n"
    "%d enterprises with liaison officers, %d vacancies, courses, enrolments,\n"
    "mock tests and certification exams. It reads the district from grid\n"
    "(units, staff, households, residents) and waits until employment has\n"
    "followed grid that far. The same seed gives the same load and the same\n"
    "request ids: a re-run completes an interrupted one.\n"
    "\n"
    "  --seed N     the seed (default SIFANG_DEMO_SEED or 2012)\n"
    "  --scale F    a proportionally smaller load, 0 < F <= 1 (default 1)\n"
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

/* --- dates ----------------------------------------------------------------------------- */

static int32_t
days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void
date_text(int32_t z, char out[11])
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    int y = yoe + era * 400 + (m <= 2);
    char text[32];
    snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
    memcpy(out, text, 10);
    out[10] = 0;
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
            int y = 0, m = 0, day = 0;
            if (sscanf(from->birth_date, "%d-%d-%d", &y, &m, &day) != 3 || strlen(from->household_code) != 18)
                continue;
            resident_t *to = &d->residents[d->n_residents++];
            snprintf(to->id, sizeof to->id, "%s", from->id);
            snprintf(to->zone, sizeof to->zone, "%.*s", (int) sf_code_ancestor(from->household_code, 14),
                     from->household_code);
            to->female = from->gender == SIFANG__V1__GENDER__GENDER_FEMALE;
            to->birth = days_from_civil(y, m, day);
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

typedef struct {
    const resident_t *resident;
    int role;
    bool difficulty;
    int category;                  /* DifficultyCategory when difficulty */
    int32_t registered, event;     /* registration; start of the placement or support */
    int occupation;                /* index into occupations */
    int kind;                      /* PlacementKind when placed */
    int vacancy;                   /* index into vacancies, -1 without */
    int enterprise;                /* for enterprise/public-welfare placements without vacancy */
} plan_person_t;

/* The occupations the district's work mostly is (classification 2022). */
static const char *const occupations[] = {
    "4-03-02-01", "4-03-02-05", "4-01-02-03", "4-01-02-04", "4-07-05-01", "4-10-01-06", "4-10-01-05",
    "4-02-07-08", "4-02-07-10", "4-02-06-01", "4-03-01-02", "4-10-03-02", "4-12-01-01", "6-31-01-03",
    "6-18-02-04", "6-29-01-01", "4-01-02-01", "4-10-01-02", "2-06-03-00", "4-03-02-02",
};
#define N_OCCUPATIONS (sizeof occupations / sizeof occupations[0])
static const char *const titles[] = {
    "中式烹调师", "餐厅服务员", "商品营业员", "收银员", "保安员", "家政服务员", "养老护理员", "快递员", "网约配送员",
    "仓储管理员", "客房服务员", "美发师", "汽车维修工", "电工", "焊工", "砌筑工", "营销员", "育婴员", "会计", "面点师",
};

typedef struct {
    char credit_code[19];
    char name[64];
    const char *zone;
    const char *liaison;
} plan_enterprise_t;

typedef struct {
    int enterprise;
    int occupation;
    int positions;
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
} plan_t;

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

static bool
working_age_all_year(const resident_t *r)
{
    int32_t first = days_from_civil(DEMO_YEAR - 1, 10, 1), last = days_from_civil(DEMO_YEAR, 12, 31);
    int32_t sixteen = r->birth + (int32_t) (16 * 365.25) + 2;
    int32_t retire = r->birth + (int32_t) ((r->female ? 55 : 60) * 365.25) - 2;
    return sixteen <= first && retire > last;
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
    int32_t age = (days_from_civil(DEMO_YEAR, 1, 1) - r->birth) / 365;
    if ((r->flags & (1 << SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF)) && age >= (r->female ? 40 : 50))
        return SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_AGED_4050;
    return SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED;
}

static size_t
scaled(size_t full, double scale)
{
    size_t value = (size_t) llround((double) full * scale);
    return value ? value : 1;
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
    /* Enterprises and vacancies. */
    p->n_enterprises = scaled(ENTERPRISES, scale);
    p->enterprises = calloc(p->n_enterprises, sizeof *p->enterprises);
    static const char *const trades[] = { "餐饮", "商贸", "物业", "家政", "物流", "机械", "建筑", "养老", "汽修", "酒店" };
    for (size_t e = 0; e < p->n_enterprises; e++) {
        plan_enterprise_t *enterprise = &p->enterprises[e];
        credit_code(e, enterprise->credit_code);
        snprintf(enterprise->name, sizeof enterprise->name, "青岛四方%s有限公司%04zu", trades[e % 10], e + 1);
        enterprise->zone = d->zones[rng_below(d->n_zones)];
        enterprise->liaison = d->n_cadres ? d->cadres[e % d->n_cadres] : NULL;
    }
    p->n_vacancies = scaled(VACANCIES, scale);
    p->vacancies = calloc(p->n_vacancies, sizeof *p->vacancies);
    for (size_t v = 0; v < p->n_vacancies; v++) {
        p->vacancies[v].enterprise = (int) (v % p->n_enterprises);
        p->vacancies[v].occupation = (int) rng_below(N_OCCUPATIONS);
        p->vacancies[v].positions = 0;
    }
    /* Placements: 60% fill a vacancy, the rest flexible, public-welfare posts
     * and self-employment; dates through the ten months. */
    size_t v = 0;
    for (size_t k = 0; k < p->n_people; k++) {
        plan_person_t *person = &p->people[k];
        person->event = days_from_civil(DEMO_YEAR, 1, 1) + (int32_t) rng_below(PERIOD_DAYS);
        person->registered = person->event - 1 - (int32_t) rng_below(60);
        if (person->role == ROLE_SEEKER)
            person->registered = days_from_civil(DEMO_YEAR, 1, 1) + (int32_t) rng_below(PERIOD_DAYS);
        person->occupation = (int) rng_below(N_OCCUPATIONS);
        if (person->role != ROLE_PLACED)
            continue;
        size_t pick = rng_below(100);
        if (pick < 60) {
            person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_ENTERPRISE;
            person->vacancy = (int) (v++ % p->n_vacancies);
            p->vacancies[person->vacancy].positions++;
            person->occupation = p->vacancies[person->vacancy].occupation;
        } else if (pick < 85)
            person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_FLEXIBLE;
        else if (pick < 93) {
            person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_PUBLIC_WELFARE_POST;
            person->enterprise = (int) rng_below(p->n_enterprises);
        } else
            person->kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_SELF_EMPLOYED;
    }
    /* Every vacancy has a few positions more than it fills. */
    for (size_t i = 0; i < p->n_vacancies; i++)
        p->vacancies[i].positions += 1 + (int) rng_below(3);
    p->n_courses = COURSES;
    p->n_enrolments = scaled(ENROLMENTS, scale);
    p->enrolment_ids = calloc(p->n_enrolments, sizeof *p->enrolment_ids);
    p->enrolment_person = calloc(p->n_enrolments, sizeof *p->enrolment_person);
    for (size_t i = 0; i < p->n_enrolments; i++)
        p->enrolment_person[i] = rng_below(p->n_people);
    return true;
}

/* --- sending ------------------------------------------------------------------------------ */

typedef enum {
    PART_PEOPLE, PART_ENTERPRISES, PART_VACANCIES, PART_PLACEMENTS, PART_SUPPORT,
    PART_COURSES, PART_ENROLMENTS, PART_MOCK_TESTS, PART_EXAMS, PART_COUNT
} part_t;

static const char *const part_names[] = { "people", "enterprises", "vacancies", "placements", "support",
                                          "courses", "enrolments", "mock tests", "exams" };
static const char *const part_methods[] = { "PersonRegister", "EnterpriseRegister", "VacancyPost", "PlacementRegister",
                                            "SupportGrant", "CourseCreate", "EnrolmentCreate", "MockTestRecord",
                                            "ExamResultRecord" };

typedef struct {
    plan_t *plan;
    char prefix[48];
    size_t done, created, existed, failed, shown;
} loader_t;

/* The i-th request of a part (NULL when it has none), built in static memory. */
static ProtobufCMessage *
build(loader_t *self, part_t part, size_t i)
{
    static char a[11], b[11], c[64], d[64];
    static Sifang__V1__Person person;
    static Sifang__V1__DifficultyCategory categories[1];
    static Sifang__V1__Skill skill, *skills[1] = { &skill };
    static Sifang__V1__Enterprise enterprise;
    static Sifang__V1__Vacancy vacancy;
    static Sifang__V1__Placement placement;
    static Sifang__V1__EntrepreneurshipSupport support;
    static Sifang__V1__Course course;
    static Sifang__V1__Enrolment enrolment;
    static Sifang__V1__MockTest mock;
    static Sifang__V1__ExamResult exam;
    plan_t *p = self->plan;
    switch (part) {
    case PART_PEOPLE: {
        const plan_person_t *who = &p->people[i];
        sifang__v1__person__init(&person);
        sifang__v1__skill__init(&skill);
        person.resident_id = (char *) who->resident->id;
        person.status = SIFANG__V1__LABOR_STATUS__LABOR_STATUS_UNEMPLOYED;
        date_text(who->registered, a);
        person.registered_on = a;
        if (who->difficulty) {
            categories[0] = (Sifang__V1__DifficultyCategory) who->category;
            person.n_difficulties = 1;
            person.difficulties = categories;
        }
        skill.occupation_code = (char *) occupations[who->occupation];
        skill.grade = (Sifang__V1__SkillGrade) (1 + i % 3);
        skill.years = (int32_t) (i % 12);
        person.n_skills = 1;
        person.skills = skills;
        person.seeking_work = true;
        return &person.base;
    }
    case PART_ENTERPRISES: {
        const plan_enterprise_t *e = &p->enterprises[i];
        sifang__v1__enterprise__init(&enterprise);
        enterprise.credit_code = (char *) e->credit_code;
        enterprise.name = (char *) e->name;
        enterprise.zone_code = (char *) e->zone;
        enterprise.liaison_staff_id = (char *) (e->liaison ? e->liaison : "");
        snprintf(c, sizeof c, "四方区%s", e->name + strlen("青岛四方"));   /* every name here starts so */
        enterprise.address = c;
        return &enterprise.base;
    }
    case PART_VACANCIES: {
        const plan_vacancy_t *v = &p->vacancies[i];
        sifang__v1__vacancy__init(&vacancy);
        vacancy.enterprise_credit_code = p->enterprises[v->enterprise].credit_code;
        vacancy.title = (char *) titles[v->occupation];
        vacancy.occupation_code = (char *) occupations[v->occupation];
        vacancy.positions = v->positions;
        vacancy.full_time = true;
        vacancy.wage_min = 1800 + (int32_t) (i % 10) * 100;
        vacancy.wage_max = vacancy.wage_min + 1200;
        vacancy.opens_on = "2025-12-01";   /* the December before DEMO_YEAR */
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
        date_text(who->event, a);
        placement.start_date = a;
        placement.occupation_code = (char *) occupations[who->occupation];
        if (who->vacancy >= 0)
            placement.vacancy_id = p->vacancies[who->vacancy].id;
        else if (who->enterprise >= 0)
            placement.enterprise_credit_code = p->enterprises[who->enterprise].credit_code;
        else
            placement.employer_name = who->kind == SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_SELF_EMPLOYED ? "个体经营" : "灵活就业";
        return &placement.base;
    }
    case PART_SUPPORT: {
        const plan_person_t *who = &p->people[i];
        if (who->role != ROLE_ENTREPRENEUR)
            return NULL;
        sifang__v1__entrepreneurship_support__init(&support);
        support.resident_id = (char *) who->resident->id;
        snprintf(c, sizeof c, "%s%zu号店", titles[who->occupation], i);
        support.business_name = c;
        support.subsidy_yuan = 3000 + (int64_t) (i % 5) * 1000;
        support.guaranteed_loan_yuan = i % 3 == 0 ? 50000 : 0;
        support.incubation_base = i % 7 == 0 ? "四方区创业孵化基地" : "";
        date_text(who->event, a);
        support.granted_on = a;
        return &support.base;
    }
    case PART_COURSES:
        sifang__v1__course__init(&course);
        snprintf(c, sizeof c, "C%d-%02zu", DEMO_YEAR, i + 1);
        course.code = c;
        snprintf(d, sizeof d, "%s（网上职业学校）", titles[i % N_OCCUPATIONS]);
        course.title = d;
        course.occupation_code = (char *) occupations[i % N_OCCUPATIONS];
        course.grade = (Sifang__V1__SkillGrade) (1 + i % 3);
        course.hours = 40 + (int32_t) (i % 4) * 20;
        course.online = true;
        course.provider = "四方区网上职业学校";
        return &course.base;
    case PART_ENROLMENTS: {
        const plan_person_t *who = &p->people[p->enrolment_person[i]];
        sifang__v1__enrolment__init(&enrolment);
        snprintf(c, sizeof c, "C%d-%02zu", DEMO_YEAR, i % p->n_courses + 1);
        enrolment.course_code = c;
        enrolment.resident_id = (char *) who->resident->id;
        date_text(who->registered + 1, a);
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
        date_text(who->registered + 20, a);
        mock.taken_on = a;
        return &mock.base;
    }
    case PART_EXAMS: {
        if (!p->enrolment_ids[i] || i % 3 == 2)
            return NULL;
        const plan_person_t *who = &p->people[p->enrolment_person[i]];
        sifang__v1__exam_result__init(&exam);
        exam.resident_id = (char *) who->resident->id;
        exam.occupation_code = (char *) occupations[i % p->n_courses % N_OCCUPATIONS];
        exam.grade = (Sifang__V1__SkillGrade) (1 + i % p->n_courses % 3);
        date_text(who->registered + 40 > days_from_civil(DEMO_YEAR, 10, 31) ? days_from_civil(DEMO_YEAR, 10, 31) : who->registered + 40, b);
        exam.exam_date = b;
        exam.theory_score = 50 + (int32_t) (i * 7 % 50);
        exam.practical_score = 55 + (int32_t) (i * 11 % 45);
        if (exam.theory_score >= 60 && exam.practical_score >= 60) {
            snprintf(d, sizeof d, "QD%d-%s-%06zu", DEMO_YEAR, self->prefix + 9, i);
            exam.certificate_number = d;
        }
        return &exam.base;
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
            for (size_t i = 0; i < cursor->n_followers; i++)
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
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            char text[sizeof usage_text + 64];
            snprintf(text, sizeof text, usage_text, PLACED, ENTREPRENEURS, DIFFICULTY, DIFFICULTY_EMPLOYED, ENTERPRISES,
                     VACANCIES);
            sf_config_help(stdout, text, settings);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = atol(argv[++i]);
        else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale = atof(argv[++i]);
            if (!(scale > 0 && scale <= 1)) {
                fprintf(stderr, "--scale takes 0 < F <= 1\n");
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
    loader_t loader = { .plan = &plan };
    snprintf(loader.prefix, sizeof loader.prefix, "emp-demo-%ld-%g", seed, scale);
    fprintf(stderr, "loading %zu people, %zu enterprises, %zu vacancies\n", plan.n_people, plan.n_enterprises,
            plan.n_vacancies);
    size_t sizes[PART_COUNT] = { plan.n_people, plan.n_enterprises, plan.n_vacancies, plan.n_people, plan.n_people,
                                 plan.n_courses, plan.n_enrolments, plan.n_enrolments, plan.n_enrolments };
    for (int part = 0; part < PART_COUNT; part++)
        if (!load_part(&loader, (part_t) part, sizes[part])) {
            rc = EXIT_TRANSPORT;
            goto cleanup;
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
    sf_client_destroy(&grid);
    sf_client_destroy(&employment);
    return rc;
}
