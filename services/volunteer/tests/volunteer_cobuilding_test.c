/* Co-building's deliveries (兑现) through the real daemons: a resident
 * unit's commitments (people, money, premises' hours) and what it
 * delivered, each delivery's reply and event against its row in SQL, every
 * refusal naming its field with nothing written, and each commitment's
 * standing for a year (kept, partly kept, not kept) with the counts in
 * total, per community and per unit against SQL, paged. */
#include "volunteer_test_support.h"
#include "sf_json.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FREE(m) do { if (m) protobuf_c_message_free_unpacked(&(m)->base, NULL); (m) = NULL; } while (0)

static vt_world_t world;

/* A statement written with printf's format (one at a time). */
static const char *
sql_of(const char *format, ...) __attribute__((format(printf, 1, 2)));
static const char *
sql_of(const char *format, ...)
{
    static char sql[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sql;
}
static int last_year;            /* the year before this one in the district */
static char brewery[16], school[16];

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

/* The message SQL's one row, one column (a JSON object) says. */
static ProtobufCMessage *
message_in_sql(const ProtobufCMessageDescriptor *descriptor, const char *sql)
{
    PGresult *result = PQexec(world.db, sql);
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

/* The deliveries no red entry reversed: all that count towards a commitment. */
#define LIVE_DELIVERY "(SELECT * FROM cobuilding_delivery x WHERE NOT EXISTS" \
    " (SELECT 1 FROM cobuilding_delivery_reversal r WHERE r.delivery_serial = x.serial))"

static const char *KINDS =
    "(ARRAY['COMMITMENT_KIND_PEOPLE', 'COMMITMENT_KIND_MONEY', 'COMMITMENT_KIND_VENUE', 'COMMITMENT_KIND_OTHER'])";

/* The delivery as its row says: the commitment's kind, unit and quantity
 * from the co-building, and the year's deliveries of the commitment
 * summed by the delivery's own year. */
static Sifang__V1__CoBuildingDelivery *
delivery_in_sql(const char *id)
{
    char sql[4096];
    snprintf(sql, sizeof sql,
        "SELECT jsonb_build_object('id', 'J' || lpad(d.serial::text, 8, '0'),"
        " 'cobuilding_id', 'B' || lpad(b.serial::text, 4, '0'), 'commitment', d.commitment,"
        " 'quantity', d.quantity, 'delivered_on', d.delivered_on::text, 'evidence', d.evidence, 'note', d.note,"
        " 'kind', %s[(b.commitments -> d.commitment ->> 'kind')::int], 'unit', b.commitments -> d.commitment ->> 'unit',"
        " 'unit_name', b.unit_name, 'community_code', b.community_code, 'recorded_by', d.recorded_by,"
        " 'created_unix_ms', (extract(epoch FROM d.created_at) * 1000)::bigint::text,"
        " 'committed', (b.commitments -> d.commitment ->> 'quantity')::numeric,"
        " 'delivered_in_year', (SELECT COALESCE(sum(e.quantity), 0) FROM cobuilding_delivery e"
        "   WHERE e.cobuilding_serial = b.serial AND e.serial NOT IN (SELECT delivery_serial FROM cobuilding_delivery_reversal)"
        "   AND e.commitment = d.commitment AND extract(year FROM e.delivered_on) = extract(year FROM d.delivered_on)),"
        " 'reversal_reason', COALESCE(r.reason, ''), 'reversed_by', COALESCE(r.reversed_by, ''),"
        " 'reversed_unix_ms', COALESCE((extract(epoch FROM r.created_at) * 1000)::bigint::text, '0'))"
        " FROM cobuilding_delivery d JOIN cobuilding b ON b.serial = d.cobuilding_serial"
        " LEFT JOIN cobuilding_delivery_reversal r ON r.delivery_serial = d.serial"
        " WHERE d.serial = %d", KINDS, atoi(id + 1));
    return (Sifang__V1__CoBuildingDelivery *) message_in_sql(&sifang__v1__co_building_delivery__descriptor, sql);
}

static const char *delivery_event_type = "cobuilding.delivered";

/* The events of delivery_event_type and key after head, unpacked (the
 * last); *n how many. */
static Sifang__V1__CoBuildingDelivery *
delivery_event_after(int64_t head, const char *key, int *n)
{
    *n = 0;
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "Sys.EventsFetch", NULL, &fetch.base,
                                 &sifang__v1__events_fetch_reply__descriptor, (ProtobufCMessage **) &reply, NULL),
                         SF_OK))
        return NULL;
    Sifang__V1__CoBuildingDelivery *found = NULL;
    for (size_t i = 0; i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->type, delivery_event_type) != 0 || strcmp(event->key, key) != 0)
            continue;
        (*n)++;
        FREE(found);
        found = sifang__v1__co_building_delivery__unpack(NULL, event->payload.len, event->payload.data);
    }
    FREE(reply);
    return found;
}

