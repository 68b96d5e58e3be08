/* The dispatch candidate search's statements, in a header of their own so
 * that the test which reads their plans (EXPLAIN) runs the very text the
 * daemon runs (volunteer_dispatch.c).
 *
 * Parameters: $1 at (ms), $2 duration (minutes), $3 skill, $4 lat, $5 lon
 * of the dispatch zone, $6 the district's time zone, $7 the dispatch radius
 * (km), $8 the load limit, $9 the CredentialKind the skill requires, $10
 * the pool, $11 volunteers and $12 teams left out, $13 the dispatch being
 * offered again, $14 the only volunteer, $15 the only team, $16 the limit,
 * $17 and $18 the ring's zone codes [low, high), $19 providers left out,
 * $20 the only provider, $21 the dispatch zone.
 *
 * Columns: kind, serial, name, community, zone, km, level, load, score,
 * rating, ratings.
 *
 * The ranking rule (lowest score first; then kind, then serial):
 *   score = km + 0.5 * load + 0.25 * (5 - skill level) + 0.5 * (3 - rating)
 * rating being the mean satisfaction of the return visits of the cases the
 * candidate served, 3 (neutral) while it has none; teams and providers
 * count as skill level 3. A kilometre nearer is worth two open dispatches
 * fewer, four skill levels, or two points of rating.
 *
 * Volunteers are read only from the ring's zones: the zone's own code
 * range, its community's, its street's (one range of the C-collated index
 * volunteer_zone_available each), or, for the last ring, the zones whose
 * coordinates lie in the radius's box (ref_unit, then the same index by
 * zone). So the search never reads every volunteer with the skill. Teams
 * and providers are few and are read whole in every ring. */
#ifndef VOLUNTEER_SEARCH_H
#define VOLUNTEER_SEARCH_H

