// SPDX-License-Identifier: GPL-2.0
/*
 * insnprof: a QEMU TCG plugin that counts the guest instructions executed
 * per translation block, for `bench/run --profile`.
 *
 * Under TCG the guest's own perf gets its timer only where a block exits to
 * QEMU's main loop, so its samples pile up on a few instructions. Counting
 * instructions in QEMU instead gives an exact profile of what the guest
 * executed: every block gets counters that inline adds (no helper call)
 * bump by the block's instruction count and by one each time it runs. The
 * second matters under TCG: every block ends in a jump that QEMU may have
 * to look up (a return or an indirect call always does), so a call costs
 * far more than its few instructions.
 *
 * The guest asks for a snapshot by creating an empty file "req-LABEL" in the
 * directory given as dir=...; a thread here polls for it, writes
 * "LABEL.prof" (one "vaddr instructions executions" line per block that
 * ran, hex address, decimal counts, cumulative since boot) and removes the request,
 * which tells the guest the snapshot is complete. Two snapshots around a
 * workload, subtracted, are its profile (bench/tcgprof/report.py).
 *
 * With percpu=1 the counts are kept per vCPU as well (a line then ends in
 * one instruction count per vCPU, up to MAX_VCPUS): which CPU executed what.
 * That takes a callback into the plugin at every block instead of the
 * inline adds (the guest runs several times slower), so it is only for
 * the per-CPU question (`bench/run --profile --percpu`).
 *
 * With time=1 (implies percpu=1) each vCPU's host time is kept per block as
 * well: at every block's start the host's TSC is read, and the cycles since
 * the vCPU's previous block start are charged to that previous block. So a
 * block is charged what it cost the vCPU's host thread in wall time: its
 * instructions, the softmmu TLB fills and helpers they called, the lookup of
 * the next block, and any time the vCPU spent outside translated code right
 * after it (an exit to the main loop, waiting for the iothread lock or for
 * an exclusive section, halted in the guest's idle loop). Where instructions
 * per packet are equal and the rate is not, this says which code took the
 * time. A line then ends in one cycle count per vCPU after the instruction
 * counts; the header gives the TSC's rate (tsc_hz=).
 *
 * The plugin API is QEMU's (include/qemu/qemu-plugin.h, API version 1 as in
 * QEMU 7.2); only the few calls used here are declared.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define SLOTS (1u << 21)	/* blocks; a booted kernel translates ~10^5 */
#define MAX_VCPUS 4

struct block {
	uint64_t vaddr;
	uint64_t insns;		/* bumped by translated code, racy by design */
	uint64_t execs;		/* times the block ran, likewise */
	uint64_t n;		/* the block's instructions (percpu) */
	uint64_t cpu_insns[MAX_VCPUS];	/* percpu: each vCPU's own slot */
	uint64_t cpu_cycles[MAX_VCPUS];	/* time: host TSC cycles charged */
};

static int percpu, timing;
static uint64_t tsc_hz;

/* time: each vCPU thread's previous block and when it started, written only
 * by that vCPU's thread (a cache line each). */
static struct {
	struct block *block;
	uint64_t tsc;
} __attribute__((aligned(64))) last[MAX_VCPUS];

static struct block *table;
static unsigned int used;
static unsigned long lost;	/* blocks not counted: table full */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[4096];
static volatile int stopping;

static struct block *slot_for(uint64_t vaddr)
{
	uint64_t h = vaddr * 0x9e3779b97f4a7c15ull;
	unsigned int i = (unsigned int)(h >> 43) & (SLOTS - 1);

	if (!vaddr)		/* 0 marks a free slot */
		return NULL;

	for (unsigned int n = 0; n < SLOTS; n++, i = (i + 1) & (SLOTS - 1)) {
		if (table[i].vaddr == vaddr)
			return &table[i];
		if (!table[i].vaddr) {
			if (used * 4 >= SLOTS * 3)
				return NULL;
			used++;
			table[i].vaddr = vaddr;
			return &table[i];
		}
	}
	return NULL;
}