static long long
deliveries_in_sql(void)
{
    return vt_sql_int(&world, "SELECT count(*) FROM cobuilding_delivery");
}

/* Records a delivery as client (NULL: the administrator) and checks the
 * reply and its one event against the row; the id in out (16) when given. */
static void
deliver(sf_client_t *client, const char *pair, int commitment, double quantity, const char *on, const char *evidence,
        char *out)
{
    Sifang__V1__CoBuildingDelivery delivery = SIFANG__V1__CO_BUILDING_DELIVERY__INIT;
    delivery.cobuilding_id = (char *) pair;
    delivery.commitment = commitment;
    delivery.quantity = quantity;
    delivery.delivered_on = (char *) on;
    delivery.evidence = (char *) evidence;
    delivery.note = "签到表与照片已存档";
    int64_t head = sf_test_event_head(world.client);
    Sifang__V1__CoBuildingDelivery *recorded = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(vt_call(&world, client, "CoBuildingDeliveryRecord", NULL, &delivery.base,
                                 &sifang__v1__co_building_delivery__descriptor, (ProtobufCMessage **) &recorded,
                                 &info), SF_OK)) {
        printf("CoBuildingDeliveryRecord: %s\n", info.message ? info.message : "");
        return;
    }
    Sifang__V1__CoBuildingDelivery *row = delivery_in_sql(recorded->id);
    same_message("CoBuildingDeliveryRecord's reply", &recorded->base, &row->base);
    int n = 0;
    Sifang__V1__CoBuildingDelivery *event = delivery_event_after(head, recorded->id, &n);
    if (SF_CHECK_EQ_INT(n, 1))
        same_message("cobuilding.delivered", &event->base, &row->base);
    if (out)
        snprintf(out, 16, "%s", recorded->id);
    FREE(event);
    FREE(row);
    FREE(recorded);
}

/* Expects the delivery refused with status, naming field (NULL: any), and
 * nothing written. */
static void
refused(sf_client_t *client, const Sifang__V1__CoBuildingDelivery *delivery, sf_status_t status, const char *field)
{
    long long before = deliveries_in_sql();
    Sifang__V1__CoBuildingDelivery *recorded = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, client, "CoBuildingDeliveryRecord", NULL, &delivery->base,
                            &sifang__v1__co_building_delivery__descriptor, (ProtobufCMessage **) &recorded, &info),
                    status);
    if (field && !SF_CHECK(vt_has_violation(&info, field)))
        printf("expected a refusal naming %s: %s\n", field, info.message ? info.message : "");
    SF_CHECK_EQ_INT(deliveries_in_sql(), before);
    FREE(recorded);
}

static void
create_pair(const char *unit, const char *community, const char *since, char out[16])
{
    Sifang__V1__CoBuildingCommitment people = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT;
    Sifang__V1__CoBuildingCommitment money = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT;
    Sifang__V1__CoBuildingCommitment venue = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT;
    Sifang__V1__CoBuildingCommitment *commitments[3] = { &people, &money, &venue };
    people.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_PEOPLE;
    people.description = "职工志愿者参加社区服务";
    people.quantity = 10;
    people.unit = "人次";
    money.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_MONEY;
    money.description = "社区活动经费";
    money.quantity = 20000;
    money.unit = "元";
    venue.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_VENUE;
    venue.description = "会议室供社区使用";
    venue.quantity = 40;
    venue.unit = "小时";
    Sifang__V1__CoBuilding pair = SIFANG__V1__CO_BUILDING__INIT;
    pair.unit_name = (char *) unit;
    pair.community_code = (char *) community;
    pair.since = (char *) since;
    pair.commitments = commitments;
    pair.n_commitments = 3;
    Sifang__V1__CoBuilding *created = NULL;
    if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingCreate", NULL, &pair.base,
                                &sifang__v1__co_building__descriptor, (ProtobufCMessage **) &created, NULL), SF_OK))
        snprintf(out, 16, "%s", created->id);
    FREE(created);
}

