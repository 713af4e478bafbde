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
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <node_api.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

#define FIXUP_IFINDEX 1
#define FIXUP_NETNS_FD 2
#define RECV_BUFFER (1 << 16)

typedef struct {
  uint32_t offset;
  uint32_t kind;
  char *value;
} fixup_t;

typedef struct {
  uint8_t *msg;
  size_t len;
  fixup_t *fixups;
  uint32_t nfixups;
  /* results */
  int error;
  char *message;
  uint8_t *reply;
  size_t reply_len;
  size_t reply_cap;
} request_t;

typedef struct {
  char *netns;
  request_t *requests;
  uint32_t count;
  int stop_on_error;
  int setup_error; /* errno when the namespace or socket could not be had */
  char setup_message[160];
  napi_async_work work;
  napi_deferred deferred;
} exchange_t;

static int self_netns_fd = -1;

static void set_message(request_t *r, const char *text) {
  free(r->message);
  r->message = strdup(text);
}

static int reply_append(request_t *r, const void *data, size_t len) {
  if (r->reply_len + len > r->reply_cap) {
    size_t cap = r->reply_cap ? r->reply_cap * 2 : 4096;
    while (cap < r->reply_len + len) cap *= 2;
    uint8_t *grown = realloc(r->reply, cap);
    if (!grown) return -ENOMEM;
    r->reply = grown;
    r->reply_cap = cap;
  }
  memcpy(r->reply + r->reply_len, data, len);
  r->reply_len += len;
  return 0;
}

/* Extended-ack text after the echoed request header (NETLINK_CAP_ACK: header only). */
static void read_extack(request_t *r, const struct nlmsghdr *h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  const struct nlmsgerr *e = NLMSG_DATA(h);
  size_t off = NLMSG_HDRLEN + sizeof(*e);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - NLMSG_HDRLEN;
  while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
    const struct nlattr *a = (const struct nlattr *)((const uint8_t *)h + off);
    if (a->nla_len < sizeof(*a) || off + a->nla_len > h->nlmsg_len) return;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a->nla_len > sizeof(*a)) {
      size_t n = a->nla_len - sizeof(*a);
      char *text = malloc(n + 1);
      if (!text) return;
      memcpy(text, (const uint8_t *)a + sizeof(*a), n);
      text[n] = 0;
      free(r->message);
      r->message = text;
      return;
    }
    off += NLA_ALIGN(a->nla_len);
  }
}

static int apply_fixups(request_t *r, int *fds, uint32_t *nfds) {
  for (uint32_t i = 0; i < r->nfixups; i++) {
    fixup_t *f = &r->fixups[i];
    int32_t value;
    if (f->offset + sizeof(value) > r->len) return -EINVAL;
    if (f->kind == FIXUP_IFINDEX) {
      unsigned idx = if_nametoindex(f->value);
      if (idx == 0) {
        char text[64];
        snprintf(text, sizeof text, "Cannot find device \"%s\"", f->value);
        set_message(r, text);
        return -ENODEV;
      }
      value = (int32_t)idx;
    } else if (f->kind == FIXUP_NETNS_FD) {
      int fd = open(f->value, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        int err = errno;
        char text[160];
        snprintf(text, sizeof text, "Cannot open network namespace \"%.100s\": %s", f->value, strerror(err));
        set_message(r, text);
        return -err;
      }
      fds[(*nfds)++] = fd;
      value = fd;
    } else {
      return -EINVAL;
    }
    memcpy(r->msg + f->offset, &value, sizeof(value));
  }
  return 0;
}

/* Sends one request and reads until its ack, error or dump end. Returns 0 or -errno (transport). */
static int transact(int sock, request_t *r, uint32_t seq, uint8_t *buf) {
  struct nlmsghdr *req = (struct nlmsghdr *)r->msg;
  int dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  req->nlmsg_seq = seq;
  req->nlmsg_pid = 0;
  if (!dump) req->nlmsg_flags |= NLM_F_ACK;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto(sock, r->msg, r->len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  for (;;) {
    struct iovec iov = { buf, RECV_BUFFER };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n = recvmsg(sock, &mh, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (mh.msg_flags & MSG_TRUNC) return -EMSGSIZE;
    size_t left = (size_t)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq) continue; /* a stale answer to an earlier request */
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        r->error = -e->error;
        if (e->error != 0) read_extack(r, h);
        return 0;
      }
      if (h->nlmsg_type == NLMSG_DONE) {
        if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
          int status = *(int *)NLMSG_DATA(h);
          if (status < 0) r->error = -status;
        }
        read_extack(r, h);
        return 0;
      }
      int err = reply_append(r, h, h->nlmsg_len);
      if (err) return err;
      /* a plain get (no dump) answers with one message, then the ack we asked for */
    }
  }
}

