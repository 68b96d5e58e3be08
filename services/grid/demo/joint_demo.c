/* The demo's joint mechanisms: who sits on each community's five-party
 * meeting and each street's joint party-building meeting, and how they turn
 * up (joint_demo.h). */
#include "joint_demo.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND(name) SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_##name
#define STATUS(name) SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_##name

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
                                        "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢",
                                        "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅" };
static const char *const given[] = { "建国", "秀兰", "志强", "丽", "伟", "敏", "静", "海燕", "军", "红梅",
                                     "刚", "桂英", "明", "玉兰", "磊", "淑芬", "勇", "晓东", "婷", "建华",
                                     "春生", "国强", "亚楠", "立新", "文静", "凤英", "振华", "琳", "宏伟", "雪梅" };
static const char *const property_firms[] = {
    "青岛海信物业服务有限公司", "青岛万科物业服务有限公司", "青岛鲁商物业管理有限公司", "青岛青建物业管理有限公司",
    "华润万象生活（青岛）物业", "保利物业服务青岛分公司", "中海物业管理青岛分公司", "绿城物业服务青岛分公司",
    "青岛天泰物业管理有限公司", "青岛德泰物业服务有限公司", "四方区房管所物业服务中心", "青岛银盛泰物业有限公司" };
static const char *const resident_units[] = {
    "四方区人民医院", "中国银行青岛四方支行", "青岛市第五十三中学", "四方实验小学", "国网青岛供电公司四方供电中心",
    "中国邮政四方营业部", "中车青岛四方机车车辆股份有限公司", "青岛地铁运营分公司四方站区", "青岛啤酒四方分厂",
    "四方区市场监督管理所", "青岛港湾职业技术学院", "中国工商银行四方支行", "青岛市第二实验幼儿园",
    "四方区税务所", "青岛海尔洗衣机有限公司", "青岛农商银行四方支行", "四方区图书馆", "四方区消防救援站",
    "青岛红星化工集团", "四方长途汽车站" };
static const char *const departments[] = { "四方区民政局", "四方区卫生健康局", "四方区城市管理局",
                                           "四方区住房和城乡建设局", "四方区人力资源和社会保障局", "四方区教育和体育局",
                                           "四方区市场监督管理局", "四方区退役军人事务局" };
#define COUNT(array) (sizeof(array) / sizeof *(array))

/* One stream per (seed, tag, item), as the loader's. */
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

static void
person_name(demo_stream_t *rng, char out[32])
{
    snprintf(out, 32, "%s%s", surnames[demo_stream_below(rng, (int) COUNT(surnames))],
             given[demo_stream_below(rng, (int) COUNT(given))]);
}

/* A name without its trailing suffix ("杭州路社区" less "社区"). */
static void
stem(const char *name, const char *suffix, char out[64])
{
    size_t n = strlen(name), s = strlen(suffix);
    snprintf(out, 64, "%.*s", (int) (n >= s && strcmp(name + n - s, suffix) == 0 ? n - s : n), name);
}

static joint_demo_member_t *
add(joint_demo_t *self, const char *unit, Sifang__V1__MeetingAttendanceMechanism mechanism,
    Sifang__V1__JointMemberKind kind, const char *name, const char *post, demo_stream_t *rng,
    const demo_timeline_t *timeline)
{
    for (size_t i = 0; i < self->n; i++)    /* a unit sits once on a mechanism */
        if (strcmp(self->members[i].unit, unit) == 0 && self->members[i].mechanism == mechanism
            && strcmp(self->members[i].name, name) == 0)
            return NULL;
    if (self->n == self->size) {
        size_t size = self->size ? self->size * 2 : 256;
        joint_demo_member_t *grown = realloc(self->members, size * sizeof *grown);
        if (!grown)
            return NULL;
        self->members = grown;
        self->size = size;
    }
    joint_demo_member_t *m = &self->members[self->n++];
    memset(m, 0, sizeof *m);
    snprintf(m->unit, sizeof m->unit, "%s", unit);
    m->mechanism = mechanism;
    m->kind = kind;
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->post, sizeof m->post, "%s", post);
    person_name(rng, m->representative);
    /* Members since before the year began. */
    m->joined = timeline->first_day - 30 - demo_stream_below(rng, 700);
    return m;
}

/* Some resident units join during the year, some leave. */
static void
turnover(joint_demo_member_t *m, demo_stream_t *rng, const demo_timeline_t *timeline)
{
    if (!m || m->kind != KIND(RESIDENT_UNIT))
        return;
    int roll = demo_stream_below(rng, 100), span = timeline->today - timeline->first_day;
    if (roll < 8 && span > 60)
        m->joined = timeline->first_day + 30 + demo_stream_below(rng, span - 30);
    else if (roll < 14 && span > 60)
        m->left = timeline->first_day + 30 + demo_stream_below(rng, span - 30);
}

