/* Pairings (结对帮扶) against a real volunteer following a real grid: party
 * members paired with households grid flags in difficulty; a household
 * paired twice with the same member, an unknown household or resident, a
 * member who is not a party member or a household not in difficulty are
 * refused with nothing written (one at a time and inside a pipelined
 * batch); contacts; the pairings with no contact in N days; coverage per
 * community following grid's flags; the summary. */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vt_world_t world;

#define FREE(message) do { if (message) protobuf_c_message_free_unpacked(&(message)->base, NULL); \
                           (message) = NULL; } while (0)

static sf_status_t
pair(int member, int household, char id_out[16], sf_reply_info_t *info)
{
    Sifang__V1__HelpPairing pairing = SIFANG__V1__HELP_PAIRING__INIT;
    pairing.member_resident_id = member >= 0 ? world.residents[member] : "R7777777";
    pairing.household_code = household >= 0 ? world.households[household] : "370205001001011999";
    Sifang__V1__HelpPairing *created = NULL;
    sf_status_t status = vt_call(&world, NULL, "HelpPairingCreate", NULL, &pairing.base,
                                 &sifang__v1__help_pairing__descriptor, (ProtobufCMessage **) &created, info);
    if (created && id_out)
        snprintf(id_out, 16, "%s", created->id);
    FREE(created);
    return status;
}

static sf_status_t
coverage(const char *under, Sifang__V1__CoverageReply **reply_p)
{
    Sifang__V1__CoverageRequest request = SIFANG__V1__COVERAGE_REQUEST__INIT;
    request.under = (char *) under;
    return vt_call(&world, NULL, "Coverage", NULL, &request.base, &sifang__v1__coverage_reply__descriptor,
                   (ProtobufCMessage **) reply_p, NULL);
}

static char first[16];

static void
test_create_and_refusals(void)
{
    sf_reply_info_t info;
    /* Resident 0 is a party member; household 1 is in difficulty. */
    if (!SF_CHECK_EQ_INT(pair(0, 1, first, &info), SF_OK))
        return;
    Sifang__V1__HelpPairingListRequest list = SIFANG__V1__HELP_PAIRING_LIST_REQUEST__INIT;
    list.household_code = world.households[1];
    Sifang__V1__HelpPairingListReply *reply = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingList", NULL, &list.base, &sifang__v1__help_pairing_list_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_pairings == 1 && reply->pairings[0]->n_flags == 1
             && reply->pairings[0]->flags[0] == SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME
             && strcmp(reply->pairings[0]->community_code, VT_COMMUNITY_1) == 0
             && strcmp(reply->pairings[0]->member_name, "Resident 00") == 0 && reply->pairings[0]->active);
    FREE(reply);

    long long before = vt_domain_rows(&world);
    SF_CHECK_EQ_INT(pair(0, 1, NULL, &info), SF_ALREADY_EXISTS);
    SF_CHECK(vt_has_violation(&info, "household_code"));
    SF_CHECK(info.message && strstr(info.message, first));
    SF_CHECK_EQ_INT(pair(1, 5, NULL, &info), SF_FAILED_PRECONDITION);      /* resident 1: not a party member */
    SF_CHECK(vt_has_violation(&info, "member_resident_id"));
    SF_CHECK_EQ_INT(pair(0, 2, NULL, &info), SF_FAILED_PRECONDITION);      /* household 2: no flag */
    SF_CHECK(vt_has_violation(&info, "household_code"));
    SF_CHECK_EQ_INT(pair(0, -1, NULL, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "household_code"));
    SF_CHECK_EQ_INT(pair(-1, 1, NULL, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "member_resident_id"));
    Sifang__V1__HelpPairing bad = SIFANG__V1__HELP_PAIRING__INIT;
    bad.member_resident_id = "nobody";
    bad.household_code = "12";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingCreate", NULL, &bad.base, &sifang__v1__help_pairing__descriptor,
                            NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "member_resident_id") && vt_has_violation(&info, "household_code"));
    /* A pairing agreed earlier keeps its day, but not one to come or more
     * than a year back. */
    Sifang__V1__HelpPairing dated = SIFANG__V1__HELP_PAIRING__INIT;
    dated.member_resident_id = world.residents[0];
    dated.household_code = world.households[5];
    dated.created_unix_ms = sf_now_ms() + 3600000;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingCreate", NULL, &dated.base, &sifang__v1__help_pairing__descriptor,
                            NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "created_unix_ms"));
    dated.created_unix_ms = sf_now_ms() - 400LL * 86400000;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingCreate", NULL, &dated.base, &sifang__v1__help_pairing__descriptor,
                            NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "created_unix_ms"));
    /* A community principal of community 2 pairing in community 1. */
    sf_client_t *other = vt_client_as(&world, "station-2", "community", VT_COMMUNITY_2);
    Sifang__V1__HelpPairing outside = SIFANG__V1__HELP_PAIRING__INIT;
    outside.member_resident_id = world.residents[3];
    outside.household_code = world.households[5];
    SF_CHECK_EQ_INT(vt_call(&world, other, "HelpPairingCreate", NULL, &outside.base, &sifang__v1__help_pairing__descriptor,
                            NULL, &info), SF_PERMISSION_DENIED);
    sf_client_destroy(&other);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
}

