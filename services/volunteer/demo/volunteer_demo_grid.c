/* What the demo loader reads from grid's API: the communities, every
 * resident (its household, birth date and whether a party member), the households
 * grid flags in difficulty, the staff and the departments' pairings with
 * communities, each list paged through. */
#include "volunteer_demo.h"
#include "sf_codes.h"
#include "sf_dates.h"
#include "sf_text.h"
#include "sifang/v1/grid.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 1000

/* One page of a grid list; NULL (and a message) on failure. */
static ProtobufCMessage *
list_page(sf_client_t *grid, const char *method, const ProtobufCMessage *request,
          const ProtobufCMessageDescriptor *reply_descriptor)
{
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(grid, method, NULL, request, reply_descriptor, &reply, &info);
    if (status != SF_OK) {
        fprintf(stderr, "grid %s: %s %s\n", method, sf_status_name(status), info.message ? info.message : "");
        return NULL;
    }
    return reply;
}

static bool
grow(void **array, size_t *capacity, size_t needed, size_t size)
{
    if (needed <= *capacity)
        return true;
    size_t next = *capacity ? *capacity * 2 : 1024;
    while (next < needed)
        next *= 2;
    void *grown = realloc(*array, next * size);
    if (!grown)
        return false;
    *array = grown;
    *capacity = next;
    return true;
}

static int
compare_community(const void *a, const void *b)
{
    return strcmp(((const vd_community_t *) a)->code, ((const vd_community_t *) b)->code);
}

static int
compare_resident(const void *a, const void *b)
{
    int64_t x = ((const vd_resident_t *) a)->serial, y = ((const vd_resident_t *) b)->serial;
    return x < y ? -1 : x > y;
}

static int
compare_household(const void *a, const void *b)
{
    return strcmp(((const vd_household_t *) a)->code, ((const vd_household_t *) b)->code);
}

static int
compare_code(const void *a, const void *b)
{
    return strcmp((const char *) a, (const char *) b);
}

int
vd_community_of(const vd_grid_t *grid, const char *code)
{
    vd_community_t key;
    snprintf(key.code, sizeof key.code, "%.*s", (int) sf_code_ancestor(code, 12), code);
    const vd_community_t *found = bsearch(&key, grid->communities, grid->n_communities, sizeof key,
                                          compare_community);
    return found ? (int) (found - grid->communities) : -1;
}

long
vd_resident_find(const vd_grid_t *grid, const char *id)
{
    if (!id || id[0] != 'R')
        return -1;
    vd_resident_t key;
    key.serial = strtoll(id + 1, NULL, 10);
    const vd_resident_t *found = bsearch(&key, grid->residents, grid->n_residents, sizeof key, compare_resident);
    return found ? (long) (found - grid->residents) : -1;
}

