/* tls.c - reads the listener's PEM certificate and key (see http_tls.h). */
#include "estd/http_tls.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/log.h"

/* Reads a whole PEM file (at most 1 MiB) into a malloc'd string. */
static char *read_pem(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (len + 1 >= cap) {
      char *nb = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
      if (!nb) {
        explicit_bzero(buf, len);
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t n = fread(buf + len, 1, cap - 1 - len, f);
    len += n;
    if (n == 0) break;
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

void http_tls_free(http_tls *t) {
  if (t->key) explicit_bzero(t->key, strlen(t->key));
  free(t->key);
  free(t->cert);
  t->key = t->cert = NULL;
}

est_result http_tls_load(http_tls *t, const est_config *cfg) {
  if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    est_log_kv(EST_LOG_ERROR, "TLS is configured but libmicrohttpd was built without TLS support", NULL);
    return EST_EUNSUPPORTED;
  }
  t->cert = read_pem(cfg->tls_cert_file);
  if (!t->cert || !strstr(t->cert, "-----BEGIN")) {
    est_log_kv(EST_LOG_ERROR, "cannot read a PEM certificate from ESTD_TLS_CERT_FILE", "path", cfg->tls_cert_file,
               NULL);
    return EST_ECONFIG;
  }
  t->key = read_pem(cfg->tls_key_file);
  if (!t->key || !strstr(t->key, "PRIVATE KEY-----")) {
    est_log_kv(EST_LOG_ERROR, "cannot read a PEM private key from ESTD_TLS_KEY_FILE", "path", cfg->tls_key_file, NULL);
    return EST_ECONFIG;
  }
  return EST_OK;
}