#define VOLUNTEER_SEARCH_SQL(VOLUNTEER_RING) \
    "WITH l AS MATERIALIZED (SELECT to_timestamp($1::bigint / 1000.0) AS at, $2::int AS dur, $3::text AS skill," \
    "   $4::float8 AS lat, $5::float8 AS lon, $7::float8 AS radius, $8::int AS max_load, $9::int AS requires," \
    "   $10::int AS pool, $11::bigint[] AS no_v, $12::bigint[] AS no_t, $13::bigint AS except_d," \
    "   $14::bigint AS only_v, $15::bigint AS only_t, $19::bigint[] AS no_p, $20::bigint AS only_p," \
    "   $21::text AS zone, to_timestamp($1::bigint / 1000.0) AT TIME ZONE $6 AS local)," \
    " w AS MATERIALIZED (SELECT l.*, l.local::date AS day, int4range(m.minute, least(m.minute + l.dur, 10080)) AS slot" \
    "   FROM l CROSS JOIN LATERAL (SELECT (extract(isodow FROM l.local)::int - 1) * 1440" \
    "     + extract(hour FROM l.local)::int * 60 + extract(minute FROM l.local)::int AS minute) m)," \
    " vol AS (SELECT 1 AS kind, v.serial, v.resident_id AS who, v.community_code, v.zone_code," \
    "   distance_km(w.lat, w.lon, u.lat, u.lon) AS km," \
    "   COALESCE(v.skill_levels[array_position(v.skills, w.skill)], 3)::int AS level, ld.load, w.max_load AS cap," \
    "   CASE WHEN v.rating_count = 0 THEN 3 ELSE v.rating_sum::float8 / v.rating_count END AS rating," \
    "   v.rating_count AS ratings" \
    "  FROM w CROSS JOIN volunteer v JOIN ref_unit u ON u.code = v.zone_code" \
    "  CROSS JOIN LATERAL (SELECT count(*)::int AS load, count(*) FILTER (WHERE d.at < w.at" \
    "     + make_interval(mins => w.dur) AND w.at < d.at + make_interval(mins => d.duration_minutes))::int AS busy" \
    "     FROM dispatch d WHERE d.volunteer_serial = v.serial AND d.status IN (1, 2) AND d.serial <> w.except_d) ld" \
    "  WHERE " VOLUNTEER_RING " AND v.manual_status = 1" \
    "   AND w.pool IN (0, 1) AND w.only_t = 0 AND w.only_p = 0 AND (w.only_v = 0 OR v.serial = w.only_v)" \
    "   AND v.skills @> ARRAY[w.skill] AND NOT v.serial = ANY(w.no_v) AND v.week @> w.slot" \
    "   AND u.lat BETWEEN w.lat - w.radius / 110.0 AND w.lat + w.radius / 110.0 AND ld.busy = 0" \
    "   AND (w.requires = 0 OR EXISTS (SELECT 1 FROM credential c WHERE c.volunteer_serial = v.serial" \
    "     AND c.skill = w.skill AND c.kind = w.requires AND c.issued_on <= w.day" \
    "     AND (c.expires_on IS NULL OR c.expires_on >= w.day))))," \
    " crew AS (SELECT 2 AS kind, t.serial, t.name AS who, t.community_code, ''::text AS zone_code," \
    "   distance_km(w.lat, w.lon, tc.lat, tc.lon) AS km, 3 AS level," \
    "   (SELECT count(*) FROM dispatch d WHERE d.team_serial = t.serial AND d.status IN (1, 2)" \
    "     AND d.serial <> w.except_d)::int AS load, w.max_load AS cap," \
    "   CASE WHEN t.rating_count = 0 THEN 3 ELSE t.rating_sum::float8 / t.rating_count END AS rating," \
    "   t.rating_count AS ratings" \
    "  FROM w CROSS JOIN team t CROSS JOIN LATERAL (SELECT COALESCE(cu.lat, avg(z.lat)) AS lat," \
    "     COALESCE(cu.lon, avg(z.lon)) AS lon FROM ref_unit cu LEFT JOIN ref_unit z" \
    "     ON z.parent_code = cu.code AND z.kind = 4 WHERE cu.code = t.community_code GROUP BY cu.lat, cu.lon) tc" \
    "  WHERE w.pool IN (0, 2) AND w.only_v = 0 AND w.only_p = 0 AND (w.only_t = 0 OR t.serial = w.only_t)" \
    "   AND t.disbanded_at IS NULL AND t.skills @> ARRAY[w.skill] AND NOT t.serial = ANY(w.no_t)" \
    "   AND (w.requires = 0 OR EXISTS (SELECT 1 FROM team_member m JOIN credential c" \
    "     ON c.volunteer_serial = m.volunteer_serial WHERE m.team_serial = t.serial AND c.skill = w.skill" \
    "     AND c.kind = w.requires AND c.issued_on <= w.day" \
    "     AND (c.expires_on IS NULL OR c.expires_on >= w.day))))," \
    /* A provider serves the zone when it lists it, or when the zone lies \
     * within its radius; its distance is from its point, or from its \
     * community's when it gave none. It takes dispatches below its own \
     * capacity, wherever it is (it said it serves there). */ \
    " firm AS (SELECT 3 AS kind, p.serial, p.name AS who, p.community_code, ''::text AS zone_code," \
    "   CASE WHEN p.lat <> 0 OR p.lon <> 0 THEN distance_km(w.lat, w.lon, p.lat, p.lon)" \
    "     ELSE COALESCE(distance_km(w.lat, w.lon, pc.lat, pc.lon), 0) END AS km, 3 AS level," \
    "   (SELECT count(*) FROM dispatch d WHERE d.provider_serial = p.serial AND d.status IN (1, 2)" \
    "     AND d.serial <> w.except_d)::int AS load, p.capacity AS cap," \
    "   CASE WHEN p.rating_count = 0 THEN 3 ELSE p.rating_sum::float8 / p.rating_count END AS rating," \
    "   p.rating_count AS ratings" \
    "  FROM w CROSS JOIN provider p LEFT JOIN LATERAL (SELECT avg(z.lat) AS lat, avg(z.lon) AS lon FROM ref_unit z" \
    "     WHERE z.parent_code = p.community_code AND z.kind = 4) pc ON true" \
    "  WHERE w.pool IN (0, 3) AND w.only_v = 0 AND w.only_t = 0 AND (w.only_p = 0 OR p.serial = w.only_p)" \
    "   AND p.active AND p.skills @> ARRAY[w.skill] AND NOT p.serial = ANY(w.no_p) AND p.week @> w.slot" \
    "   AND (p.zone_codes @> ARRAY[w.zone::text COLLATE \"C\"] OR (cardinality(p.zone_codes) = 0" \
    "     AND distance_km(w.lat, w.lon, p.lat, p.lon) <= p.radius_km)))," \
    " ranked AS (SELECT *, km + 0.5 * load + 0.25 * (5 - level) + 0.5 * (3 - rating) AS score" \
    "   FROM (SELECT * FROM vol UNION ALL SELECT * FROM crew UNION ALL SELECT * FROM firm) c" \
    "   WHERE load < cap AND (kind = 3 OR km <= $7::float8) ORDER BY score, kind, serial LIMIT $16)" \
    " SELECT k.kind, k.serial, CASE WHEN k.kind = 1 THEN COALESCE(r.name, '') ELSE k.who END, k.community_code," \
    "   k.zone_code, k.km, k.level, k.load, k.score, k.rating, k.ratings" \
    " FROM ranked k LEFT JOIN ref_resident r ON k.kind = 1 AND r.id = k.who ORDER BY k.score, k.kind, k.serial"

/* A ring of codes: the zone's, its community's or its street's volunteers,
 * one range of the index. */
#define VOLUNTEER_RING_CODES "v.zone_code >= $17::text AND v.zone_code < $18::text"
/* The last ring: every zone in the radius's box (by latitude, and by
 * longitude scaled to the latitude), $17 and $18 then spanning every code. */
#define VOLUNTEER_RING_RADIUS \
    "v.zone_code >= $17::text AND v.zone_code < $18::text AND v.zone_code IN (SELECT z.code FROM ref_unit z" \
    " WHERE z.kind = 4 AND z.lat BETWEEN $4::float8 - $7::float8 / 110.0 AND $4::float8 + $7::float8 / 110.0" \
    " AND z.lon BETWEEN $5::float8 - $7::float8 / (110.0 * greatest(cos(radians($4::float8)), 0.01))" \
    " AND $5::float8 + $7::float8 / (110.0 * greatest(cos(radians($4::float8)), 0.01)))"

#endif
