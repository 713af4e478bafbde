/*
 * netnsRead(paths, requests) -> Promise<{ data: Buffer, slots: Int32Array }>
 *
 * The same read requests (rtnetlink gets and dumps, nothing that changes anything) sent inside
 * each of many namespaces, by one worker thread that enters them one after the other: one call
 * and one pass instead of an exchange (a promise, a thread hand-off) per namespace.
 *   data:  every answer, one after the other (raw netlink messages)
 *   slots: per namespace 1 + 3 × requests.length int32s: 0 when the namespace was entered, else
 *          the errno of opening its file, or minus the errno of setns (then no request ran); then
 *          per request its errno (0 = done, -1 = not run: an earlier one failed), the offset and
 *          the length of its answer in data.
 * The thread returns to the daemon's namespace before it is handed back to the pool (or the
 * process aborts, as in exchange.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "addon.h"
#include "exchange.h"

typedef struct {
  char **paths;
  uint32_t npaths;
  request_t *requests; /* templates; their replies are appended to out */
  uint32_t nrequests;
  int32_t *slots;
  uint8_t *out;
  size_t out_len, out_cap;
  int error; /* ENOMEM: nothing was read */
  napi_async_work work;
  napi_deferred deferred;
} netns_read_t;

static void free_read(netns_read_t *x) {
  for (uint32_t i = 0; x->paths && i < x->npaths; i++) free(x->paths[i]);
  for (uint32_t i = 0; x->requests && i < x->nrequests; i++) free(x->requests[i].msg);
  free(x->paths);
  free(x->requests);
  free(x->slots);
  free(x->out);
  free(x);
}

/* One namespace's requests, its thread already inside. Answers go to the end of x->out.
 * A plain socket, not rtnl_socket's: gets and dumps need no extended or capped acks and no large
 * receive buffer (the kernel sizes a dump's messages to the reader's buffer; the three
 * setsockopt calls cost about 5 µs of the 70 a namespace's read takes). */
static void read_inside(netns_read_t *x, int32_t *slot, uint8_t *buf) {
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) {
    slot[0] = errno;
    return;
  }
  int stopped = 0;
  for (uint32_t i = 0; i < x->nrequests; i++) {
    int32_t *r_slot = slot + 1 + 3 * i;
    if (stopped) continue;
    request_t r = { .msg = x->requests[i].msg, .len = x->requests[i].len, .reply = x->out, .reply_len = x->out_len, .reply_cap = x->out_cap };
    int err = request_transact(sock, &r, i + 1, buf);
    r_slot[0] = err < 0 ? -err : r.error;
    r_slot[1] = (int32_t)x->out_len;
    r_slot[2] = (int32_t)(r.reply_len - x->out_len);
    x->out = r.reply;
    x->out_len = r.reply_len;
    x->out_cap = r.reply_cap;
    free(r.message);
    if (r_slot[0] != 0) stopped = 1;
  }
  close(sock);
}

static void read_execute(napi_env env, void *data) {
  (void)env;
  netns_read_t *x = data;
  uint8_t *buf = malloc(RECV_BUFFER);
  if (!buf) {
    x->error = ENOMEM;
    return;
  }
  const uint32_t per = 1 + 3 * x->nrequests;
  int entered = 0;
  for (uint32_t n = 0; n < x->npaths; n++) {
    int32_t *slot = x->slots + (size_t)n * per;
    for (uint32_t i = 0; i < x->nrequests; i++) slot[1 + 3 * i] = -1;
    int fd = open(x->paths[n], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      slot[0] = errno;
      continue;
    }
    if (setns(fd, CLONE_NEWNET) != 0) {
      slot[0] = -errno;
      close(fd);
      continue;
    }
    close(fd);
    entered = 1;
    read_inside(x, slot, buf);
    /* answers larger than the offsets can say are not answers */
    if (x->out_len > INT32_MAX) {
      x->error = EOVERFLOW;
      break;
    }
  }
  free(buf);
  if (entered && setns(self_netns_fd, CLONE_NEWNET) != 0) {
    fprintf(stderr, "patchbay netlink: cannot return a worker thread to the daemon's namespace: %s\n", strerror(errno));
    abort();
  }
}

