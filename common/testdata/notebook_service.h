/* The notebook test service: its definition, and a way to run it in a child
 * process of a test. */
#ifndef NOTEBOOK_SERVICE_H
#define NOTEBOOK_SERVICE_H

#include "sf_server.h"
#include "notebook.pb-c.h"

extern const sf_service_t notebook_service;

/* Runs the notebook daemon with the current environment (SIFANG_NOTEBOOK_*);
 * returns its exit code. Call it in a forked child. */
int notebook_main(void);

#endif
