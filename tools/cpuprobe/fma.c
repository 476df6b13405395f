// fma.c measures one vCPU's multiply-add throughput with AVX-512, alone
// and with every thread running it at once: whether the vCPUs share the
// units. Not part of the program or its tests.
//
//   gcc -O3 -march=native -o /tmp/fma tools/cpuprobe/fma.c -lpthread
//   /tmp/fma 1; /tmp/fma 2
//
// Each thread runs 16 independent chains of VFMADD on registers (no
// memory traffic) and prints its GFLOP/s (2 per lane and FMA).
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 16
#define ROUNDS 25000000L

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *work(void *arg) {
	__m512 a[CHAINS];
	__m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(0.999999f);
	for (int i = 0; i < CHAINS; i++) a[i] = _mm512_set1_ps((float)i);
	double t0 = now();
	for (long n = 0; n < ROUNDS; n++)
		for (int i = 0; i < CHAINS; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
	double t = now() - t0;
	float s = 0;
	for (int i = 0; i < CHAINS; i++) s += _mm512_reduce_add_ps(a[i]);
	// s keeps the chains alive; print it so the compiler cannot drop them.
	printf("thread %ld: %.1f GFLOP/s (checksum %g)\n", (long)arg, ROUNDS * (double)CHAINS * 32 / t / 1e9, s);
	return NULL;
}

int main(int argc, char **argv) {
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	if (threads < 1 || threads > 64) {
		fprintf(stderr, "usage: fma THREADS (1 to 64)\n");
		return 2;
	}
	pthread_t th[64];
	for (long i = 0; i < threads; i++) pthread_create(&th[i], NULL, work, (void *)i);
	for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
	return 0;
}
