/* Unit test of the demo-district generator: the same seed gives the same
 * district, the figures are Sifang's at scale 1 and shrink with the scale,
 * codes nest, ID numbers are valid and unique. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "demo_district.h"
#include "sf_dates.h"
#include "sf_ids.h"
#include "sf_test.h"

static bool
same_bytes(const void *a, const void *b, size_t size)
{
    return size == 0 || memcmp(a, b, size) == 0;
}

static void
test_determinism(void)
{
    /* The same seed on the same day: the same district. */
    demo_timeline_t day;
    demo_timeline_parse(&day, "2026-12-07");
    /* A quarter of the district: enough to differ anywhere, quick enough
     * under the sanitizers. */
    demo_district_t *a = demo_district_new_on(2012, 0.25, &day);
    demo_district_t *b = demo_district_new_on(2012, 0.25, &day);
    demo_district_t *c = demo_district_new_on(2013, 0.25, &day);
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
    SF_CHECK_EQ_INT(a->n_residents, b->n_residents);
    SF_CHECK(same_bytes(a->residents, b->residents, a->n_residents * sizeof *a->residents));
    SF_CHECK_EQ_INT(a->n_staff, b->n_staff);
    SF_CHECK(same_bytes(a->staff, b->staff, a->n_staff * sizeof *a->staff));
    SF_CHECK(same_bytes(a->responsibilities, b->responsibilities,
                        a->n_responsibilities * sizeof *a->responsibilities));
    SF_CHECK(same_bytes(a->pairings, b->pairings, a->n_pairings * sizeof *a->pairings));
    /* Another seed: the same figures, other people. */
    SF_CHECK_EQ_INT(c->n_households, a->n_households);
    SF_CHECK(!same_bytes(a->residents, c->residents, 100 * sizeof *a->residents));
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

#define DEMO_SIZES 6

/* NULL when a person is as a district official would expect, else why not:
 * the ID number (GB 11643 by sf_ids, the district's region, birth date and
 * sex), the age on the timeline's today, and that age against what they
 * are in the household (its head an adult, a spouse of the other sex and of
 * marriage age, a child 18 or more years younger than the head, a parent 18
 * or more years older; phones from twelve, party members from eighteen;
 * the elderly alone 60 or older, the head of a laid-off or zero-employment
 * household of working age). */
static const char *
person_fits(const demo_district_t *d, const demo_household_t *household, const demo_resident_t *head,
            const demo_resident_t *person, size_t m)
{
    char normal[SF_ID_NUMBER_SIZE], born[11];
    if (!sf_id_number_normalise(person->id_number, normal) || strcmp(normal, person->id_number) != 0)
        return "ID number not valid";
    sf_id_number_birth_date(normal, born);
    bool male = person->gender == SIFANG__V1__GENDER__GENDER_MALE;
    if (strncmp(normal, d->place->code, 6) != 0 || strcmp(born, person->birth_date) != 0
        || sf_id_number_male(normal) != male)
        return "ID number does not match the person";
    int32_t birth;
    if (!sf_date_parse(person->birth_date, &birth) || birth > d->timeline.today)
        return "birth date";
    int y, mo, da, ty, tm, td;
    sf_civil_from_days(birth, &y, &mo, &da);
    sf_civil_from_days(d->timeline.today, &ty, &tm, &td);
    int age = ty - y - (tm < mo || (tm == mo && td < da));
    if (age != person->age || age < 0 || age > DEMO_AGE_MAX)
        return "age does not match the birth date";
    if (person->household != (size_t) (household - d->households) || person->member != m
        || !person->name[0] || strlen(person->name) < 6)
        return "household, member or name";
    const char *relation = person->relation;
    if ((m == 0) != (strcmp(relation, "head") == 0))
        return "the head is the first";
    if (m == 0 && age < 18)
        return "a head under 18";
    if (strcmp(relation, "spouse") == 0
        && (person->gender == head->gender || age < (male ? 22 : 20)))
        return "a spouse under marriage age or of the same sex";
    if (strcmp(relation, "child") == 0 && head->age - age < 18)
        return "a child less than 18 years younger than the head";
    if (strcmp(relation, "parent") == 0 && age - head->age < 18)
        return "a parent less than 18 years older than the head";
    if (m > 0 && strcmp(relation, "spouse") != 0 && strcmp(relation, "child") != 0
        && strcmp(relation, "parent") != 0)
        return "relation";
    /* Phones come at twelve (on the first of January: a birthday since may
     * make a child of eleven twelve without one yet). */
    if ((age < 12 && person->phone[0]) || (age >= 13 && age < 80 && !person->phone[0]))
        return "a phone before twelve, or none after";
    if (person->phone[0] && (strlen(person->phone) != 11 || person->phone[0] != '1'))
        return "phone";
    if (person->party_member && age < 18)
        return "a party member under 18";
    if (demo_household_has_flag(household, SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE)
        && (age < 60 || household->n_residents > 2))
        return "an elderly-alone household with someone under 60 or more than two";
    if (m == 0 && (demo_household_has_flag(household, SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF)
                   || demo_household_has_flag(household, SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ZERO_EMPLOYMENT))
        && (age < 18 || age > 60))
        return "a laid-off household's head not of working age";
    return NULL;
}

