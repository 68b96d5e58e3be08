/* Community funding (社区经费) through the real grid daemon: a street's staff
 * set their communities' budgets with the sources (district finance, party
 * fees, the street, others) adding up to them in fen, a community's staff
 * record what it spent with the vouchers; every reply and event against the
 * rows in SQL; the budget, the spending list and the figures of the
 * district, a street and a community against SQL; and the refusals (sources
 * that do not add up, a spending beyond the balance or before any budget, a
 * day not yet come, someone else's community, roles that may not write),
 * each leaving the tables as they were. */
#include "sf_test.h"
#include "sf_test_person.h"
#include "grid_test_support.h"
#include "sf_client.h"
#include "sf_json.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMUNITY_1B "370205001002"
#define FREE(m) do { if (m) protobuf_c_message_free_unpacked(&(m)->base, NULL); (m) = NULL; } while (0)

static PGconn *db;
static const char *endpoint;
static sf_client_t *admin, *street_1_staff, *street_2_staff, *community_1_staff;
static int year;                   /* this year in the district */

static const char *
sql_of(const char *format, ...) __attribute__((format(printf, 1, 2)));
static const char *
sql_of(const char *format, ...)
{
    static char sql[8192];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sql;
}

static bool
same_message(const char *what, const ProtobufCMessage *got, const ProtobufCMessage *want)
{
    char *a = got ? sf_json_print_message(got, false) : NULL;
    char *b = want ? sf_json_print_message(want, false) : NULL;
    bool same = SF_CHECK(a && b && strcmp(a, b) == 0);
    if (!same)
        printf("%s differs:\n  got  %s\n  want %s\n", what, a ? a : "(none)", b ? b : "(none)");
    free(a);
    free(b);
    return same;
}

static ProtobufCMessage *
message_in_sql(const ProtobufCMessageDescriptor *descriptor, const char *sql)
{
    PGresult *result = PQexec(db, sql);
    ProtobufCMessage *message = NULL;
    if (SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)) {
        char field[128], error[256];
        const char *text = PQgetvalue(result, 0, 0);
        message = sf_json_parse_message(descriptor, text, strlen(text), field, sizeof field, error, sizeof error);
        if (!SF_CHECK(message != NULL))
            printf("cannot read %s: %s %s\n", text, field, error);
    } else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return message;
}

#define SOURCE_KINDS "(ARRAY['FUNDING_SOURCE_KIND_DISTRICT_FINANCE', 'FUNDING_SOURCE_KIND_PARTY_FEES'," \
    " 'FUNDING_SOURCE_KIND_STREET', 'FUNDING_SOURCE_KIND_OTHER'])"
#define PURPOSES "(ARRAY['FUNDING_PURPOSE_ACTIVITIES', 'FUNDING_PURPOSE_SERVICES', 'FUNDING_PURPOSE_PARTY_BUILDING'," \
    " 'FUNDING_PURPOSE_OFFICE', 'FUNDING_PURPOSE_TRAINING', 'FUNDING_PURPOSE_OTHER'])"
#define MS(column) "(extract(epoch FROM " column ") * 1000)::bigint::text"
/* The spending no red entry reversed: all that counts in a balance or figure. */
#define LIVE_SPENDING "(SELECT * FROM grid.funding_spending x WHERE NOT EXISTS" \
    " (SELECT 1 FROM grid.funding_reversal r WHERE r.spending_serial = x.serial))"

static Sifang__V1__FundingBudget *
budget_in_sql(const char *community, int of_year)
{
    return (Sifang__V1__FundingBudget *) message_in_sql(&sifang__v1__funding_budget__descriptor, sql_of(
        "SELECT jsonb_build_object('community_code', b.community_code, 'year', b.year, 'budget_fen', b.budget_fen::text,"
        " 'sources', (SELECT COALESCE(jsonb_agg(jsonb_build_object('kind', " SOURCE_KINDS "[s.kind],"
        "   'amount_fen', s.amount_fen::text, 'note', s.note) ORDER BY s.kind), '[]') FROM grid.funding_source s"
        "   WHERE s.community_code = b.community_code AND s.year = b.year),"
        " 'note', b.note, 'community_name', u.name, 'spent_fen', x.spent::text,"
        " 'balance_fen', (b.budget_fen - x.spent)::text, 'updated_by', b.updated_by,"
        " 'updated_unix_ms', " MS("b.updated_at") ", 'version', b.version::text)"
        " FROM grid.funding_budget b JOIN grid.org_unit u ON u.code = b.community_code,"
        " LATERAL (SELECT COALESCE(sum(amount_fen), 0) AS spent FROM " LIVE_SPENDING " s"
        "   WHERE s.community_code = b.community_code AND s.year = b.year) x"
        " WHERE b.community_code = '%s' AND b.year = %d", community, of_year));
}

