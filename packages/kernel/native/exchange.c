/* The worker side of an exchange: namespace entry, fixups, send and receive. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "addon.h"
#include "exchange.h"

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

int rtnl_socket(void) {
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) return -1;
  int one = 1;
  setsockopt(sock, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  int rcvbuf = 1 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  return sock;
}

/* The index of interface `name` in the namespace of `sock`, or 0. SIOCGIFINDEX on the exchange's
 * own socket: if_nametoindex opens and closes a socket of its own for each lookup. */
static unsigned ifindex_of(int sock, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (strlen(name) >= IFNAMSIZ) return 0;
  strcpy(ifr.ifr_name, name);
  return ioctl(sock, SIOCGIFINDEX, &ifr) == 0 ? (unsigned)ifr.ifr_ifindex : 0;
}

static int apply_fixups(int sock, request_t *r, int *fds, uint32_t *nfds) {
  for (uint32_t i = 0; i < r->nfixups; i++) {
    fixup_t *f = &r->fixups[i];
    int32_t value;
    if (f->offset + sizeof(value) > r->len) return -EINVAL;
    if (f->kind == FIXUP_IFINDEX) {
      unsigned idx = ifindex_of(sock, f->value);
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

int request_transact(int sock, request_t *r, uint32_t seq, uint8_t *buf) {
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

void exchange_execute(napi_env env, void *data) {
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
  int sock = rtnl_socket();
  uint8_t *buf = NULL;
  int *fds = NULL;
  if (sock < 0) {
    x->setup_error = errno;
    snprintf(x->setup_message, sizeof x->setup_message, "netlink socket: %s", strerror(errno));
    goto out;
  }
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
    int err = apply_fixups(sock, r, fds, &nfds);
    if (err == 0) err = request_transact(sock, r, i + 1, buf);
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
