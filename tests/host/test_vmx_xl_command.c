/*
 * tests/host/test_vmx_xl_command.c - the xl console's command parser
 * (vmx/xl_command.c): every command with good arguments (what it parsed)
 * and bad ones (the reason), table-driven.
 *
 * Lock order: single-threaded.
 */
#include "vmx/xl_command.h"

#include <stdio.h>
#include <string.h>

#include "tests/host/test.h"

struct good_row {
	const char *line;
	enum xl_kind kind;
	const char *name;
	const char *pool;
	uint64_t cpus;   /* vcpu-pin */
	unsigned number; /* vcpu (pin), pcpu (cpu-add/-remove), params (create) */
	bool flag;       /* compact (cpupool-list), all vCPUs (pin), has_cap */
	uint32_t value;  /* cap (sched-credit) */
};

static const struct good_row good_rows[] = {
    {"xl list", XL_LIST, "", "", 0, 0, false, 0},
    {"  xl   list  a ", XL_LIST, "a", "", 0, 0, false, 0},
    {"xl vcpu-list", XL_VCPU_LIST, "", "", 0, 0, false, 0},
    {"xl vcpu-list hog", XL_VCPU_LIST, "hog", "", 0, 0, false, 0},
    {"xl vcpu-pin hog 1 2-3", XL_VCPU_PIN, "hog", "", 0xc, 1, false, 0},
    {"xl vcpu-pin hog all 5", XL_VCPU_PIN, "hog", "", 0x20, 0, true, 0},
    {"xl vcpu-pin hog 0 all", XL_VCPU_PIN, "hog", "", SCHED_AFFINITY_ALL, 0, false, 0},
    {"xl cpupool-list", XL_CPUPOOL_LIST, "", "", 0, 0, false, 0},
    {"xl cpupool-list -c", XL_CPUPOOL_LIST, "", "", 0, 0, true, 0},
    {"xl cpupool-list Pool-0 -c", XL_CPUPOOL_LIST, "Pool-0", "", 0, 0, true, 0},
    {"xl cpupool-create name=p1 sched=credit-short", XL_CPUPOOL_CREATE, "p1", "", 0, 0, false, 0},
    {"xl cpupool-create name=\"p1\" sched='credit' tslice_ms=5 ratelimit_us=0 cpus=2-3",
     XL_CPUPOOL_CREATE, "p1", "", 0, 3, false, 0},
    {"xl cpupool-destroy p1", XL_CPUPOOL_DESTROY, "p1", "", 0, 0, false, 0},
    {"xl cpupool-cpu-add p1 3", XL_CPUPOOL_CPU_ADD, "p1", "", 0, 3, false, 0},
    {"xl cpupool-cpu-remove Pool-0 3", XL_CPUPOOL_CPU_REMOVE, "Pool-0", "", 0, 3, false, 0},
    {"xl cpupool-migrate a p1", XL_CPUPOOL_MIGRATE, "a", "p1", 0, 0, false, 0},
    {"xl sched-credit", XL_SCHED_CREDIT, "", "", 0, 0, false, 0},
    {"xl sched-credit -d hog", XL_SCHED_CREDIT, "hog", "", 0, 0, false, 0},
    {"xl sched-credit -d hog -c 50", XL_SCHED_CREDIT, "hog", "", 0, 0, true, 50},
    {"xl sched-credit -d hog -w 512 -c 0", XL_SCHED_CREDIT, "hog", "", 0, 0, true, 0},
    {"xl pause a", XL_PAUSE, "a", "", 0, 0, false, 0},
    {"xl unpause a", XL_UNPAUSE, "a", "", 0, 0, false, 0},
    {"xl destroy a", XL_DESTROY, "a", "", 0, 0, false, 0},
    {"xl dmesg", XL_DMESG, "", "", 0, 0, false, 0},
    {"xl console a", XL_CONSOLE, "a", "", 0, 0, false, 0},
    {"xl pcpu-list", XL_PCPU_LIST, "", "", 0, 0, false, 0},
    {"xl exits", XL_EXITS, "", "", 0, 0, false, 0},
    {"xl type a hello uslice", XL_TYPE, "a", "", 0, 0, false, 0},
    {"help", XL_HELP, "", "", 0, 0, false, 0},
    {"xl help", XL_HELP, "", "", 0, 0, false, 0},
};

static void test_good(void)
{
	char why[200];
	for (size_t i = 0; i < sizeof(good_rows) / sizeof(good_rows[0]); i++) {
		const struct good_row *row = &good_rows[i];
		struct xl_command c;
		test_case_begin(row->line);
		why[0] = '\0';
		CHECK_EQ(xl_command_parse(row->line, &c, why, sizeof(why)), 0);
		if (why[0])
			fprintf(stderr, "  %s\n", why);
		CHECK_EQ(c.kind, row->kind);
		CHECK_STR(c.name, row->name);
		CHECK_STR(c.pool, row->pool);
		switch (row->kind) {
		case XL_VCPU_PIN:
			CHECK_EQ(c.cpus, row->cpus);
			CHECK_EQ(c.all_vcpus, row->flag);
			if (!row->flag)
				CHECK_EQ(c.vcpu, row->number);
			break;
		case XL_CPUPOOL_LIST:
			CHECK_EQ(c.compact, row->flag);
			break;
		case XL_CPUPOOL_CPU_ADD:
		case XL_CPUPOOL_CPU_REMOVE:
			CHECK_EQ(c.pcpu, row->number);
			break;
		case XL_CPUPOOL_CREATE:
			CHECK_EQ(c.param_count, row->number);
			break;
		case XL_SCHED_CREDIT:
			CHECK_EQ(c.has_cap, row->flag);
			CHECK_EQ(c.cap, row->value);
			break;
		default:
			break;
		}
		test_case_end();
	}
}

