/*
 * delay-line: a fixed-delay packet forwarder on a TUN device, for benchmarks on kernels without
 * `tc netem`. The bench routes the traffic it wants to delay into the TUN device (policy routing in
 * a middle network namespace); every IP packet read from the device is written back into it after
 * exactly DELAY_US microseconds, and the kernel then routes it on to its real destination.
 * Packets keep their order (one FIFO, one fixed delay), nothing is rewritten, so TFTP's per-transfer
 * ports (RFC 1350 §4) pass untouched. Loss is not done here: the bench drops with nftables.
 *
 * Usage: delay-line TUN_NAME DELAY_US
 * The TUN device must already exist (`ip tuntap add dev NAME mode tun`). Runs until SIGTERM/SIGINT,
 * then prints one line of counters on stderr. Linux only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 8192        /* packets in flight; at 1 ms and 100k packets/s that is 100 */
#define SLOT_BYTES 2048   /* the TUN MTU stays at 1500 */

struct slot {
  uint64_t due_ns;
  uint16_t len;
  unsigned char data[SLOT_BYTES];
};

static struct slot ring[SLOTS];
static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) { (void)sig; stopping = 1; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: delay-line TUN_NAME DELAY_US\n");
    return 2;
  }
  const char *name = argv[1];
  uint64_t delay_ns = (uint64_t)strtoull(argv[2], NULL, 10) * 1000ull;

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { perror("delay-line: open /dev/net/tun"); return 1; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("delay-line: TUNSETIFF"); return 1; }

  /* Wake-ups within a few microseconds of the due time (the default slack is 50 us). */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  size_t head = 0, count = 0; /* FIFO: slots [head, head+count) */
  uint64_t forwarded = 0, overflow = 0, write_errors = 0;
  fprintf(stderr, "delay-line: %s delay %llu us\n", name, (unsigned long long)(delay_ns / 1000));

  while (!stopping) {
    /* Send everything due. */
    uint64_t t = now_ns();
    while (count > 0 && ring[head].due_ns <= t) {
      if (write(fd, ring[head].data, ring[head].len) < 0) write_errors++;
      else forwarded++;
      head = (head + 1) % SLOTS;
      count--;
    }
    struct timespec timeout, *tp = NULL;
    if (count > 0) {
      uint64_t wait = ring[head].due_ns > t ? ring[head].due_ns - t : 0;
      timeout.tv_sec = (time_t)(wait / 1000000000ull);
      timeout.tv_nsec = (long)(wait % 1000000000ull);
      tp = &timeout;
    }
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int r = ppoll(&pfd, 1, tp, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      perror("delay-line: ppoll");
      break;
    }
    if (r == 0 || !(pfd.revents & POLLIN)) continue;
    /* Drain what the kernel has queued; each packet is due delay_ns after it was read. */
    for (;;) {
      if (count == SLOTS) {
        unsigned char scratch[SLOT_BYTES];
        if (read(fd, scratch, sizeof scratch) < 0) break;
        overflow++;
        continue;
      }
      struct slot *s = &ring[(head + count) % SLOTS];
      ssize_t n = read(fd, s->data, SLOT_BYTES);
      if (n < 0) break; /* EAGAIN: drained */
      s->len = (uint16_t)n;
      s->due_ns = now_ns() + delay_ns;
      count++;
    }
  }
  fprintf(stderr, "delay-line: forwarded=%llu overflow_drops=%llu write_errors=%llu\n",
          (unsigned long long)forwarded, (unsigned long long)overflow, (unsigned long long)write_errors);
  return 0;
}
