/* routes_stub.c - empty route tables until their modules land. */
#include "estd/http.h"
const http_route http_routes_commitments[] = {{NULL, NULL, NULL, 0, 0}};
const http_route http_routes_areas[] = {{NULL, NULL, NULL, 0, 0}};
const http_route http_routes_focuses[] = {{NULL, NULL, NULL, 0, 0}};
