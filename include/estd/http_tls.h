/* http_tls.h - the listener's TLS certificate and key (http/tls.c).
 *
 * With ESTD_TLS_CERT_FILE and ESTD_TLS_KEY_FILE set, the PEM files are read
 * once at start and handed to libmicrohttpd in memory (docs/SECURITY.md). */
#ifndef ESTD_HTTP_TLS_H
#define ESTD_HTTP_TLS_H

#include "estd/config.h"
#include "estd/result.h"

typedef struct http_tls {
  char *cert; /* PEM, ESTD_TLS_CERT_FILE (NULL = plain HTTP) */
  char *key;  /* PEM, ESTD_TLS_KEY_FILE; wiped before it is freed */
} http_tls;

/* Reads cfg->tls_cert_file and cfg->tls_key_file (each at most 1 MiB) into
 * *t. EST_EUNSUPPORTED when libmicrohttpd has no TLS, EST_ECONFIG when a
 * file is not a PEM certificate / private key (logged, naming the
 * variable). On failure call http_tls_free too. */
est_result http_tls_load(http_tls *t, const est_config *cfg);
/* Wipes the key and frees both; *t may be zeroed or partly loaded. */
void http_tls_free(http_tls *t);

#endif