static void
date_of(char out[16], int year, const char *month_day)
{
    snprintf(out, 16, "%04u-%.5s", (unsigned) year % 10000u, month_day);
}

static void
test_deliveries(void)
{
    char since[16], march[16], june[16], september[16];
    date_of(since, last_year, "01-01");
    date_of(march, last_year, "03-15");
    date_of(june, last_year, "06-20");
    date_of(september, last_year, "09-05");
    create_pair("青岛啤酒四方分厂", VT_COMMUNITY_1, since, brewery);
    create_pair("四方实验小学", VT_COMMUNITY_2, since, school);

    /* Last year: the brewery's people kept (4 + 6 of 10), its money partly
     * kept (5,000 of 20,000), its meeting room not kept (nothing); the
     * school delivered 12 people (more than promised: kept). */
    deliver(NULL, brewery, 0, 4, march, "活动签到表 2 页", NULL);
    deliver(NULL, brewery, 0, 6, september, "活动签到表 3 页", NULL);
    deliver(NULL, brewery, 1, 5000, june, "转账凭证 记-0612", NULL);
    deliver(NULL, school, 0, 12, june, "照片 8 张", NULL);
    /* This year (today): counted in this year only, in delivered_in_year
     * and in the standing. */
    char today[16];
    PGresult *result = PQexec(world.db, "SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),"
                                        " to_char(now() AT TIME ZONE 'Asia/Shanghai' + interval '2 days', 'YYYY-MM-DD')");
    char later[16];
    snprintf(today, sizeof today, "%s", PQgetvalue(result, 0, 0));
    snprintf(later, sizeof later, "%s", PQgetvalue(result, 0, 1));
    PQclear(result);
    char in_year[16];
    deliver(NULL, brewery, 2, 8, today, "会议室使用登记", in_year);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM cobuilding_delivery"), 5);

    /* The street cadre of community 1's street may record there, and the
     * text is kept whole (a long evidence in Chinese, 200 characters). */
    sf_client_t *street = vt_client_as(&world, "street-1", "street", "370205001");
    char evidence[1024] = "";
    for (int i = 0; i < 50; i++)
        strcat(evidence, "收据存档");
    deliver(street, brewery, 1, 2500, june, evidence, NULL);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM cobuilding_delivery WHERE char_length(evidence) = 200"), 1);
    sf_client_destroy(&street);

    /* Refusals, each naming its field, nothing written. */
    Sifang__V1__CoBuildingDelivery bad = SIFANG__V1__CO_BUILDING_DELIVERY__INIT;
    bad.cobuilding_id = brewery;
    bad.commitment = 0;
    bad.quantity = 1;
    bad.delivered_on = march;
    bad.evidence = "签到表";
    bad.id = "J00000001";
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "id");
    bad.id = "";
    bad.cobuilding_id = "X12";
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "cobuilding_id");
    bad.cobuilding_id = "B9999";
    refused(NULL, &bad, SF_NOT_FOUND, "cobuilding_id");
    bad.cobuilding_id = brewery;
    bad.commitment = 3;
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "commitment");
    bad.commitment = -1;
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "commitment");
    bad.commitment = 0;
    bad.quantity = 0;
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "quantity");
    bad.quantity = -3;
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "quantity");
    bad.quantity = 1;
    bad.delivered_on = later;
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "delivered_on");
    char before_pair[16];
    date_of(before_pair, last_year - 1, "12-31");
    bad.delivered_on = before_pair;
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "delivered_on");
    bad.delivered_on = "2026-13-01";
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "delivered_on");
    bad.delivered_on = march;
    bad.evidence = "";
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "evidence");
    char too_long[1024] = "";
    for (int i = 0; i < 201; i++)
        strcat(too_long, "据");
    bad.evidence = too_long;
    refused(NULL, &bad, SF_INVALID_ARGUMENT, "evidence");
    bad.evidence = "签到表";
    /* Another community's coordinator may not record for community 1. */
    sf_client_t *neighbour = vt_client_as(&world, "community-2", "community", VT_COMMUNITY_2);
    refused(neighbour, &bad, SF_PERMISSION_DENIED, NULL);
    sf_client_destroy(&neighbour);
    /* A viewer may not record at all. */
    sf_client_t *viewer = vt_client_as(&world, "viewer", "viewer", "");
    refused(viewer, &bad, SF_PERMISSION_DENIED, NULL);
    sf_client_destroy(&viewer);

    /* A pairing that ended: a delivery after the day it ended is refused;
     * one before is taken. */
    char ended[16];
    create_pair("四方区人民医院", VT_COMMUNITY_2, since, ended);
    Sifang__V1__CoBuildingEndRequest end = SIFANG__V1__CO_BUILDING_END_REQUEST__INIT;
    end.id = ended;
    end.reason = "医院迁址";
    Sifang__V1__CoBuilding *gone = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingEnd", NULL, &end.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &gone, NULL), SF_OK);
    FREE(gone);
    SF_CHECK_EQ_INT(vt_sql_int(&world, sql_of("SELECT count(*) FROM cobuilding WHERE serial = %d"
                                                      " AND ended_at IS NOT NULL AND NOT active", atoi(ended + 1))), 1);
    /* As if it had ended on 1 October last year. */
    PQclear(PQexec(world.db, sql_of("UPDATE cobuilding SET ended_at = '%d-10-01 12:00+08' WHERE serial = %d",
                                            last_year, atoi(ended + 1))));
    bad.cobuilding_id = ended;
    bad.delivered_on = today;
    refused(NULL, &bad, SF_FAILED_PRECONDITION, "delivered_on");
    deliver(NULL, ended, 1, 20000, september, "转账凭证 记-0901", NULL);
}

