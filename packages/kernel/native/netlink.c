/*
 * patchbay's netlink transport: sends rtnetlink requests, prepared by the TypeScript side,
 * from inside a given network namespace, on a libuv worker thread.
 *
 * exchange(netnsPath | null, requests, stopOnError) -> Promise<results>
 *   requests: [{ msg: Buffer (one nlmsghdr + payload), fixups: [{ offset, kind, value }] }]
 *     kind 1: write the ifindex of interface `value` (looked up in the target namespace) at offset
 *     kind 2: open the namespace file `value` and write its descriptor at offset (IFLA_NET_NS_FD)
 *   results:  [{ error: errno (0 = success, -1 = not run), message?: extack text, reply?: Buffer }]
 *
 * The worker thread enters the namespace for the whole exchange and always returns to the
 * daemon's namespace before it is handed back to the pool (or the process aborts: a pool thread
 * left in a container's namespace would send later requests to the wrong place).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addon.h"
#include "beside.h"
#include "exchange.h"

int self_netns_fd = -1;

void free_exchange(exchange_t *x) {
  for (uint32_t i = 0; i < x->count; i++) {
    request_t *r = &x->requests[i];
    for (uint32_t j = 0; j < r->nfixups; j++) free(r->fixups[j].value);
    free(r->fixups);
    free(r->msg);
    free(r->message);
    free(r->reply);
  }
  free(x->requests);
  free(x->netns);
  free(x);
}


/* The exchange's outcome as JS: the results array, or an Error (with errno) when it could not start. */
napi_value outcome_of(napi_env env, exchange_t *x, bool cancelled, bool *failed) {
  napi_value results, item, value;
  *failed = cancelled || x->setup_error;
  if (*failed) return errno_error(env, x->setup_error ? x->setup_message : "netlink exchange cancelled", x->setup_error);
  napi_create_array_with_length(env, x->count, &results);
  for (uint32_t i = 0; i < x->count; i++) {
    request_t *r = &x->requests[i];
    napi_create_object(env, &item);
    napi_create_int32(env, r->error, &value);
    napi_set_named_property(env, item, "error", value);
    if (r->message) {
      napi_create_string_utf8(env, r->message, NAPI_AUTO_LENGTH, &value);
      napi_set_named_property(env, item, "message", value);
    }
    if (r->reply_len > 0) {
      void *copy;
      napi_create_buffer_copy(env, r->reply_len, r->reply, &copy, &value);
      napi_set_named_property(env, item, "reply", value);
    }
    napi_set_element(env, results, i, item);
  }
  return results;
}

static void complete(napi_env env, napi_status status, void *data) {
  exchange_t *x = data;
  bool failed;
  napi_value outcome = outcome_of(env, x, status != napi_ok, &failed);
  if (failed) napi_reject_deferred(env, x->deferred, outcome);
  else napi_resolve_deferred(env, x->deferred, outcome);
  napi_delete_async_work(env, x->work);
  free_exchange(x);
}

char *string_of(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

napi_value errno_error(napi_env env, const char *message, int code) {
  napi_value msg, err, value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_int32(env, code, &value);
  napi_set_named_property(env, err, "errno", value);
  return err;
}

static int read_request(napi_env env, napi_value obj, request_t *r) {
  napi_value msg, fixups, f, v;
  void *data;
  size_t len;
  bool is_buffer;
  if (napi_get_named_property(env, obj, "msg", &msg) != napi_ok) return -1;
  if (napi_is_buffer(env, msg, &is_buffer) != napi_ok || !is_buffer) return -1;
  napi_get_buffer_info(env, msg, &data, &len);
  if (len < sizeof(struct nlmsghdr) || len > RECV_BUFFER) return -1;
  r->msg = malloc(len);
  if (!r->msg) return -1;
  memcpy(r->msg, data, len);
  r->len = len;
  ((struct nlmsghdr *)r->msg)->nlmsg_len = (uint32_t)len;
  if (napi_get_named_property(env, obj, "fixups", &fixups) != napi_ok) return -1;
  bool is_array;
  napi_is_array(env, fixups, &is_array);
  if (!is_array) return 0;
  uint32_t n;
  napi_get_array_length(env, fixups, &n);
  r->fixups = calloc(n ? n : 1, sizeof(fixup_t));
  if (!r->fixups) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_get_element(env, fixups, i, &f);
    fixup_t *x = &r->fixups[i];
    r->nfixups = i + 1;
    napi_get_named_property(env, f, "offset", &v);
    if (napi_get_value_uint32(env, v, &x->offset) != napi_ok) return -1;
    napi_get_named_property(env, f, "kind", &v);
    if (napi_get_value_uint32(env, v, &x->kind) != napi_ok) return -1;
    napi_get_named_property(env, f, "value", &v);
    x->value = string_of(env, v);
    if (!x->value) return -1;
  }
  return 0;
}

