/*
 * patchbay: the CNI plugin binary. A thin client of patchbayd: it answers VERSION itself and hands
 * every other command (the CNI_* environment and the configuration from stdin) to the daemon in
 * one HTTP/1.1 request over its unix socket, then prints the daemon's answer. All CNI logic lives
 * in the daemon (daemon/src/cni). No dependencies beyond libc; every buffer is bounded.
 *
 *   POST /cni/v1/exec
 *   {"env":{"CNI_COMMAND":"ADD",...},"stdin":"<stdin as a JSON string>"}
 *   → 2xx: the body is the CNI result (or empty), printed, exit 0
 *   → otherwise: the body is a CNI error object, printed, exit 1
 *
 * Socket: $PATCHBAY_CNI_SOCKET, else the config's top-level "socket", else /run/patchbay/patchbay.sock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/patchbay/patchbay.sock"
#define SUPPORTED "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]"
#define LATEST "1.1.0"
#define MAX_STDIN (1u << 20)
#define MAX_ENV_VALUE (64u << 10)
#define MAX_REQUEST (8u << 20)
#define MAX_RESPONSE (8u << 20)
#define TIMEOUT_SECONDS 30

/* CNI error codes (SPEC "Error"); 999 is libcni's "internal". */
enum { ERR_INVALID_ENV = 4, ERR_DECODE = 6, ERR_INVALID_CONFIG = 7, ERR_TRY_AGAIN = 11, ERR_NOT_AVAILABLE = 50, ERR_INTERNAL = 999 };

static const char *const ENV_NAMES[] = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"};
static const char *const COMMANDS[] = {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"};

struct buf {
  char *data;
  size_t len, cap, max;
};

/* Append n bytes; returns -1 (and leaves the buffer as it was) past the buffer's maximum. */
static int buf_put(struct buf *b, const char *s, size_t n) {
  if (n > b->max - b->len) return -1;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    if (cap > b->max + 1) cap = b->max + 1;
    char *grown = realloc(b->data, cap);
    if (!grown) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

static int buf_str(struct buf *b, const char *s) { return buf_put(b, s, strlen(s)); }

/* A JSON string literal: quotes, backslashes and control characters escaped; other bytes as they are. */
static int buf_json_string(struct buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (buf_put(b, "\"", 1)) return -1;
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (buf_put(b, s + start, i - start)) return -1;
    char esc[7] = {'\\', (char)c, 0};
    size_t len = 2;
    if (c == '\n') esc[1] = 'n';
    else if (c == '\r') esc[1] = 'r';
    else if (c == '\t') esc[1] = 't';
    else if (c < 0x20) {
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      len = 6;
    }
    if (buf_put(b, esc, len)) return -1;
    start = i + 1;
  }
  if (buf_put(b, s + start, n - start)) return -1;
  return buf_put(b, "\"", 1);
}

static void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* Print a CNI error object on stdout (the runtime reads it there) and return the exit status 1. */
static int cni_error(const char *version, int code, const char *msg, const char *fmt, ...) {
  char details[1024] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(details, sizeof details, fmt, ap);
    va_end(ap);
  }
  struct buf out = {.max = 4096};
  char head[96];
  buf_str(&out, "{\"cniVersion\":");
  buf_json_string(&out, version, strlen(version));
  snprintf(head, sizeof head, ",\"code\":%d,\"msg\":", code);
  buf_str(&out, head);
  buf_json_string(&out, msg, strlen(msg));
  buf_str(&out, ",\"details\":");
  buf_json_string(&out, details, strlen(details));
  buf_str(&out, "}\n");
  write_all(1, out.data ? out.data : "", out.len);
  free(out.data);
  return 1;
}

/* ---- a minimal JSON scanner: just enough to find top-level string members of the config ---- */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* p at an opening quote; returns the position after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end) {
  for (p++; p < end; p++) {
    if (*p == '\\') p++;
    else if (*p == '"') return p + 1;
  }
  return NULL;
}

/* Skips one value (string, nested object/array, or scalar); NULL on malformed input. */
static const char *skip_value(const char *p, const char *end) {
  if (p >= end) return NULL;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < end) {
      if (*p == '"') {
        p = skip_string(p, end);
        if (!p) return NULL;
        continue;
      }
      if (*p == '{' || *p == '[') depth++;
      else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
      p++;
    }
    return NULL;
  }
  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
  return p;
}

/*
 * The value of top-level member `key` when it is a string without escapes other than \/ and \\,
 * copied into out (NUL-terminated). 1 found, 0 absent or not a plain string, -1 too long.
 */
