/*
 * exchangeSequence: exchanges in several namespaces (a veth made on the host side, then its peer
 * configured in the container's) one after another on one worker thread: one trip through the
 * libuv pool instead of one per namespace. The groups stop as ip() batches do, and the sequence
 * stops after a failing group.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include "addon.h"
#include "beside.h"
#include "exchange.h"

/* Exchanges in several namespaces, one after another on one worker thread (one trip instead of one per namespace). */
typedef struct {
  exchange_t **groups;
  uint32_t count;
  uint32_t ran; /* groups carried out: after a failing one the rest do not run */
  napi_async_work work;
  napi_deferred deferred;
  int loop_cpu; /* the event loop's CPU when queued (beside.c) */
} sequence_t;

static void free_sequence(sequence_t *q) {
  for (uint32_t i = 0; i < q->count; i++)
    if (q->groups[i]) free_exchange(q->groups[i]);
  free(q->groups);
  free(q);
}

static bool group_failed(const exchange_t *x) {
  if (x->setup_error) return true;
  for (uint32_t i = 0; i < x->count; i++)
    if (x->requests[i].error != 0) return true;
  return false;
}

static void sequence_execute(napi_env env, void *data) {
  sequence_t *q = data;
  beside_t b;
  beside_enter(&b, q->loop_cpu);
  for (q->ran = 0; q->ran < q->count;) {
    exchange_t *x = q->groups[q->ran++];
    exchange_execute(env, x);
    if (group_failed(x)) break;
  }
  beside_leave(&b);
}

static void sequence_complete(napi_env env, napi_status status, void *data) {
  sequence_t *q = data;
  napi_value results, value;
  if (status != napi_ok) {
    napi_value msg, err;
    napi_create_string_utf8(env, "netlink exchange cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, q->deferred, err);
  } else {
    napi_create_array_with_length(env, q->count, &results);
    for (uint32_t i = 0; i < q->count; i++) {
      bool failed;
      if (i < q->ran) value = outcome_of(env, q->groups[i], false, &failed);
      else napi_get_null(env, &value);
      napi_set_element(env, results, i, value);
    }
    napi_resolve_deferred(env, q->deferred, results);
  }
  napi_delete_async_work(env, q->work);
  free_sequence(q);
}

/* exchangeSequence([{ netns, requests }]) -> Promise<(results | Error | null)[]>: each group stops at its first failure, and so does the sequence. */
napi_value exchange_sequence(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], promise, name, group, netns, requests;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc >= 1) napi_is_array(env, argv[0], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, NULL, "exchangeSequence(groups: { netns, requests }[])");
    return NULL;
  }
  sequence_t *q = calloc(1, sizeof *q);
  uint32_t n;
  napi_get_array_length(env, argv[0], &n);
  if (q) q->groups = calloc(n ? n : 1, sizeof(exchange_t *));
  if (!q || !q->groups) {
    free(q);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  q->count = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_get_element(env, argv[0], i, &group);
    if (napi_get_named_property(env, group, "netns", &netns) != napi_ok || napi_get_named_property(env, group, "requests", &requests) != napi_ok ||
        !(q->groups[i] = exchange_of(env, netns, requests, true))) {
      free_sequence(q);
      bool pending;
      napi_is_exception_pending(env, &pending);
      if (!pending) napi_throw_type_error(env, NULL, "exchangeSequence(groups: { netns, requests }[])");
      return NULL;
    }
  }
  CHECK(napi_create_promise(env, &q->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "patchbay-netlink-sequence", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, sequence_execute, sequence_complete, q, &q->work));
  q->loop_cpu = beside_loop_cpu();
  CHECK(napi_queue_async_work(env, q->work));
  return promise;
}

