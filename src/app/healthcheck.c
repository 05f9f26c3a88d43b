/* healthcheck.c - `estd healthcheck`: GET /livez on this instance's own
 * port, for the container HEALTHCHECK (the image has no curl). Speaks TLS
 * when the listener does (ESTD_TLS_CERT_FILE set; the certificate is not
 * verified: this is a loopback self-check). Exit 0 on HTTP 200, 1
 * otherwise with one line on stderr. */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "estd/healthcheck.h"

typedef struct {
  int fd;
  gnutls_session_t tls; /* NULL = plain */
} hc_conn;

static ssize_t hc_send(hc_conn *c, const char *buf, size_t n) {
  if (c->tls) return gnutls_record_send(c->tls, buf, n);
  return send(c->fd, buf, n, MSG_NOSIGNAL);
}

static ssize_t hc_recv(hc_conn *c, char *buf, size_t n) {
  if (c->tls) {
    ssize_t r;
    do r = gnutls_record_recv(c->tls, buf, n);
    while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
    return r;
  }
  return recv(c->fd, buf, n, 0);
}

static int hc_exchange(hc_conn *c, const char *host, int port, const char *path) {
  char req[512];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path, host, port);
  if (n < 0 || (size_t)n >= sizeof req || hc_send(c, req, (size_t)n) != n) {
    fprintf(stderr, "estd healthcheck: cannot send the request to %s:%d\n", host, port);
    return 1;
  }
  char buf[64];
  size_t got = 0;
  while (got < 12) {
    ssize_t r = hc_recv(c, buf + got, sizeof buf - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  buf[got] = '\0';
  int status = 0;
  if (got < 12 || sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
    fprintf(stderr, "estd healthcheck: no HTTP response from %s:%d%s\n", host, port, path);
    return 1;
  }
  if (status != 200) {
    fprintf(stderr, "estd healthcheck: %s answered %d\n", path, status);
    return 1;
  }
  return 0;
}

int est_healthcheck_run(const est_config *cfg, const char *path, int timeout_ms) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)cfg->port);
  /* A wildcard listener is reached over loopback. */
  const char *host = strcmp(cfg->listen_address, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->listen_address;
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "estd healthcheck: bad address %s\n", host);
    return 1;
  }
  hc_conn c = {socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), NULL};
  if (c.fd < 0) {
    perror("estd healthcheck: socket");
    return 1;
  }
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(c.fd, (struct sockaddr *)&a, sizeof a) != 0) {
    fprintf(stderr, "estd healthcheck: cannot connect to %s:%d\n", host, cfg->port);
    close(c.fd);
    return 1;
  }
  int code = 1;
  gnutls_certificate_credentials_t cred = NULL;
  if (cfg->tls_cert_file) {
    int rc = gnutls_certificate_allocate_credentials(&cred);
    if (rc >= 0) rc = gnutls_init(&c.tls, GNUTLS_CLIENT);
    if (rc >= 0) rc = gnutls_set_default_priority(c.tls);
    if (rc >= 0) rc = gnutls_credentials_set(c.tls, GNUTLS_CRD_CERTIFICATE, cred);
    if (rc >= 0) {
      gnutls_transport_set_int(c.tls, c.fd);
      gnutls_handshake_set_timeout(c.tls, (unsigned)timeout_ms);
      do rc = gnutls_handshake(c.tls);
      while (rc < 0 && !gnutls_error_is_fatal(rc));
    }
    if (rc < 0) {
      fprintf(stderr, "estd healthcheck: TLS handshake with %s:%d failed: %s\n", host, cfg->port, gnutls_strerror(rc));
      goto out;
    }
  }
  code = hc_exchange(&c, host, cfg->port, path);
out:
  if (c.tls) {
    if (code == 0) gnutls_bye(c.tls, GNUTLS_SHUT_WR);
    gnutls_deinit(c.tls);
  }
  if (cred) gnutls_certificate_free_credentials(cred);
  close(c.fd);
  return code;
}
