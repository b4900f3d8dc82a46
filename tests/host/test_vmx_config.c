/*
 * tests/host/test_vmx_config.c - the xl.cfg subset parser (vmx/config.c):
 * a full valid file, defaults, comments and quoting, and a table of
 * malformed inputs that must be rejected with "FILE:LINE: reason".
 *
 * Lock order: none.
 */
#include "tests/host/test.h"
#include "vmx/config.h"

static int parse(struct vm_config *config, const char *text, char *error, size_t size)
{
	return vm_config_parse(config, "t.cfg", text, strlen(text), error, size);
}

static void test_full_file(void)
{
	struct vm_config c;
	char error[200];
	const char *text = "# a VM\n"
	                   "name = \"web-1\"\n"
	                   "\n"
	                   "vcpus=2\n"
	                   "memory = 0x40   # MiB\n"
	                   "kernel = 'testos.elf'\n"
	                   "ramdisk = \"initrd.img\"\n"
	                   "extra = \"cpuid 100 # not a comment\"\n"
	                   "pool = \"micro\"\n"
	                   "symbols = \"System.map\"\n";
	CHECK_EQ(parse(&c, text, error, sizeof(error)), 0);
	CHECK_STR(c.name, "web-1");
	CHECK_EQ(c.vcpus, 2);
	CHECK_EQ(c.memory_mb, 64);
	CHECK_STR(c.kernel, "testos.elf");
	CHECK_STR(c.ramdisk, "initrd.img");
	CHECK_STR(c.extra, "cpuid 100 # not a comment");
	CHECK_STR(c.pool, "micro");
	CHECK_STR(c.symbols, "System.map");
	CHECK_STR(error, "");
}

static void test_defaults_and_no_final_newline(void)
{
	struct vm_config c;
	char error[200];
	CHECK_EQ(parse(&c, "name=\"a\"\r\nkernel=\"k\"", error, sizeof(error)), 0);
	CHECK_EQ(c.vcpus, 1);
	CHECK_EQ(c.memory_mb, 32);
	CHECK_STR(c.pool, "Pool-0");
	CHECK_STR(c.extra, "");
	CHECK_STR(c.ramdisk, "");
}

/* Xen's keys for a Linux guest: kernel (a bzImage), ramdisk (its initrd),
 * cmdline; extra is appended to cmdline after a space. */