static Sifang__V1__FundingSpending *
spending_in_sql(const char *id)
{
    return (Sifang__V1__FundingSpending *) message_in_sql(&sifang__v1__funding_spending__descriptor, sql_of(
        "SELECT jsonb_build_object('id', 'F' || lpad(s.serial::text, 6, '0'), 'community_code', s.community_code,"
        " 'purpose', " PURPOSES "[s.purpose], 'amount_fen', s.amount_fen::text, 'spent_on', s.spent_on::text,"
        " 'voucher', s.voucher, 'description', s.description, 'community_name', u.name, 'recorded_by', s.recorded_by,"
        " 'created_unix_ms', " MS("s.created_at") ", 'reversal_reason', COALESCE(r.reason, ''),"
        " 'reversed_by', COALESCE(r.reversed_by, ''), 'reversed_unix_ms', COALESCE(" MS("r.created_at") ", '0'))"
        " FROM grid.funding_spending s JOIN grid.org_unit u ON u.code = s.community_code"
        " LEFT JOIN grid.funding_reversal r ON r.spending_serial = s.serial WHERE s.serial = %d",
        atoi(id + 1)));
}

/* The figures of unit for the year as SQL sums them over its communities. */
static Sifang__V1__FundingFiguresReply *
figures_in_sql(const char *unit, int of_year)
{
    return (Sifang__V1__FundingFiguresReply *) message_in_sql(&sifang__v1__funding_figures_reply__descriptor, sql_of(
        "WITH u AS (SELECT code, name FROM grid.org_unit WHERE code = '%s'"
        "  UNION ALL SELECT code, name FROM grid.org_unit WHERE parent_code = '%s'"
        "   AND (SELECT kind FROM grid.org_unit WHERE code = '%s') < 3),"
        " f AS (SELECT u.code, jsonb_build_object('unit_code', u.code, 'unit_name', u.name,"
        "  'communities', (SELECT count(*) FROM grid.funding_budget b WHERE b.year = %d AND b.community_code LIKE u.code || '%%'),"
        "  'budget_fen', (SELECT COALESCE(sum(budget_fen), 0) FROM grid.funding_budget b WHERE b.year = %d"
        "    AND b.community_code LIKE u.code || '%%')::text,"
        "  'sources', (SELECT COALESCE(jsonb_agg(jsonb_build_object('kind', " SOURCE_KINDS "[kind], 'amount_fen', a::text,"
        "    'note', '') ORDER BY kind), '[]') FROM (SELECT kind, sum(amount_fen) AS a FROM grid.funding_source"
        "    WHERE year = %d AND community_code LIKE u.code || '%%' GROUP BY kind) k),"
        "  'spent_fen', (SELECT COALESCE(sum(amount_fen), 0) FROM " LIVE_SPENDING " s WHERE year = %d"
        "    AND community_code LIKE u.code || '%%')::text,"
        "  'spent', (SELECT COALESCE(jsonb_agg(jsonb_build_object('purpose', " PURPOSES "[purpose], 'amount_fen', a::text,"
        "    'spendings', n) ORDER BY purpose), '[]') FROM (SELECT purpose, sum(amount_fen) AS a, count(*) AS n"
        "    FROM " LIVE_SPENDING " s WHERE year = %d AND community_code LIKE u.code || '%%' GROUP BY purpose) p),"
        "  'balance_fen', ((SELECT COALESCE(sum(budget_fen), 0) FROM grid.funding_budget b WHERE b.year = %d"
        "    AND b.community_code LIKE u.code || '%%') - (SELECT COALESCE(sum(amount_fen), 0) FROM " LIVE_SPENDING " s"
        "    WHERE year = %d AND community_code LIKE u.code || '%%'))::text,"
        "  'for_residents_fen', (SELECT COALESCE(sum(amount_fen), 0) FROM " LIVE_SPENDING " s WHERE year = %d"
        "    AND purpose IN (1, 2) AND community_code LIKE u.code || '%%')::text) AS figure FROM u)"
        " SELECT jsonb_build_object('year', %d, 'total', (SELECT figure FROM f WHERE code = '%s'),"
        "  'children', (SELECT COALESCE(jsonb_agg(figure ORDER BY code), '[]') FROM f WHERE code <> '%s'))",
        unit, unit, unit, of_year, of_year, of_year, of_year, of_year, of_year, of_year, of_year, of_year, unit, unit));
}

