/* The demo's joint mechanisms (sifang-district-work-demo-load): every
 * community's five-party meeting (五方联席会) and every street's joint
 * party-building meeting (街道党建联席会议) with realistic member units and
 * who represents each, some joining or leaving during the year, and how
 * each unit turns up at a meeting. Pure generation from the seed: the
 * loader sends it. */
#ifndef JOINT_DEMO_H
#define JOINT_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "demo_district.h"
#include "sifang/v1/grid.pb-c.h"

typedef struct {
    char id[16];                 /* grid's, once known */
    char unit[16];               /* the community or street holding it */
    Sifang__V1__MeetingAttendanceMechanism mechanism;
    Sifang__V1__JointMemberKind kind;
    char name[128];
    char representative[32];
    char post[32];
    int32_t joined;              /* day numbers */
    int32_t left;                /* 0: still a member */
} joint_demo_member_t;

typedef struct {
    joint_demo_member_t *members;
    size_t n, size;
} joint_demo_t;

/* Adds the five-party members of the community (code, name) with index i. */
bool joint_demo_community(joint_demo_t *self, const char *code, const char *name, size_t i,
                          const demo_timeline_t *timeline, uint64_t seed);
/* Adds the joint meeting's members of the street (code, name) with index i. */
bool joint_demo_street(joint_demo_t *self, const char *code, const char *name, size_t i,
                       const demo_timeline_t *timeline, uint64_t seed);
void joint_demo_release(joint_demo_t *self);

/* Whether member belongs to the meeting of unit and mechanism on day. */
bool joint_demo_expected(const joint_demo_member_t *member, const char *unit,
                         Sifang__V1__MeetingAttendanceMechanism mechanism, int32_t day);

/* How member turns up at a meeting (rng drawn): its status and, when it
 * attended by someone other than its representative, who (into came). */
Sifang__V1__MeetingAttendanceStatus joint_demo_turn_up(const joint_demo_member_t *member, demo_stream_t *rng,
                                                       char came[32]);

#endif