/* The standing SQL gives for the year under a unit: every commitment of the
 * pairings of that year with its deliveries, counted, in JSON as the reply
 * is (the commitments of the page given by offset and limit). */
static Sifang__V1__CoBuildingDeliveryStandingReply *
standing_in_sql(int year, const char *under, int offset, int limit, bool year_over)
{
    char sql[8192];
    snprintf(sql, sizeof sql,
        "WITH c AS (SELECT b.serial, b.unit_name, b.community_code, COALESCE(u.name, '') AS community_name,"
        "   (e.position - 1)::int AS position, e.item"
        "  FROM cobuilding b LEFT JOIN ref_unit u ON u.code = b.community_code,"
        "   jsonb_array_elements(b.commitments) WITH ORDINALITY e(item, position)"
        "  WHERE b.community_code LIKE '%s%%' AND b.since <= make_date(%d, 12, 31)"
        "   AND (b.active OR b.ended_at >= make_date(%d, 1, 1))),"
        " s AS (SELECT c.*, (SELECT COALESCE(sum(d.quantity), 0) FROM " LIVE_DELIVERY " d WHERE d.cobuilding_serial = c.serial"
        "   AND d.commitment = c.position AND extract(year FROM d.delivered_on) = %d) AS delivered,"
        "  (SELECT count(*) FROM " LIVE_DELIVERY " d WHERE d.cobuilding_serial = c.serial"
        "   AND d.commitment = c.position AND extract(year FROM d.delivered_on) = %d)::int AS deliveries FROM c),"
        " j AS (SELECT s.*, CASE WHEN deliveries = 0 THEN 'NOT_KEPT' WHEN delivered >= (item ->> 'quantity')::numeric"
        "   THEN 'KEPT' ELSE 'PARTLY_KEPT' END AS standing FROM s),"
        " counted AS (SELECT key, name, count(*) AS commitments, count(*) FILTER (WHERE standing = 'KEPT') AS kept,"
        "   count(*) FILTER (WHERE standing = 'PARTLY_KEPT') AS partly_kept,"
        "   count(*) FILTER (WHERE standing = 'NOT_KEPT') AS not_kept, grouping"
        "  FROM (SELECT 1 AS grouping, community_code AS key, community_name AS name, standing FROM j"
        "   UNION ALL SELECT 2, unit_name, unit_name, standing FROM j) g GROUP BY grouping, key, name)"
        " SELECT jsonb_build_object('year', %d, 'year_over', %s,"
        "  'total', jsonb_build_object('key', '%s', 'commitments', (SELECT count(*) FROM j),"
        "    'kept', (SELECT count(*) FROM j WHERE standing = 'KEPT'),"
        "    'partly_kept', (SELECT count(*) FROM j WHERE standing = 'PARTLY_KEPT'),"
        "    'not_kept', (SELECT count(*) FROM j WHERE standing = 'NOT_KEPT')),"
        "  'communities', (SELECT COALESCE(jsonb_agg(to_jsonb(x) - 'grouping' ORDER BY key), '[]') FROM counted x"
        "    WHERE grouping = 1),"
        "  'units', (SELECT COALESCE(jsonb_agg(to_jsonb(x) - 'grouping' ORDER BY key COLLATE \"C\"), '[]')"
        "    FROM counted x WHERE grouping = 2),"
        "  'commitments', (SELECT COALESCE(jsonb_agg(jsonb_build_object('cobuilding_id', 'B' || lpad(serial::text, 4, '0'),"
        "    'unit_name', unit_name, 'community_code', community_code, 'community_name', community_name,"
        "    'commitment', position, 'kind', %s[(item ->> 'kind')::int], 'description', item ->> 'description',"
        "    'unit', item ->> 'unit', 'committed', (item ->> 'quantity')::numeric, 'delivered', delivered,"
        "    'deliveries', deliveries, 'standing', 'CO_BUILDING_DELIVERY_STANDING_KIND_' || standing)"
        "    ORDER BY serial, position), '[]')"
        "   FROM (SELECT * FROM j ORDER BY serial, position OFFSET %d LIMIT %d) p))",
        under, year, year, year, year, year, year_over ? "true" : "false", under, KINDS, offset, limit);
    return (Sifang__V1__CoBuildingDeliveryStandingReply *)
        message_in_sql(&sifang__v1__co_building_delivery_standing_reply__descriptor, sql);
}

