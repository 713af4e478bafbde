/* glibc's allocator, tuned from JS. Without a limit every thread that allocates (the libuv
 * workers that run netlink exchanges and namespace reads) gets an arena of its own, up to 8 per
 * core, and each keeps the memory it once used. Other C libraries: nothing is changed. */
#include <stdbool.h>
#include <stdlib.h>
#include "addon.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* mallocLimitArenas(max): true when glibc took the limit (arenas made from now on). */
napi_value malloc_limit_arenas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t max = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &max) != napi_ok || max < 1 || max > 64) {
    napi_throw_type_error(env, NULL, "mallocLimitArenas(max: an integer from 1 to 64)");
    return NULL;
  }
  bool done = false;
#ifdef __GLIBC__
  done = mallopt(M_ARENA_MAX, max) == 1;
#endif
  CHECK(napi_get_boolean(env, done, &result));
  return result;
}

/* mallocTrim(): on a worker thread (a trim of a large heap takes tens of milliseconds), gives the
 * free memory of every arena back to the kernel; resolves true when some was. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  bool released;
} trim_t;

static void trim_execute(napi_env env, void *data) {
  trim_t *t = data;
#ifdef __GLIBC__
  t->released = malloc_trim(0) == 1;
#endif
}

static void trim_complete(napi_env env, napi_status status, void *data) {
  trim_t *t = data;
  napi_value result;
  napi_get_boolean(env, status == napi_ok && t->released, &result);
  napi_resolve_deferred(env, t->deferred, result);
  napi_delete_async_work(env, t->work);
  free(t);
}

napi_value malloc_trim_now(napi_env env, napi_callback_info info) {
  napi_value promise, name;
  trim_t *t = calloc(1, sizeof *t);
  if (!t) {
    napi_throw_error(env, "ENOMEM", "mallocTrim: out of memory");
    return NULL;
  }
  if (napi_create_promise(env, &t->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "patchbay-malloc-trim", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, trim_execute, trim_complete, t, &t->work) != napi_ok) {
    free(t);
    napi_throw_error(env, NULL, "mallocTrim: cannot queue the work");
    return NULL;
  }
  if (napi_queue_async_work(env, t->work) != napi_ok) {
    napi_delete_async_work(env, t->work);
    free(t);
    napi_throw_error(env, NULL, "mallocTrim: cannot queue the work");
    return NULL;
  }
  return promise;
}
