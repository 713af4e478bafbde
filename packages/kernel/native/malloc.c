/* glibc's allocator, tuned from JS. Without a limit every thread that allocates (the libuv
 * workers that run netlink exchanges and namespace reads) gets an arena of its own, up to 8 per
 * core, and each keeps the memory it once used. Other C libraries: nothing is changed. */
#include <stdbool.h>
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

/* mallocTrim(): gives the free memory of every arena back to the kernel; true when some was. */
napi_value malloc_trim_now(napi_env env, napi_callback_info info) {
  napi_value result;
  bool released = false;
#ifdef __GLIBC__
  released = malloc_trim(0) == 1;
#endif
  CHECK(napi_get_boolean(env, released, &result));
  return result;
}
