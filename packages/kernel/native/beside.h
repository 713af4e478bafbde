/* Work queued from the event loop runs beside it, not instead of it (beside.c). */
#ifndef PATCHBAY_BESIDE_H
#define PATCHBAY_BESIDE_H
#include <node_api.h>
#include <sched.h>

typedef struct {
  int moved;
  cpu_set_t saved;
} beside_t;

/* The CPU the calling (event loop) thread runs on, or -1: taken when the work is queued. */
int beside_loop_cpu(void);

/* On the worker: if it runs on `loop_cpu` and the process may run elsewhere, it moves to the other
 * CPUs it may use for the work. beside_leave puts its affinity back. */
void beside_enter(beside_t *b, int loop_cpu);
void beside_leave(beside_t *b);

napi_value beside_probe(napi_env env, napi_callback_info info);

#endif