/* Members 3, 6, 9, 12 with households 5, 9, 13, 17, 21, 25, pipelined; the
 * last request repeats the first pair and is refused alone. */
static void
test_batch(void)
{
    enum { N = 13 };
    sf_client_t *client = sf_client_new(world.endpoint, NULL);
    Sifang__V1__HelpPairing pairings[N];
    char ids[N][32];
    const int members[4] = { 3, 6, 9, 12 };
    const int households[6] = { 5, 9, 13, 17, 21, 25 };
    /* One was agreed forty days ago, on paper: it keeps that moment. */
    int64_t agreed = (sf_now_ms() - 40LL * 86400000) / 1000 * 1000;
    for (int i = 0; i < N; i++) {
        sifang__v1__help_pairing__init(&pairings[i]);
        int k = i == N - 1 ? 0 : i;
        pairings[i].member_resident_id = world.residents[members[k % 4]];
        pairings[i].household_code = world.households[households[k % 6]];
        pairings[i].created_unix_ms = i == 2 ? agreed : 0;
        snprintf(ids[i], sizeof ids[i], "pair-%d", i);
        SF_CHECK_EQ_INT(sf_client_send(client, "HelpPairingCreate", ids[i], &pairings[i].base), 0);
    }
    int ok = 0, exists = 0;
    for (int i = 0; i < N; i++) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (!SF_CHECK_EQ_INT(sf_client_recv(client, 10000, &body, &size, &info), 1))
            break;
        free(body);
        if (info.status == SF_OK)
            ok++;
        else if (info.status == SF_ALREADY_EXISTS && strcmp(info.request_id, "pair-12") == 0)
            exists++;
        else
            SF_FAIL("%s: %s %s", info.request_id, sf_status_name(info.status), info.message);
    }
    SF_CHECK_EQ_INT(ok, N - 1);
    SF_CHECK_EQ_INT(exists, 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM help_pairing"), 1 + N - 1);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM help_pairing WHERE created_at = to_timestamp(%lld / 1000.0)"
             " AND member_resident_id = '%s' AND household_code = '%s'", (long long) agreed,
             pairings[2].member_resident_id, pairings[2].household_code);
    SF_CHECK_EQ_INT(vt_sql_int(&world, sql), 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM help_pairing WHERE created_at < now() - interval '1 day'"), 1);
    sf_client_destroy(&client);
}

