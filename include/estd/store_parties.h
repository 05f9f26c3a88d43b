/* store_parties.h - parties and agreements, read-only over the API
 * (store/parties.c). */
#ifndef ESTD_STORE_PARTIES_H
#define ESTD_STORE_PARTIES_H

#include "estd/store.h"

extern const char *const store_parties_sorts[];    /* {"id","name",NULL} */
extern const char *const store_agreements_sorts[]; /* {"id","valid_from",NULL} */

typedef struct store_party_filter {
  const char *kind; /* NULL = any */
} store_party_filter;
est_result store_parties_list(est_pool *pool, const store_party_filter *f, const est_list_query *q, est_page *out);
est_result store_party_get(est_pool *pool, long long id, est_doc *out);

typedef struct store_agreement_filter {
  const char *kind;      /* NULL = any */
  long long party_id;    /* 0 = any */
  const char *active_on; /* YYYY-MM-DD or NULL */
} store_agreement_filter;
est_result store_agreements_list(est_pool *pool, const store_agreement_filter *f, const est_list_query *q,
                                 est_page *out);
est_result store_agreement_get(est_pool *pool, long long id, est_doc *out);

#endif