static sf_status_t
call(sf_client_t *client, const char *method, const void *request, const ProtobufCMessageDescriptor *descriptor,
     void *reply_p, sf_reply_info_t *info)
{
    sf_reply_info_t local;
    return sf_client_call(client, method, NULL, (const ProtobufCMessage *) request, descriptor,
                          (ProtobufCMessage **) reply_p, info ? info : &local);
}

/* The funding tables: a refused call leaves them as they were. */
#define TABLES_ROWS \
    "SELECT b::text AS t FROM grid.funding_budget b UNION ALL SELECT s::text FROM grid.funding_source s" \
    " UNION ALL SELECT p::text FROM grid.funding_spending p UNION ALL SELECT r::text FROM grid.funding_reversal r"
#define REFUSED(client, method, request, status, field) \
    grid_test_refused(db, TABLES_ROWS, client, method, request, status, field, __LINE__)

/* Sets the budget as client and checks the reply and its event against
 * the rows; returns the version set (0 on failure). */
static int64_t
set_budget(sf_client_t *client, Sifang__V1__FundingBudget *budget)
{
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__FundingBudget *set = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(call(client, "FundingBudgetSet", budget, &sifang__v1__funding_budget__descriptor, &set, &info),
                         SF_OK)) {
        printf("FundingBudgetSet: %s\n", info.message ? info.message : "");
        return 0;
    }
    Sifang__V1__FundingBudget *want = budget_in_sql(budget->community_code, budget->year);
    same_message("FundingBudgetSet's reply", &set->base, &want->base);
    char key[32];
    snprintf(key, sizeof key, "%s/%d", budget->community_code, budget->year);
    ProtobufCMessage *event = grid_test_event_after(admin, head, "funding.budget_set", key,
                                                    &sifang__v1__funding_budget__descriptor);
    same_message("funding.budget_set", event, &want->base);
    int64_t version = set->version;
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
    FREE(want);
    FREE(set);
    return version;
}

/* Records the spending as client, checks the reply and event against SQL,
 * and returns its id (static; "" on failure). */
static const char *
spend(sf_client_t *client, const char *community, Sifang__V1__FundingPurpose purpose, int64_t fen, const char *on,
      const char *voucher, const char *description)
{
    Sifang__V1__FundingSpending spending = SIFANG__V1__FUNDING_SPENDING__INIT;
    spending.community_code = (char *) community;
    spending.purpose = purpose;
    spending.amount_fen = fen;
    spending.spent_on = (char *) on;
    spending.voucher = (char *) voucher;
    spending.description = (char *) description;
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__FundingSpending *recorded = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(call(client, "FundingSpendingRecord", &spending, &sifang__v1__funding_spending__descriptor,
                              &recorded, &info), SF_OK)) {
        printf("FundingSpendingRecord: %s\n", info.message ? info.message : "");
        return "";
    }
    static char id[32];
    snprintf(id, sizeof id, "%s", recorded->id);
    Sifang__V1__FundingSpending *want = spending_in_sql(recorded->id);
    same_message("FundingSpendingRecord's reply", &recorded->base, &want->base);
    ProtobufCMessage *event = grid_test_event_after(admin, head, "funding.spent", recorded->id,
                                                    &sifang__v1__funding_spending__descriptor);
    same_message("funding.spent", event, &want->base);
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
    FREE(want);
    FREE(recorded);
    return id;
}

static void
check_figures(sf_client_t *client, const char *under, int of_year, const char *unit)
{
    Sifang__V1__FundingFiguresRequest ask = SIFANG__V1__FUNDING_FIGURES_REQUEST__INIT;
    ask.under = (char *) under;
    ask.year = of_year;
    Sifang__V1__FundingFiguresReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(call(client, "FundingFigures", &ask, &sifang__v1__funding_figures_reply__descriptor, &reply,
                              NULL), SF_OK))
        return;
    Sifang__V1__FundingFiguresReply *want = figures_in_sql(unit, of_year);
    same_message(sql_of("FundingFigures under '%s'", under), &reply->base, want ? &want->base : NULL);
    FREE(want);
    FREE(reply);
}

