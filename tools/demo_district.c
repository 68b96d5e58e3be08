/* The demo-district generator: Sifang District's streets, communities, zones,
 * building groups, households with their heads, staff, responsibilities,
 * departments and pairings, all drawn from one seeded random stream in a
 * fixed order so that a seed always gives the same district. */
#include "demo_district.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sf_dates.h"
#include "sf_ids.h"

/* --- The timeline ------------------------------------------------------- */

static int64_t
clock_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
half_year_of(int32_t day, demo_half_year_t *half)
{
    int year, month, mday;
    sf_civil_from_days(day, &year, &month, &mday);
    bool first = month <= 6;
    snprintf(half->code, sizeof half->code, "%04d-H%d", year % 10000, first ? 1 : 2);
    half->first_day = sf_days_from_civil(year, first ? 1 : 7, 1);
    half->last_day = first ? sf_days_from_civil(year, 6, 30) : sf_days_from_civil(year, 12, 31);
}

void
demo_timeline_on(demo_timeline_t *self, int32_t day)
{
    memset(self, 0, sizeof *self);
    self->today = day;
    sf_date_format(day, self->today_text);
    int year, month, mday;
    sf_civil_from_days(day, &year, &month, &mday);
    /* A year ago (29 February falls back to the 28th), and the day after. */
    int days_then = sf_month_days(year - 1, month);
    self->first_day = sf_days_from_civil(year - 1, month, mday < days_then ? mday : days_then) + 1;
    self->n_days = day - self->first_day + 1;
    half_year_of(day, &self->current_half);
    half_year_of(self->current_half.first_day - 1, &self->previous_half);
}

void
demo_timeline_today(demo_timeline_t *self)
{
    demo_timeline_on(self, demo_day_of_ms(clock_now_ms()));
}

bool
demo_timeline_parse(demo_timeline_t *self, const char *text)
{
    int32_t day;
    if (!text || !sf_date_parse(text, &day))
        return false;
    demo_timeline_on(self, day);
    return true;
}

bool
demo_timeline_holds(const demo_timeline_t *self, int32_t day)
{
    return day >= self->first_day && day <= self->today;
}

int64_t
demo_day_start_ms(int32_t day)
{
    return (int64_t) day * DEMO_DAY_MS - DEMO_UTC_OFFSET_MS;
}

int32_t
demo_day_of_ms(int64_t ms)
{
    int64_t local = ms + DEMO_UTC_OFFSET_MS;
    return (int32_t) ((local >= 0 ? local : local - (DEMO_DAY_MS - 1)) / DEMO_DAY_MS);
}

int64_t
demo_timeline_now_ms(const demo_timeline_t *self)
{
    int64_t now = clock_now_ms();
    int64_t end = demo_day_start_ms(self->today + 1) - 1;
    return now < end ? now : end;
}

/* --- A small seeded generator (xoshiro256**, seeded by splitmix64) -------- */

typedef struct {
    uint64_t s[4];
} demo_rng_t;

