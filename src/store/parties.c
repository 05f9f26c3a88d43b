/* parties.c - parties and agreements (read-only over the API). */
#include <stdlib.h>

#include "estd/store_parties.h"
#include "estd/store_util.h"

const char *const store_parties_sorts[] = {"id", "name", NULL};
const char *const store_agreements_sorts[] = {"id", "valid_from", NULL};

#define PARTY_JSON                                                                                  \
  "json_build_object('id', p.id, 'code', p.code, 'name', p.name, 'name_en', p.name_en, 'kind', "    \
  "p.kind, 'description', p.description, 'created_at', p.created_at, 'updated_at', p.updated_at)::text"

/* Keyset condition. $2 is the cursor's sort value and $3 its id; for the id
 * sort the cursor value is always "", which keeps $2 typed and referenced. */
#define PARTY_LIST(name, sortval, after, order)                                                     \
  {name,                                                                                            \
   "SELECT " PARTY_JSON ", " sortval ", p.id FROM parties p WHERE ($1::text IS NULL OR p.kind = $1)" \
   " AND ($3::bigint IS NULL OR " after ") ORDER BY " order " LIMIT $4",                            \
   4}

static const est_stmt party_list[2][2] = {
    {PARTY_LIST("parties_list_id", "''", "($2::text = '' AND p.id > $3)", "p.id"),
     PARTY_LIST("parties_list_id_d", "''", "($2::text = '' AND p.id < $3)", "p.id DESC")},
    {PARTY_LIST("parties_list_name", "p.name", "(p.name, p.id) > ($2::text, $3)", "p.name, p.id"),
     PARTY_LIST("parties_list_name_d", "p.name", "(p.name, p.id) < ($2::text, $3)", "p.name DESC, p.id DESC")},
};

static const est_stmt party_get = {"party_get", "SELECT " PARTY_JSON ", 1 FROM parties p WHERE p.id = $1", 1};

est_result store_parties_list(est_pool *pool, const store_party_filter *f, const est_list_query *q, est_page *out) {
  char idb[24], lim[24];
  const char *av, *aid;
  store_after_params(q, idb, &av, &aid);
  const char *params[4] = {f->kind, av, aid, store_lld(lim, q->limit + 1)};
  return store_list_page(pool, &party_list[q->sort_index][q->desc], params, q, store_parties_sorts[q->sort_index], out);
}

est_result store_party_get(est_pool *pool, long long id, est_doc *out) {
  return store_doc_by_id(pool, &party_get, id, out);
}

#define AGREEMENT_JSON                                                                               \
  "json_build_object('id', a.id, 'code', a.code, 'kind', a.kind, 'title', a.title, 'title_en', "     \
  "a.title_en, 'description', a.description, 'valid_from', a.valid_from, 'valid_to', a.valid_to, "   \
  "'signed_on', a.signed_on, 'complements_agreement_id', a.complements_agreement_id, 'goals', "      \
  "a.goals, 'parties', COALESCE((SELECT json_agg(json_build_object('party_id', p.id, 'code', p.code," \
  " 'name', p.name, 'role', ap.role, 'signed_by', ap.signed_by) ORDER BY p.id) FROM "                \
  "agreement_parties ap JOIN parties p ON p.id = ap.party_id WHERE ap.agreement_id = a.id), '[]'), " \
  "'cooperation_areas', COALESCE((SELECT json_agg(json_build_object('id', c.id, 'code', c.code, "    \
  "'title', c.title, 'title_en', c.title_en, 'description', c.description, 'ordinal', c.ordinal) "   \
  "ORDER BY c.ordinal, c.id) FROM cooperation_areas c WHERE c.agreement_id = a.id), '[]'), "         \
  "'created_at', a.created_at, 'updated_at', a.updated_at)::text"

#define AGREEMENT_LIST(name, sortval, after, order)                                                  \
  {name,                                                                                             \
   "SELECT " AGREEMENT_JSON ", " sortval ", a.id FROM agreements a WHERE ($1::text IS NULL OR "      \
   "a.kind = $1) AND ($5::bigint IS NULL OR EXISTS (SELECT 1 FROM agreement_parties x WHERE "        \
   "x.agreement_id = a.id AND x.party_id = $5)) AND ($6::date IS NULL OR $6 BETWEEN a.valid_from "   \
   "AND a.valid_to) AND ($3::bigint IS NULL OR " after ") ORDER BY " order " LIMIT $4",              \
   6}

static const est_stmt agreement_list[2][2] = {
    {AGREEMENT_LIST("agreements_list_id", "''", "($2::text = '' AND a.id > $3)", "a.id"),
     AGREEMENT_LIST("agreements_list_id_d", "''", "($2::text = '' AND a.id < $3)", "a.id DESC")},
    {AGREEMENT_LIST("agreements_list_from", "a.valid_from::text", "(a.valid_from, a.id) > ($2::date, $3)",
                    "a.valid_from, a.id"),
     AGREEMENT_LIST("agreements_list_from_d", "a.valid_from::text", "(a.valid_from, a.id) < ($2::date, $3)",
                    "a.valid_from DESC, a.id DESC")},
};

static const est_stmt agreement_get = {"agreement_get",
                                       "SELECT " AGREEMENT_JSON ", 1 FROM agreements a WHERE a.id = $1", 1};

est_result store_agreements_list(est_pool *pool, const store_agreement_filter *f, const est_list_query *q,
                                  est_page *out) {
  char idb[24], lim[24], pb[24];
  const char *av, *aid;
  store_after_params(q, idb, &av, &aid);
  const char *params[6] = {f->kind, av, aid, store_lld(lim, q->limit + 1),
                           f->party_id ? store_lld(pb, f->party_id) : NULL, f->active_on};
  return store_list_page(pool, &agreement_list[q->sort_index][q->desc], params, q, store_agreements_sorts[q->sort_index], out);
}

est_result store_agreement_get(est_pool *pool, long long id, est_doc *out) {
  return store_doc_by_id(pool, &agreement_get, id, out);
}