/* --- the district ------------------------------------------------------------ */

static void
unit(const char *code, Sifang__V1__UnitKind kind, const char *name, const char *parent)
{
    Sifang__V1__OrgUnit u = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
    location.lat = 36.1;
    location.lon = 120.37;
    u.code = (char *) code;
    u.kind = kind;
    u.name = (char *) name;
    u.parent_code = (char *) parent;
    if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        u.location = &location;
    Sifang__V1__OrgUnit *created = NULL;
    SF_CHECK_EQ_INT(call(admin, "UnitCreate", &u, &sifang__v1__org_unit__descriptor, &created, NULL), SF_OK);
    FREE(created);
}

static sf_client_t *
person(const char *id, const sf_test_grant_t *grants, size_t n)
{
    sf_client_t *client = sf_client_new(endpoint, NULL);
    if (client && sf_test_set_person(client, id, NULL, grants, n) != 0)
        sf_client_destroy(&client);
    return client;
}

/* --- the test ---------------------------------------------------------------- */

static void
test_budgets(void)
{
    /* 27,000 yuan for community 1: district finance 10,000, party fees
     * 10,000, the street 7,000, set by street 1's staff. */
    Sifang__V1__FundingSource finance = SIFANG__V1__FUNDING_SOURCE__INIT, fees = SIFANG__V1__FUNDING_SOURCE__INIT,
                              street = SIFANG__V1__FUNDING_SOURCE__INIT;
    finance.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_DISTRICT_FINANCE;
    finance.amount_fen = 1000000;
    finance.note = "区财政拨付";
    fees.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_PARTY_FEES;
    fees.amount_fen = 1000000;
    street.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_STREET;
    street.amount_fen = 700000;
    Sifang__V1__FundingSource *sources[] = { &finance, &fees, &street };
    Sifang__V1__FundingBudget budget = SIFANG__V1__FUNDING_BUDGET__INIT;
    budget.community_code = COMMUNITY_1;
    budget.year = year;
    budget.budget_fen = 2700000;
    budget.sources = sources;
    budget.n_sources = 3;
    budget.note = "社区工作经费由1万元提高到2.7万元";
    SF_CHECK_EQ_INT(set_budget(street_1_staff, &budget), 1);

    /* Refusals, nothing written. */
    budget.budget_fen = 2700001;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_INVALID_ARGUMENT, "sources");
    budget.budget_fen = 2700000;
    fees.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_DISTRICT_FINANCE;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_INVALID_ARGUMENT, "sources[1].kind");
    fees.kind = 0;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_INVALID_ARGUMENT, "sources[1].kind");
    fees.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_PARTY_FEES;
    fees.amount_fen = 0;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_INVALID_ARGUMENT, "sources[1].amount_fen");
    fees.amount_fen = 1000000;
    budget.year = 1999;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_INVALID_ARGUMENT, "year");
    budget.year = year;
    budget.community_code = "37020500100";
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_INVALID_ARGUMENT, "community_code");
    budget.community_code = "370205001099";
    REFUSED(admin, "FundingBudgetSet", &budget, SF_NOT_FOUND, "community_code");
    budget.community_code = COMMUNITY_1;
    budget.expected_version = 5;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_FAILED_PRECONDITION, "expected_version");
    budget.expected_version = 0;
    /* Street 2's staff may not set street 1's community's; a community's
     * staff may not set budgets at all. */
    REFUSED(street_2_staff, "FundingBudgetSet", &budget, SF_PERMISSION_DENIED, NULL);
    REFUSED(community_1_staff, "FundingBudgetSet", &budget, SF_PERMISSION_DENIED, NULL);
    budget.version = 3;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_INVALID_ARGUMENT, "version");
    budget.version = 0;

    /* Community 1B and street 2's community: 27,000 too, the other from
     * the street and others. */
    Sifang__V1__FundingSource other = SIFANG__V1__FUNDING_SOURCE__INIT;
    other.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_OTHER;
    other.amount_fen = 700000;
    other.note = "共建单位捐助";
    Sifang__V1__FundingSource *others[] = { &finance, &fees, &other };
    budget.community_code = COMMUNITY_1B;
    budget.sources = others;
    budget.note = "";
    SF_CHECK_EQ_INT(set_budget(admin, &budget), 1);
    budget.community_code = COMMUNITY_2;
    budget.sources = sources;
    SF_CHECK_EQ_INT(set_budget(street_2_staff, &budget), 1);

    /* Get: as SQL has it; no budget for next year. */
    Sifang__V1__FundingBudgetGetRequest get = SIFANG__V1__FUNDING_BUDGET_GET_REQUEST__INIT;
    get.community_code = COMMUNITY_1;
    get.year = year;
    Sifang__V1__FundingBudget *got = NULL;
    if (SF_CHECK_EQ_INT(call(community_1_staff, "FundingBudgetGet", &get, &sifang__v1__funding_budget__descriptor,
                             &got, NULL), SF_OK)) {
        Sifang__V1__FundingBudget *want = budget_in_sql(COMMUNITY_1, year);
        same_message("FundingBudgetGet", &got->base, &want->base);
        SF_CHECK_EQ_INT(got->n_sources, 3);
        SF_CHECK_EQ_INT(got->balance_fen, 2700000);
        FREE(want);
    }
    FREE(got);
    get.year = year + 1;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(call(community_1_staff, "FundingBudgetGet", &get, &sifang__v1__funding_budget__descriptor, &got,
                         &info), SF_NOT_FOUND);
}