uint64_t
demo_stream_next(demo_stream_t *self)
{
    uint64_t z = (self->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int
demo_stream_below(demo_stream_t *self, int n)
{
    return n > 0 ? (int) (demo_stream_next(self) % (uint64_t) n) : 0;
}

double
demo_stream_unit(demo_stream_t *self)
{
    return (double) (demo_stream_next(self) >> 11) / 9007199254740992.0;
}

static void
rng_seed(demo_rng_t *rng, uint64_t seed)
{
    demo_stream_t stream = { seed };
    for (int i = 0; i < 4; i++)
        rng->s[i] = demo_stream_next(&stream);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(demo_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n); the modulo bias is far below anything a demo shows. */
static size_t
rng_below(demo_rng_t *rng, size_t n)
{
    return n ? (size_t) (rng_next(rng) % n) : 0;
}

/* Uniform in [0, 1). */
static double
rng_unit(demo_rng_t *rng)
{
    return (double) (rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

static double
rng_range(demo_rng_t *rng, double lo, double hi)
{
    return lo + (hi - lo) * rng_unit(rng);
}

static bool
rng_chance(demo_rng_t *rng, double p)
{
    return rng_unit(rng) < p;
}

static void
rng_shuffle(demo_rng_t *rng, size_t *items, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(rng, i);
        size_t t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}

/* --- The district's vocabulary ------------------------------------------ */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* snprintf into the fixed fields: every size is chosen to fit what the
 * generator writes, so a cut would be a bug the test sees (codes' lengths). */
static void text_set(char *out, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void
text_set(char *out, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(out, size, format, args);
    va_end(args);
}

/* The seven streets (街道) with the rough centre of each. */
static const demo_street_t sifang_streets[DEMO_STREETS] = {
    { "四方街道", 36.0885, 120.3525 },
    { "兴隆路街道", 36.0990, 120.3620 },
    { "开平路街道", 36.0930, 120.3430 },
    { "洛阳路街道", 36.1230, 120.3730 },
    { "水清沟街道", 36.1120, 120.3580 },
    { "湖岛街道", 36.1060, 120.3360 },
    { "阜新路街道", 36.0960, 120.3780 },
};

/* Seven of Shibei's streets (市北区, Sifang's neighbour to the south). */
static const demo_street_t shibei_streets[DEMO_STREETS] = {
    { "辽宁路街道", 36.0745, 120.3425 },
    { "延安路街道", 36.0770, 120.3560 },
    { "登州路街道", 36.0805, 120.3655 },
    { "宁夏路街道", 36.0830, 120.3900 },
    { "敦化路街道", 36.0960, 120.3920 },
    { "镇江路街道", 36.0860, 120.3745 },
    { "合肥路街道", 36.1000, 120.4050 },
};

static const demo_place_t place_table[] = {
    { "sifang", DEMO_DISTRICT_CODE, "四方区", 36.1000, 120.3600, sifang_streets },
    { "shibei", "370203", "市北区", 36.0870, 120.3750, shibei_streets },
};

const demo_place_t *
demo_place_find(const char *key)
{
    for (size_t i = 0; key && i < sizeof place_table / sizeof place_table[0]; i++)
        if (strcmp(place_table[i].key, key) == 0)
            return &place_table[i];
    return NULL;
}

/* Qingdao's roads are named after the country's cities and provinces; these
 * run through or next to the old Sifang district. */
static const char *const road_table[] = {
    "人民路", "洛阳路", "瑞昌路", "嘉定路", "鞍山路", "开平路", "开封路", "郑州路",
    "杭州路", "南京路", "兴隆路", "兴隆一路", "兴隆二路", "四流南路", "四流中路",
    "重庆南路", "湖岛路", "海岸路", "嘉兴路", "萍乡路", "金华路", "宣化路", "温州路",
    "湘潭路", "华阳路", "平安路", "同安路", "错埠岭路", "水清沟路", "小村庄路",
    "阜新路", "抚顺路", "营口路", "大连路", "沈阳路", "福州路", "哈尔滨路", "长春路",
    "铁山路", "德兴路", "吴兴路", "西流庄路", "振华路", "南山路", "大沙路", "保定路",
    "清江路", "小水清沟路", "台柳路", "株洲路", "安顺路", "商丘路", "镇平路",
    "新疆路", "黑龙江南路", "唐山路", "徐州路", "延吉路", "敦化路", "辽源路",
    "宜阳路", "顺昌路", "江都路", "万寿路", "瑞金路", "兴华路", "绍兴路", "海晶路",
};

static const char *const ordinal_table[] = { "", "第二", "第三", "第四", "第五", "第六",
                                             "第七", "第八", "第九", "第十" };

/* Surnames with rough frequencies for Shandong (per ten thousand). */
static const struct {
    const char *surname;
    unsigned weight;
} surname_table[] = {
    { "王", 760 }, { "李", 720 }, { "张", 680 }, { "刘", 560 }, { "陈", 300 },
    { "杨", 280 }, { "赵", 260 }, { "孙", 240 }, { "于", 200 }, { "徐", 180 },
    { "周", 170 }, { "吴", 150 }, { "高", 150 }, { "姜", 140 }, { "马", 130 },
    { "郭", 120 }, { "林", 110 }, { "黄", 110 }, { "宋", 100 }, { "朱", 100 },
    { "胡", 90 }, { "韩", 90 }, { "董", 90 }, { "曲", 80 }, { "崔", 80 },
    { "曹", 70 }, { "郑", 70 }, { "谢", 60 }, { "冯", 60 }, { "吕", 60 },
    { "薛", 50 }, { "隋", 50 }, { "宫", 40 }, { "毕", 40 }, { "邵", 40 },
    { "袁", 40 }, { "许", 40 }, { "程", 40 }, { "梁", 40 }, { "唐", 30 },
    { "邓", 30 }, { "彭", 30 }, { "逄", 20 }, { "栾", 20 }, { "臧", 20 },
    { "欧阳", 5 }, { "上官", 3 },
};

static const char *const male_given_table[] = {
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏",
    "华", "飞", "波", "宁", "建", "国", "志", "文", "海", "峰", "林", "东", "晓", "俊",
    "德", "成", "庆", "福", "永", "春", "立", "新", "忠", "卫", "洪", "胜", "利", "清",
    "兴", "宝", "振", "家", "良", "正", "光", "浩",
};

static const char *const female_given_table[] = {
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "萍", "红", "梅", "琳",
    "英", "华", "秀", "兰", "凤", "洁", "丹", "慧", "莉", "颖", "琴", "云", "雪", "桂",
    "玉", "珍", "婷", "倩", "晶", "欣", "月", "爱", "美", "春", "淑", "荣",
};

/* Whole given names as they were given: to those born since the 1990s,
 * and to those born before 1960. */
static const char *const young_male_table[] = {
    "浩然", "子轩", "宇航", "俊杰", "博文", "梓豪", "一鸣", "家豪", "天佑", "思远",
    "浩宇", "子墨", "明轩", "睿哲", "皓轩", "宇轩", "晨阳", "嘉懿", "奕辰", "子豪",
};

static const char *const young_female_table[] = {
    "子涵", "欣怡", "梓涵", "诗涵", "雨桐", "佳怡", "可馨", "语嫣", "思彤", "若曦",
    "梓萱", "一诺", "雨萱", "欣妍", "紫涵", "佳琪", "梦瑶", "心怡", "诗琪", "雅琳",
};

static const char *const old_male_table[] = {
    "建国", "建华", "德福", "保国", "振华", "国庆", "卫东", "永福", "春生", "志刚",
    "宝山", "福生", "长海", "玉林", "庆祥", "文革", "跃进", "援朝", "树林", "金生",
};

static const char *const old_female_table[] = {
    "桂兰", "秀英", "淑珍", "玉兰", "桂英", "秀兰", "凤英", "淑英", "玉珍", "秀珍",
    "桂芳", "玉梅", "素珍", "淑兰", "桂珍", "凤兰", "秀云", "玉芬", "兰英", "翠花",
};

/* Mobile number prefixes in use in 2012. */
static const char *const phone_prefix_table[] = {
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "180", "182", "183", "185", "186",
    "187", "188", "189",
};

/* The district's departments (区直部门) that pair with communities. */
static const struct {
    const char *code;
    const char *name;
} department_table[DEMO_DEPARTMENTS] = {
    { "committee-office", "四方区委办公室" },
    { "government-office", "四方区政府办公室" },
    { "organization", "四方区委组织部" },
    { "publicity", "四方区委宣传部" },
    { "united-front", "四方区委统战部" },
    { "political-legal", "四方区委政法委" },
    { "discipline", "四方区纪委" },
    { "party-school", "四方区委党校" },
    { "development-reform", "四方区发展和改革局" },
    { "economy-information", "四方区经济和信息化局" },
    { "education-sports", "四方区教育体育局" },
    { "science-technology", "四方区科学技术局" },
    { "public-security", "青岛市公安局四方分局" },
    { "civil-affairs", "四方区民政局" },
    { "justice", "四方区司法局" },
    { "finance", "四方区财政局" },
    { "human-resources", "四方区人力资源和社会保障局" },
    { "urban-construction", "四方区城乡建设局" },
    { "urban-management", "四方区城市管理局" },
    { "commerce", "四方区商务局" },
    { "culture", "四方区文化新闻出版广电局" },
    { "health", "四方区卫生局" },
    { "family-planning", "四方区人口和计划生育局" },
    { "audit", "四方区审计局" },
    { "environmental-protection", "四方区环境保护局" },
    { "statistics", "四方区统计局" },
    { "work-safety", "四方区安全生产监督管理局" },
    { "food-drug", "四方区食品药品监督管理局" },
    { "price", "四方区物价局" },
    { "housing", "四方区房屋管理局" },
    { "letters-visits", "四方区信访局" },
    { "archives", "四方区档案局" },
    { "government-affairs", "四方区机关事务管理局" },
    { "investment-promotion", "四方区投资促进局" },
    { "tourism", "四方区旅游局" },
    { "aging", "四方区老龄工作委员会办公室" },
    { "civil-air-defense", "四方区人民防空办公室" },
    { "establishment", "四方区机构编制委员会办公室" },
    { "trade-union", "四方区总工会" },
    { "youth-league", "共青团四方区委" },
    { "womens-federation", "四方区妇女联合会" },
    { "disabled-persons", "四方区残疾人联合会" },
    { "science-association", "四方区科学技术协会" },
    { "industry-commerce-federation", "四方区工商业联合会" },
    { "red-cross", "四方区红十字会" },
    { "supply-marketing", "四方区供销合作社" },
    { "industry-commerce", "青岛市工商局四方分局" },
    { "quality-supervision", "青岛市质监局四方分局" },
    { "national-tax", "四方区国家税务局" },
    { "local-tax", "四方区地方税务局" },
    { "peoples-congress", "四方区人大常委会办公室" },
    { "cppcc", "四方区政协办公室" },
};

/* The district's leaders, each the contact point (联系点) of a few units. */
static const char *const leader_title_table[DEMO_LEADERS] = {
    "区委书记", "区长", "区委副书记", "区人大常委会主任", "区政协主席",
    "区委常委、常务副区长", "区委常委、组织部部长", "区委常委、纪委书记",
    "区委常委、宣传部部长", "区委常委、政法委书记", "区委常委、统战部部长",
    "区委常委、区委办公室主任", "副区长", "副区长", "副区长", "副区长",
    "区人大常委会副主任", "区政协副主席",
};

/* Resident units (驻区单位) that lend part-time committee members. */
static const char *const resident_unit_table[] = {
    "南车青岛四方机车车辆股份有限公司", "青岛四方庞巴迪铁路运输设备有限公司",
    "青岛啤酒股份有限公司", "青岛市第三人民医院", "青岛市中心医院", "四方区人民医院",
    "中国工商银行青岛四方支行", "中国建设银行青岛四方支行", "中国农业银行青岛四方支行",
    "青岛银行四方支行", "中国邮政青岛四方区分公司", "青岛国棉五厂", "青岛橡胶二厂",
    "青岛双星集团", "利群集团四方购物广场", "青岛交运集团四方汽车站",
    "青岛公交集团四方巴士公司", "青岛供电公司四方供电部", "青岛热电集团四方分公司",
    "青岛港湖岛作业区", "青岛自来水公司四方营业所", "青岛第二十六中学",
    "青岛第五十八中学", "四方实验小学", "嘉定路小学", "青岛四方区第二实验小学",
    "中国联通四方营业部", "青岛四方实业集团",
};

/* Why households need attention, weighted by how often each applies. */
static const struct {
    Sifang__V1__HouseholdFlag flag;
    unsigned weight;
} flag_table[] = {
    { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF, 30 },
    { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_DISABLED, 15 },
    { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE, 20 },
    { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME, 25 },
    { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ZERO_EMPLOYMENT, 5 },
    { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_SERIOUS_ILLNESS, 8 },
    { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_SPECIAL_CARE, 4 },
};

/* --- Identity numbers ------------------------------------------------------ */

/* Hands out ID numbers (GB 11643, check character by sf_ids) without
 * repeats: the order code (digits 15-17) counts the people born on a day,
 * odd for men and even for women as the standard requires. */
typedef struct {
    const char *district_code; /* the first six digits */
    int32_t first_day;
    size_t n_days;
    uint16_t *issued;          /* per day and gender */
} id_issuer_t;

static int
id_issuer_init(id_issuer_t *issuer, int32_t today)
{
    int year, month, mday;
    sf_civil_from_days(today, &year, &month, &mday);
    issuer->first_day = sf_days_from_civil(year - DEMO_AGE_MAX - 2, 1, 1);
    issuer->n_days = (size_t) (today - issuer->first_day + 1);
    issuer->issued = calloc(issuer->n_days * 2, sizeof *issuer->issued);
    return issuer->issued ? 0 : -1;
}

/* Fills birth_date and id_number for someone born on day (or the next day
 * with a free order code). */
static void
id_issue(id_issuer_t *issuer, int32_t day, bool male, demo_resident_t *person)
{
    size_t at = (size_t) (day - issuer->first_day);
    /* 499 codes per day and gender; the district never comes near that, but
     * a full day moves on to the next rather than repeating a number. */
    while (issuer->issued[at * 2 + male] >= 450)
        at = (at + 1) % issuer->n_days;
    unsigned k = issuer->issued[at * 2 + male]++;
    /* A day-dependent start spreads the codes like real registrations do. */
    unsigned order = 2 * ((unsigned) (at % 40) + k) + (male ? 1 : 2);
    sf_date_format(issuer->first_day + (int32_t) at, person->birth_date);
    char first17[18];
    text_set(first17, sizeof first17, "%s%.4s%.2s%.2s%03u", issuer->district_code, person->birth_date,
             person->birth_date + 5, person->birth_date + 8, order);
    text_set(person->id_number, sizeof person->id_number, "%s%c", first17,
             sf_id_number_check_char(first17));
}

/* --- People ------------------------------------------------------------- */

static size_t
draw_surname(demo_rng_t *rng)
{
    unsigned total = 0;
    for (size_t i = 0; i < COUNT(surname_table); i++)
        total += surname_table[i].weight;
    unsigned pick = (unsigned) rng_below(rng, total);
    size_t s = 0;
    while (pick >= surname_table[s].weight) {
        pick -= surname_table[s].weight;
        s++;
    }
    return s;
}

/* A name as people born in birth_year were named: the given names of the
 * time (建国 and 桂兰 for the old, 浩然 and 欣怡 for the young) or one or
 * two characters of the common stock. */
static void
person_named(demo_rng_t *rng, bool male, size_t surname, int birth_year, char *out, size_t size)
{
    const char *family = surname_table[surname].surname;
    const char *const *whole = NULL;
    size_t n_whole = 0;
    if (birth_year >= 1995) {
        whole = male ? young_male_table : young_female_table;
        n_whole = male ? COUNT(young_male_table) : COUNT(young_female_table);
    } else if (birth_year < 1960) {
        whole = male ? old_male_table : old_female_table;
        n_whole = male ? COUNT(old_male_table) : COUNT(old_female_table);
    }
    if (whole && rng_chance(rng, 0.5)) {
        text_set(out, size, "%s%s", family, whole[rng_below(rng, n_whole)]);
        return;
    }
    const char *const *given = male ? male_given_table : female_given_table;
    size_t n_given = male ? COUNT(male_given_table) : COUNT(female_given_table);
    const char *first = given[rng_below(rng, n_given)];
    if (rng_chance(rng, 0.3))
        text_set(out, size, "%s%s", family, first);
    else
        text_set(out, size, "%s%s%s", family, first, given[rng_below(rng, n_given)]);
}

/* Staff: adults of working age, any surname. */
static void
person_name(demo_rng_t *rng, bool male, char *out, size_t size)
{
    person_named(rng, male, draw_surname(rng), 1975, out, size);
}

static void
person_phone(demo_rng_t *rng, char *out, size_t size)
{
    text_set(out, size, "%s%08u", phone_prefix_table[rng_below(rng, COUNT(phone_prefix_table))],
             (unsigned) rng_below(rng, 100000000));
}

/* Who lives in a household, before names and numbers: a relation to the
 * head, a sex, an age in full years and the surname. */
typedef struct {
    const char *relation;
    bool male;
    int age;
    size_t surname;
} member_plan_t;

#define DEMO_HOUSEHOLD_MAX 6

static int
age_between(demo_rng_t *rng, int lo, int hi)
{
    return lo + (int) rng_below(rng, (size_t) (hi - lo + 1));
}

static int
clamp_int(int value, int lo, int hi)
{
    return value < lo ? lo : value > hi ? hi : value;
}

/* Household sizes of a Chinese city district (the 2010 census's urban
 * households: 2.5-2.7 people on average), in per cent: 1 to 6 people. */
static const unsigned household_size_weights[DEMO_HOUSEHOLD_MAX] = { 18, 32, 32, 10, 6, 2 };

bool
demo_household_has_flag(const demo_household_t *household, Sifang__V1__HouseholdFlag flag)
{
    for (size_t f = 0; f < household->n_flags; f++)
        if (household->flags[f] == flag)
            return true;
    return false;
}

/* A household's members: the head; a spouse of the other sex about the
 * same age, never under the marriage age (22 for men, 20 for women); the
 * couple's children, born when the mother was 22-34; the head's parents,
 * 24-34 years older. Households in difficulty keep to what their flag
 * says: the elderly alone live alone or as an old couple, the laid-off and
 * zero-employment households have a head of working age. */
static size_t
plan_household(demo_rng_t *rng, const demo_household_t *household, member_plan_t *plan)
{
    bool elderly_alone =
        demo_household_has_flag(household, SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE);
    bool working =
        demo_household_has_flag(household, SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF)
        || demo_household_has_flag(household, SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ZERO_EMPLOYMENT);
    size_t size;
    if (elderly_alone)
        size = rng_chance(rng, 0.7) ? 1 : 2;
    else {
        unsigned pick = (unsigned) rng_below(rng, 100);
        size = 0;
        while (pick >= household_size_weights[size]) {
            pick -= household_size_weights[size];
            size++;
        }
        size++;
    }
    int head_age, children = 0, parents = 0;
    bool spouse = true;
    double band = rng_unit(rng);
    switch (size) {
    case 1:
        spouse = false;
        head_age = elderly_alone || band < 0.35 ? age_between(rng, 65, 70) + (int) rng_below(rng, 23)
                 : band < 0.75 ? age_between(rng, 22, 39) : age_between(rng, 40, 64);
        break;
    case 2:
        if (elderly_alone)      /* an old couple on their own: both 60 or more */
            head_age = age_between(rng, 65, 72) + (int) rng_below(rng, 17);
        else if (band < 0.55)
            head_age = age_between(rng, 60, 72) + (int) rng_below(rng, 17);
        else if (band < 0.85)
            head_age = age_between(rng, 24, 36);
        else {
            spouse = false;     /* a parent with a child */
            head_age = age_between(rng, 38, 58);
            children = 1;
        }
        break;
    case 3:
        head_age = age_between(rng, 28, 52) + (int) rng_below(rng, 12);
        children = 1;
        break;
    case 4:
        head_age = age_between(rng, 30, 52);
        if (rng_chance(rng, 0.45))
            children = 2;
        else
            children = parents = 1;
        break;
    case 5:
        head_age = age_between(rng, 30, 50);
        children = 1;
        parents = 2;
        break;
    default:
        head_age = age_between(rng, 32, 46);
        children = 2;
        parents = 2;
        break;
    }
    if (working && (head_age < 25 || head_age > 55))
        head_age = age_between(rng, 30, 55);

    size_t n = 0;
    member_plan_t *head = &plan[n++];
    head->relation = "head";
    head->male = spouse ? rng_chance(rng, 0.7) : rng_chance(rng, 0.45);
    head->age = head_age;
    head->surname = draw_surname(rng);
    int mother_age = head->male ? 0 : head->age;
    size_t father_surname = head->surname;
    if (spouse) {
        member_plan_t *wed = &plan[n++];
        wed->relation = "spouse";
        wed->male = !head->male;
        int gap = (int) rng_below(rng, 6);
        wed->age = clamp_int(head->age + (wed->male ? gap : -gap), wed->male ? 22 : 20, DEMO_AGE_MAX - 1);
        wed->surname = draw_surname(rng);
        if (!wed->male)
            mother_age = wed->age;
        else
            father_surname = wed->surname;
    }
    if (!mother_age)
        mother_age = head->age;   /* a father alone: his age stands for hers */
    int eldest = mother_age - age_between(rng, 22, 34);
    for (int c = 0; c < children; c++) {
        member_plan_t *child = &plan[n++];
        child->relation = "child";
        child->male = rng_chance(rng, 0.52);
        child->age = c == 0 ? (eldest > 0 ? eldest : 0)
                            : clamp_int(plan[n - 2].age - age_between(rng, 2, 8), 0, DEMO_AGE_MAX);
        /* Mostly the father's surname, now and then the mother's. */
        child->surname = rng_chance(rng, 0.9) || !spouse ? father_surname
                       : (head->male ? plan[1].surname : head->surname);
    }
    if (parents) {
        int father_age = clamp_int(head->age + age_between(rng, 24, 34), head->age + 20, DEMO_AGE_MAX - 1);
        for (int p = 0; p < parents; p++) {
            member_plan_t *parent = &plan[n++];
            parent->relation = "parent";
            /* One parent left is more often the mother. */
            parent->male = parents == 2 ? p == 0 : rng_chance(rng, 0.35);
            parent->age = parent->male ? father_age
                        : clamp_int(father_age - (int) rng_below(rng, 5), head->age + 20, DEMO_AGE_MAX - 1);
            parent->surname = parent->male ? head->surname : draw_surname(rng);
        }
    }
    return n;
}

/* A birth day for someone age full years old on the first of January of
 * today's year: the same people all year, whatever day the district is
 * loaded on (a load resumed on another day finds them as they were), each
 * a year older after their birthday. */
static int32_t
birth_day_for(demo_rng_t *rng, int32_t today, int age)
{
    int year, month, mday;
    sf_civil_from_days(today, &year, &month, &mday);
    int32_t latest = sf_days_from_civil(year - age, 1, 1);
    int32_t earliest = sf_days_from_civil(year - age - 1, 1, 1) + 1;
    return earliest + (int32_t) rng_below(rng, (size_t) (latest - earliest + 1));
}

/* Full years from birth to day. */
static int
age_on(int32_t birth, int32_t day)
{
    int by, bm, bd, y, m, d;
    sf_civil_from_days(birth, &by, &bm, &bd);
    sf_civil_from_days(day, &y, &m, &d);
    return y - by - (m < bm || (m == bm && d < bd));
}

static void
person_from_plan(demo_rng_t *rng, id_issuer_t *issuer, int32_t today, const member_plan_t *plan,
                 demo_resident_t *person)
{
    person->gender = plan->male ? SIFANG__V1__GENDER__GENDER_MALE : SIFANG__V1__GENDER__GENDER_FEMALE;
    text_set(person->relation, sizeof person->relation, "%s", plan->relation);
    id_issue(issuer, birth_day_for(rng, today, plan->age), plan->male, person);
    int32_t birth = 0;
    sf_date_parse(person->birth_date, &birth);
    person->age = age_on(birth, today);
    int birth_year = atoi(person->birth_date);
    person_named(rng, plan->male, plan->surname, birth_year, person->name, sizeof person->name);
    /* Children get a phone at twelve; some of the very old have none. */
    if (plan->age >= 12 && (plan->age < 80 || rng_chance(rng, 0.6)))
        person_phone(rng, person->phone, sizeof person->phone);
    /* Party members: adults, more of them among the old; about 12,500 in
     * the district (DEMO_PARTY_MEMBERS), one resident in thirty. */
    person->party_member = plan->age >= 18 && rng_chance(rng, plan->age >= 60 ? 0.060 : 0.034);
}

/* --- Shapes ------------------------------------------------------------- */

static size_t
scaled(size_t full, double scale, size_t at_least)
{
    size_t value = (size_t) llround((double) full * scale);
    return value < at_least ? at_least : value;
}

static size_t
clamp_size(size_t value, size_t lo, size_t hi)
{
    return value < lo ? lo : value > hi ? hi : value;
}

/* Splits total over n parts in proportion to random weights in [lo, hi],
 * each part within [min_each, max_each] (the caller makes that feasible). */
static void
apportion(demo_rng_t *rng, size_t total, size_t n, double lo, double hi,
          size_t min_each, size_t max_each, size_t *parts)
{
    double *weights = malloc(n * sizeof *weights);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += weights[i] = rng_range(rng, lo, hi);
    size_t given = 0;
    for (size_t i = 0; i < n; i++) {
        parts[i] = clamp_size((size_t) ((double) total * weights[i] / sum), min_each, max_each);
        given += parts[i];
    }
    free(weights);
    /* Settle the rounding one unit at a time from a random start. */
    size_t i = rng_below(rng, n);
    while (given != total) {
        if (given < total && parts[i] < max_each) {
            parts[i]++;
            given++;
        }
        else if (given > total && parts[i] > min_each) {
            parts[i]--;
            given--;
        }
        i = (i + 1) % n;
    }
}

static double
round6(double x)
{
    return round(x * 1e6) / 1e6;
}

static void
unit_set(demo_unit_t *unit, Sifang__V1__UnitKind kind, const char *parent_code,
         double lat, double lon)
{
    unit->kind = kind;
    text_set(unit->parent_code, sizeof unit->parent_code, "%s", parent_code);
    unit->lat = round6(lat);
    unit->lon = round6(lon);
}

/* The indexes below total in random order (malloc'd); a prefix of it is a
 * random choice of distinct items. */
static size_t *
shuffled_indexes(demo_rng_t *rng, size_t total)
{
    size_t *all = malloc((total ? total : 1) * sizeof *all);
    if (!all)
        return NULL;
    for (size_t i = 0; i < total; i++)
        all[i] = i;
    rng_shuffle(rng, all, total);
    return all;
}

/* --- The generator ------------------------------------------------------ */

typedef struct {
    size_t road;
    unsigned next_number;
} road_cursor_t;

static int
generate_units(demo_district_t *self, demo_rng_t *rng)
{
    demo_unit_t *district = &self->district;
    const demo_place_t *place = self->place;
    text_set(district->code, sizeof district->code, "%s", place->code);
    text_set(district->name, sizeof district->name, "%s", place->name);
    unit_set(district, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "", place->lat, place->lon);

    for (size_t s = 0; s < self->n_streets; s++) {
        demo_unit_t *street = &self->streets[s];
        text_set(street->code, sizeof street->code, "%s%03zu", place->code, s + 1);
        text_set(street->name, sizeof street->name, "%s", place->streets[s].name);
        unit_set(street, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, district->code,
                 place->streets[s].lat + rng_range(rng, -0.002, 0.002),
                 place->streets[s].lon + rng_range(rng, -0.002, 0.002));
    }

    /* Communities over streets, each named after a road of its own. */
    size_t *per_street = malloc(self->n_streets * sizeof *per_street);
    size_t *roads = shuffled_indexes(rng, COUNT(road_table));
    size_t *community_road = malloc(self->n_communities * sizeof *community_road);
    if (!per_street || !roads || !community_road)
        goto fail;
    apportion(rng, self->n_communities, self->n_streets, 0.75, 1.25, 1, 999, per_street);
    size_t c = 0;
    for (size_t s = 0; s < self->n_streets; s++)
        for (size_t k = 0; k < per_street[s]; k++, c++) {
            demo_unit_t *community = &self->communities[c];
            const demo_unit_t *street = &self->streets[s];
            community_road[c] = roads[c % COUNT(road_table)];
            size_t round_ = (c / COUNT(road_table)) % COUNT(ordinal_table);
            text_set(community->code, sizeof community->code, "%s%03zu", street->code, k + 1);
            text_set(community->name, sizeof community->name, "%s%s社区",
                     road_table[community_road[c]], ordinal_table[round_]);
            unit_set(community, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, street->code,
                     street->lat + rng_range(rng, -0.010, 0.010),
                     street->lon + rng_range(rng, -0.012, 0.012));
        }

    /* Zones over communities, clustered around their community. */
    size_t *per_community = malloc(self->n_communities * sizeof *per_community);
    if (!per_community)
        goto fail;
    apportion(rng, self->n_zones, self->n_communities, 0.7, 1.3, 1, 99, per_community);
    size_t z = 0;
    for (c = 0; c < self->n_communities; c++)
        for (size_t k = 0; k < per_community[c]; k++, z++) {
            demo_unit_t *zone = &self->zones[z];
            const demo_unit_t *community = &self->communities[c];
            text_set(zone->code, sizeof zone->code, "%s%02zu", community->code, k + 1);
            text_set(zone->name, sizeof zone->name, "%s第%zu片区", community->name, k + 1);
            unit_set(zone, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, community->code,
                     community->lat + rng_range(rng, -0.003, 0.003),
                     community->lon + rng_range(rng, -0.0035, 0.0035));
        }
    free(per_community);

    /* Building groups: 2 per zone, 3 in as many zones as the total needs.
     * A building group is a building on one of its community's roads. */
    size_t *zones_shuffled = shuffled_indexes(rng, self->n_zones);
    unsigned char *groups_in_zone = calloc(self->n_zones, 1);
    road_cursor_t *cursors = calloc(COUNT(road_table), sizeof *cursors);
    if (!zones_shuffled || !groups_in_zone || !cursors) {
        free(zones_shuffled);
        free(groups_in_zone);
        free(cursors);
        goto fail;
    }
    for (size_t r = 0; r < COUNT(road_table); r++)
        cursors[r].next_number = 1 + (unsigned) rng_below(rng, 5);
    size_t threes = self->n_building_groups - 2 * self->n_zones;
    for (z = 0; z < self->n_zones; z++)
        groups_in_zone[zones_shuffled[z]] = (unsigned char) (z < threes ? 3 : 2);
    free(zones_shuffled);
    size_t g = 0;
    c = 0;
    for (z = 0; z < self->n_zones; z++) {
        const demo_unit_t *zone = &self->zones[z];
        while (strcmp(self->communities[c].code, zone->parent_code) != 0)
            c++;
        for (size_t k = 0; k < groups_in_zone[z]; k++, g++) {
            demo_unit_t *group = &self->building_groups[g];
            /* Mostly the community's own road, sometimes a neighbour. */
            size_t road = rng_chance(rng, 0.6) ? community_road[c]
                                               : rng_below(rng, COUNT(road_table));
            unsigned number = cursors[road].next_number;
            cursors[road].next_number += 1 + (unsigned) rng_below(rng, 3);
            text_set(group->code, sizeof group->code, "%s%zu", zone->code, k + 1);
            text_set(group->name, sizeof group->name, "%s%u号楼组", road_table[road], number);
            unit_set(group, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, zone->code,
                     zone->lat + rng_range(rng, -0.0008, 0.0008),
                     zone->lon + rng_range(rng, -0.0008, 0.0008));
        }
    }
    free(groups_in_zone);
    free(cursors);
    free(per_street);
    free(roads);
    free(community_road);
    return 0;
fail:
    free(per_street);
    free(roads);
    free(community_road);
    return -1;
}

static Sifang__V1__HouseholdFlag
draw_flag(demo_rng_t *rng)
{
    unsigned total = 0;
    for (size_t i = 0; i < COUNT(flag_table); i++)
        total += flag_table[i].weight;
    unsigned pick = (unsigned) rng_below(rng, total);
    size_t f = 0;
    while (pick >= flag_table[f].weight) {
        pick -= flag_table[f].weight;
        f++;
    }
    return flag_table[f].flag;
}

/* An old person living alone is not a laid-off worker's household. */
static bool
flags_agree(Sifang__V1__HouseholdFlag a, Sifang__V1__HouseholdFlag b)
{
    bool a_alone = a == SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE;
    bool b_alone = b == SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE;
    bool a_work = a == SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF
               || a == SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ZERO_EMPLOYMENT;
    bool b_work = b == SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF
               || b == SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ZERO_EMPLOYMENT;
    return !(a_alone && b_work) && !(a_work && b_alone);
}

static int
generate_households(demo_district_t *self, demo_rng_t *rng)
{
    size_t *per_group = malloc(self->n_building_groups * sizeof *per_group);
    id_issuer_t issuer = { .district_code = self->place->code };
    if (!per_group || id_issuer_init(&issuer, self->timeline.today) != 0) {
        free(per_group);
        return -1;
    }
    apportion(rng, self->n_households, self->n_building_groups, 0.8, 1.2, 1, 999, per_group);
    size_t h = 0;
    size_t difficult_left = self->n_households_in_difficulty;
    for (size_t g = 0; g < self->n_building_groups; g++) {
        const demo_unit_t *group = &self->building_groups[g];
        /* The building's address is its name without the trailing 楼组. */
        char building[72];
        text_set(building, sizeof building, "%s", group->name);
        size_t suffix = strlen("楼组");
        size_t length = strlen(building);
        if (length > suffix)
            building[length - suffix] = '\0';
        for (size_t k = 0; k < per_group[g]; k++, h++) {
            demo_household_t *household = &self->households[h];
            text_set(household->code, sizeof household->code, "%s%03zu", group->code, k + 1);
            household->building_group = g;
            /* Six-storey walk-ups, two flats a landing, twelve per entrance. */
            unsigned entrance = (unsigned) (k / 12) + 1;
            unsigned floor = (unsigned) (k % 12) / 2 + 1;
            unsigned flat = (unsigned) (k % 2) + 1;
            text_set(household->address, sizeof household->address, "%s%u单元%u0%u户",
                     building, entrance, floor, flat);
            /* Selection sampling: exactly n_households_in_difficulty, spread
             * evenly at random. */
            size_t remaining = self->n_households - h;
            if (difficult_left && rng_below(rng, remaining) < difficult_left) {
                difficult_left--;
                household->flags[household->n_flags++] = draw_flag(rng);
                if (rng_chance(rng, 0.2)) {
                    Sifang__V1__HouseholdFlag second = draw_flag(rng);
                    if (second != household->flags[0] && flags_agree(second, household->flags[0]))
                        household->flags[household->n_flags++] = second;
                }
            }
            member_plan_t plan[DEMO_HOUSEHOLD_MAX];
            size_t n = plan_household(rng, household, plan);
            household->first_resident = self->n_residents;
            household->n_residents = n;
            for (size_t m = 0; m < n; m++) {
                demo_resident_t *person = &self->residents[self->n_residents++];
                person_from_plan(rng, &issuer, self->timeline.today, &plan[m], person);
                person->household = h;
                person->member = (unsigned) m;
            }
        }
    }
    free(issuer.issued);
    free(per_group);
    return 0;
}

static void
staff_set(demo_rng_t *rng, demo_staff_t *staff, Sifang__V1__StaffKind kind,
          const char *unit_code, const char *title)
{
    staff->kind = kind;
    text_set(staff->unit_code, sizeof staff->unit_code, "%s", unit_code);
    text_set(staff->title, sizeof staff->title, "%s", title);
    person_name(rng, rng_chance(rng, 0.5), staff->name, sizeof staff->name);
    person_phone(rng, staff->phone, sizeof staff->phone);
}

static void
responsibility_add(demo_district_t *self, size_t staff, const char *unit_code,
                   Sifang__V1__ResponsibilityKind kind)
{
    demo_responsibility_t *r = &self->responsibilities[self->n_responsibilities++];
    r->staff = staff;
    r->kind = kind;
    text_set(r->unit_code, sizeof r->unit_code, "%s", unit_code);
}

static bool
starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The street's cadres: each covers (包片) a run of 3-7 neighbouring zones of
 * the street, one cadre to a zone. */
static size_t
street_cadres(demo_district_t *self, demo_rng_t *rng, size_t s)
{
    for (size_t st = 0; st < self->n_streets; st++) {
        const char *street = self->streets[st].code;
        size_t z = 0, number = 0;
        while (z < self->n_zones && !starts_with(self->zones[z].code, street))
            z++;
        while (z < self->n_zones && starts_with(self->zones[z].code, street)) {
            size_t covers = 3 + rng_below(rng, 5);
            demo_staff_t *cadre = &self->staff[s];
            text_set(cadre->key, sizeof cadre->key, "cadre-%s-%02zu", street, ++number);
            staff_set(rng, cadre, SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, street,
                      "街道包片干部");
            for (size_t k = 0; k < covers && z < self->n_zones && starts_with(self->zones[z].code, street);
                 k++, z++)
                responsibility_add(self, s, self->zones[z].code,
                                   SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE);
            s++;
        }
    }
    return s;
}

/* The community's "two committees" (两委: the party committee and the
 * residents' committee, members often on both): 5-9 people, the secretary
 * also the committee's director (一肩挑). Each zone of the community is one
 * member's, dealt round them. */
static const char *const committee_title_table[] = {
    "社区党委书记、居委会主任", "社区党委副书记", "居委会副主任", "社区党委委员、居委会委员",
    "居委会委员", "社区党委委员", "居委会委员", "社区党委委员、居委会委员", "居委会委员",
};

static size_t
community_committees(demo_district_t *self, demo_rng_t *rng, size_t s)
{
    size_t z = 0;
    for (size_t c = 0; c < self->n_communities; c++) {
        const demo_unit_t *community = &self->communities[c];
        size_t members = 5 + rng_below(rng, 5);
        size_t first = s;
        for (size_t m = 0; m < members; m++, s++) {
            demo_staff_t *member = &self->staff[s];
            text_set(member->key, sizeof member->key, "committee-%s-%zu", community->code, m + 1);
            staff_set(rng, member, SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE,
                      community->code, committee_title_table[m]);
        }
        size_t deal = rng_below(rng, members);
        while (z < self->n_zones && strcmp(self->zones[z].parent_code, community->code) == 0) {
            responsibility_add(self, first + deal, self->zones[z].code,
                               SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE);
            deal = (deal + 1) % members;
            z++;
        }
    }
    return s;
}

/* A department's head is called by what the department is. */
static const struct {
    const char *suffix;
    const char *head, *deputy;
} department_head_table[] = {
    { "局", "局长", "副局长" },        { "分局", "局长", "副局长" },
    { "部", "部长", "副部长" },        { "委", "书记", "副书记" },
    { "党校", "常务副校长", "副校长" }, { "联合会", "主席", "副主席" },
    { "总工会", "常务副主席", "副主席" }, { "协会", "主席", "副主席" },
    { "红十字会", "常务副会长", "副会长" }, { "合作社", "主任", "副主任" },
};

static bool
ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), k = strlen(suffix);
    return n >= k && strcmp(text + n - k, suffix) == 0;
}

/* Each department: its head, a deputy and 2-4 section staff, on the
 * district's roll with their department. */
static size_t
department_staff(demo_district_t *self, demo_rng_t *rng, size_t s)
{
    static const char *const section_titles[] = { "科长", "副科长", "科员", "科员" };
    for (size_t d = 0; d < self->n_departments; d++) {
        const demo_department_t *department = &self->departments[d];
        const char *head = "主任", *deputy = "副主任";
        for (size_t t = 0; t < COUNT(department_head_table); t++)
            if (ends_with(department->name, department_head_table[t].suffix)) {
                head = department_head_table[t].head;
                deputy = department_head_table[t].deputy;
            }
        size_t n = 4 + rng_below(rng, 3);
        for (size_t k = 0; k < n; k++, s++) {
            demo_staff_t *member = &self->staff[s];
            text_set(member->key, sizeof member->key, "department-%s-%zu", department->code, k + 1);
            staff_set(rng, member, SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF,
                      self->place->code, k == 0 ? head : k == 1 ? deputy : section_titles[(k - 2) % 4]);
            text_set(member->department_code, sizeof member->department_code, "%s", department->code);
        }
    }
    return s;
}

/* Each community station's and street office's 负责人 (head: an escalated
 * case goes to them) and 审核人 (reviewer: signs the unit's replies before
 * the return visit), as grid requires them: a community's from its own
 * committee, the secretary-director its head and the deputy secretary its
 * reviewer; a street's from its own cadres, the first its head and the
 * second its reviewer (a street of one cadre has no reviewer of its own:
 * intake's review then falls to the head). Drawn from no random stream, so
 * the rest of the district is as it was. */
static void
unit_heads(demo_district_t *self)
{
    const demo_unit_t *const levels[2] = { self->streets, self->communities };
    const size_t counts[2] = { self->n_streets, self->n_communities };
    const Sifang__V1__StaffKind kinds[2] = { SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE,
                                             SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE };
    for (int level = 0; level < 2; level++)
        for (size_t u = 0; u < counts[level]; u++) {
            const char *code = levels[level][u].code;
            int found = 0;
            for (size_t s = 0; s < self->n_staff && found < 2; s++) {
                if (self->staff[s].kind != kinds[level] || strcmp(self->staff[s].unit_code, code) != 0)
                    continue;
                responsibility_add(self, s, code, found == 0
                                   ? SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_UNIT_HEAD
                                   : SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_UNIT_REVIEWER);
                found++;
            }
        }
}

static int
generate_staff(demo_district_t *self, demo_rng_t *rng, size_t n_leaders,
               size_t n_contacts, size_t n_part_time)
{
    size_t s = street_cadres(self, rng, 0);
    s = community_committees(self, rng, s);

    /* District leaders; their contact points go first to every street, then
     * to communities picked at random, dealt round the leaders. */
    size_t first_leader = s;
    for (size_t l = 0; l < n_leaders; l++, s++) {
        demo_staff_t *leader = &self->staff[s];
        text_set(leader->key, sizeof leader->key, "leader-%02zu", l + 1);
        staff_set(rng, leader, SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER,
                  self->place->code, leader_title_table[l % DEMO_LEADERS]);
    }
    size_t *communities = shuffled_indexes(rng, self->n_communities);
    if (!communities)
        return -1;
    for (size_t p = 0; p < n_contacts; p++) {
        const char *unit = p < self->n_streets
            ? self->streets[p].code
            : self->communities[communities[p - self->n_streets]].code;
        responsibility_add(self, first_leader + p % n_leaders, unit,
                           SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT);
    }

    /* Part-time committee members, dealt round the communities. */
    rng_shuffle(rng, communities, self->n_communities);
    size_t *seats = calloc(self->n_communities, sizeof *seats);
    if (!seats) {
        free(communities);
        return -1;
    }
    for (size_t p = 0; p < n_part_time; p++, s++) {
        size_t community = communities[p % self->n_communities];
        const char *code = self->communities[community].code;
        demo_staff_t *member = &self->staff[s];
        text_set(member->key, sizeof member->key, "parttime-%s-%zu", code, ++seats[community]);
        staff_set(rng, member, SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE, code,
                  "社区兼职委员");
        text_set(member->employer, sizeof member->employer, "%s",
                 resident_unit_table[rng_below(rng, COUNT(resident_unit_table))]);
        responsibility_add(self, s, code,
                           SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE);
    }
    free(seats);
    free(communities);
    self->n_staff = department_staff(self, rng, s);
    unit_heads(self);
    return 0;
}

static int
generate_departments(demo_district_t *self, demo_rng_t *rng)
{
    for (size_t d = 0; d < self->n_departments; d++) {
        text_set(self->departments[d].code, sizeof self->departments[d].code, "%s",
                 department_table[d].code);
        /* Sifang's names: another place's departments are its own (市北区民政局). */
        const char *name = department_table[d].name;
        if (strncmp(name, "四方区", strlen("四方区")) == 0)
            text_set(self->departments[d].name, sizeof self->departments[d].name, "%s%s", self->place->name,
                     name + strlen("四方区"));
        else
            text_set(self->departments[d].name, sizeof self->departments[d].name, "%s", name);
    }
    /* Every community gets one department; departments take one or two. */
    size_t *order = shuffled_indexes(rng, self->n_departments);
    if (!order)
        return -1;
    for (size_t c = 0; c < self->n_communities; c++) {
        self->pairings[c].community = c;
        self->pairings[c].department = order[c % self->n_departments];
    }
    self->n_pairings = self->n_communities;
    free(order);
    return 0;
}

demo_district_t *
demo_district_new(uint64_t seed, double scale)
{
    demo_timeline_t timeline;
    demo_timeline_today(&timeline);
    return demo_district_new_on(seed, scale, &timeline);
}

demo_district_t *
demo_district_new_on(uint64_t seed, double scale, const demo_timeline_t *timeline)
{
    return demo_district_new_at(seed, scale, timeline, NULL);
}

demo_district_t *
demo_district_new_at(uint64_t seed, double scale, const demo_timeline_t *timeline, const demo_place_t *place)
{
    if (!(scale > 0 && scale <= DEMO_SCALE_MAX) || !timeline)
        return NULL;
    demo_district_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->place = place ? place : &place_table[0];
    self->seed = seed;
    self->scale = scale;
    self->timeline = *timeline;
    self->n_streets = clamp_size(scaled(DEMO_STREETS, scale, 1), 1, DEMO_STREETS);
    self->n_communities = clamp_size(scaled(DEMO_COMMUNITIES, scale, 1), self->n_streets,
                                     self->n_streets * 999);
    self->n_zones = clamp_size(scaled(DEMO_ZONES, scale, 1), self->n_communities,
                               self->n_communities * 99);
    self->n_building_groups = clamp_size(scaled(DEMO_BUILDING_GROUPS, scale, 1),
                                         2 * self->n_zones, 3 * self->n_zones);
    self->n_households = clamp_size(scaled(DEMO_HOUSEHOLDS, scale, 1), self->n_building_groups,
                                    self->n_building_groups * 999);
    self->n_households_in_difficulty = clamp_size(
        scaled(DEMO_HOUSEHOLDS_IN_DIFFICULTY, scale, 1), 0, self->n_households);
    self->n_departments = clamp_size(scaled(DEMO_DEPARTMENTS, scale, 1), 1, DEMO_DEPARTMENTS);
    size_t n_contacts = clamp_size(scaled(DEMO_LEADER_CONTACTS, scale, 1), 1,
                                   self->n_streets + self->n_communities);
    size_t n_leaders = clamp_size(scaled(DEMO_LEADERS, scale, 1), 1, n_contacts);
    size_t n_part_time = scaled(DEMO_PART_TIME_COMMITTEE, scale, 1);
    /* Cadres: at most one a zone; committees: at most 9 a community;
     * departments: at most 6 people each. */
    size_t max_staff = self->n_zones + 9 * self->n_communities + n_leaders + n_part_time
                     + 6 * self->n_departments;
    size_t max_responsibilities = 2 * self->n_zones + n_contacts + n_part_time
                                + 2 * (self->n_streets + self->n_communities);

    self->streets = calloc(self->n_streets, sizeof *self->streets);
    self->communities = calloc(self->n_communities, sizeof *self->communities);
    self->zones = calloc(self->n_zones, sizeof *self->zones);
    self->building_groups = calloc(self->n_building_groups, sizeof *self->building_groups);
    self->households = calloc(self->n_households, sizeof *self->households);
    self->residents = calloc(self->n_households * DEMO_HOUSEHOLD_MAX, sizeof *self->residents);
    self->staff = calloc(max_staff, sizeof *self->staff);
    self->responsibilities = calloc(max_responsibilities, sizeof *self->responsibilities);
    self->departments = calloc(self->n_departments, sizeof *self->departments);
    self->pairings = calloc(self->n_communities, sizeof *self->pairings);
    if (!self->streets || !self->communities || !self->zones || !self->building_groups
        || !self->households || !self->residents || !self->staff || !self->responsibilities
        || !self->departments || !self->pairings)
        goto fail;

    /* One stream per part, so that changing how one part is drawn leaves
     * the others as they were. */
    demo_rng_t rng;
    rng_seed(&rng, seed * 8 + 1);
    if (generate_units(self, &rng) != 0)
        goto fail;
    rng_seed(&rng, seed * 8 + 2);
    if (generate_households(self, &rng) != 0)
        goto fail;
    demo_resident_t *fitted = realloc(self->residents, (self->n_residents ? self->n_residents : 1)
                                                       * sizeof *self->residents);
    if (fitted)
        self->residents = fitted;
    /* Departments before their staff. */
    rng_seed(&rng, seed * 8 + 4);
    if (generate_departments(self, &rng) != 0)
        goto fail;
    rng_seed(&rng, seed * 8 + 3);
    if (generate_staff(self, &rng, n_leaders, n_contacts, n_part_time) != 0)
        goto fail;
    return self;
fail:
    demo_district_destroy(&self);
    return NULL;
}

void
demo_district_destroy(demo_district_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    demo_district_t *self = *self_p;
    free(self->streets);
    free(self->communities);
    free(self->zones);
    free(self->building_groups);
    free(self->households);
    free(self->residents);
    free(self->staff);
    free(self->responsibilities);
    free(self->departments);
    free(self->pairings);
    free(self);
    *self_p = NULL;
}