static int top_level_string(const char *json, size_t len, const char *key, char *out, size_t outsz) {
  const char *p = skip_ws(json, json + len), *end = json + len;
  size_t keylen = strlen(key);
  if (p >= end || *p != '{') return 0;
  for (p = skip_ws(p + 1, end); p < end && *p == '"';) {
    const char *k = p + 1, *after = skip_string(p, end);
    if (!after) return 0;
    int match = (size_t)(after - 1 - k) == keylen && memcmp(k, key, keylen) == 0;
    p = skip_ws(after, end);
    if (p >= end || *p != ':') return 0;
    p = skip_ws(p + 1, end);
    if (match) {
      if (p >= end || *p != '"') return 0;
      size_t n = 0;
      for (p++; p < end && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
          if (++p >= end || (*p != '/' && *p != '\\')) return 0;
          c = *p;
        }
        if ((unsigned char)c < 0x20) return 0;
        if (n + 1 >= outsz) return -1;
        out[n++] = c;
      }
      if (p >= end) return 0;
      out[n] = '\0';
      return 1;
    }
    p = skip_value(p, end);
    if (!p) return 0;
    p = skip_ws(p, end);
    if (p < end && *p == ',') p = skip_ws(p + 1, end);
  }
  return 0;
}

/* ---- stdin, request, response ---- */