static void execute(napi_env env, void *data) {
  (void)env;
  exchange_t *x = data;
  int entered = 0;
  if (x->netns) {
    int target = open(x->netns, O_RDONLY | O_CLOEXEC);
    if (target < 0) {
      x->setup_error = errno;
      snprintf(x->setup_message, sizeof x->setup_message, "Cannot open network namespace \"%.100s\": %s", x->netns, strerror(errno));
      return;
    }
    if (setns(target, CLONE_NEWNET) != 0) {
      x->setup_error = errno;
      snprintf(x->setup_message, sizeof x->setup_message, "setns to \"%.100s\": %s", x->netns, strerror(errno));
      close(target);
      return;
    }
    close(target);
    entered = 1;
  }
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  uint8_t *buf = NULL;
  int *fds = NULL;
  if (sock < 0) {
    x->setup_error = errno;
    snprintf(x->setup_message, sizeof x->setup_message, "netlink socket: %s", strerror(errno));
    goto out;
  }
  int one = 1;
  setsockopt(sock, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  int rcvbuf = 1 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  buf = malloc(RECV_BUFFER);
  uint32_t total_fixups = 0;
  for (uint32_t i = 0; i < x->count; i++) total_fixups += x->requests[i].nfixups;
  fds = calloc(total_fixups + 1, sizeof(int));
  if (!buf || !fds) {
    x->setup_error = ENOMEM;
    snprintf(x->setup_message, sizeof x->setup_message, "out of memory");
    goto out;
  }
  uint32_t nfds = 0;
  int stopped = 0;
  for (uint32_t i = 0; i < x->count; i++) {
    request_t *r = &x->requests[i];
    if (stopped) {
      r->error = -1;
      continue;
    }
    int err = apply_fixups(r, fds, &nfds);
    if (err == 0) err = transact(sock, r, i + 1, buf);
    if (err < 0) r->error = -err;
    if (r->error != 0 && x->stop_on_error) stopped = 1;
  }
  for (uint32_t i = 0; i < nfds; i++) close(fds[i]);
out:
  free(buf);
  free(fds);
  if (sock >= 0) close(sock);
  if (entered && setns(self_netns_fd, CLONE_NEWNET) != 0) {
    fprintf(stderr, "patchbay netlink: cannot return a worker thread to the daemon's namespace: %s\n", strerror(errno));
    abort();
  }
}

static void free_exchange(exchange_t *x) {
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

#define CHECK(call)                                          \
  do {                                                       \
    if ((call) != napi_ok) {                                 \
      napi_throw_error(env, NULL, "netlink addon: " #call); \
      return NULL;                                           \
    }                                                        \
  } while (0)

static void complete(napi_env env, napi_status status, void *data) {
  exchange_t *x = data;
  napi_value results, item, value;
  if (status != napi_ok || x->setup_error) {
    napi_value msg, err;
    napi_create_string_utf8(env, x->setup_error ? x->setup_message : "netlink exchange cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_create_int32(env, x->setup_error, &value);
    napi_set_named_property(env, err, "errno", value);
    napi_reject_deferred(env, x->deferred, err);
  } else {
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
    napi_resolve_deferred(env, x->deferred, results);
  }
  napi_delete_async_work(env, x->work);
  free_exchange(x);
}

static char *string_of(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
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

static napi_value exchange(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], promise, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "exchange(netns, requests, stopOnError)");
    return NULL;
  }
  exchange_t *x = calloc(1, sizeof *x);
  if (!x) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t == napi_string) x->netns = string_of(env, argv[0]);
  bool stop;
  napi_get_value_bool(env, argv[2], &stop);
  x->stop_on_error = stop;
  uint32_t n = 0;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (is_array) napi_get_array_length(env, argv[1], &n);
  x->requests = calloc(n ? n : 1, sizeof(request_t));
  x->count = n;
  for (uint32_t i = 0; x->requests && i < n; i++) {
    napi_value item;
    napi_get_element(env, argv[1], i, &item);
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
  CHECK(napi_create_promise(env, &x->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "patchbay-netlink", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, x, &x->work));
  CHECK(napi_queue_async_work(env, x->work));
  return promise;
}

/*
 * Named namespaces, as `ip netns add|delete` make them: a file under /run/netns on which the
 * namespace is bind-mounted, /run/netns itself a shared mount so that the mounts propagate to
 * other mount namespaces. The worker thread unshares its own network namespace (threads may),
 * brings loopback up in it, pins it on the file, and returns to the daemon's namespace.
 */
typedef struct {
  char *path;
  int add;
  int error;
  char message[200];
  napi_async_work work;
  napi_deferred deferred;
} netns_op_t;

static int fail(netns_op_t *op, const char *what) {
  op->error = errno;
  snprintf(op->message, sizeof op->message, "%s \"%.120s\": %s", what, op->path, strerror(errno));
  return -1;
}

static int make_shared_run_dir(netns_op_t *op, const char *dir) {
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) return fail(op, "mkdir");
  int made = 0;
  while (mount("", dir, "none", MS_SHARED | MS_REC, NULL) != 0) {
    /* not a mount point yet: make it one (a bind mount on itself), then share it */
    if (errno != EINVAL || made) return fail(op, "mount --make-shared");
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) != 0) return fail(op, "mount --bind");
    made = 1;
  }
  return 0;
}