/* percpu: each vCPU thread adds to its own slot; the totals race as the
 * inline adds do. */
static void exec_cb(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	b->insns += b->n;
	b->execs++;
	if (vcpu < MAX_VCPUS) {
		b->cpu_insns[vcpu] += b->n;
		if (timing) {
			uint64_t now = __rdtsc();

			if (last[vcpu].block)
				last[vcpu].block->cpu_cycles[vcpu] += now - last[vcpu].tsc;
			last[vcpu].block = b;
			last[vcpu].tsc = now;
		}
	}
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	uint64_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b;

	(void)id;
	pthread_mutex_lock(&lock);
	b = slot_for(vaddr);
	if (!b)
		lost++;
	pthread_mutex_unlock(&lock);
	if (!b)
		return;
	if (percpu) {
		b->n = n;
		qemu_plugin_register_vcpu_tb_exec_cb(tb, exec_cb, QEMU_PLUGIN_CB_NO_REGS, b);
		return;
	}
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->insns, n);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->execs, 1);
}

static int snapshot(const char *label)
{
	char path[4200], tmp[4210];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.prof", dir, label);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	pthread_mutex_lock(&lock);
	fprintf(f, "# insnprof blocks=%u lost=%lu percpu=%d time=%d tsc_hz=%llu\n", used,
		lost, percpu ? MAX_VCPUS : 0, timing, (unsigned long long)tsc_hz);
	for (unsigned int i = 0; i < SLOTS; i++) {
		if (!table[i].insns)
			continue;
		fprintf(f, "%llx %llu %llu",
			(unsigned long long)table[i].vaddr,
			(unsigned long long)table[i].insns,
			(unsigned long long)table[i].execs);
		for (int c = 0; percpu && c < MAX_VCPUS; c++)
			fprintf(f, " %llu", (unsigned long long)table[i].cpu_insns[c]);
		for (int c = 0; timing && c < MAX_VCPUS; c++)
			fprintf(f, " %llu", (unsigned long long)table[i].cpu_cycles[c]);
		fputc('\n', f);
	}
	pthread_mutex_unlock(&lock);
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

static void *watch(void *arg)
{
	(void)arg;
	while (!stopping) {
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char req[4400];

			if (strncmp(e->d_name, "req-", 4) || !e->d_name[4] ||
			    strchr(e->d_name, '.'))
				continue;
			if (snapshot(e->d_name + 4))
				fprintf(stderr, "insnprof: cannot write %s/%s.prof\n",
					dir, e->d_name + 4);
			snprintf(req, sizeof(req), "%s/%s", dir, e->d_name);
			unlink(req);
		}
		if (d)
			closedir(d);
		usleep(50 * 1000);
	}
	return NULL;
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	(void)id;
	(void)p;
	stopping = 1;
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info,
			int argc, char **argv)
{
	pthread_t t;

	(void)info;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "dir=", 4))
			snprintf(dir, sizeof(dir), "%s", argv[i] + 4);
		else if (!strcmp(argv[i], "percpu=1"))
			percpu = 1;
		else if (!strcmp(argv[i], "time=1"))
			percpu = timing = 1;
	if (!dir[0]) {
		fprintf(stderr, "insnprof: needs dir=DIRECTORY\n");
		return -1;
	}
	table = calloc(SLOTS, sizeof(*table));
	if (!table)
		return -1;
	if (timing) {
		/* The TSC's rate against CLOCK_MONOTONIC over 100 ms. */
		struct timespec a, b;
		uint64_t t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &a);
		t0 = __rdtsc();
		usleep(100 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t1 = __rdtsc();
		tsc_hz = (uint64_t)((double)(t1 - t0) * 1e9 /
				    ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)));
	}
	if (pthread_create(&t, NULL, watch, NULL))
		return -1;
	pthread_detach(t);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