/* The standing through the daemon, a page of size at a time, each page
 * against SQL's (the page's token cleared before comparing; it must be
 * there exactly when more follow). Returns the commitments seen. */
static int
check_standing(int year, const char *under, int size, bool year_over)
{
    char token[64] = "";
    int seen = 0;
    for (int pages = 0; pages < 50; pages++) {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = size;
        page.page_token = token;
        Sifang__V1__CoBuildingDeliveryStandingRequest ask = SIFANG__V1__CO_BUILDING_DELIVERY_STANDING_REQUEST__INIT;
        ask.under = (char *) under;
        ask.year = year;
        ask.page = &page;
        Sifang__V1__CoBuildingDeliveryStandingReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingDeliveryStanding", NULL, &ask.base,
                                     &sifang__v1__co_building_delivery_standing_reply__descriptor,
                                     (ProtobufCMessage **) &reply, NULL), SF_OK))
            return seen;
        Sifang__V1__CoBuildingDeliveryStandingReply *want = standing_in_sql(year, under, seen, size, year_over);
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        char *given = reply->next_page_token;
        reply->next_page_token = (char *) "";
        seen += (int) reply->n_commitments;
        if (want)
            same_message("CoBuildingDeliveryStanding", &reply->base, &want->base);
        reply->next_page_token = given;
        bool more = want && seen < (int) want->total->commitments;
        SF_CHECK_EQ_INT(*token != 0, more);
        FREE(reply);
        FREE(want);
        if (!more)
            break;
    }
    return seen;
}

static void
test_standing(void)
{
    /* Last year: 9 commitments of 3 pairings (the hospital's ended in
     * October: still paired that year). */
    SF_CHECK_EQ_INT(check_standing(last_year, "", 2, true), 9);
    SF_CHECK_EQ_INT(check_standing(last_year, "", 100, true), 9);
    SF_CHECK_EQ_INT(check_standing(last_year, VT_COMMUNITY_1, 2, true), 3);
    SF_CHECK_EQ_INT(check_standing(last_year, "370205001", 4, true), 9);
    /* This year: the hospital's ended; the brewery's room counted once. */
    SF_CHECK_EQ_INT(check_standing(last_year + 1, "", 4, false), 6);
    /* The year before the pairings: none. */
    SF_CHECK_EQ_INT(check_standing(last_year - 1, "", 4, true), 0);

    /* The figures as a reader sees them: last year's brewery, by name. */
    Sifang__V1__CoBuildingDeliveryStandingRequest ask = SIFANG__V1__CO_BUILDING_DELIVERY_STANDING_REQUEST__INIT;
    ask.year = last_year;
    Sifang__V1__CoBuildingDeliveryStandingReply *reply = NULL;
    if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingDeliveryStanding", NULL, &ask.base,
                                &sifang__v1__co_building_delivery_standing_reply__descriptor,
                                (ProtobufCMessage **) &reply, NULL), SF_OK)
        && SF_CHECK(reply->total && reply->n_commitments == 9)) {
        /* brewery: people kept, money 7,500 of 20,000 partly, room not;
         * school: people kept, others not; hospital: money kept. */
        SF_CHECK_EQ_INT(reply->total->kept, 3);
        SF_CHECK_EQ_INT(reply->total->partly_kept, 1);
        SF_CHECK_EQ_INT(reply->total->not_kept, 5);
        SF_CHECK_EQ_INT(reply->commitments[1]->standing,
                        SIFANG__V1__CO_BUILDING_DELIVERY_STANDING_KIND__CO_BUILDING_DELIVERY_STANDING_KIND_PARTLY_KEPT);
        SF_CHECK(reply->commitments[1]->delivered == 7500);
        SF_CHECK_EQ_INT(reply->n_communities, 2);
        SF_CHECK_EQ_INT(reply->n_units, 3);
    }
    FREE(reply);

    /* Refusals: the year is required and bounded. */
    sf_reply_info_t info;
    ask.year = 0;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingDeliveryStanding", NULL, &ask.base,
                            &sifang__v1__co_building_delivery_standing_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "year"));
    ask.year = 3000;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingDeliveryStanding", NULL, &ask.base,
                            &sifang__v1__co_building_delivery_standing_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "year"));
}