static int loopback_up(void) {
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) return -errno;
  struct {
    struct nlmsghdr h;
    struct { unsigned char family, pad; unsigned short type; int index; unsigned flags, change; } ifi;
  } req = { { sizeof req, 16 /* RTM_NEWLINK */, NLM_F_REQUEST | NLM_F_ACK, 1, 0 }, { 0, 0, 0, 1 /* lo */, 1, 1 } };
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  int err = 0;
  if (sendto(sock, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) err = -errno;
  char buf[1024];
  if (!err) {
    ssize_t n = recv(sock, buf, sizeof buf, 0);
    if (n < 0) err = -errno;
    else if ((size_t)n >= NLMSG_HDRLEN + sizeof(int) && ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR) err = ((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->error;
  }
  close(sock);
  return err;
}

static void netns_execute(napi_env env, void *data) {
  (void)env;
  netns_op_t *op = data;
  if (!op->add) {
    if (umount2(op->path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      fail(op, "umount");
      return;
    }
    if (unlink(op->path) != 0 && errno != ENOENT) fail(op, "unlink");
    return;
  }
  char dir[256];
  snprintf(dir, sizeof dir, "%s", op->path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) {
    errno = EINVAL;
    fail(op, "namespace path");
    return;
  }
  *slash = 0;
  if (make_shared_run_dir(op, dir) != 0) return;
  int fd = open(op->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    fail(op, "create");
    return;
  }
  close(fd);
  if (unshare(CLONE_NEWNET) != 0) {
    fail(op, "unshare");
    unlink(op->path);
    return;
  }
  int lo = loopback_up();
  if (lo != 0) {
    errno = -lo;
    fail(op, "loopback up in");
  } else if (mount("/proc/thread-self/ns/net", op->path, "none", MS_BIND, NULL) != 0) {
    fail(op, "mount --bind");
  }
  if (setns(self_netns_fd, CLONE_NEWNET) != 0) {
    fprintf(stderr, "patchbay netlink: cannot return a worker thread to the daemon's namespace: %s\n", strerror(errno));
    abort();
  }
  if (op->error) unlink(op->path);
}

static void netns_complete(napi_env env, napi_status status, void *data) {
  netns_op_t *op = data;
  if (status != napi_ok || op->error) {
    napi_value msg, err, value;
    napi_create_string_utf8(env, op->error ? op->message : "netns operation cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_create_int32(env, op->error, &value);
    napi_set_named_property(env, err, "errno", value);
    napi_reject_deferred(env, op->deferred, err);
  } else {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, op->deferred, undefined);
  }
  napi_delete_async_work(env, op->work);
  free(op->path);
  free(op);
}

static napi_value netns_op(napi_env env, napi_callback_info info, int add) {
  size_t argc = 1;
  napi_value argv[1], promise, name;
  napi_valuetype t;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_string) {
    napi_throw_type_error(env, NULL, "netnsAdd/netnsDelete(path: string)");
    return NULL;
  }
  netns_op_t *op = calloc(1, sizeof *op);
  if (!op || !(op->path = string_of(env, argv[0]))) {
    free(op);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  op->add = add;
  CHECK(napi_create_promise(env, &op->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "patchbay-netns", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, netns_execute, netns_complete, op, &op->work));
  CHECK(napi_queue_async_work(env, op->work));
  return promise;
}

static napi_value netns_add(napi_env env, napi_callback_info info) { return netns_op(env, info, 1); }
static napi_value netns_delete(napi_env env, napi_callback_info info) { return netns_op(env, info, 0); }

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
  CHECK(napi_create_function(env, "netnsAdd", NAPI_AUTO_LENGTH, netns_add, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "netnsAdd", fn));
  CHECK(napi_create_function(env, "netnsDelete", NAPI_AUTO_LENGTH, netns_delete, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "netnsDelete", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