static void
test_spending(void)
{
    char today[16], march[16], later[16];
    PGresult *result = PQexec(db, "SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),"
                                  " to_char(now() + interval '3 days', 'YYYY-MM-DD')");
    snprintf(today, sizeof today, "%s", PQgetvalue(result, 0, 0));
    snprintf(later, sizeof later, "%s", PQgetvalue(result, 0, 1));
    PQclear(result);
    snprintf(march, sizeof march, "%04u-03-12", (unsigned) year % 10000u);
    spend(community_1_staff, COMMUNITY_1, SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES, 800000, march,
          "记-2026-0312", "重阳节敬老活动");
    spend(community_1_staff, COMMUNITY_1, SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_SERVICES, 300050, today,
          "记-2026-1207", "便民理发、修鞋服务");
    spend(street_1_staff, COMMUNITY_1, SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_OFFICE, 200000, march,
          "记-2026-0315", "办公用品");
    spend(street_1_staff, COMMUNITY_1B, SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_PARTY_BUILDING, 150000, march,
          "记-2026-0320", "主题党日");
    spend(street_2_staff, COMMUNITY_2, SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES, 2700000, march,
          "记-2026-0401", "社区运动会");

    /* Refusals. */
    Sifang__V1__FundingSpending bad = SIFANG__V1__FUNDING_SPENDING__INIT;
    bad.community_code = COMMUNITY_1;
    bad.purpose = SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES;
    bad.amount_fen = 1399951;   /* the balance is 1,399,950 fen */
    bad.spent_on = march;
    bad.voucher = "记-0001";
    bad.description = "文艺汇演";
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_FAILED_PRECONDITION, "amount_fen");
    bad.amount_fen = 1000;
    bad.spent_on = later;
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "spent_on");
    char last_year[16];
    snprintf(last_year, sizeof last_year, "%04u-06-01", (unsigned) (year - 1) % 10000u);
    bad.spent_on = last_year;
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_FAILED_PRECONDITION, "spent_on");
    bad.spent_on = "2026-02-30";
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "spent_on");
    bad.spent_on = march;
    bad.purpose = 0;
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "purpose");
    bad.purpose = SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES;
    bad.amount_fen = -5;
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "amount_fen");
    bad.amount_fen = 1000;
    bad.voucher = "";
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "voucher");
    char long_voucher[256] = "";
    for (int i = 0; i < 51; i++)
        strcat(long_voucher, "记");
    bad.voucher = long_voucher;
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "voucher");
    bad.voucher = "记-0001";
    bad.description = "";
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "description");
    bad.description = "文艺汇演";
    bad.community_code = COMMUNITY_2;
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_PERMISSION_DENIED, NULL);
    bad.community_code = COMMUNITY_1;
    bad.id = "F000001";
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "id");
    bad.id = "";

    /* A budget may not go below what the year spent (1,300,050 fen). */
    Sifang__V1__FundingSource finance = SIFANG__V1__FUNDING_SOURCE__INIT;
    finance.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_DISTRICT_FINANCE;
    finance.amount_fen = 1300000;
    Sifang__V1__FundingSource *sources[] = { &finance };
    Sifang__V1__FundingBudget budget = SIFANG__V1__FUNDING_BUDGET__INIT;
    budget.community_code = COMMUNITY_1;
    budget.year = year;
    budget.budget_fen = 1300000;
    budget.sources = sources;
    budget.n_sources = 1;
    REFUSED(street_1_staff, "FundingBudgetSet", &budget, SF_FAILED_PRECONDITION, "budget_fen");
    /* Raised instead, against the version read: the sources replaced. */
    finance.amount_fen = 3000000;
    budget.budget_fen = 3000000;
    budget.expected_version = 1;
    SF_CHECK_EQ_INT(set_budget(street_1_staff, &budget), 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, sql_of("SELECT count(*) FROM grid.funding_source WHERE community_code = '%s'"
                                              " AND year = %d", COMMUNITY_1, year)), 1);

    /* The list, newest first, paged by two, each as SQL has it. */
    char token[64] = "";
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 2;
        page.page_token = token;
        Sifang__V1__FundingSpendingListRequest list = SIFANG__V1__FUNDING_SPENDING_LIST_REQUEST__INIT;
        list.under = STREET_1;
        list.year = year;
        list.page = &page;
        Sifang__V1__FundingSpendingListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(call(street_1_staff, "FundingSpendingList", &list,
                                  &sifang__v1__funding_spending_list_reply__descriptor, &reply, NULL), SF_OK))
            break;
        for (size_t i = 0; i < reply->n_spendings; i++) {
            Sifang__V1__FundingSpending *want = spending_in_sql(reply->spendings[i]->id);
            same_message("FundingSpendingList", &reply->spendings[i]->base, &want->base);
            FREE(want);
        }
        seen += (int) reply->n_spendings;
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        FREE(reply);
        if (!*token)
            break;
    }
    SF_CHECK_EQ_INT(seen, 4);
    /* By purpose: the one activity of street 1. */
    Sifang__V1__FundingSpendingListRequest list = SIFANG__V1__FUNDING_SPENDING_LIST_REQUEST__INIT;
    list.purpose = SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES;
    list.under = STREET_1;
    Sifang__V1__FundingSpendingListReply *reply = NULL;
    if (SF_CHECK_EQ_INT(call(admin, "FundingSpendingList", &list, &sifang__v1__funding_spending_list_reply__descriptor,
                             &reply, NULL), SF_OK))
        SF_CHECK_EQ_INT(reply->n_spendings, 1);
    FREE(reply);
}