static void
test_list(void)
{
    /* Every delivery of the brewery last year, paged by two, each as its
     * row; then the whole list's count per filter. */
    char token[64] = "";
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 2;
        page.page_token = token;
        Sifang__V1__CoBuildingDeliveryListRequest list = SIFANG__V1__CO_BUILDING_DELIVERY_LIST_REQUEST__INIT;
        list.cobuilding_id = brewery;
        list.year = last_year;
        list.page = &page;
        Sifang__V1__CoBuildingDeliveryListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingDeliveryList", NULL, &list.base,
                                     &sifang__v1__co_building_delivery_list_reply__descriptor,
                                     (ProtobufCMessage **) &reply, NULL), SF_OK))
            return;
        for (size_t i = 0; i < reply->n_deliveries; i++) {
            Sifang__V1__CoBuildingDelivery *row = delivery_in_sql(reply->deliveries[i]->id);
            same_message("CoBuildingDeliveryList", &reply->deliveries[i]->base, &row->base);
            FREE(row);
        }
        seen += (int) reply->n_deliveries;
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        FREE(reply);
        if (!*token)
            break;
    }
    SF_CHECK_EQ_INT(seen, vt_sql_int(&world, sql_of("SELECT count(*) FROM cobuilding_delivery WHERE"
        " cobuilding_serial = %d AND extract(year FROM delivered_on) = %d", atoi(brewery + 1), last_year)));
    SF_CHECK_EQ_INT(seen, 4);

    /* Under community 2: the school's and the hospital's. */
    Sifang__V1__CoBuildingDeliveryListRequest list = SIFANG__V1__CO_BUILDING_DELIVERY_LIST_REQUEST__INIT;
    list.under = VT_COMMUNITY_2;
    Sifang__V1__CoBuildingDeliveryListReply *reply = NULL;
    if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingDeliveryList", NULL, &list.base,
                                &sifang__v1__co_building_delivery_list_reply__descriptor,
                                (ProtobufCMessage **) &reply, NULL), SF_OK))
        SF_CHECK_EQ_INT(reply->n_deliveries, 2);
    FREE(reply);
    /* Deliveries name who recorded them: a viewer reads the standing, not
     * the list. */
    sf_client_t *anonymous = vt_client_as(&world, "viewer", "viewer", "");
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, anonymous, "CoBuildingDeliveryList", NULL, &list.base,
                            &sifang__v1__co_building_delivery_list_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_PERMISSION_DENIED);
    sf_client_destroy(&anonymous);
}

/* The day the commitment's year was kept, as SQL judges it: its deliveries
 * not reversed, in the order recorded, first reaching the quantity ("" if
 * not); written to out (16). */
