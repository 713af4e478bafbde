/*
 * Named namespaces, done in-process the way `ip netns add|delete` does them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "addon.h"

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
    napi_reject_deferred(env, op->deferred, errno_error(env, op->error ? op->message : "netns operation cancelled", op->error));
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

napi_value netns_add(napi_env env, napi_callback_info info) { return netns_op(env, info, 1); }
napi_value netns_delete(napi_env env, napi_callback_info info) { return netns_op(env, info, 0); }


/*
 * netnsType(path) -> 'net' | 'other' | null: the type of the namespace file at `path` (the caller
 * checked it lives on nsfs), asked of the kernel (NS_GET_NSTYPE) instead of searched for in
 * /proc/self/mountinfo, whose size grows with every namespace bind-mounted on the machine.
 * null when the file cannot be opened or the kernel cannot tell.
 */
napi_value netns_type(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = argc == 1 ? string_of(env, argv[0]) : NULL;
  if (!path) {
    napi_throw_type_error(env, NULL, "netnsType(path: string)");
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  free(path);
  int type = fd < 0 ? -1 : ioctl(fd, NS_GET_NSTYPE);
  if (fd >= 0) close(fd);
  if (type < 0) CHECK(napi_get_null(env, &result));
  else CHECK(napi_create_string_utf8(env, type == CLONE_NEWNET ? "net" : "other", NAPI_AUTO_LENGTH, &result));
  return result;
}