static void
test_coverage(void)
{
    /* Community 1: households 1, 5, 9, 13, 17 in difficulty, all paired.
     * Community 2: 21, 25, 29, 33, 37; 21 and 25 paired. */
    Sifang__V1__CoverageReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(coverage("", &reply), SF_OK))
        return;
    SF_CHECK_EQ_INT(reply->n_communities, 2);
    SF_CHECK(reply->n_communities == 2 && reply->communities[0]->households_in_difficulty == 5
             && reply->communities[0]->households_paired == 5 && reply->communities[0]->coverage == 1.0
             && reply->communities[1]->households_paired == 2 && reply->communities[1]->coverage == 0.4);
    SF_CHECK(reply->households_in_difficulty == 10 && reply->households_paired == 7 && reply->coverage == 0.7);
    FREE(reply);

    /* Grid flags household 2: volunteer follows and community 1 has six
     * households in difficulty, five paired. */
    Sifang__V1__HouseholdUpdateRequest update = SIFANG__V1__HOUSEHOLD_UPDATE_REQUEST__INIT;
    Sifang__V1__HouseholdFlag flags[1] = { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE };
    update.code = world.households[2];
    update.set_flags = true;
    update.flags = flags;
    update.n_flags = 1;
    Sifang__V1__Household *household = NULL;
    SF_CHECK_EQ_INT(sf_client_call(world.grid_client, "HouseholdUpdate", NULL, &update.base,
                                   &sifang__v1__household__descriptor, (ProtobufCMessage **) &household, NULL), SF_OK);
    FREE(household);
    int64_t until = sf_clock_ms() + 10000;
    int in_difficulty = 0;
    while (sf_clock_ms() < until) {
        if (coverage(VT_COMMUNITY_1, &reply) == SF_OK && reply->n_communities == 1)
            in_difficulty = reply->communities[0]->households_in_difficulty;
        FREE(reply);
        if (in_difficulty == 6)
            break;
        usleep(100 * 1000);
    }
    SF_CHECK_EQ_INT(in_difficulty, 6);
    /* Now household 2 can be paired. */
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(pair(0, 2, NULL, &info), SF_OK);
    /* A zone's view: zone 3 holds 21, 25, 29; 21 and 25 paired. */
    SF_CHECK_EQ_INT(coverage(VT_ZONE_3, &reply), SF_OK);
    SF_CHECK(reply && reply->n_communities == 1 && reply->households_in_difficulty == 3 && reply->households_paired == 2);
    FREE(reply);
}

