/* Unit test of the demo-district generator: the same seed gives the same
 * district, the figures are Sifang's at scale 1 and shrink with the scale,
 * codes nest, ID numbers are valid and unique. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "demo_district.h"
#include "sf_dates.h"
#include "sf_test.h"

static bool
same_bytes(const void *a, const void *b, size_t size)
{
    return size == 0 || memcmp(a, b, size) == 0;
}

static void
test_check_digit(void)
{
    /* The example of GB 11643-1999 itself, and one with check digit 0. */
    SF_CHECK(demo_id_number_valid("11010519491231002X"));
    SF_CHECK(!demo_id_number_valid("110105194912310021"));
    SF_CHECK_EQ_INT(demo_id_check_digit("44052418800101001"), '4');
    SF_CHECK(!demo_id_number_valid("3702051950010100"));
    SF_CHECK(!demo_id_number_valid("37020519500101A01X"));
}

static void
test_determinism(void)
{
    demo_district_t *a = demo_district_new(2012, 1.0);
    demo_district_t *b = demo_district_new(2012, 1.0);
    demo_district_t *c = demo_district_new(2013, 1.0);
    if (!SF_CHECK(a && b && c))
        goto cleanup;
    SF_CHECK_EQ_INT(a->n_households, b->n_households);
    SF_CHECK(same_bytes(&a->district, &b->district, sizeof a->district));
    SF_CHECK(same_bytes(a->streets, b->streets, a->n_streets * sizeof *a->streets));
    SF_CHECK(same_bytes(a->communities, b->communities, a->n_communities * sizeof *a->communities));
    SF_CHECK(same_bytes(a->zones, b->zones, a->n_zones * sizeof *a->zones));
    SF_CHECK(same_bytes(a->building_groups, b->building_groups,
                        a->n_building_groups * sizeof *a->building_groups));
    SF_CHECK(same_bytes(a->households, b->households, a->n_households * sizeof *a->households));
    SF_CHECK(same_bytes(a->staff, b->staff, a->n_staff * sizeof *a->staff));
    SF_CHECK(same_bytes(a->responsibilities, b->responsibilities,
                        a->n_responsibilities * sizeof *a->responsibilities));
    SF_CHECK(same_bytes(a->pairings, b->pairings, a->n_pairings * sizeof *a->pairings));
    /* Another seed: the same figures, other people. */
    SF_CHECK_EQ_INT(c->n_households, a->n_households);
    SF_CHECK(!same_bytes(a->households, c->households, a->n_households * sizeof *a->households));
cleanup:
    demo_district_destroy(&a);
    demo_district_destroy(&b);
    demo_district_destroy(&c);
    SF_CHECK(a == NULL);
}

static int
compare_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Every unit's code is its parent's plus a fixed number of digits, and the
 * parent is in the level above. */
static void
check_level(const demo_unit_t *units, size_t n, const demo_unit_t *parents, size_t n_parents,
            size_t code_length, Sifang__V1__UnitKind kind)
{
    size_t p = 0;
    for (size_t i = 0; i < n; i++) {
        const demo_unit_t *unit = &units[i];
        if (!SF_CHECK_EQ_INT(strlen(unit->code), code_length)
            || !SF_CHECK_EQ_INT(unit->kind, kind)
            || !SF_CHECK(strncmp(unit->code, unit->parent_code, strlen(unit->parent_code)) == 0)
            || !SF_CHECK(unit->name[0] != '\0')
            || !SF_CHECK(unit->lat > 36.0 && unit->lat < 36.2 && unit->lon > 120.25 && unit->lon < 120.45))
            return;
        /* Children come in their parents' order. */
        while (p < n_parents && strcmp(parents[p].code, unit->parent_code) != 0)
            p++;
        if (!SF_CHECK(p < n_parents))
            return;
        if (i > 0 && !SF_CHECK(strcmp(units[i - 1].code, unit->code) < 0))
            return;
    }
}

