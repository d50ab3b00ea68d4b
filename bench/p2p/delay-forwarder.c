/*
 * delay-forwarder: holds every IP packet that the kernel routes into a TUN device for a fixed time,
 * then hands it back to the kernel through the same device, which routes it on. It stands in for
 * `tc netem delay` (this kernel has no sch_netem) on the P2P lab's WAN links (bench/p2p/p2p-lab.ts):
 * the site router sends lan->wan and wan->lan traffic into the TUN by policy routing (`ip rule iif`),
 * and packets coming back out of the TUN follow the main table. Order is kept (one FIFO, one delay),
 * nothing is rewritten, nothing is dropped unless the queue is full (then it counts the drop).
 *
 * Usage: delay-forwarder TUN_NAME DELAY_MS
 * The TUN device must exist (`ip tuntap add dev NAME mode tun`) and be up. Runs until SIGTERM or
 * SIGINT, then prints one line of counters to stderr.
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
#include <time.h>
#include <unistd.h>

#define QUEUE_PACKETS 4096    /* 20 Mbit/s x 100 ms is ~170 full-size packets; room for bursts */
#define PACKET_BYTES 9216     /* up to a 9000-byte (jumbo) TUN MTU */

typedef struct {
  uint64_t release_ns;
  uint16_t length;
  uint8_t bytes[PACKET_BYTES];
} held_packet;

static held_packet queue[QUEUE_PACKETS];
static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int signal_number) {
  (void)signal_number;
  stop_requested = 1;
}

static uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: delay-forwarder TUN_NAME DELAY_MS\n");
    return 2;
  }
  const char *device = argv[1];
  const uint64_t delay_ns = strtoull(argv[2], NULL, 10) * 1000000ull;

  int tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (tun < 0) {
    perror("delay-forwarder: /dev/net/tun");
    return 1;
  }
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(request.ifr_name, device, IFNAMSIZ - 1);
  if (ioctl(tun, TUNSETIFF, &request) < 0) {
    fprintf(stderr, "delay-forwarder: attach to %s: %s\n", device, strerror(errno));
    return 1;
  }
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);

  size_t head = 0, count = 0;
  uint64_t forwarded = 0, dropped = 0, write_errors = 0;
  while (!stop_requested) {
    uint64_t now = monotonic_ns();
    /* Release everything that is due, oldest first. */
    while (count > 0 && queue[head].release_ns <= now) {
      if (write(tun, queue[head].bytes, queue[head].length) < 0) write_errors++;
      else forwarded++;
      head = (head + 1) % QUEUE_PACKETS;
      count--;
    }
    int timeout_ms = -1;
    if (count > 0) {
      uint64_t wait_ns = queue[head].release_ns > now ? queue[head].release_ns - now : 0;
      timeout_ms = (int)((wait_ns + 999999ull) / 1000000ull);
    }
    struct pollfd watch = {.fd = tun, .events = POLLIN};
    int ready = poll(&watch, 1, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      perror("delay-forwarder: poll");
      return 1;
    }
    if (ready == 0) continue;
    for (;;) {
      uint8_t scratch[PACKET_BYTES];
      ssize_t length = read(tun, scratch, sizeof scratch);
      if (length < 0) break; /* EAGAIN: drained */
      if (count == QUEUE_PACKETS) {
        dropped++;
        continue;
      }
      held_packet *slot = &queue[(head + count) % QUEUE_PACKETS];
      slot->release_ns = monotonic_ns() + delay_ns;
      slot->length = (uint16_t)length;
      memcpy(slot->bytes, scratch, (size_t)length);
      count++;
    }
  }
  fprintf(stderr, "delay-forwarder %s: forwarded=%llu dropped=%llu write_errors=%llu\n", device,
          (unsigned long long)forwarded, (unsigned long long)dropped, (unsigned long long)write_errors);
  return 0;
}
