/* One exchange of rtnetlink requests: what the N-API side (netlink.c) fills in and the worker
 * side (exchange.c) carries out on a libuv thread. */
#ifndef PATCHBAY_EXCHANGE_H
#define PATCHBAY_EXCHANGE_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
  int loop_cpu; /* the event loop's CPU when queued (beside.c) */
  int setup_error; /* errno when the namespace or socket could not be had */
  char setup_message[160];
  napi_async_work work;
  napi_deferred deferred;
} exchange_t;

/* Runs on a worker thread: enter the namespace, send every request, return. Never fails
 * silently: each request gets its errno, a failure to start is in setup_error. */
void exchange_execute(napi_env env, void *data);

/* A NETLINK_ROUTE socket in the calling thread's namespace, extended acks on; -1 and errno on failure. */
int rtnl_socket(void);

/* Sends one request and reads until its ack, error or dump end, appending the answers to
 * r->reply (grown with realloc). Returns 0 or -errno (transport); the kernel's errno is r->error. */
int request_transact(int sock, request_t *r, uint32_t seq, uint8_t *buf);

/* netlink.c: an exchange from its JS arguments (NULL with a JS exception when bad), its outcome
 * (the results array, or an Error with errno; *failed tells which), and its release. */
exchange_t *exchange_of(napi_env env, napi_value netns, napi_value requests, bool stop);
napi_value outcome_of(napi_env env, exchange_t *x, bool cancelled, bool *failed);
void free_exchange(exchange_t *x);

/* sequence.c */
napi_value exchange_sequence(napi_env env, napi_callback_info info);

#endif
