/* routes_stub.c - empty route tables until their modules land (each
 * module removes its line here when it defines its own table). */
#include "estd/http.h"