static size_t
count_kind(const demo_district_t *d, Sifang__V1__ResponsibilityKind kind)
{
    size_t n = 0;
    for (size_t r = 0; r < d->n_responsibilities; r++)
        n += d->responsibilities[r].kind == kind;
    return n;
}

static size_t
count_staff(const demo_district_t *d, Sifang__V1__StaffKind kind)
{
    size_t n = 0;
    for (size_t s = 0; s < d->n_staff; s++)
        n += d->staff[s].kind == kind;
    return n;
}

static void
check_district(const demo_district_t *d)
{
    SF_CHECK_EQ_STR(d->district.code, "370205");
    SF_CHECK_EQ_STR(d->district.name, "四方区");
    SF_CHECK(d->n_streets >= 1 && d->n_communities >= 1 && d->n_zones >= 1);
    check_level(d->streets, d->n_streets, &d->district, 1, 9, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET);
    check_level(d->communities, d->n_communities, d->streets, d->n_streets, 12,
                SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY);
    check_level(d->zones, d->n_zones, d->communities, d->n_communities, 14,
                SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE);
    check_level(d->building_groups, d->n_building_groups, d->zones, d->n_zones, 15,
                SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP);

    /* 2-3 building groups per zone. */
    size_t g = 0;
    for (size_t z = 0; z < d->n_zones; z++) {
        size_t n = 0;
        while (g < d->n_building_groups && strcmp(d->building_groups[g].parent_code, d->zones[z].code) == 0) {
            g++;
            n++;
        }
        if (!SF_CHECK(n >= 2 && n <= 3))
            break;
    }

    /* Households: under their building group, heads with valid, unique ID
     * numbers of the district whose digits match birth date and gender. */
    const char **ids = malloc(d->n_households * sizeof *ids);
    if (!SF_CHECK(ids != NULL))
        return;
    size_t difficult = 0, bad = 0;
    for (size_t h = 0; h < d->n_households; h++) {
        const demo_household_t *household = &d->households[h];
        const demo_resident_t *head = &household->head;
        const char *group = d->building_groups[household->building_group].code;
        char date_digits[9];
        snprintf(date_digits, sizeof date_digits, "%.4s%.2s%.2s", head->birth_date,
                 head->birth_date + 5, head->birth_date + 8);
        bool male = head->gender == SIFANG__V1__GENDER__GENDER_MALE;
        bool ok = strlen(household->code) == 18 && strncmp(household->code, group, 15) == 0
               && household->address[0] && head->name[0]
               && demo_id_number_valid(head->id_number)
               && strncmp(head->id_number, "370205", 6) == 0
               && strncmp(head->id_number + 6, date_digits, 8) == 0
               && ((head->id_number[16] - '0') % 2 == 1) == male
               && strlen(head->phone) == 11 && head->phone[0] == '1'
               && (h == 0 || strcmp(d->households[h - 1].code, household->code) < 0);
        if (!ok && bad++ < 5)
            SF_FAIL("household %s: head %s %s %s %s %s", household->code, head->name,
                    head->birth_date, head->id_number, head->phone, household->address);
        ids[h] = head->id_number;
        difficult += household->n_flags > 0;
    }
    SF_CHECK_EQ_INT(bad, 0);
    SF_CHECK_EQ_INT(difficult, d->n_households_in_difficulty);
    qsort(ids, d->n_households, sizeof *ids, compare_text);
    size_t repeats = 0;
    for (size_t h = 1; h < d->n_households; h++)
        repeats += strcmp(ids[h - 1], ids[h]) == 0;
    SF_CHECK_EQ_INT(repeats, 0);
    free(ids);

    /* One cadre and one committee member per zone, each responsible for it. */
    SF_CHECK_EQ_INT(count_staff(d, SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE), d->n_zones);
    SF_CHECK_EQ_INT(count_staff(d, SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE), d->n_zones);
    SF_CHECK_EQ_INT(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE), d->n_zones);
    SF_CHECK_EQ_INT(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE),
                    d->n_zones);
    for (size_t r = 0; r < d->n_responsibilities; r++) {
        const demo_responsibility_t *duty = &d->responsibilities[r];
        const demo_staff_t *staff = &d->staff[duty->staff];
        if (!SF_CHECK(duty->staff < d->n_staff)
            || !SF_CHECK(strncmp(duty->unit_code, staff->unit_code, strlen(staff->unit_code)) == 0))
            break;
    }
    for (size_t s = 0; s < d->n_staff; s++)
        if (!SF_CHECK(d->staff[s].name[0] && d->staff[s].key[0] && d->staff[s].unit_code[0]))
            break;
    /* Every community paired with one department. */
    SF_CHECK_EQ_INT(d->n_pairings, d->n_communities);
    for (size_t p = 0; p < d->n_pairings; p++)
        if (!SF_CHECK(d->pairings[p].community == p && d->pairings[p].department < d->n_departments))
            break;
}

