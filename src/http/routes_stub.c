/* routes_stub.c - empty route tables until their modules land (each
 * module removes its line here when it defines its own table). */
#include "estd/http.h"
const http_route http_routes_commitments[] = {{NULL, NULL, NULL, 0, 0}};
const http_route http_routes_areas[] = {{NULL, NULL, NULL, 0, 0}};
const http_route http_routes_focuses[] = {{NULL, NULL, NULL, 0, 0}};
const http_route http_routes_events[] = {{NULL, NULL, NULL, 0, 0}};
const http_route http_routes_situation[] = {{NULL, NULL, NULL, 0, 0}};
const http_route http_routes_security[] = {{NULL, NULL, NULL, 0, 0}};