/* The balance of community's budget for this year as FundingBudgetGet
 * gives it (-1 on failure), checked against SQL. */
static int64_t
balance_of(sf_client_t *client, const char *community)
{
    Sifang__V1__FundingBudgetGetRequest get = SIFANG__V1__FUNDING_BUDGET_GET_REQUEST__INIT;
    get.community_code = (char *) community;
    get.year = year;
    Sifang__V1__FundingBudget *got = NULL;
    if (!SF_CHECK_EQ_INT(call(client, "FundingBudgetGet", &get, &sifang__v1__funding_budget__descriptor, &got, NULL),
                         SF_OK))
        return -1;
    Sifang__V1__FundingBudget *want = budget_in_sql(community, year);
    same_message("FundingBudgetGet", &got->base, want ? &want->base : NULL);
    int64_t balance = got->balance_fen;
    FREE(want);
    FREE(got);
    return balance;
}

/* A wrong spending (10,000 yuan typed for 100) reversed by a red entry: the
 * reply and the event as SQL has the spending and its reversal, the balance
 * back to what it was; reversing again, without a reason, someone else's
 * community's or an unknown spending refused, writing nothing. */
static void
test_reversal(void)
{
    char march[16];
    snprintf(march, sizeof march, "%04u-03-18", (unsigned) year % 10000u);
    int64_t before = balance_of(community_1_staff, COMMUNITY_1);
    char wrong[32];
    snprintf(wrong, sizeof wrong, "%s", spend(community_1_staff, COMMUNITY_1,
             SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES, 1000000, march, "记-2026-0318", "读书会茶点"));
    SF_CHECK_EQ_INT(balance_of(community_1_staff, COMMUNITY_1), before - 1000000);

    Sifang__V1__FundingSpendingReverseRequest reverse = SIFANG__V1__FUNDING_SPENDING_REVERSE_REQUEST__INIT;
    reverse.id = wrong;
    reverse.reason = "金额录错：应为100元，已另行登记";
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__FundingSpending *reversed = NULL;
    sf_reply_info_t info;
    if (SF_CHECK_EQ_INT(call(community_1_staff, "FundingSpendingReverse", &reverse,
                             &sifang__v1__funding_spending__descriptor, &reversed, &info), SF_OK)) {
        Sifang__V1__FundingSpending *want = spending_in_sql(wrong);
        same_message("FundingSpendingReverse's reply", &reversed->base, want ? &want->base : NULL);
        ProtobufCMessage *event = grid_test_event_after(admin, head, "funding.spending_reversed", wrong,
                                                        &sifang__v1__funding_spending__descriptor);
        same_message("funding.spending_reversed", event, want ? &want->base : NULL);
        if (event)
            protobuf_c_message_free_unpacked(event, NULL);
        SF_CHECK_EQ_STR(reversed->reversed_by, "S00903");
        SF_CHECK_EQ_STR(reversed->reversal_reason, "金额录错：应为100元，已另行登记");
        SF_CHECK(reversed->reversed_unix_ms > 0);
        SF_CHECK_EQ_INT(reversed->amount_fen, 1000000);
        FREE(want);
    } else
        printf("FundingSpendingReverse: %s\n", info.message ? info.message : "");
    FREE(reversed);
    SF_CHECK_EQ_INT(balance_of(community_1_staff, COMMUNITY_1), before);
    SF_CHECK_EQ_INT(balance_of(street_1_staff, COMMUNITY_1), before);

    /* Refusals, nothing written. */
    REFUSED(community_1_staff, "FundingSpendingReverse", &reverse, SF_FAILED_PRECONDITION, "id");
    REFUSED(street_1_staff, "FundingSpendingReverse", &reverse, SF_FAILED_PRECONDITION, "id");
    char other[32];
    snprintf(other, sizeof other, "%s", spend(street_1_staff, COMMUNITY_1B,
             SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_TRAINING, 5000, march, "记-2026-0319", "培训资料"));
    reverse.id = other;
    REFUSED(community_1_staff, "FundingSpendingReverse", &reverse, SF_NOT_FOUND, "id");
    REFUSED(street_2_staff, "FundingSpendingReverse", &reverse, SF_NOT_FOUND, "id");
    reverse.reason = "";
    REFUSED(street_1_staff, "FundingSpendingReverse", &reverse, SF_INVALID_ARGUMENT, "reason");
    reverse.reason = "   ";
    REFUSED(street_1_staff, "FundingSpendingReverse", &reverse, SF_INVALID_ARGUMENT, "reason");
    reverse.reason = "录错";
    reverse.id = "F999999";
    REFUSED(admin, "FundingSpendingReverse", &reverse, SF_NOT_FOUND, "id");
    reverse.id = "X12";
    REFUSED(admin, "FundingSpendingReverse", &reverse, SF_INVALID_ARGUMENT, "id");
    /* A reversal is FundingSpendingReverse's alone. */
    Sifang__V1__FundingSpending bad = SIFANG__V1__FUNDING_SPENDING__INIT;
    bad.community_code = COMMUNITY_1;
    bad.purpose = SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_ACTIVITIES;
    bad.amount_fen = 1000;
    bad.spent_on = march;
    bad.voucher = "记-0002";
    bad.description = "文艺汇演";
    bad.reversed_unix_ms = 1;
    REFUSED(community_1_staff, "FundingSpendingRecord", &bad, SF_INVALID_ARGUMENT, "reversed_unix_ms");
    /* Street 1 reverses its community's training spending: 1B's balance whole again. */
    reverse.id = other;
    Sifang__V1__FundingSpending *done = NULL;
    SF_CHECK_EQ_INT(call(street_1_staff, "FundingSpendingReverse", &reverse, &sifang__v1__funding_spending__descriptor,
                         &done, NULL), SF_OK);
    FREE(done);
    SF_CHECK_EQ_INT(balance_of(street_1_staff, COMMUNITY_1B), 2700000 - 150000);
}