/* One exchange from its JS arguments (netns: string | null, requests, stopOnError); NULL with a JS exception when they are bad. */
exchange_t *exchange_of(napi_env env, napi_value netns, napi_value requests, bool stop) {
  exchange_t *x = calloc(1, sizeof *x);
  if (!x) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_valuetype t;
  napi_typeof(env, netns, &t);
  if (t == napi_string) x->netns = string_of(env, netns);
  x->stop_on_error = stop;
  uint32_t n = 0;
  bool is_array = false;
  napi_is_array(env, requests, &is_array);
  if (is_array) napi_get_array_length(env, requests, &n);
  x->requests = calloc(n ? n : 1, sizeof(request_t));
  x->count = n;
  for (uint32_t i = 0; x->requests && i < n; i++) {
    napi_value item;
    napi_get_element(env, requests, i, &item);
    if (read_request(env, item, &x->requests[i]) != 0) {
      free_exchange(x);
      napi_throw_type_error(env, NULL, "netlink request: { msg: Buffer, fixups: [{ offset, kind, value }] }");
      return NULL;
    }
  }
  if (!is_array || !x->requests || (t != napi_string && t != napi_null)) {
    free_exchange(x);
    napi_throw_type_error(env, NULL, "exchange(netns: string | null, requests: array, stopOnError: boolean)");
    return NULL;
  }
  return x;
}

/* An exchange queued on its own runs beside the event loop (beside.c). */
static void exchange_beside(napi_env env, void *data) {
  exchange_t *x = data;
  beside_t b;
  beside_enter(&b, x->loop_cpu);
  exchange_execute(env, x);
  beside_leave(&b);
}

static napi_value exchange(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], promise, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "exchange(netns, requests, stopOnError)");
    return NULL;
  }
  bool stop = false;
  napi_get_value_bool(env, argv[2], &stop);
  exchange_t *x = exchange_of(env, argv[0], argv[1], stop);
  if (!x) return NULL;
  CHECK(napi_create_promise(env, &x->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "patchbay-netlink", NAPI_AUTO_LENGTH, &name));
  x->loop_cpu = beside_loop_cpu();
  CHECK(napi_create_async_work(env, NULL, name, exchange_beside, complete, x, &x->work));
  CHECK(napi_queue_async_work(env, x->work));
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  if (self_netns_fd < 0) {
    self_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self_netns_fd < 0) {
      napi_throw_error(env, NULL, "netlink addon: cannot open /proc/self/ns/net");
      return NULL;
    }
  }
  napi_value fn;
  CHECK(napi_create_function(env, "exchange", NAPI_AUTO_LENGTH, exchange, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "exchange", fn));
  CHECK(napi_create_function(env, "exchangeSequence", NAPI_AUTO_LENGTH, exchange_sequence, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "exchangeSequence", fn));
  CHECK(napi_create_function(env, "netnsAdd", NAPI_AUTO_LENGTH, netns_add, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "netnsAdd", fn));
  CHECK(napi_create_function(env, "netnsDelete", NAPI_AUTO_LENGTH, netns_delete, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "netnsDelete", fn));
  CHECK(napi_create_function(env, "netnsType", NAPI_AUTO_LENGTH, netns_type, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "netnsType", fn));
  CHECK(napi_create_function(env, "netnsRead", NAPI_AUTO_LENGTH, netns_read, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "netnsRead", fn));
  CHECK(napi_create_function(env, "nftAvailable", NAPI_AUTO_LENGTH, nft_available, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "nftAvailable", fn));
  CHECK(napi_create_function(env, "nftRun", NAPI_AUTO_LENGTH, nft_run, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "nftRun", fn));
  CHECK(napi_create_function(env, "mallocLimitArenas", NAPI_AUTO_LENGTH, malloc_limit_arenas, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "mallocLimitArenas", fn));
  CHECK(napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, malloc_trim_now, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "mallocTrim", fn));
  CHECK(napi_create_function(env, "writeIdle", NAPI_AUTO_LENGTH, write_idle, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "writeIdle", fn));
  CHECK(napi_create_function(env, "replaceFile", NAPI_AUTO_LENGTH, replace_file, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "replaceFile", fn));
  CHECK(napi_create_function(env, "besideProbe", NAPI_AUTO_LENGTH, beside_probe, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "besideProbe", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