bool
joint_demo_community(joint_demo_t *self, const char *code, const char *name, size_t i,
                     const demo_timeline_t *timeline, uint64_t seed)
{
    demo_stream_t rng = rng_of(seed, "joint-community", i);
    const Sifang__V1__MeetingAttendanceMechanism five = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY;
    char text[192], base[64];
    stem(name, "社区", base);
    snprintf(text, sizeof text, "%s党委", name);
    if (!add(self, code, five, KIND(PARTY_ORGANISATION), text, "党委书记", &rng, timeline))
        return false;
    snprintf(text, sizeof text, "%s居民委员会", name);
    add(self, code, five, KIND(RESIDENTS_COMMITTEE), text, "居委会主任", &rng, timeline);
    add(self, code, five, KIND(PROPERTY_MANAGEMENT), property_firms[demo_stream_below(&rng, (int) COUNT(property_firms))],
        demo_stream_below(&rng, 3) ? "项目经理" : "客服主管", &rng, timeline);
    /* Older neighbourhoods often have no owners' committee. */
    if (demo_stream_below(&rng, 5) != 0) {
        snprintf(text, sizeof text, "%s%s业主委员会", base, demo_stream_below(&rng, 2) ? "花园" : "小区");
        add(self, code, five, KIND(OWNERS_COMMITTEE), text, "业委会主任", &rng, timeline);
    }
    int units = 1 + demo_stream_below(&rng, 3);
    for (int k = 0; k < units; k++)
        turnover(add(self, code, five, KIND(RESIDENT_UNIT),
                     resident_units[demo_stream_below(&rng, (int) COUNT(resident_units))],
                     demo_stream_below(&rng, 2) ? "党支部书记" : "工会主席", &rng, timeline), &rng, timeline);
    if (demo_stream_below(&rng, 2) == 0) {
        snprintf(text, sizeof text, "%s警务室", name);
        add(self, code, five, KIND(OTHER), text, "社区民警", &rng, timeline);
    }
    return true;
}

bool
joint_demo_street(joint_demo_t *self, const char *code, const char *name, size_t i,
                  const demo_timeline_t *timeline, uint64_t seed)
{
    demo_stream_t rng = rng_of(seed, "joint-street", i);
    const Sifang__V1__MeetingAttendanceMechanism joint = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_STREET_JOINT;
    char text[192];
    snprintf(text, sizeof text, "%s党工委", name);
    if (!add(self, code, joint, KIND(PARTY_ORGANISATION), text, "党工委副书记", &rng, timeline))
        return false;
    int units = 5 + demo_stream_below(&rng, 4);
    size_t last = SIZE_MAX;   /* an index: add() may move the array */
    for (int k = 0; k < units; k++) {
        joint_demo_member_t *added = add(self, code, joint, KIND(RESIDENT_UNIT),
                                         resident_units[demo_stream_below(&rng, (int) COUNT(resident_units))],
                                         demo_stream_below(&rng, 2) ? "党委副书记" : "党支部书记", &rng, timeline);
        turnover(added, &rng, timeline);
        if (added && !added->left && added->joined < timeline->first_day)
            last = (size_t) (added - self->members);
    }
    /* Every third street saw a resident unit move away in the middle of the
     * year (its seat left empty). */
    if (last != SIZE_MAX && i % 3 == 0 && timeline->today - timeline->first_day > 60)
        self->members[last].left = timeline->first_day + (timeline->today - timeline->first_day) / 2;
    int departments_n = 1 + demo_stream_below(&rng, 2);
    for (int k = 0; k < departments_n; k++)
        add(self, code, joint, KIND(DEPARTMENT), departments[demo_stream_below(&rng, (int) COUNT(departments))],
            "副局长", &rng, timeline);
    add(self, code, joint, KIND(OTHER), "四方区社会组织服务中心", "主任", &rng, timeline);
    return true;
}

void
joint_demo_release(joint_demo_t *self)
{
    free(self->members);
    memset(self, 0, sizeof *self);
}

bool
joint_demo_expected(const joint_demo_member_t *member, const char *unit,
                    Sifang__V1__MeetingAttendanceMechanism mechanism, int32_t day)
{
    return member->mechanism == mechanism && strcmp(member->unit, unit) == 0 && *member->id
        && member->joined <= day && (member->left == 0 || member->left > day);
}

Sifang__V1__MeetingAttendanceStatus
joint_demo_turn_up(const joint_demo_member_t *member, demo_stream_t *rng, char came[32])
{
    /* The party organisation and the residents' committee call the meeting
     * and nearly always come; companies and resident units less so. */
    int attend = member->kind == KIND(PARTY_ORGANISATION) || member->kind == KIND(RESIDENTS_COMMITTEE) ? 98
               : member->kind == KIND(PROPERTY_MANAGEMENT) ? 82
               : member->kind == KIND(OWNERS_COMMITTEE) ? 86 : 76;
    int roll = demo_stream_below(rng, 100);
    *came = '\0';
    if (roll >= attend)
        return roll < attend + (100 - attend) * 2 / 3 ? STATUS(ABSENT_WITH_LEAVE) : STATUS(ABSENT_WITHOUT_LEAVE);
    if (demo_stream_below(rng, 100) < 12)
        person_name(rng, came);
    return STATUS(ATTENDED);
}