static void test_details(void)
{
	struct xl_command c;
	char why[200];
	CHECK_EQ(xl_command_parse("xl cpupool-create name=p sched=micro-static:1 tslice_ms=5 "
	                          "cpus=2-3",
	                          &c, why, sizeof(why)),
	         0);
	CHECK_STR(c.policy, "micro-static:1");
	CHECK_STR(c.keys[0], "tslice_ms");
	CHECK_EQ(c.values[0], 5);
	CHECK_STR(c.keys[1], "cpus");
	CHECK_EQ(c.values[1], 0xc);
	CHECK_EQ(xl_command_parse("xl type a hello  uslice", &c, why, sizeof(why)), 0);
	CHECK_STR(c.text, "hello uslice");
	CHECK_EQ(xl_command_parse("xl sched-credit -d hog -w 512", &c, why, sizeof(why)), 0);
	CHECK(c.has_weight && c.weight == 512 && !c.has_cap);
}

struct bad_row {
	const char *line;
	const char *reason; /* contained in the message */
};

static const struct bad_row bad_rows[] = {
    {"", "unknown command"},
    {"ls", "unknown command"},
    {"xl", "needs a subcommand"},
    {"xl frobnicate", "unknown subcommand frobnicate"},
    {"xl list a b", "usage: xl list [VM]"},
    {"xl list a/b", "bad VM name 'a/b'"},
    {"xl list aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too long"},
    {"xl vcpu-list a b", "usage: xl vcpu-list [VM]"},
    {"xl vcpu-pin hog 1", "usage: xl vcpu-pin VM VCPU|all PCPUS|all"},
    {"xl vcpu-pin hog x 1", "VCPU 'x' is not a vCPU number"},
    {"xl vcpu-pin hog 16 1", "VCPU '16' is not a vCPU number"},
    {"xl vcpu-pin hog 0 3-1", "PCPUS: bad pCPU range"},
    {"xl vcpu-pin hog 0 64", "PCPUS: pCPU 64 does not exist"},
    {"xl cpupool-list -x", "unknown option -x"},
    {"xl cpupool-list a b", "one POOL at most"},
    {"xl cpupool-create", "usage: xl cpupool-create"},
    {"xl cpupool-create sched=credit", "name=NAME is missing"},
    {"xl cpupool-create name=p tslice", "'tslice' is not key=value"},
    {"xl cpupool-create name=p colour=3", "unknown key colour"},
    {"xl cpupool-create name=p tslice_ms=x", "tslice_ms=x is not a number"},
    {"xl cpupool-create name=p tslice_ms=1 tslice_ms=2", "tslice_ms is given twice"},
    {"xl cpupool-create name=p cpus=1-", "cpus: bad pCPU range"},
    {"xl cpupool-create name=p/q", "bad pool name"},
    {"xl cpupool-destroy", "usage: xl cpupool-destroy POOL"},
    {"xl cpupool-cpu-add p", "usage: xl cpupool-cpu-add POOL CPU"},
    {"xl cpupool-cpu-add p x", "CPU 'x' is not a pCPU number"},
    {"xl cpupool-cpu-remove p 64", "CPU '64' is not a pCPU number"},
    {"xl cpupool-migrate a", "usage: xl cpupool-migrate VM POOL"},
    {"xl sched-credit -d", "-d needs a value"},
    {"xl sched-credit -w 5", "-w and -c need -d VM"},
    {"xl sched-credit -d a -w 0", "weight '0' is not 1-65535"},
    {"xl sched-credit -d a -w 70000", "weight '70000' is not 1-65535"},
    {"xl sched-credit -d a -c 1601", "cap '1601' is not 0-1600"},
    {"xl sched-credit -d a -c -5", "cap '-5' is not"},
    {"xl sched-credit -d a -x 5", "unknown option -x"},
    {"xl pause", "usage: xl pause VM"},
    {"xl unpause a b", "usage: xl unpause VM"},
    {"xl destroy", "usage: xl destroy VM"},
    {"xl dmesg -c", "usage: xl dmesg"},
    {"xl console", "usage: xl console VM"},
    {"xl pcpu-list 1", "usage: xl pcpu-list"},
    {"xl exits x", "usage: xl exits"},
    {"xl type a", "usage: xl type VM TEXT"},
};

static void test_bad(void)
{
	char why[200];
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct xl_command c;
		test_case_begin(bad_rows[i].line);
		why[0] = '\0';
		CHECK_EQ(xl_command_parse(bad_rows[i].line, &c, why, sizeof(why)), -1);
		CHECK_CONTAINS(why, bad_rows[i].reason);
		test_case_end();
	}
}

int main(void)
{
	test_good();
	TEST_RUN(test_details);
	test_bad();
	return test_summary("test_vmx_xl_command");
}
