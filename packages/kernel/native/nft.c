/*
 * nft commands in-process, through libnftables (the library the `nft` command is built on).
 * The library is opened with dlopen at the first use, so neither the build nor the daemon needs
 * it: without it the TypeScript side runs the `nft` process, as it does for `ip` without the
 * netlink half of this addon.
 *
 * nftAvailable() -> string | null       null when the library is there, else why not
 * nftRun(commands) -> Promise<{ status, output, error }>
 *   runs the commands as `nft -f -` does (one transaction), in the daemon's own namespace, on a
 *   libuv worker thread; one run at a time (the library keeps no state between contexts, but
 *   its helpers are not documented as thread-safe).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addon.h"

struct nft_ctx;
static struct {
  struct nft_ctx *(*ctx_new)(uint32_t flags);
  void (*ctx_free)(struct nft_ctx *ctx);
  int (*buffer_output)(struct nft_ctx *ctx);
  int (*buffer_error)(struct nft_ctx *ctx);
  const char *(*output)(struct nft_ctx *ctx);
  const char *(*error)(struct nft_ctx *ctx);
  int (*run)(struct nft_ctx *ctx, const char *buf);
} lib;
static char load_error[300];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;

static void load(void) {
  void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(load_error, sizeof load_error, "%s", dlerror());
    return;
  }
  void **slots[] = { (void **)&lib.ctx_new, (void **)&lib.ctx_free, (void **)&lib.buffer_output, (void **)&lib.buffer_error,
                     (void **)&lib.output, (void **)&lib.error, (void **)&lib.run };
  const char *names[] = { "nft_ctx_new", "nft_ctx_free", "nft_ctx_buffer_output", "nft_ctx_buffer_error",
                          "nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer", "nft_run_cmd_from_buffer" };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    *slots[i] = dlsym(h, names[i]);
    if (!*slots[i]) {
      snprintf(load_error, sizeof load_error, "libnftables.so.1 has no %s", names[i]);
      memset(&lib, 0, sizeof lib);
      dlclose(h);
      return;
    }
  }
}

typedef struct {
  char *commands;
  int status;
  char *output;
  char *error;
  napi_async_work work;
  napi_deferred deferred;
} nft_job_t;

static void run_execute(napi_env env, void *data) {
  nft_job_t *job = data;
  pthread_mutex_lock(&run_lock);
  struct nft_ctx *ctx = lib.ctx_new(0);
  if (!ctx) {
    job->status = -1;
    job->error = strdup("nft_ctx_new failed");
  } else {
    lib.buffer_output(ctx);
    lib.buffer_error(ctx);
    job->status = lib.run(ctx, job->commands);
    const char *out = lib.output(ctx);
    const char *err = lib.error(ctx);
    job->output = strdup(out ? out : "");
    job->error = strdup(err ? err : "");
    lib.ctx_free(ctx);
  }
  pthread_mutex_unlock(&run_lock);
}

static void run_complete(napi_env env, napi_status status, void *data) {
  nft_job_t *job = data;
  napi_value result, value;
  napi_create_object(env, &result);
  napi_create_int32(env, status == napi_ok ? job->status : -1, &value);
  napi_set_named_property(env, result, "status", value);
  napi_create_string_utf8(env, job->output ? job->output : "", NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "output", value);
  napi_create_string_utf8(env, status == napi_ok ? (job->error ? job->error : "") : "nft run cancelled", NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "error", value);
  napi_resolve_deferred(env, job->deferred, result);
  napi_delete_async_work(env, job->work);
  free(job->commands);
  free(job->output);
  free(job->error);
  free(job);
}

napi_value nft_available(napi_env env, napi_callback_info info) {
  pthread_once(&load_once, load);
  napi_value v;
  if (lib.run) CHECK(napi_get_null(env, &v));
  else CHECK(napi_create_string_utf8(env, load_error, NAPI_AUTO_LENGTH, &v));
  return v;
}

napi_value nft_run(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], promise, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pthread_once(&load_once, load);
  if (!lib.run) {
    napi_throw_error(env, NULL, load_error);
    return NULL;
  }
  nft_job_t *job = calloc(1, sizeof *job);
  if (!job || argc < 1 || !(job->commands = string_of(env, argv[0]))) {
    free(job);
    napi_throw_type_error(env, NULL, "nftRun(commands: string)");
    return NULL;
  }
  CHECK(napi_create_promise(env, &job->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "patchbay-nft", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, run_execute, run_complete, job, &job->work));
  CHECK(napi_queue_async_work(env, job->work));
  return promise;
}