static void
check_district(const demo_district_t *d)
{
    SF_CHECK_EQ_STR(d->district.code, d->place->code);
    SF_CHECK_EQ_STR(d->district.name, d->place->name);
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

    /* Households: under their building group, 1-6 people each, the head
     * first; every person with a valid, unique ID number of the district
     * whose digits match birth date and sex, an age that fits what they are
     * in the household. */
    const char **ids = malloc((d->n_residents ? d->n_residents : 1) * sizeof *ids);
    if (!SF_CHECK(ids != NULL))
        return;
    size_t difficult = 0, bad = 0, people = 0;
    size_t sizes[DEMO_SIZES + 1] = { 0 };
    for (size_t h = 0; h < d->n_households; h++) {
        const demo_household_t *household = &d->households[h];
        const char *group = d->building_groups[household->building_group].code;
        bool ok = strlen(household->code) == 18 && strncmp(household->code, group, 15) == 0
               && household->address[0] && household->n_residents >= 1
               && household->n_residents <= DEMO_SIZES && household->first_resident == people
               && (h == 0 || strcmp(d->households[h - 1].code, household->code) < 0);
        if (!ok && bad++ < 5)
            SF_FAIL("household %s: %zu residents from %zu", household->code, household->n_residents,
                    household->first_resident);
        if (!ok)
            continue;
        sizes[household->n_residents]++;
        people += household->n_residents;
        difficult += household->n_flags > 0;
        const demo_resident_t *head = &d->residents[household->first_resident];
        for (size_t m = 0; m < household->n_residents; m++) {
            const demo_resident_t *person = &d->residents[household->first_resident + m];
            const char *why = person_fits(d, household, head, person, m);
            if (why && bad++ < 5)
                SF_FAIL("household %s: %s %s %s %s %s (%d): %s", household->code, person->relation,
                        person->name, person->birth_date, person->id_number, person->phone,
                        person->age, why);
            ids[household->first_resident + m] = person->id_number;
        }
    }
    SF_CHECK_EQ_INT(bad, 0);
    SF_CHECK_EQ_INT(people, d->n_residents);
    SF_CHECK_EQ_INT(difficult, d->n_households_in_difficulty);
    qsort(ids, d->n_residents, sizeof *ids, compare_text);
    size_t repeats = 0;
    for (size_t r = 1; r < d->n_residents; r++)
        repeats += strcmp(ids[r - 1], ids[r]) == 0;
    SF_CHECK_EQ_INT(repeats, 0);
    free(ids);
    /* Household sizes of a city district: 2.4-2.8 people on average, one in
     * six to one in four alone, couples and families of three the most,
     * three generations present. Small districts draw too few to say. */
    if (d->n_households >= 2000) {
        double mean = (double) d->n_residents / (double) d->n_households;
        double n = (double) d->n_households;
        printf("household sizes: mean %.2f; 1: %.1f%% 2: %.1f%% 3: %.1f%% 4: %.1f%% 5: %.1f%% 6: %.1f%%\n",
               mean, 100 * sizes[1] / n, 100 * sizes[2] / n, 100 * sizes[3] / n, 100 * sizes[4] / n,
               100 * sizes[5] / n, 100 * sizes[6] / n);
        SF_CHECK(mean >= 2.4 && mean <= 2.8);
        SF_CHECK(sizes[1] / n >= 0.15 && sizes[1] / n <= 0.25);
        SF_CHECK(sizes[2] / n >= 0.25 && sizes[2] / n <= 0.40);
        SF_CHECK(sizes[3] / n >= 0.25 && sizes[3] / n <= 0.40);
        SF_CHECK((sizes[5] + sizes[6]) / n >= 0.04);
    }

    /* Street cadres cover several zones each, one cadre a zone; each
     * community's two committees have 5-9 members, who share its zones;
     * departments have a head, a deputy and section staff. */
    size_t n_cadres = count_staff(d, SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE);
    SF_CHECK(n_cadres >= 1 && n_cadres <= d->n_zones);
    if (d->n_zones >= 100)
        SF_CHECK((double) d->n_zones / (double) n_cadres >= 3.0
                 && (double) d->n_zones / (double) n_cadres <= 7.0);
    SF_CHECK_EQ_INT(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE), d->n_zones);
    SF_CHECK_EQ_INT(count_kind(d, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE),
                    d->n_zones);
    for (size_t c = 0; c < d->n_communities; c++) {
        size_t members = 0;
        for (size_t s = 0; s < d->n_staff; s++)
            members += d->staff[s].kind == SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE
                    && strcmp(d->staff[s].unit_code, d->communities[c].code) == 0;
        if (!SF_CHECK(members >= 5 && members <= 9))
            break;
    }
    for (size_t r = 0; r < d->n_responsibilities; r++) {
        const demo_responsibility_t *duty = &d->responsibilities[r];
        const demo_staff_t *staff = &d->staff[duty->staff];
        if (!SF_CHECK(duty->staff < d->n_staff)
            || !SF_CHECK(strncmp(duty->unit_code, staff->unit_code, strlen(staff->unit_code)) == 0))
            break;
        /* A zone's committee member is of the zone's own community. */
        if (duty->kind == SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE
            && !SF_CHECK_EQ_INT(strlen(staff->unit_code), 12))
            break;
    }
    for (size_t dep = 0; dep < d->n_departments; dep++) {
        size_t staff = 0;
        const demo_staff_t *head = NULL;
        for (size_t s = 0; s < d->n_staff; s++)
            if (strcmp(d->staff[s].department_code, d->departments[dep].code) == 0) {
                staff++;
                if (!head)
                    head = &d->staff[s];
                SF_CHECK_EQ_INT(d->staff[s].kind, SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF);
            }
        if (!SF_CHECK(staff >= 4 && staff <= 6) || !SF_CHECK(strncmp(head->title, "副", strlen("副")) != 0))
            break;
    }
    size_t keys_repeated = 0;
    for (size_t s = 1; s < d->n_staff; s++)
        for (size_t t = 0; t < s; t++)
            keys_repeated += strcmp(d->staff[s].key, d->staff[t].key) == 0;
    SF_CHECK_EQ_INT(keys_repeated, 0);
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
    demo_timeline_t day;
    demo_timeline_parse(&day, "2026-12-07");
    demo_district_t *d = demo_district_new_on(DEMO_SEED_DEFAULT, 1.0, &day);
    if (!SF_CHECK(d != NULL))
        return;
    /* The seed's volunteers are about one resident in seven. */
    double per_volunteer = (double) d->n_residents / DEMO_VOLUNTEERS;
    printf("%zu residents, one in %.1f a volunteer\n", d->n_residents, per_volunteer);
    SF_CHECK(per_volunteer >= 6.3 && per_volunteer <= 7.7);
    /* The district's party members, adults all (every one of 18 to 80 a
     * volunteer, so they are a fifth or so of the volunteers, not half). */
    size_t party = 0, party_minors = 0;
    for (size_t r = 0; r < d->n_residents; r++) {
        party += d->residents[r].party_member;
        party_minors += d->residents[r].party_member && d->residents[r].age < 18;
    }
    printf("%zu party members (%.0f %% of the volunteers at most)\n", party, 100.0 * (double) party / DEMO_VOLUNTEERS);
    SF_CHECK(party >= DEMO_PARTY_MEMBERS * 9 / 10 && party <= DEMO_PARTY_MEMBERS * 11 / 10);
    SF_CHECK_EQ_INT(party_minors, 0);
    SF_CHECK_EQ_INT(count_staff(d, SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF) >= 4 * 52, 1);
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
    for (size_t h = 0; h < 3; h++) {
        const demo_household_t *household = &d->households[h];
        printf("%s %s:", household->code, household->address);
        for (size_t m = 0; m < household->n_residents; m++) {
            const demo_resident_t *person = &d->residents[household->first_resident + m];
            printf(" %s %s %d %s;", person->relation, person->name, person->age, person->birth_date);
        }
        printf("\n");
    }
    for (size_t s = 0; s < d->n_staff; s += d->n_staff / 12)
        printf("staff %s %s %s %s %s\n", d->staff[s].key, d->staff[s].name, d->staff[s].title,
               d->staff[s].unit_code, d->staff[s].department_code);
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

