/* The simulated SoC's UART as one TCP connection, for the host that drives the firmware.
 *
 * Unlike LiteX's serial2tcp, this module
 *  - binds 127.0.0.1 on the configured port (0: the OS picks one) and prints
 *    "eie-soc-sim: uart listening on 127.0.0.1:<port>" on stdout once it listens;
 *  - holds the simulation (blocking accept) until the client connects, so no output is lost
 *    and no cycles are spent before the host is there; gives up after accept_timeout_s;
 *  - never overwrites unread input: it reads from the socket only into free buffer space, so
 *    TCP flow control pushes back on a host that sends faster than the UART takes bytes;
 *  - ends the simulation (exit status 0) when the client closes the connection or goes away,
 *    with no SIGPIPE;
 *  - prints the simulated system cycles and the rate on stderr when it ends.
 *
 * Bytes cross one per system clock cycle in each direction (the `sim` UART PHY is a stream).
 */
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "modules.h"

#define RX_CAPACITY 4096
#define TX_CAPACITY 4096
/* With nothing buffered, the socket is polled for input once per this many cycles. */
#define RX_POLL_CYCLES 256

struct session_s {
  char *tx;
  char *tx_valid;
  char *tx_ready;
  char *rx;
  char *rx_valid;
  char *rx_ready;
  char *sys_clk;
  clk_edge_state_t edge;
  int listen_fd;
  int fd;
  int accept_timeout_s;
  unsigned char rx_buf[RX_CAPACITY];
  size_t rx_start;
  size_t rx_len;
  unsigned char tx_buf[TX_CAPACITY];
  size_t tx_len;
  uint64_t cycles;
  uint64_t cycles_at_connect;
  struct timespec connected_at;
};


static double seconds_since(const struct timespec *t0) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void finish(struct session_s *s, int status, const char *why) {
  double secs = seconds_since(&s->connected_at);
  uint64_t run = s->cycles - s->cycles_at_connect;
  fprintf(stderr, "eie-soc-sim: %s; %llu system cycles simulated in %.2f s (%.0f cycles/s)\n",
          why, (unsigned long long)run, secs, secs > 0 ? (double)run / secs : 0.0);
  fflush(stdout);
  fflush(stderr);
  exit(status);
}

static int get_int_arg(const char *args, const char *key, int fallback, int *out) {
  json_object *root, *obj;
  *out = fallback;
  if (!args)
    return RC_OK;
  root = json_tokener_parse(args);
  if (!root || !json_object_is_type(root, json_type_object)) {
    fprintf(stderr, "eie_uart_tcp: module args are not a JSON object: %s\n", args);
    return RC_JSERROR;
  }
  if (json_object_object_get_ex(root, key, &obj))
    *out = json_object_get_int(obj);
  json_object_put(root);
  return RC_OK;
}

static int eie_uart_tcp_start(void *base) {
  (void)base;
  return RC_OK;
}