static void
test_full_scale(void)
{
    demo_district_t *d = demo_district_new(DEMO_SEED_DEFAULT, 1.0);
    if (!SF_CHECK(d != NULL))
        return;
    SF_CHECK_EQ_INT(d->n_streets, 7);
    SF_CHECK_EQ_INT(d->n_communities, 93);
    SF_CHECK_EQ_INT(d->n_zones, 1180);
    SF_CHECK_EQ_INT(d->n_building_groups, 2800);
    SF_CHECK_EQ_INT(d->n_households, 139000);
    SF_CHECK(d->n_households_in_difficulty >= 8600);
    SF_CHECK_EQ_INT(d->n_departments, 52);
    SF_CHECK_EQ_INT(d->n_pairings, 93);
    SF_CHECK_EQ_INT(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT), 99);
    SF_CHECK_EQ_INT(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE), 264);
    SF_CHECK_EQ_INT(count_staff(d, SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE), 264);
    SF_CHECK_EQ_INT(count_staff(d, SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER), DEMO_LEADERS);
    SF_CHECK_EQ_STR(d->streets[0].code, "370205001");
    SF_CHECK_EQ_STR(d->communities[0].code, "370205001001");
    SF_CHECK_EQ_STR(d->zones[0].code, "37020500100101");
    SF_CHECK_EQ_STR(d->building_groups[0].code, "370205001001011");
    SF_CHECK_EQ_STR(d->households[0].code, "370205001001011001");
    check_district(d);
    /* A few samples for whoever reads the test log. */
    printf("sample: %s %s | %s %s | %s %s %s %s\n", d->zones[0].code, d->zones[0].name,
           d->households[0].code, d->households[0].address, d->households[0].head.name,
           d->households[0].head.birth_date, d->households[0].head.phone,
           d->staff[0].name);
    demo_district_destroy(&d);
}

static void
test_small_scales(void)
{
    demo_district_t *d = demo_district_new(DEMO_SEED_DEFAULT, 0.02);
    if (SF_CHECK(d != NULL)) {
        SF_CHECK_EQ_INT(d->n_streets, 1);
        SF_CHECK_EQ_INT(d->n_communities, 2);
        SF_CHECK_EQ_INT(d->n_zones, 24);
        SF_CHECK(d->n_building_groups >= 48 && d->n_building_groups <= 72);
        SF_CHECK_EQ_INT(d->n_households, 2780);
        SF_CHECK(d->n_households_in_difficulty > 100 && d->n_households_in_difficulty < 250);
        SF_CHECK(d->n_departments >= 1);
        SF_CHECK(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT) >= 1);
        SF_CHECK(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE) >= 1);
        check_district(d);
        demo_district_destroy(&d);
    }
    /* The smallest district still has one of each. */
    d = demo_district_new(7, 0.00001);
    if (SF_CHECK(d != NULL)) {
        SF_CHECK_EQ_INT(d->n_streets, 1);
        SF_CHECK_EQ_INT(d->n_communities, 1);
        SF_CHECK_EQ_INT(d->n_zones, 1);
        SF_CHECK_EQ_INT(d->n_building_groups, 2);
        SF_CHECK(d->n_households >= 2);
        SF_CHECK(d->n_departments >= 1 && d->n_pairings == 1);
        check_district(d);
        demo_district_destroy(&d);
    }
    SF_CHECK(demo_district_new(1, 0) == NULL);
    SF_CHECK(demo_district_new(1, -1) == NULL);
    SF_CHECK(demo_district_new(1, DEMO_SCALE_MAX + 1) == NULL);
}