static void read_complete(napi_env env, napi_status status, void *data) {
  netns_read_t *x = data;
  if (status != napi_ok || x->error) {
    napi_reject_deferred(env, x->deferred, errno_error(env, x->error ? strerror(x->error) : "netns read cancelled", x->error));
  } else {
    napi_value result, out, slots, array;
    void *copy;
    size_t slots_bytes = (size_t)x->npaths * (1 + 3 * x->nrequests) * sizeof(int32_t);
    napi_create_object(env, &result);
    napi_create_buffer_copy(env, x->out_len, x->out_len ? (void *)x->out : (void *)"", &copy, &out);
    napi_create_arraybuffer(env, slots_bytes, &copy, &array);
    memcpy(copy, x->slots, slots_bytes);
    napi_create_typedarray(env, napi_int32_array, slots_bytes / sizeof(int32_t), array, 0, &slots);
    napi_set_named_property(env, result, "data", out);
    napi_set_named_property(env, result, "slots", slots);
    napi_resolve_deferred(env, x->deferred, result);
  }
  napi_delete_async_work(env, x->work);
  free_read(x);
}

/* A get or dump request of rtnetlink (RTM_GET*: type 2 modulo 4): this call only reads. */
static int read_template(napi_env env, napi_value v, request_t *r) {
  bool is_buffer;
  void *data;
  size_t len;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) return -1;
  napi_get_buffer_info(env, v, &data, &len);
  if (len < sizeof(struct nlmsghdr) || len > RECV_BUFFER) return -1;
  const struct nlmsghdr *h = data;
  if (h->nlmsg_type < 16 || (h->nlmsg_type & 3) != 2) return -1;
  if (!(r->msg = malloc(len))) return -1;
  memcpy(r->msg, data, len);
  r->len = len;
  ((struct nlmsghdr *)r->msg)->nlmsg_len = (uint32_t)len;
  return 0;
}

napi_value netns_read(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise, name, item;
  bool paths_ok = false, requests_ok = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 2) {
    napi_is_array(env, argv[0], &paths_ok);
    napi_is_array(env, argv[1], &requests_ok);
  }
  netns_read_t *x = paths_ok && requests_ok ? calloc(1, sizeof *x) : NULL;
  int bad = !x;
  if (x) {
    napi_get_array_length(env, argv[0], &x->npaths);
    napi_get_array_length(env, argv[1], &x->nrequests);
    x->paths = calloc(x->npaths ? x->npaths : 1, sizeof(char *));
    x->requests = calloc(x->nrequests ? x->nrequests : 1, sizeof(request_t));
    x->slots = calloc((size_t)(x->npaths ? x->npaths : 1) * (1 + 3 * x->nrequests), sizeof(int32_t));
    bad = !x->paths || !x->requests || !x->slots;
    for (uint32_t i = 0; !bad && i < x->npaths; i++) {
      napi_get_element(env, argv[0], i, &item);
      bad = !(x->paths[i] = string_of(env, item));
    }
    for (uint32_t i = 0; !bad && i < x->nrequests; i++) {
      napi_get_element(env, argv[1], i, &item);
      bad = read_template(env, item, &x->requests[i]) != 0;
    }
  }
  if (bad) {
    if (x) free_read(x);
    napi_throw_type_error(env, NULL, "netnsRead(paths: string[], requests: Buffer[] (rtnetlink gets and dumps))");
    return NULL;
  }
  CHECK(napi_create_promise(env, &x->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "patchbay-netns-read", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, read_execute, read_complete, x, &x->work));
  CHECK(napi_queue_async_work(env, x->work));
  return promise;
}