static void
kept_on_in_sql(const char *pair, int commitment, int year, char out[16])
{
    PGresult *result = PQexec(world.db, sql_of(
        "SELECT COALESCE((SELECT delivered_on::text FROM (SELECT d.serial, d.delivered_on,"
        "  sum(d.quantity) OVER (ORDER BY d.serial) AS running FROM " LIVE_DELIVERY " d"
        "  WHERE d.cobuilding_serial = %d AND d.commitment = %d AND extract(year FROM d.delivered_on) = %d) k"
        " WHERE k.running >= (SELECT (commitments -> %d ->> 'quantity')::numeric FROM cobuilding WHERE serial = %d)"
        " ORDER BY k.serial LIMIT 1), '')", atoi(pair + 1), commitment, year, commitment, atoi(pair + 1)));
    snprintf(out, 16, "%s", PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
}

/* Reverses delivery id as client (NULL: the administrator): the reply and
 * its one event as SQL has the delivery and its red entry, with the day its
 * commitment was kept before and after as SQL judges them, and those days
 * as the test expects. */
static void
reverse(sf_client_t *client, const char *id, const char *reason, const char *kept_before, const char *kept_after)
{
    char pair[16], before[16], after[16];
    int commitment = (int) vt_sql_int(&world, sql_of("SELECT commitment FROM cobuilding_delivery WHERE serial = %d",
                                                     atoi(id + 1)));
    int year = (int) vt_sql_int(&world, sql_of("SELECT extract(year FROM delivered_on) FROM cobuilding_delivery"
                                               " WHERE serial = %d", atoi(id + 1)));
    snprintf(pair, sizeof pair, "B%04d", (int) vt_sql_int(&world, sql_of(
        "SELECT cobuilding_serial FROM cobuilding_delivery WHERE serial = %d", atoi(id + 1))));
    kept_on_in_sql(pair, commitment, year, before);
    SF_CHECK_EQ_STR(before, kept_before);
    Sifang__V1__CoBuildingDeliveryReverseRequest request = SIFANG__V1__CO_BUILDING_DELIVERY_REVERSE_REQUEST__INIT;
    request.id = (char *) id;
    request.reason = (char *) reason;
    int64_t head = sf_test_event_head(world.client);
    Sifang__V1__CoBuildingDelivery *reversed = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(vt_call(&world, client, "CoBuildingDeliveryReverse", NULL, &request.base,
                                 &sifang__v1__co_building_delivery__descriptor, (ProtobufCMessage **) &reversed,
                                 &info), SF_OK)) {
        printf("CoBuildingDeliveryReverse: %s\n", info.message ? info.message : "");
        return;
    }
    kept_on_in_sql(pair, commitment, year, after);
    SF_CHECK_EQ_STR(after, kept_after);
    Sifang__V1__CoBuildingDelivery *row = delivery_in_sql(id);
    if (row) {
        row->kept_on_before = strdup(before);
        row->kept_on_after = strdup(after);
    }
    same_message("CoBuildingDeliveryReverse's reply", &reversed->base, row ? &row->base : NULL);
    SF_CHECK(reversed->reversed_unix_ms > 0);
    SF_CHECK_EQ_STR(reversed->reversal_reason, reason);
    int n = 0;
    delivery_event_type = "cobuilding.delivery_reversed";
    Sifang__V1__CoBuildingDelivery *event = delivery_event_after(head, id, &n);
    delivery_event_type = "cobuilding.delivered";
    if (SF_CHECK_EQ_INT(n, 1))
        same_message("cobuilding.delivery_reversed", &event->base, row ? &row->base : NULL);
    FREE(event);
    FREE(row);
    FREE(reversed);
}

/* A reversal refused with status naming field (NULL: any): no red entry
 * written, no event. */
static void
reverse_refused(sf_client_t *client, const char *id, const char *reason, sf_status_t status, const char *field)
{
    long long before = vt_sql_int(&world, "SELECT count(*) FROM cobuilding_delivery_reversal");
    int64_t head = sf_test_event_head(world.client);
    Sifang__V1__CoBuildingDeliveryReverseRequest request = SIFANG__V1__CO_BUILDING_DELIVERY_REVERSE_REQUEST__INIT;
    request.id = (char *) id;
    request.reason = (char *) reason;
    Sifang__V1__CoBuildingDelivery *reply = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, client, "CoBuildingDeliveryReverse", NULL, &request.base,
                            &sifang__v1__co_building_delivery__descriptor, (ProtobufCMessage **) &reply, &info),
                    status);
    if (field && !SF_CHECK(vt_has_violation(&info, field)))
        printf("expected a refusal naming %s: %s\n", field, info.message ? info.message : "");
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM cobuilding_delivery_reversal"), before);
    SF_CHECK_EQ_INT(sf_test_event_head(world.client), head);
    FREE(reply);
}