static void test_command_line(void)
{
	static const struct {
		const char *text;
		const char *command_line;
		uint32_t cmdline_line, extra_line;
	} rows[] = {
	    {"name=\"a\"\nkernel=\"bzImage\"\nramdisk=\"initrd\"\ncmdline=\"console=ttyS0 "
	     "nokaslr\"\n",
	     "console=ttyS0 nokaslr", 4, 0},
	    {"name=\"a\"\nkernel=\"k\"\ncmdline=\"console=ttyS0\"\nextra=\"quiet\"\n",
	     "console=ttyS0 quiet", 3, 4},
	    {"name=\"a\"\nkernel=\"k\"\nextra=\"cpuid 100\"\n", "cpuid 100", 0, 3},
	    {"name=\"a\"\nkernel=\"k\"\ncmdline=\"\"\nextra=\"x\"\n", "x", 3, 4},
	    {"name=\"a\"\nkernel=\"k\"\n", "", 0, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vm_config c;
		char error[200] = "", line[VM_CONFIG_COMMAND_LINE_SIZE];
		CHECK_EQ(parse(&c, rows[i].text, error, sizeof(error)), 0);
		CHECK_STR(error, "");
		CHECK_EQ(vm_config_command_line(&c, line, sizeof(line)),
		         strlen(rows[i].command_line));
		CHECK_STR(line, rows[i].command_line);
		CHECK_EQ(c.lines[VM_CONFIG_KEY_CMDLINE], rows[i].cmdline_line);
		CHECK_EQ(c.lines[VM_CONFIG_KEY_EXTRA], rows[i].extra_line);
	}
	CHECK_STR(vm_config_key_name(VM_CONFIG_KEY_CMDLINE), "cmdline");
	/* Both at their longest still fit, with the space. */
	struct vm_config c;
	memset(&c, 0, sizeof(c));
	memset(c.cmdline, 'c', sizeof(c.cmdline) - 1);
	memset(c.extra, 'e', sizeof(c.extra) - 1);
	char line[VM_CONFIG_COMMAND_LINE_SIZE];
	CHECK_EQ(vm_config_command_line(&c, line, sizeof(line)), sizeof(line) - 1);
	CHECK_EQ(line[VM_CONFIG_EXTRA_SIZE - 1], ' ');
}

static void test_rejected(void)
{
	static const struct {
		const char *text;
		const char *error;
	} rows[] = {
	    {"name=\"a\"\nkernel=\"k\"\nbogus = 1\n", "t.cfg:3: unknown key bogus"},
	    {"name=\"a\"\nname=\"b\"\nkernel=\"k\"\n", "t.cfg:2: duplicate key name"},
	    {"name=\"a\"\nkernel=\"k\n", "t.cfg:2: unterminated string for key kernel"},
	    {"name=\"a\"\nkernel=\"k\"\nmemory=\"64\"\n",
	     "t.cfg:3: expected a number for key memory"},
	    {"name=\"a\"\nkernel=\"k\"\nmemory=2\n", "t.cfg:3: value out of range for key memory"},
	    {"name=\"a\"\nkernel=\"k\"\nmemory=99999999999999999999999\n",
	     "t.cfg:3: number overflows for key memory"},
	    {"name=\"a\"\nkernel=\"k\"\nvcpus=0\n",
	     "t.cfg:3: value out of range for key vcpus (1..16)"},
	    {"name=\"a\"\nkernel=\"k\"\nvcpus=17\n",
	     "t.cfg:3: value out of range for key vcpus (1..16)"},
	    {"name=\"a\"\nkernel=\"k\"\nvcpus=2x\n", "t.cfg:3: malformed number for key vcpus"},
	    {"name=\"a\"\nkernel=k\n", "t.cfg:2: expected a quoted string for key kernel"},
	    {"name=\"a\"\nkernel=\"k\"\nextra=[\"x\"]\n",
	     "t.cfg:3: lists are not supported for key extra"},
	    {"name=\"a\"\nkernel \"k\"\n", "t.cfg:2: expected '=' after key kernel"},
	    {"name=\"a\"\nkernel=\n", "t.cfg:2: missing value for key kernel"},
	    {"name=\"a\"\nkernel=\"k\" x\n", "t.cfg:2: unexpected text after the value"},
	    {"name=\"a b\"\nkernel=\"k\"\n", "t.cfg:1: name may only hold"},
	    {"name=\"\"\nkernel=\"k\"\n", "t.cfg:1: name must not be empty"},
	    {"name=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nkernel=\"k\"\n",
	     "t.cfg:1: string too long for key name"},
	    {"= 3\n", "t.cfg:1: expected a key"},
	    {"kernel=\"k\"\n# no name\n", "t.cfg:2: required key name is missing"},
	    {"name=\"a\"\n", "t.cfg:1: required key kernel is missing"},
	    {"", "t.cfg:1: required key name is missing"},
	    {"name=\"a\"\nkernel=\"k\"\ncmdline=1\n",
	     "t.cfg:3: expected a quoted string for key cmdline"},
	    {"name=\"a\"\nkernel=\"k\"\ncmdline=\"a\"\ncmdline=\"b\"\n",
	     "t.cfg:4: duplicate key cmdline"},
	    {"name=\"a\"\nkernel=\"k\"\npci = \"00:02.0\"\n",
	     "t.cfg:3: expected a list of strings for key pci"},
	    {"name=\"a\"\nkernel=\"k\"\npci = [ \"00:02.0\"\n",
	     "t.cfg:3: unterminated list (it must end on its line) for key pci"},
	    {"name=\"a\"\nkernel=\"k\"\npci = [ \"00:02.0\" \"00:03.0\" ]\n",
	     "t.cfg:3: expected ',' or ']' in the list for key pci"},
	    {"name=\"a\"\nkernel=\"k\"\npci = [ 2 ]\n",
	     "t.cfg:3: expected a quoted string for key pci"},
	    {"name=\"a\"\nkernel=\"k\"\npci = [ \"00:02.0\", \"0:2.0\" ]\n",
	     "t.cfg:3: PCI function listed twice: 0:2.0"},
	    {"name=\"a\"\nkernel=\"k\"\npci = "
	     "[\"0:1.0\",\"0:2.0\",\"0:3.0\",\"0:4.0\",\"0:5.0\"]\n",
	     "t.cfg:3: more PCI functions than a VM takes (4) for key pci"},
	    {"name=\"a\"\nkernel=\"k\"\npci = [ \"00:02.0\" ] x\n",
	     "t.cfg:3: unexpected text after the value"},
	    {"name=\"a\"\nkernel=\"k\"\npci = []\npci = []\n", "t.cfg:4: duplicate key pci"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vm_config c;
		char error[200] = "";
		int result = parse(&c, rows[i].text, error, sizeof(error));
		CHECK_EQ(result, -1);
		CHECK_CONTAINS(error, rows[i].error);
	}
}

/* pci = [ "BB:DD.F", ... ]: one BDF per string, "0000:" domain allowed. */
static void test_pci_list(void)
{
	static const struct {
		const char *value;
		int status;
		uint32_t count;
		uint16_t first, second;
	} rows[] = {
	    {"[ \"00:02.0\" ]", 0, 1, 0x0010, 0},
	    {"[\"0000:00:02.0\",]", 0, 1, 0x0010, 0},
	    {"['ff:1f.7', \"1:3.1\"]", 0, 2, 0xffff, 0x0119},
	    {"[ ]", 0, 0, 0, 0},
	    {"[ \"00:20.0\" ]", -1, 0, 0, 0},
	    {"[ \"00:02.8\" ]", -1, 0, 0, 0},
	    {"[ \"0001:00:02.0\" ]", -1, 0, 0, 0},
	    {"[ \"00:02\" ]", -1, 0, 0, 0},
	    {"[ \"00.02.0\" ]", -1, 0, 0, 0},
	    {"[ \"\" ]", -1, 0, 0, 0},
	    {"[ \"100:02.0\" ]", -1, 0, 0, 0},
	    {"[ \"00:02.0x\" ]", -1, 0, 0, 0},
	    {"[ \"g0:02.0\" ]", -1, 0, 0, 0},
	    {"[ \"00:02.00\" ]", -1, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[200], error[200] = "", name[64];
		snprintf(name, sizeof(name), "pci = %s", rows[i].value);
		test_case_begin(name);
		snprintf(text, sizeof(text), "name=\"a\"\nkernel=\"k\"\npci = %s # two\n",
		         rows[i].value);
		struct vm_config c;
		CHECK_EQ(parse(&c, text, error, sizeof(error)), rows[i].status);
		if (rows[i].status == 0) {
			CHECK_EQ(c.pci_count, rows[i].count);
			CHECK_EQ(c.pci[0], rows[i].first);
			CHECK_EQ(c.pci[1], rows[i].second);
			CHECK_EQ(c.lines[VM_CONFIG_KEY_PCI], 3);
		} else {
			CHECK_CONTAINS(error, "t.cfg:3: malformed PCI function (expected BB:DD.F)");
		}
		test_case_end();
	}
}

/* cpuid = "host,NAME=0,...": only hiding, only the features named. */
static void test_cpuid(void)
{
	static const struct {
		const char *value;
		uint32_t hidden;
		const char *error; /* NULL: accepted */
	} rows[] = {
	    {"\"host\"", 0, NULL},
	    {"\"host,rdrand=0\"", VM_CONFIG_CPUID_RDRAND, NULL},
	    {"'host,rdrand=0,rdseed=0'", VM_CONFIG_CPUID_RDRAND | VM_CONFIG_CPUID_RDSEED, NULL},
	    {"\"host,rdseed=0,rdseed=0\"", VM_CONFIG_CPUID_RDSEED, NULL},
	    {"\"\"", 0, "t.cfg:3: cpuid: the string must start with \"host\": "},
	    {"\"hostx,rdrand=0\"", 0, "t.cfg:3: cpuid: the string must start with \"host\": hostx"},
	    {"\"host,rdrand=1\"", 0,
	     "t.cfg:3: cpuid: a feature may only be hidden (NAME=0): rdrand"},
	    {"\"host,rdrand\"", 0, "t.cfg:3: cpuid: a feature may only be hidden (NAME=0): rdrand"},
	    {"\"host,rdrand=00\"", 0,
	     "t.cfg:3: cpuid: a feature may only be hidden (NAME=0): rdrand"},
	    {"\"host,avx=0\"", 0,
	     "t.cfg:3: cpuid: unknown feature (rdrand, rdseed can be hidden): avx"},
	    {"\"host,\"", 0, "t.cfg:3: cpuid: a feature may only be hidden (NAME=0): "},
	    {"[ \"host\" ]", 0, "t.cfg:3: lists are not supported for key cpuid"},
	    {"1", 0, "t.cfg:3: expected a quoted string for key cpuid"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[200], error[200] = "", name[64];
		snprintf(name, sizeof(name), "cpuid = %s", rows[i].value);
		test_case_begin(name);
		snprintf(text, sizeof(text), "name=\"a\"\nkernel=\"k\"\ncpuid = %s\n",
		         rows[i].value);
		struct vm_config c;
		int status = parse(&c, text, error, sizeof(error));
		if (!rows[i].error) {
			CHECK_EQ(status, 0);
			CHECK_EQ(c.cpuid_hidden, rows[i].hidden);
			CHECK_EQ(c.lines[VM_CONFIG_KEY_CPUID], 3);
		} else {
			CHECK_EQ(status, -1);
			CHECK_CONTAINS(error, rows[i].error);
		}
		test_case_end();
	}
}

/* cpus = "LIST" (every vCPU) or [ "LIST", ... ] (item i: vCPU i): xl.cfg's
 * hard affinity. Ranges are checked against the machine and the VM's
 * cpupool later, when the vCPUs are created (vmx/cpupools.c). */
static void test_cpus(void)
{
	static const struct {
		const char *value;
		uint32_t count;
		uint64_t first, second;
		const char *error; /* NULL: accepted */
	} rows[] = {
	    {"\"2\"", SCHED_MAX_VCPUS_PER_VM, 0x4, 0x4, NULL},
	    {"\"0-3,5\"", SCHED_MAX_VCPUS_PER_VM, 0x2f, 0x2f, NULL},
	    {"'all'", SCHED_MAX_VCPUS_PER_VM, VM_CONFIG_CPUS_ALL, VM_CONFIG_CPUS_ALL, NULL},
	    {"[ \"1-2\", \"0\" ]", 2, 0x6, 0x1, NULL},
	    {"[\"63\",]", 1, 1ull << 63, 0, NULL},
	    {"[ ]", 0, 0, 0, NULL},
	    {"\"64\"", 0, 0, 0, "t.cfg:4: cpus: pCPU 64 does not exist (pCPUs 0-63)"},
	    {"\"3-1\"", 0, 0, 0, "t.cfg:4: cpus: bad pCPU range in \"3-1\""},
	    {"\"1,\"", 0, 0, 0, "t.cfg:4: cpus: bad pCPU list \"1,\" (trailing ',')"},
	    {"\"\"", 0, 0, 0, "t.cfg:4: cpus: empty pCPU list"},
	    {"\"^1\"", 0, 0, 0, "t.cfg:4: cpus: bad pCPU list \"^1\" (e.g."},
	    {"\"nodes:0\"", 0, 0, 0, "t.cfg:4: cpus: bad pCPU list \"nodes:0\""},
	    {"[ \"0\", \"1\", \"2\" ]", 0, 0, 0,
	     "t.cfg:4: cpus: the list has more items than the VM has vCPUs"},
	    {"2", 0, 0, 0, "t.cfg:4: expected a quoted string for key cpus"},
	    {"[ \"0\" \"1\" ]", 0, 0, 0, "t.cfg:4: expected ',' or ']' in the list for key cpus"},
	    {"[ \"0\"", 0, 0, 0,
	     "t.cfg:4: unterminated list (it must end on its line) for key cpus"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[200], error[200] = "", name[64];
		snprintf(name, sizeof(name), "cpus = %s", rows[i].value);
		test_case_begin(name);
		snprintf(text, sizeof(text), "name=\"a\"\nkernel=\"k\"\nvcpus = 2\ncpus = %s\n",
		         rows[i].value);
		struct vm_config c;
		int status = parse(&c, text, error, sizeof(error));
		if (!rows[i].error) {
			CHECK_EQ(status, 0);
			CHECK_EQ(c.cpus_count, rows[i].count);
			CHECK_EQ(c.cpus[0], rows[i].first);
			CHECK_EQ(c.cpus[1], rows[i].second);
			CHECK_EQ(c.lines[VM_CONFIG_KEY_CPUS], 4);
		} else {
			CHECK_EQ(status, -1);
			CHECK_CONTAINS(error, rows[i].error);
		}
		test_case_end();
	}
	/* The item count is checked against vcpus wherever vcpus is given. */
	struct vm_config c;
	char error[200] = "";
	CHECK_EQ(
	    parse(&c, "name=\"a\"\ncpus = [\"0\", \"1\"]\nkernel=\"k\"\n", error, sizeof(error)),
	    -1);
	CHECK_CONTAINS(error, "t.cfg:2: cpus: the list has more items than the VM has vCPUs");
	CHECK_EQ(parse(&c, "name=\"a\"\ncpus = [\"0\", \"1\"]\nkernel=\"k\"\nvcpus=2\n", error,
	               sizeof(error)),
	         0);
	CHECK_STR(vm_config_key_name(VM_CONFIG_KEY_CPUS), "cpus");
}

static void test_nul_byte_and_small_error_buffer(void)
{
	struct vm_config c;
	char error[8];
	const char text[] = "name=\"a\0b\"\nkernel=\"k\"\n";
	CHECK_EQ(vm_config_parse(&c, "t.cfg", text, sizeof(text) - 1, error, sizeof(error)), -1);
	CHECK_EQ(strlen(error), 7); /* truncated, terminated */
	char full[100];
	CHECK_EQ(vm_config_parse(&c, "t.cfg", text, sizeof(text) - 1, full, sizeof(full)), -1);
	CHECK_CONTAINS(full, "t.cfg:1: NUL byte in string for key name");
}

static void test_shipped_configurations(void)
{
	static const char *const files[] = {"guests/testos/a.cfg", "guests/testos/b.cfg"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "rb");
		CHECK(f != NULL);
		if (!f)
			continue;
		char text[4096];
		size_t n = fread(text, 1, sizeof(text), f);
		fclose(f);
		struct vm_config c;
		char error[200];
		CHECK_EQ(vm_config_parse(&c, files[i], text, n, error, sizeof(error)), 0);
		CHECK_STR(c.kernel, "testos.elf");
	}
}

int main(void)
{
	TEST_RUN(test_full_file);
	TEST_RUN(test_defaults_and_no_final_newline);
	TEST_RUN(test_command_line);
	TEST_RUN(test_rejected);
	test_pci_list();
	test_cpuid();
	test_cpus();
	TEST_RUN(test_nul_byte_and_small_error_buffer);
	TEST_RUN(test_shipped_configurations);
	return test_summary("test_vmx_config");
}