static void
test_figures(void)
{
    check_figures(admin, "", year, DISTRICT);
    check_figures(admin, DISTRICT, year, DISTRICT);
    check_figures(street_1_staff, STREET_1, year, STREET_1);
    check_figures(community_1_staff, COMMUNITY_1, year, COMMUNITY_1);
    check_figures(admin, STREET_2, year - 1, STREET_2);

    /* The figures a reader sees: the district's 81,000 yuan, three
     * communities, 11,000.50 yuan of 41,500.50 reached residents. */
    Sifang__V1__FundingFiguresRequest ask = SIFANG__V1__FUNDING_FIGURES_REQUEST__INIT;
    ask.year = year;
    Sifang__V1__FundingFiguresReply *reply = NULL;
    if (SF_CHECK_EQ_INT(call(admin, "FundingFigures", &ask, &sifang__v1__funding_figures_reply__descriptor, &reply,
                             NULL), SF_OK) && SF_CHECK(reply->total)) {
        SF_CHECK_EQ_INT(reply->total->communities, 3);
        SF_CHECK_EQ_INT(reply->total->budget_fen, 3000000 + 2700000 + 2700000);
        SF_CHECK_EQ_INT(reply->total->spent_fen, 800000 + 300050 + 200000 + 150000 + 2700000);
        SF_CHECK_EQ_INT(reply->total->for_residents_fen, 800000 + 300050 + 2700000);
        SF_CHECK_EQ_INT(reply->n_children, 2);
    }
    FREE(reply);
    sf_reply_info_t info;
    ask.under = ZONE_1;
    SF_CHECK_EQ_INT(call(admin, "FundingFigures", &ask, &sifang__v1__funding_figures_reply__descriptor, &reply, &info),
                    SF_INVALID_ARGUMENT);
    ask.under = "";
    ask.year = 0;
    SF_CHECK_EQ_INT(call(admin, "FundingFigures", &ask, &sifang__v1__funding_figures_reply__descriptor, &reply, &info),
                    SF_INVALID_ARGUMENT);
}