/* Wrong deliveries reversed (冲销): the brewery's people last year were
 * kept in September (4 in March + 6); the March 4 reversed, they are not;
 * 4 delivered again in June and 7 in October keep them in June (6 + 4);
 * the September 6 reversed (by the street), they are kept in October
 * (4 + 7). Refusals: twice, no reason, another community's staff, unknown. The standing and
 * the list after it. */
static void
test_reversal(void)
{
    char june[16], september[16], october[16], march_id[16], again[16];
    date_of(june, last_year, "06-20");
    date_of(september, last_year, "09-05");
    date_of(october, last_year, "10-10");
    snprintf(march_id, sizeof march_id, "J%08d", (int) vt_sql_int(&world, sql_of(
        "SELECT min(serial) FROM cobuilding_delivery WHERE cobuilding_serial = %d AND commitment = 0", atoi(brewery + 1))));
    reverse(NULL, march_id, "数量录错：3月为4人次重复登记", september, "");
    reverse_refused(NULL, march_id, "再次冲销", SF_FAILED_PRECONDITION, "id");
    deliver(NULL, brewery, 0, 4, june, "活动签到表 补录", NULL);
    deliver(NULL, brewery, 0, 7, october, "活动签到表 10 月", NULL);
    char september_id[16];
    snprintf(september_id, sizeof september_id, "J%08d", (int) vt_sql_int(&world, sql_of(
        "SELECT serial FROM cobuilding_delivery WHERE cobuilding_serial = %d AND commitment = 0"
        " AND delivered_on = '%s'", atoi(brewery + 1), september)));
    sf_client_t *street = vt_client_as(&world, "street-1", "street", "370205001");
    reverse(street, september_id, "错记为本单位，实为其他单位的志愿者", june, october);
    sf_client_destroy(&street);
    /* The brewery's (community 1) is not community 2's to reverse. */
    snprintf(again, sizeof again, "J%08d", (int) vt_sql_int(&world, sql_of(
        "SELECT min(serial) FROM cobuilding_delivery WHERE cobuilding_serial = %d AND commitment = 1",
        atoi(brewery + 1))));
    sf_client_t *neighbour = vt_client_as(&world, "community-2", "community", VT_COMMUNITY_2);
    reverse_refused(neighbour, again, "录错", SF_PERMISSION_DENIED, NULL);
    sf_client_destroy(&neighbour);
    reverse_refused(NULL, again, "", SF_INVALID_ARGUMENT, "reason");
    reverse_refused(NULL, again, "  ", SF_INVALID_ARGUMENT, "reason");
    reverse_refused(NULL, "J99999999", "录错", SF_NOT_FOUND, "id");
    reverse_refused(NULL, "B0001", "录错", SF_INVALID_ARGUMENT, "id");
    /* Last year's standing without the reversed; the list still shows them. */
    SF_CHECK_EQ_INT(check_standing(last_year, "", 100, true), 9);
    SF_CHECK_EQ_INT(check_standing(last_year, VT_COMMUNITY_1, 2, true), 3);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM cobuilding_delivery_reversal"), 2);
    Sifang__V1__CoBuildingDeliveryListRequest list = SIFANG__V1__CO_BUILDING_DELIVERY_LIST_REQUEST__INIT;
    list.cobuilding_id = brewery;
    list.year = last_year;
    Sifang__V1__CoBuildingDeliveryListReply *reply = NULL;
    if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingDeliveryList", NULL, &list.base,
                                &sifang__v1__co_building_delivery_list_reply__descriptor,
                                (ProtobufCMessage **) &reply, NULL), SF_OK)) {
        int reversed = 0;
        for (size_t i = 0; i < reply->n_deliveries; i++) {
            Sifang__V1__CoBuildingDelivery *row = delivery_in_sql(reply->deliveries[i]->id);
            same_message("CoBuildingDeliveryList after reversals", &reply->deliveries[i]->base, &row->base);
            reversed += reply->deliveries[i]->reversed_unix_ms > 0;
            FREE(row);
        }
        SF_CHECK_EQ_INT(reply->n_deliveries, 6);
        SF_CHECK_EQ_INT(reversed, 2);
    }
    FREE(reply);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (vt_world_start(&world, "volunteer_cobuilding", NULL)) {
        last_year = (int) vt_sql_int(&world, "SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai') - 1");
        test_deliveries();
        test_standing();
        test_list();
        test_reversal();
    }
    vt_world_stop(&world);
    return sf_test_done();
}