/* Reads stdin up to MAX_STDIN; 0 ok, 1 too large, -1 read error. */
static int read_stdin(struct buf *in) {
  char chunk[16384];
  for (;;) {
    ssize_t r = read(0, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    if (buf_put(in, chunk, (size_t)r)) return 1;
  }
}

static int build_request(struct buf *req, const struct buf *in) {
  struct buf body = {.max = MAX_REQUEST - 512};
  int bad = buf_str(&body, "{\"env\":{");
  int first = 1;
  for (size_t i = 0; i < sizeof ENV_NAMES / sizeof ENV_NAMES[0]; i++) {
    const char *v = getenv(ENV_NAMES[i]);
    if (!v) continue;
    bad |= buf_str(&body, first ? "\"" : ",\"");
    bad |= buf_str(&body, ENV_NAMES[i]);
    bad |= buf_str(&body, "\":");
    bad |= buf_json_string(&body, v, strlen(v));
    first = 0;
  }
  bad |= buf_str(&body, "},\"stdin\":");
  bad |= buf_json_string(&body, in->data ? in->data : "", in->len);
  bad |= buf_str(&body, "}");
  char head[256];
  snprintf(head, sizeof head,
           "POST /cni/v1/exec HTTP/1.1\r\nHost: patchbayd\r\nUser-Agent: patchbay-cni\r\nContent-Type: application/json\r\n"
           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
           body.len);
  if (!bad) bad |= buf_str(req, head) | buf_put(req, body.data, body.len);
  free(body.data);
  return bad ? -1 : 0;
}

static int connect_socket(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval tv = {.tv_sec = TIMEOUT_SECONDS};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EINTR) continue;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

static int send_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads the whole response (the daemon closes the connection after it): 0 ok, -1 errno, 1 too large. */
static int read_response(int fd, struct buf *res) {
  char chunk[16384];
  for (;;) {
    ssize_t r = recv(fd, chunk, sizeof chunk, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    if (buf_put(res, chunk, (size_t)r)) return 1;
  }
}

/* Decodes a chunked body in place (from `start`); its length, or -1 when malformed or incomplete. */
static long long dechunk(char *start, const char *end) {
  char *p = start, *out = start;
  for (;;) {
    char *line_end = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!line_end) return -1;
    char *digits_end;
    unsigned long long size = strtoull(p, &digits_end, 16);
    if (digits_end == p) return -1;
    p = line_end + 2;
    if (size == 0) return out - start;
    if (size > (unsigned long long)(end - p) || (size_t)(end - p) < size + 2) return -1;
    memmove(out, p, size);
    out += size;
    p += size + 2;
  }
}

/* Splits an HTTP/1.1 response into status and body (Content-Length, chunked, or to the end). */
static int parse_response(struct buf *res, int *status, const char **body, size_t *body_len) {
  if (res->len < 12 || strncmp(res->data, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(res->data + 9);
  char *head_end = memmem(res->data, res->len, "\r\n\r\n", 4);
  if (!head_end) return -1;
  char *start = head_end + 4;
  const char *end = res->data + res->len;
  long long length = -1;
  int chunked = 0;
  for (char *line = memmem(res->data, res->len, "\r\n", 2) + 2; line < head_end; line = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2) + 2) {
    if (strncasecmp(line, "Content-Length:", 15) == 0) length = atoll(line + 15);
    else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) chunked = 1;
  }
  if (chunked) length = dechunk(start, end);
  else if (length < 0) length = end - start; /* Connection: close delimits it */
  if (length < 0 || length > end - start) return -1;
  *body = start;
  *body_len = (size_t)length;
  return 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const char *command = getenv("CNI_COMMAND");
  if (!command || !*command) {
    fprintf(stderr, "patchbay CNI plugin: a thin client of patchbayd\nCNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n");
    return cni_error(LATEST, ERR_INVALID_ENV, "required env variables [CNI_COMMAND] missing", NULL);
  }
  int known = 0;
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) known |= strcmp(command, COMMANDS[i]) == 0;
  if (!known) return cni_error(LATEST, ERR_INVALID_ENV, "unknown CNI_COMMAND", "%.64s", command);
  if (strcmp(command, "VERSION") == 0) {
    static const char version[] = "{\"cniVersion\":\"" LATEST "\",\"supportedVersions\":" SUPPORTED "}\n";
    write_all(1, version, sizeof version - 1);
    return 0;
  }

  for (size_t i = 0; i < sizeof ENV_NAMES / sizeof ENV_NAMES[0]; i++) {
    const char *v = getenv(ENV_NAMES[i]);
    if (v && strnlen(v, MAX_ENV_VALUE + 1) > MAX_ENV_VALUE) return cni_error(LATEST, ERR_INVALID_ENV, "an environment variable is too long", "%s: more than %u bytes", ENV_NAMES[i], MAX_ENV_VALUE);
  }
  struct buf in = {.max = MAX_STDIN};
  int r = read_stdin(&in);
  if (r < 0) return cni_error(LATEST, 5, "error reading the network configuration from stdin", "%s", strerror(errno));
  if (r > 0) return cni_error(LATEST, ERR_DECODE, "the network configuration on stdin is too large", "more than %u bytes", MAX_STDIN);

  char version[32] = LATEST;
  if (top_level_string(in.data ? in.data : "", in.len, "cniVersion", version, sizeof version) != 1) strcpy(version, LATEST);
  char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)] = DEFAULT_SOCKET;
  const char *env_socket = getenv("PATCHBAY_CNI_SOCKET");
  if (env_socket && *env_socket) {
    if (strlen(env_socket) >= sizeof socket_path) return cni_error(version, ERR_INVALID_ENV, "PATCHBAY_CNI_SOCKET is too long", NULL);
    strcpy(socket_path, env_socket);
  } else if (top_level_string(in.data ? in.data : "", in.len, "socket", socket_path, sizeof socket_path) < 0) {
    return cni_error(version, ERR_INVALID_CONFIG, "the \"socket\" path is too long", "at most %zu bytes", sizeof socket_path - 1);
  }
  if (socket_path[0] != '/') return cni_error(version, ERR_INVALID_CONFIG, "the \"socket\" path must be absolute", "%s", socket_path);

  int status_cmd = strcmp(command, "STATUS") == 0;
  int fd = connect_socket(socket_path);
  if (fd < 0) {
    int err = errno;
    return cni_error(version, status_cmd ? ERR_NOT_AVAILABLE : ERR_TRY_AGAIN,
                     "patchbayd is not reachable; is it running?", "connect %s: %s", socket_path, strerror(err));
  }
  struct buf req = {.max = MAX_REQUEST}, res = {.max = MAX_RESPONSE};
  if (build_request(&req, &in)) return cni_error(version, ERR_DECODE, "the request to patchbayd is too large", NULL);
  free(in.data);
  if (send_all(fd, req.data, req.len)) {
    int err = errno;
    return cni_error(version, status_cmd ? ERR_NOT_AVAILABLE : ERR_TRY_AGAIN, "sending the request to patchbayd failed", "%s", strerror(err));
  }
  r = read_response(fd, &res);
  close(fd);
  if (r != 0) {
    const char *why = r > 0 ? "answer too large" : errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within 30 s" : strerror(errno);
    return cni_error(version, status_cmd ? ERR_NOT_AVAILABLE : ERR_TRY_AGAIN, "patchbayd did not answer", "%s", why);
  }
  int status;
  const char *body;
  size_t body_len;
  if (parse_response(&res, &status, &body, &body_len)) {
    return cni_error(version, ERR_INTERNAL, "patchbayd sent a malformed answer", "%zu bytes", res.len);
  }
  if (status >= 200 && status < 300) {
    write_all(1, body, body_len);
    return 0;
  }
  if (body_len == 0) return cni_error(version, ERR_INTERNAL, "patchbayd refused the request", "HTTP status %d", status);
  write_all(1, body, body_len);
  return 1;
}