int
main(void)
{
    char dir[256], path[512], endpoint_env[128], publish_env[128], key_env[600], log_path[600];
    sf_test_daemon_t *daemon = NULL;
    char *endpoint_copy = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("grid_funding"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return sf_test_done();
    db = sf_test_pg_connect();
    if (!SF_CHECK(db != NULL) || grid_test_prepare(db, "grid", dir, key_env, sizeof key_env) != 0)
        goto cleanup;
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        goto cleanup;
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", SF_TEST_TCP_ANY);
    const char *env[] = { endpoint_env, publish_env, key_env, "SIFANG_GRID_DATABASE_URL=user=sifang_grid", NULL };
    daemon = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(daemon != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(daemon, 10000), 0))
        goto cleanup;
    endpoint_copy = strdup(sf_test_daemon_endpoint(daemon, "endpoint") ? sf_test_daemon_endpoint(daemon, "endpoint")
                                                                        : "");
    endpoint = endpoint_copy;
    admin = sf_client_new(endpoint, NULL);
    if (!SF_CHECK(admin != NULL))
        goto cleanup;
    sf_client_set_principal(admin, "grid-funding-admin", "admin", "");
    if (!SF_CHECK(sf_test_wait_database(admin, 20000)))
        goto cleanup;
    year = (int) sf_test_pg_int(db, "SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')");
    unit(DISTRICT, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "四方区", "");
    unit(STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "兴隆路街道", DISTRICT);
    unit(STREET_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "四方街道", DISTRICT);
    unit(COMMUNITY_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "杭州路社区", STREET_1);
    unit(COMMUNITY_1B, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "洛阳路社区", STREET_1);
    unit(COMMUNITY_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "嘉定路社区", STREET_2);
    unit(ZONE_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "一网格", COMMUNITY_1);
    const sf_test_grant_t street_1_grant[] = { { "street_staff", STREET_1, STREET_1, "*" } };
    const sf_test_grant_t street_2_grant[] = { { "street_staff", STREET_2, STREET_2, "*" } };
    const sf_test_grant_t community_grant[] = { { "community_staff", COMMUNITY_1, COMMUNITY_1, "*" } };
    street_1_staff = person("S00901", street_1_grant, 1);
    street_2_staff = person("S00902", street_2_grant, 1);
    community_1_staff = person("S00903", community_grant, 1);
    if (!SF_CHECK(street_1_staff && street_2_staff && community_1_staff))
        goto cleanup;
    test_budgets();
    test_spending();
    test_reversal();
    test_figures();

cleanup:
    sf_client_destroy(&admin);
    sf_client_destroy(&street_1_staff);
    sf_client_destroy(&street_2_staff);
    sf_client_destroy(&community_1_staff);
    if (daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
    free(endpoint_copy);
    if (db)
        PQfinish(db);
    return grid_test_done(dir);
}
