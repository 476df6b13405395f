// xcore.c measures what moving data between the two vCPUs costs: the
// round trip of a cache line bounced between them, and how fast vCPU 1
// reads a buffer that vCPU 0 has just written, against one it wrote
// itself (its own cache) and one flushed to memory, and how fast it
// overwrites a buffer the other vCPU wrote last. Not part of the
// program or its tests.
//
//   gcc -O2 -mavx2 -o /tmp/xcore tools/cpuprobe/xcore.c -lpthread
//   /tmp/xcore 512      (buffer size in KB)
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

// pin moves the calling thread to vCPU c.
static void pin(int c) {
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(c, &s);
	sched_setaffinity(0, sizeof s, &s);
}

#define BOUNCES 200000L
static _Atomic long flag __attribute__((aligned(64)));

static void *pong(void *arg) {
	pin(1);
	for (long i = 0; i < BOUNCES; i++) {
		while (atomic_load(&flag) != 2 * i + 1)
			;
		atomic_store(&flag, 2 * i + 2);
	}
	return NULL;
}

static volatile float sink;

int main(int argc, char **argv) {
	long size = (argc > 1 ? atol(argv[1]) : 512) * 1024;
	pthread_t t;
	pin(0);
	pthread_create(&t, NULL, pong, NULL);
	double t0 = now();
	for (long i = 0; i < BOUNCES; i++) {
		atomic_store(&flag, 2 * i + 1);
		while (atomic_load(&flag) != 2 * i + 2)
			;
	}
	double t1 = now();
	pthread_join(t, NULL);
	printf("cache line round trip between vCPUs 0 and 1: %.0f ns\n", (t1 - t0) / BOUNCES * 1e9);

	float *buf = aligned_alloc(64, size);
	memset(buf, 0, size);
	const char *names[] = {"written by the other vCPU", "written by the reader", "flushed to memory"};
	for (int mode = 0; mode < 3; mode++) {
		double total = 0;
		int rounds = 100;
		for (int r = 0; r < rounds; r++) {
			pin(mode == 1 ? 1 : 0);
			for (long i = 0; i < size / 4; i += 16) buf[i] = r;
			if (mode == 2)
				for (long i = 0; i < size / 4; i += 16) _mm_clflush(&buf[i]);
			pin(1);
			double a = now();
			float s = 0;
			for (long i = 0; i < size / 4; i += 16) s += buf[i];
			total += now() - a;
			sink = s;
		}
		printf("%ld KB %-26s read by vCPU 1 in %7.1f us (%.1f GB/s)\n", size / 1024, names[mode],
		       total / rounds * 1e6, size / (total / rounds) / 1e9);
	}
	// Writing lines another core holds takes each from it first.
	const char *wnames[] = {"last written by the other vCPU", "last written by the writer"};
	for (int mode = 0; mode < 2; mode++) {
		double total = 0;
		int rounds = 100;
		for (int r = 0; r < rounds; r++) {
			pin(mode == 1 ? 1 : 0);
			for (long i = 0; i < size / 4; i += 16) buf[i] = r;
			pin(1);
			double a = now();
			__m256 v = _mm256_set1_ps(r);
			for (long i = 0; i < size / 4; i += 8) _mm256_store_ps(&buf[i], v);
			total += now() - a;
		}
		printf("%ld KB %-30s written by vCPU 1 in %7.1f us (%.1f GB/s)\n", size / 1024, wnames[mode],
		       total / rounds * 1e6, size / (total / rounds) / 1e9);
	}
	return 0;
}