/* Shibei, the city-level demo's second district: the same district as
 * Sifang's of that seed and scale, under Shibei's code, streets and
 * departments' names, its people's ID numbers of its region. */
static void
test_other_place(void)
{
    const demo_place_t *shibei = demo_place_find("shibei");
    SF_CHECK(demo_place_find("sifang") != NULL && demo_place_find("shinan") == NULL && demo_place_find(NULL) == NULL);
    if (!SF_CHECK(shibei != NULL))
        return;
    demo_timeline_t day;
    demo_timeline_on(&day, 20000);
    demo_district_t *sifang = demo_district_new_on(DEMO_SEED_DEFAULT, 0.05, &day);
    demo_district_t *d = demo_district_new_at(DEMO_SEED_DEFAULT, 0.05, &day, shibei);
    if (SF_CHECK(sifang != NULL && d != NULL)) {
        SF_CHECK_EQ_STR(d->district.code, "370203");
        SF_CHECK_EQ_STR(d->district.name, "市北区");
        SF_CHECK_EQ_STR(sifang->district.name, "四方区");
        SF_CHECK_EQ_STR(d->streets[0].code, "370203001");
        SF_CHECK_EQ_STR(d->streets[0].name, "辽宁路街道");
        SF_CHECK_EQ_STR(d->households[0].code, "370203001001011001");
        SF_CHECK(d->n_households == sifang->n_households && d->n_residents == sifang->n_residents
                 && d->n_staff == sifang->n_staff && d->n_departments == sifang->n_departments);
        check_district(d);
        size_t renamed = 0;
        for (size_t i = 0; i < d->n_departments; i++) {
            SF_CHECK(strstr(d->departments[i].name, "四方") == NULL);
            renamed += strncmp(d->departments[i].name, "市北区", strlen("市北区")) == 0;
        }
        SF_CHECK(renamed > 0);
        for (size_t i = 0; i < d->n_streets; i++)
            SF_CHECK(strstr(d->streets[i].name, "四方") == NULL);
        for (size_t i = 0; i < d->n_staff; i++)
            SF_CHECK(strncmp(d->staff[i].unit_code, "370203", 6) == 0);
    }
    demo_district_destroy(&sifang);
    demo_district_destroy(&d);
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
    test_determinism();
    test_full_scale();
    test_small_scales();
    test_other_place();
    return sf_test_done();
}