static int eie_uart_tcp_new(void **sess, char *args) {
  struct session_s *s;
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  int port, one = 1;

  if (!sess)
    return RC_INVARG;
  s = calloc(1, sizeof(*s));
  if (!s)
    return RC_NOENMEM;
  s->fd = -1;
  if (get_int_arg(args, "port", 0, &port) != RC_OK ||
      get_int_arg(args, "accept_timeout_s", 60, &s->accept_timeout_s) != RC_OK)
    return RC_JSERROR;
  if (port < 0 || port > 65535) {
    fprintf(stderr, "eie_uart_tcp: port %d is not a TCP port\n", port);
    return RC_INVARG;
  }
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (s->listen_fd < 0) {
    perror("eie_uart_tcp: socket");
    return RC_ERROR;
  }
  setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((uint16_t)port);
  if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s->listen_fd, 1) < 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&addr, &len) < 0) {
    fprintf(stderr, "eie_uart_tcp: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
    return RC_ERROR;
  }
  printf("eie-soc-sim: uart listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  *sess = s;
  return RC_OK;
}

static int eie_uart_tcp_add_pads(void *sess, struct pad_list_s *plist) {
  struct session_s *s = sess;
  struct pad_s *p;
  if (!s || !plist)
    return RC_INVARG;
  for (p = plist->pads; p->name; p++) {
    if (!strcmp(plist->name, "serial")) {
      if (!strcmp(p->name, "sink_data")) s->rx = (char *)p->signal;
      if (!strcmp(p->name, "sink_valid")) s->rx_valid = (char *)p->signal;
      if (!strcmp(p->name, "sink_ready")) s->rx_ready = (char *)p->signal;
      if (!strcmp(p->name, "source_data")) s->tx = (char *)p->signal;
      if (!strcmp(p->name, "source_valid")) s->tx_valid = (char *)p->signal;
      if (!strcmp(p->name, "source_ready")) s->tx_ready = (char *)p->signal;
    }
    if (!strcmp(plist->name, "sys_clk") && !strcmp(p->name, "sys_clk"))
      s->sys_clk = (char *)p->signal;
  }
  return RC_OK;
}

static void wait_for_client(struct session_s *s) {
  struct pollfd pfd = {.fd = s->listen_fd, .events = POLLIN};
  int one = 1, r;
  do {
    r = poll(&pfd, 1, s->accept_timeout_s * 1000);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) {
    fprintf(stderr, "eie-soc-sim: no client connected within %d s\n", s->accept_timeout_s);
    exit(3);
  }
  s->fd = accept(s->listen_fd, NULL, NULL);
  if (s->fd < 0) {
    perror("eie-soc-sim: accept");
    exit(3);
  }
  close(s->listen_fd);
  s->listen_fd = -1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  s->cycles_at_connect = s->cycles;
  clock_gettime(CLOCK_MONOTONIC, &s->connected_at);
}

static void flush_tx(struct session_s *s) {
  size_t done = 0;
  while (done < s->tx_len) {
    ssize_t n = send(s->fd, s->tx_buf + done, s->tx_len - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      finish(s, 0, "the client went away");
    done += (size_t)n;
  }
  s->tx_len = 0;
}

static void poll_rx(struct session_s *s) {
  /* The buffer is empty when this runs, so it reads into one contiguous block. */
  ssize_t n = recv(s->fd, s->rx_buf, RX_CAPACITY, MSG_DONTWAIT);
  if (n > 0) {
    s->rx_start = 0;
    s->rx_len = (size_t)n;
  } else if (n == 0) {
    flush_tx(s);
    finish(s, 0, "the client closed the connection");
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    finish(s, 0, "the client connection failed");
  }
}

static int eie_uart_tcp_tick(void *sess, uint64_t time_ps) {
  struct session_s *s = sess;
  (void)time_ps;
  if (!clk_pos_edge(&s->edge, *s->sys_clk))
    return RC_OK;
  s->cycles++;
  if (s->fd < 0)
    wait_for_client(s);

  *s->tx_ready = 1;
  if (*s->tx_valid) {
    s->tx_buf[s->tx_len++] = (unsigned char)*s->tx;
    if (s->tx_len == TX_CAPACITY)
      flush_tx(s);
  } else if (s->tx_len) {
    flush_tx(s);
  }

  if (s->rx_len == 0 && s->cycles % RX_POLL_CYCLES == 0)
    poll_rx(s);
  *s->rx_valid = 0;
  if (s->rx_len) {
    *s->rx = (char)s->rx_buf[s->rx_start];
    *s->rx_valid = 1;
    if (*s->rx_ready) {
      s->rx_start++;
      s->rx_len--;
    }
  }
  return RC_OK;
}

static int eie_uart_tcp_close(void *sess) {
  struct session_s *s = sess;
  if (s && s->fd >= 0 && s->tx_len)
    flush_tx(s);
  return RC_OK;
}

static struct ext_module_s ext_mod = {
    "eie_uart_tcp", eie_uart_tcp_start, eie_uart_tcp_new, eie_uart_tcp_add_pads, eie_uart_tcp_close,
    eie_uart_tcp_tick,
};

int litex_sim_ext_module_init(int (*register_module)(struct ext_module_s *)) {
  return register_module(&ext_mod);
}
