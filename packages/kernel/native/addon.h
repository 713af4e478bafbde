/* What the parts of the addon share (netlink.c: requests; netns-read.c: reads across namespaces;
 * netns.c: named namespaces; nft.c: libnftables; malloc.c: glibc's allocator; idle-write.c:
 * sysctl writes at idle priority; beside.c: workers off the event loop's CPU;
 * replace.c: atomic file replacement without ext4's flush). */
#ifndef PATCHBAY_ADDON_H
#define PATCHBAY_ADDON_H
#include <node_api.h>

/* The daemon's own network namespace, opened when the module loads: every worker thread that
 * enters another namespace returns to this one before it is handed back to the pool. */
extern int self_netns_fd;

/* A copy of a JS string (malloc'd), or NULL. */
char *string_of(napi_env env, napi_value v);

/* A JS Error with `message` and an `errno` property (0: none) — how every async call of the addon rejects. */
napi_value errno_error(napi_env env, const char *message, int code);

napi_value netns_add(napi_env env, napi_callback_info info);
napi_value netns_delete(napi_env env, napi_callback_info info);
napi_value netns_type(napi_env env, napi_callback_info info);
napi_value netns_read(napi_env env, napi_callback_info info);
napi_value nft_available(napi_env env, napi_callback_info info);
napi_value nft_run(napi_env env, napi_callback_info info);
napi_value malloc_limit_arenas(napi_env env, napi_callback_info info);
napi_value malloc_trim_now(napi_env env, napi_callback_info info);
napi_value write_idle(napi_env env, napi_callback_info info);
napi_value replace_file(napi_env env, napi_callback_info info);

#define CHECK(call)                                          \
  do {                                                       \
    if ((call) != napi_ok) {                                 \
      napi_throw_error(env, NULL, "netlink addon: " #call); \
      return NULL;                                           \
    }                                                        \
  } while (0)

#endif