/* The timeline every loader dates its data in: a year ending today, the
 * half-year before this one complete inside it. */
static void
test_timeline(void)
{
    demo_timeline_t t;
    SF_CHECK(!demo_timeline_parse(&t, "2026-02-30"));
    SF_CHECK(!demo_timeline_parse(&t, "7 December"));
    if (!SF_CHECK(demo_timeline_parse(&t, "2026-12-07")))
        return;
    char text[11];
    SF_CHECK_EQ_STR(t.today_text, "2026-12-07");
    sf_date_format(t.first_day, text);
    SF_CHECK_EQ_STR(text, "2025-12-08");
    SF_CHECK_EQ_INT(t.n_days, 365);
    SF_CHECK_EQ_STR(t.current_half.code, "2026-H2");
    sf_date_format(t.current_half.first_day, text);
    SF_CHECK_EQ_STR(text, "2026-07-01");
    sf_date_format(t.current_half.last_day, text);
    SF_CHECK_EQ_STR(text, "2026-12-31");
    SF_CHECK_EQ_STR(t.previous_half.code, "2026-H1");
    sf_date_format(t.previous_half.first_day, text);
    SF_CHECK_EQ_STR(text, "2026-01-01");
    sf_date_format(t.previous_half.last_day, text);
    SF_CHECK_EQ_STR(text, "2026-06-30");
    SF_CHECK(demo_timeline_holds(&t, t.today) && demo_timeline_holds(&t, t.first_day));
    SF_CHECK(!demo_timeline_holds(&t, t.today + 1) && !demo_timeline_holds(&t, t.first_day - 1));
    /* Midnight in Qingdao is 16:00 UTC the day before. */
    SF_CHECK_EQ_INT(demo_day_start_ms(t.today), 1796601600000LL - 8 * 3600 * 1000LL);
    SF_CHECK_EQ_INT(demo_day_of_ms(demo_day_start_ms(t.today)), t.today);
    SF_CHECK_EQ_INT(demo_day_of_ms(demo_day_start_ms(t.today) - 1), t.today - 1);
    /* Early in a year the previous half-year is last year's second; a leap
     * day's year ago is the 28th. */
    SF_CHECK(demo_timeline_parse(&t, "2028-02-29"));
    SF_CHECK_EQ_STR(t.previous_half.code, "2027-H2");
    SF_CHECK_EQ_STR(t.current_half.code, "2028-H1");
    sf_date_format(t.first_day, text);
    SF_CHECK_EQ_STR(text, "2027-03-01");
    SF_CHECK(t.previous_half.first_day >= t.first_day);
    /* A --today in the past: nothing is dated after its end. */
    SF_CHECK(demo_timeline_parse(&t, "2020-05-01"));
    SF_CHECK_EQ_INT(demo_timeline_now_ms(&t), demo_day_start_ms(t.today + 1) - 1);
    /* The first of July: the first half-year just complete. */
    SF_CHECK(demo_timeline_parse(&t, "2026-07-01"));
    SF_CHECK_EQ_STR(t.previous_half.code, "2026-H1");
    SF_CHECK_EQ_INT(t.previous_half.last_day, t.today - 1);
    /* By the clock: today lies in its current half-year. */
    demo_timeline_today(&t);
    SF_CHECK(t.today >= t.current_half.first_day && t.today <= t.current_half.last_day);
    SF_CHECK(demo_timeline_now_ms(&t) >= demo_day_start_ms(t.today));
}

int
main(void)
{
    test_timeline();
    test_check_digit();
    test_determinism();
    test_full_scale();
    test_small_scales();
    return sf_test_done();
}
