/* log_bridge.h - library diagnostics into the JSON log (app/log_bridge.c). */
#ifndef ESTD_LOG_BRIDGE_H
#define ESTD_LOG_BRIDGE_H

/* Routes the Ulfius/yder diagnostics into the JSON log (serve only). */
void est_log_bridge_init(void);
void est_log_bridge_close(void);

#endif