static bool
read_communities(sf_client_t *client, vd_grid_t *grid)
{
    size_t capacity = 0;
    char token[256] = "";
    for (;;) {
        Sifang__V1__UnitListRequest request = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        request.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
        page.page_size = PAGE;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__UnitListReply *reply = (Sifang__V1__UnitListReply *)
            list_page(client, "UnitList", &request.base, &sifang__v1__unit_list_reply__descriptor);
        if (!reply)
            return false;
        if (!grow((void **) &grid->communities, &capacity, grid->n_communities + reply->n_units,
                  sizeof *grid->communities)) {
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            return false;
        }
        for (size_t i = 0; i < reply->n_units; i++) {
            vd_community_t *c = &grid->communities[grid->n_communities++];
            snprintf(c->code, sizeof c->code, "%s", reply->units[i]->code);
            sf_text_format(c->name, sizeof c->name, "%s", reply->units[i]->name);
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
        if (!token[0])
            break;
    }
    qsort(grid->communities, grid->n_communities, sizeof *grid->communities, compare_community);
    return true;
}

static bool
read_residents(sf_client_t *client, vd_grid_t *grid)
{
    size_t capacity = 0;
    char token[256] = "";
    for (int pages = 0;; pages++) {
        Sifang__V1__ResidentListRequest request = SIFANG__V1__RESIDENT_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = PAGE;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__ResidentListReply *reply = (Sifang__V1__ResidentListReply *)
            list_page(client, "ResidentList", &request.base, &sifang__v1__resident_list_reply__descriptor);
        if (!reply)
            return false;
        if (!grow((void **) &grid->residents, &capacity, grid->n_residents + reply->n_residents,
                  sizeof *grid->residents)) {
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            return false;
        }
        for (size_t i = 0; i < reply->n_residents; i++) {
            const Sifang__V1__Resident *r = reply->residents[i];
            vd_resident_t *resident = &grid->residents[grid->n_residents++];
            snprintf(resident->id, sizeof resident->id, "%s", r->id);
            resident->serial = strtoll(r->id + 1, NULL, 10);
            snprintf(resident->household, sizeof resident->household, "%s", r->household_code);
            resident->party_member = r->party_member;
            resident->community = -1;
            if (!sf_date_parse(r->birth_date, &resident->birth))
                resident->birth = 0;
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
        if (pages % 20 == 0)
            fprintf(stderr, "\rreading grid's residents: %zu", grid->n_residents);
        if (!token[0])
            break;
    }
    fprintf(stderr, "\rreading grid's residents: %zu\n", grid->n_residents);
    qsort(grid->residents, grid->n_residents, sizeof *grid->residents, compare_resident);
    grid->households = calloc(grid->n_residents ? grid->n_residents : 1, sizeof *grid->households);
    if (!grid->households)
        return false;
    for (size_t i = 0; i < grid->n_residents; i++) {
        grid->residents[i].community = vd_community_of(grid, grid->residents[i].household);
        memcpy(grid->households[i], grid->residents[i].household, sizeof grid->households[i]);
    }
    qsort(grid->households, grid->n_residents, sizeof *grid->households, compare_code);
    size_t distinct = 0;
    for (size_t i = 0; i < grid->n_residents; i++)
        if (!distinct || strcmp(grid->households[distinct - 1], grid->households[i]) != 0)
            memcpy(grid->households[distinct++], grid->households[i], sizeof grid->households[i]);
    grid->n_households = distinct;
    return true;
}

/* Households in difficulty: the union over grid's flags. */
static bool
read_flagged(sf_client_t *client, vd_grid_t *grid)
{
    size_t capacity = 0;
    for (int flag = 1; flag <= SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_SPECIAL_CARE; flag++) {
        char token[256] = "";
        for (;;) {
            Sifang__V1__HouseholdListRequest request = SIFANG__V1__HOUSEHOLD_LIST_REQUEST__INIT;
            Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
            request.flag = (Sifang__V1__HouseholdFlag) flag;
            page.page_size = PAGE;
            page.page_token = token;
            request.page = &page;
            Sifang__V1__HouseholdListReply *reply = (Sifang__V1__HouseholdListReply *)
                list_page(client, "HouseholdList", &request.base, &sifang__v1__household_list_reply__descriptor);
            if (!reply)
                return false;
            if (!grow((void **) &grid->flagged, &capacity, grid->n_flagged + reply->n_households,
                      sizeof *grid->flagged)) {
                protobuf_c_message_free_unpacked(&reply->base, NULL);
                return false;
            }
            for (size_t i = 0; i < reply->n_households; i++) {
                vd_household_t *h = &grid->flagged[grid->n_flagged++];
                snprintf(h->code, sizeof h->code, "%s", reply->households[i]->code);
                h->community = vd_community_of(grid, h->code);
            }
            snprintf(token, sizeof token, "%s", reply->next_page_token);
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            if (!token[0])
                break;
        }
    }
    qsort(grid->flagged, grid->n_flagged, sizeof *grid->flagged, compare_household);
    size_t distinct = 0;
    for (size_t i = 0; i < grid->n_flagged; i++)
        if (!distinct || strcmp(grid->flagged[distinct - 1].code, grid->flagged[i].code) != 0)
            grid->flagged[distinct++] = grid->flagged[i];
    grid->n_flagged = distinct;
    return true;
}

static bool
read_staff(sf_client_t *client, vd_grid_t *grid)
{
    size_t capacity = 0;
    char token[256] = "";
    for (;;) {
        Sifang__V1__StaffListRequest request = SIFANG__V1__STAFF_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = PAGE;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__StaffListReply *reply = (Sifang__V1__StaffListReply *)
            list_page(client, "StaffList", &request.base, &sifang__v1__staff_list_reply__descriptor);
        if (!reply)
            return false;
        if (!grow((void **) &grid->staff, &capacity, grid->n_staff + reply->n_staff, sizeof *grid->staff)) {
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            return false;
        }
        for (size_t i = 0; i < reply->n_staff; i++) {
            vd_staff_t *s = &grid->staff[grid->n_staff++];
            snprintf(s->id, sizeof s->id, "%s", reply->staff[i]->id);
            s->kind = reply->staff[i]->kind;
            snprintf(s->unit, sizeof s->unit, "%s", reply->staff[i]->unit_code);
            snprintf(s->department, sizeof s->department, "%s", reply->staff[i]->department_code);
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
        if (!token[0])
            break;
    }
    return true;
}

static int
compare_pairing(const void *a, const void *b)
{
    const vd_pairing_t *x = a, *y = b;
    int by_department = strcmp(x->department, y->department);
    return by_department ? by_department : strcmp(x->community, y->community);
}

/* The departments' paired communities, where their staff visit households. */
static bool
read_pairings(sf_client_t *client, vd_grid_t *grid)
{
    size_t capacity = 0;
    char token[256] = "";
    for (;;) {
        Sifang__V1__PairingListRequest request = SIFANG__V1__PAIRING_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = PAGE;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__PairingListReply *reply = (Sifang__V1__PairingListReply *)
            list_page(client, "PairingList", &request.base, &sifang__v1__pairing_list_reply__descriptor);
        if (!reply)
            return false;
        if (!grow((void **) &grid->pairings, &capacity, grid->n_pairings + reply->n_pairings,
                  sizeof *grid->pairings)) {
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            return false;
        }
        for (size_t i = 0; i < reply->n_pairings; i++) {
            vd_pairing_t *p = &grid->pairings[grid->n_pairings++];
            snprintf(p->department, sizeof p->department, "%s", reply->pairings[i]->department_code);
            snprintf(p->community, sizeof p->community, "%s", reply->pairings[i]->community_code);
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
        if (!token[0])
            break;
    }
    if (grid->n_pairings)
        qsort(grid->pairings, grid->n_pairings, sizeof *grid->pairings, compare_pairing);
    return true;
}

const vd_pairing_t *
vd_department_pairings(const vd_grid_t *grid, const char *department, size_t *n)
{
    *n = 0;
    if (!department || !*department)
        return NULL;
    size_t lo = 0, hi = grid->n_pairings;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(grid->pairings[mid].department, department) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < grid->n_pairings && strcmp(grid->pairings[end].department, department) == 0)
        end++;
    *n = end - lo;
    return *n ? &grid->pairings[lo] : NULL;
}

bool
vd_grid_read(sf_client_t *client, vd_grid_t *grid)
{
    memset(grid, 0, sizeof *grid);
    if (!read_communities(client, grid) || !read_residents(client, grid) || !read_flagged(client, grid)
        || !read_staff(client, grid) || !read_pairings(client, grid)) {
        fprintf(stderr, "cannot read the district from grid\n");
        return false;
    }
    fprintf(stderr, "grid: %zu communities, %zu residents (%zu households), %zu households in difficulty,"
            " %zu staff, %zu departments' pairings\n", grid->n_communities, grid->n_residents, grid->n_households,
            grid->n_flagged, grid->n_staff, grid->n_pairings);
    return true;
}

void
vd_grid_release(vd_grid_t *grid)
{
    free(grid->communities);
    free(grid->residents);
    free(grid->flagged);
    free(grid->households);
    free(grid->staff);
    free(grid->pairings);
    memset(grid, 0, sizeof *grid);
}
