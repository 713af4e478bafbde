/*
 * A worker woken by the event loop may be put on the loop's own CPU: a scheduler that packs
 * threads onto few CPUs does so even when another CPU is idle (seen on this project's VMs: the
 * wakee preempted the loop for the whole exchange, so the loop's own work, e.g. the endpoint's
 * row, waited for the kernel's instead of running beside it). Such a worker moves to the
 * process's other CPUs for the work and gets its affinity back after; anywhere else it stays put.
 */
#define _GNU_SOURCE
#include "beside.h"
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include "addon.h"

int beside_loop_cpu(void) {
  return sched_getcpu();
}

void beside_enter(beside_t *b, int loop_cpu) {
  b->moved = 0;
  if (loop_cpu < 0 || sched_getcpu() != loop_cpu) return;
  if (sched_getaffinity(0, sizeof b->saved, &b->saved) != 0) return;
  cpu_set_t others = b->saved;
  CPU_CLR(loop_cpu, &others);
  if (CPU_COUNT(&others) == 0) return;
  b->moved = sched_setaffinity(0, sizeof others, &others) == 0;
}

void beside_leave(beside_t *b) {
  if (b->moved) sched_setaffinity(0, sizeof b->saved, &b->saved);
  b->moved = 0;
}

/* besideProbe(loopCpu): a worker put on `loopCpu` first (as a packing scheduler would), then
 * beside_enter/leave as an exchange does. Resolves { cpus, moved, cpuDuring, restored }: the CPUs
 * the process may use, whether it moved, where it ran the work, and whether its affinity is back. */
typedef struct {
  int loop_cpu;
  int cpus;
  int moved;
  int cpu_during;
  int restored;
  int error;
  napi_async_work work;
  napi_deferred deferred;
} probe_t;

static void probe_execute(napi_env env, void *data) {
  probe_t *p = data;
  cpu_set_t mask, after;
  if (sched_getaffinity(0, sizeof mask, &mask) != 0) {
    p->error = 1;
    return;
  }
  p->cpus = CPU_COUNT(&mask);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(p->loop_cpu, &one);
  /* onto the loop's CPU, then the whole mask again: still there, as a woken worker would be */
  if (!CPU_ISSET(p->loop_cpu, &mask) || sched_setaffinity(0, sizeof one, &one) != 0) {
    p->error = 1;
    return;
  }
  if (sched_setaffinity(0, sizeof mask, &mask) != 0) {
    /* a pool thread is not left on one CPU: try once more, and report the probe failed */
    sched_setaffinity(0, sizeof mask, &mask);
    p->error = 1;
    return;
  }
  beside_t b;
  beside_enter(&b, p->loop_cpu);
  p->moved = b.moved;
  p->cpu_during = sched_getcpu();
  beside_leave(&b);
  p->restored = sched_getaffinity(0, sizeof after, &after) == 0 && CPU_EQUAL(&after, &mask);
}

static void probe_complete(napi_env env, napi_status status, void *data) {
  probe_t *p = data;
  napi_value result, v;
  if (status != napi_ok || p->error) {
    napi_reject_deferred(env, p->deferred, errno_error(env, "besideProbe: the worker's affinity could not be set", 0));
  } else {
    napi_create_object(env, &result);
    napi_create_int32(env, p->cpus, &v);
    napi_set_named_property(env, result, "cpus", v);
    napi_get_boolean(env, p->moved, &v);
    napi_set_named_property(env, result, "moved", v);
    napi_create_int32(env, p->cpu_during, &v);
    napi_set_named_property(env, result, "cpuDuring", v);
    napi_get_boolean(env, p->restored, &v);
    napi_set_named_property(env, result, "restored", v);
    napi_resolve_deferred(env, p->deferred, result);
  }
  napi_delete_async_work(env, p->work);
  free(p);
}

napi_value beside_probe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], promise, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t cpu = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &cpu) != napi_ok || cpu < 0 || cpu >= CPU_SETSIZE) {
    napi_throw_type_error(env, NULL, "besideProbe(loopCpu: number)");
    return NULL;
  }
  probe_t *p = calloc(1, sizeof *p);
  if (!p) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->loop_cpu = cpu;
  CHECK(napi_create_promise(env, &p->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "patchbay-beside-probe", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, probe_execute, probe_complete, p, &p->work));
  CHECK(napi_queue_async_work(env, p->work));
  return promise;
}