static void
test_contacts_and_overdue(void)
{
    sf_reply_info_t info;
    long long before = vt_domain_rows(&world);
    Sifang__V1__HelpContact contact = SIFANG__V1__HELP_CONTACT__INIT;
    Sifang__V1__HelpContact *recorded = NULL;
    contact.pairing_id = first;
    contact.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_HELP;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpContactRecord", NULL, &contact.base, &sifang__v1__help_contact__descriptor,
                            (ProtobufCMessage **) &recorded, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "help_given"));
    contact.help_given = "rice and cooking oil";
    contact.at_unix_ms = sf_now_ms() + 3600 * 1000;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpContactRecord", NULL, &contact.base, &sifang__v1__help_contact__descriptor,
                            (ProtobufCMessage **) &recorded, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "at_unix_ms"));
    contact.pairing_id = "P099999";
    contact.at_unix_ms = 0;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpContactRecord", NULL, &contact.base, &sifang__v1__help_contact__descriptor,
                            (ProtobufCMessage **) &recorded, &info), SF_NOT_FOUND);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);

    /* Every pairing is 40 days old; the first was visited 10 days ago. */
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "UPDATE help_pairing SET created_at = now() - interval '40 days'"), 0);
    contact.pairing_id = first;
    contact.at_unix_ms = sf_now_ms() - 10LL * 86400 * 1000;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpContactRecord", NULL, &contact.base, &sifang__v1__help_contact__descriptor,
                            (ProtobufCMessage **) &recorded, &info), SF_OK);
    SF_CHECK(recorded && strcmp(recorded->household_code, world.households[1]) == 0
             && strcmp(recorded->community_code, VT_COMMUNITY_1) == 0 && *recorded->id == 'K');
    FREE(recorded);
    Sifang__V1__HelpPairingOverdueRequest overdue = SIFANG__V1__HELP_PAIRING_OVERDUE_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 5;
    overdue.days = 30;
    overdue.page = &page;
    int silent = 0, pages = 0;
    bool first_listed = false;
    static char token[64];
    while (pages < 10) {
        pages++;
        Sifang__V1__HelpPairingListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingOverdue", NULL, &overdue.base,
                                     &sifang__v1__help_pairing_list_reply__descriptor, (ProtobufCMessage **) &reply,
                                     &info), SF_OK))
            break;
        silent += (int) reply->n_pairings;
        for (size_t i = 0; i < reply->n_pairings; i++)
            first_listed |= strcmp(reply->pairings[i]->id, first) == 0;
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        FREE(reply);
        if (!*token)
            break;
        page.page_token = token;
    }
    /* 14 pairings, the first contacted within 30 days: 13 in pages of 5. */
    SF_CHECK_EQ_INT(silent, 13);
    SF_CHECK(!first_listed);
    SF_CHECK_EQ_INT(pages, 3);
    overdue.days = 5;
    page.page_token = "";
    page.page_size = 100;
    Sifang__V1__HelpPairingListReply *reply = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingOverdue", NULL, &overdue.base,
                            &sifang__v1__help_pairing_list_reply__descriptor, (ProtobufCMessage **) &reply, &info), SF_OK);
    /* With 5 days the first is overdue too, and the most silent come first. */
    SF_CHECK(reply && reply->n_pairings == 14 && strcmp(reply->pairings[13]->id, first) == 0);
    FREE(reply);

    /* End the first pairing: no more contacts; it can be made again. */
    Sifang__V1__HelpPairingEndRequest end = SIFANG__V1__HELP_PAIRING_END_REQUEST__INIT;
    end.id = first;
    end.reason = "household moved out of difficulty";
    Sifang__V1__HelpPairing *ended = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingEnd", NULL, &end.base, &sifang__v1__help_pairing__descriptor,
                            (ProtobufCMessage **) &ended, &info), SF_OK);
    SF_CHECK(ended && !ended->active && ended->contacts == 1);
    FREE(ended);
    contact.at_unix_ms = 0;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpContactRecord", NULL, &contact.base, &sifang__v1__help_contact__descriptor,
                            (ProtobufCMessage **) &recorded, &info), SF_FAILED_PRECONDITION);
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HelpPairingEnd", NULL, &end.base, &sifang__v1__help_pairing__descriptor,
                            (ProtobufCMessage **) &ended, &info), SF_FAILED_PRECONDITION);
    SF_CHECK_EQ_INT(pair(0, 1, NULL, &info), SF_OK);

    Sifang__V1__VolunteerSummaryRequest summary = SIFANG__V1__VOLUNTEER_SUMMARY_REQUEST__INIT;
    Sifang__V1__VolunteerSummaryReply *figures = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "Summary", NULL, &summary.base, &sifang__v1__volunteer_summary_reply__descriptor,
                            (ProtobufCMessage **) &figures, &info), SF_OK);
    SF_CHECK(figures && figures->pairings == 14 && figures->paired_members == 5 && figures->paired_households == 8
             && figures->households_in_difficulty == 11);
    FREE(figures);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'help_pairing.contacted'"), 1);
}

int
main(void)
{
    if (vt_world_start(&world, "volunteer_pairing", NULL)) {
        test_create_and_refusals();
        test_batch();
        test_coverage();
        test_contacts_and_overdue();
        vt_check_summary(&world, 4, 90, "after the pairing tests");
    }
    vt_world_stop(&world);
    return sf_test_done();
}
