/* writeIdle(path, data): a small file write (a sysctl) from a thread of its own at idle
 * priority, awaited on a worker thread. Some sysctl handlers (IPv6's disable_ipv6) only try-lock
 * rtnl and restart the write until they get it: a write made while another process holds rtnl
 * spins, for as long as that holds, and at idle priority it spins only on a CPU nothing else
 * wants. Resolves when written; rejects with the errno of the open or write. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addon.h"

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  char *data;
  int error;
} idle_write_t;

static void *write_at_idle(void *arg) {
  idle_write_t *w = arg;
  struct sched_param none = { 0 };
  /* lowering its own priority needs no privilege; the thread ends after the write */
  sched_setscheduler(0, SCHED_IDLE, &none);
  int fd = open(w->path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    w->error = errno;
    return NULL;
  }
  size_t len = strlen(w->data);
  ssize_t n = write(fd, w->data, len);
  if (n < 0) w->error = errno;
  else if ((size_t)n != len) w->error = EIO;
  close(fd);
  return NULL;
}

static void idle_write_execute(napi_env env, void *data) {
  idle_write_t *w = data;
  pthread_t thread;
  int err = pthread_create(&thread, NULL, write_at_idle, w);
  if (err != 0) {
    w->error = err;
    return;
  }
  pthread_join(thread, NULL);
}

static void idle_write_complete(napi_env env, napi_status status, void *data) {
  idle_write_t *w = data;
  if (status == napi_ok && w->error == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, w->deferred, undefined);
  } else {
    int code = status == napi_ok ? w->error : ECANCELED;
    napi_reject_deferred(env, w->deferred, errno_error(env, strerror(code), code));
  }
  napi_delete_async_work(env, w->work);
  free(w->path);
  free(w->data);
  free(w);
}

napi_value write_idle(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  idle_write_t *w = calloc(1, sizeof *w);
  if (!w) {
    napi_throw_error(env, "ENOMEM", "writeIdle: out of memory");
    return NULL;
  }
  w->path = argc >= 2 ? string_of(env, argv[0]) : NULL;
  w->data = argc >= 2 ? string_of(env, argv[1]) : NULL;
  if (!w->path || !w->data) {
    free(w->path);
    free(w->data);
    free(w);
    napi_throw_type_error(env, NULL, "writeIdle(path: string, data: string)");
    return NULL;
  }
  bool queued = false;
  if (napi_create_promise(env, &w->deferred, &promise) == napi_ok &&
      napi_create_string_utf8(env, "patchbay-write-idle", NAPI_AUTO_LENGTH, &name) == napi_ok &&
      napi_create_async_work(env, NULL, name, idle_write_execute, idle_write_complete, w, &w->work) == napi_ok) {
    queued = napi_queue_async_work(env, w->work) == napi_ok;
    if (!queued) napi_delete_async_work(env, w->work);
  }
  if (!queued) {
    free(w->path);
    free(w->data);
    free(w);
    napi_throw_error(env, NULL, "writeIdle: cannot queue the work");
    return NULL;
  }
  return promise;
}
