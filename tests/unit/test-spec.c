/* config.json parsing, from tables of documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/caps.h"
#include "runtime/spec.h"

#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#define PROC "\"process\":{\"args\":[\"sh\"]}"
#define ROOT "\"root\":{\"path\":\"rootfs\"}"

static const struct {
        const char *json;
        const char *error; /* NULL: parses; else a substring of the message */
} cases[] = {
    {"{" PROC "," ROOT "}", NULL},
    {"{" ROOT "}", "no process"},
    {"{\"process\":{\"args\":[]}," ROOT "}", "process.args is empty"},
    {"{\"process\":{\"args\":\"sh\"}," ROOT "}", "process.args must be an array"},
    {"{\"process\":{\"args\":[1]}," ROOT "}", "array of strings"},
    {"{" PROC "}", "no root.path"},
    {"{" PROC "," ROOT ",\"hostname\":5}", "hostname must be a string"},
    {"{\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}," ROOT "}", "not absolute"},
    {"{\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":-1}}," ROOT "}", "uid"},
    {"{\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}," ROOT "}",
     "unknown capability CAP_NOPE"},
    {"{\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_X\",\"soft\":1,\"hard\":1}]}"
     "," ROOT "}",
     "unknown rlimit type 'RLIMIT_X'"},
    {"{" PROC "," ROOT ",\"mounts\":[{\"destination\":\"tmp\"}]}", "not absolute"},
    {"{" PROC "," ROOT ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\"}]}",
     "has no source"},
    {"{" PROC "," ROOT ",\"linux\":{\"namespaces\":[{\"type\":\"time2\"}]}}", "unknown namespace"},
    {"{" PROC "," ROOT ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1g\"}}}}",
     "linux.resources.memory.limit must be an integer"},
    {"{" PROC "," ROOT ",\"annotations\":{\"org.kedge.rootfs.lowerdirs\":\"/a\","
     "\"org.kedge.rootfs.upperdir\":\"/u\"}}",
     "go together"},
    {"{" PROC "," ROOT ",\"linux\":{\"resources\":{\"devices\":[{\"type\":\"x\"}]}}}",
     "invalid device type 'x'"},
    {"{" PROC "," ROOT ",\"linux\":{\"resources\":{\"devices\":[{\"access\":\"rwx\"}]}}}",
     "invalid device access 'rwx'"},
    {"{" PROC "," ROOT ",\"linux\":{\"resources\":{\"devices\":[{\"major\":-2}]}}}",
     "devices[].major must be an integer"},
    {"{" PROC "," ROOT ",\"linux\":{\"resources\":{\"devices\":{}}}}",
     "linux.resources.devices must be an array"},
    {"[1]", "must be an object"},
    {"{", "line 1"},
};

static void test_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct rt_spec s;
                struct kerr err = {0};
                int r = rt_spec_parse(cases[i].json, strlen(cases[i].json), "/b", &s, &err);
                if (!cases[i].error) {
                        assert_int_equal(r, 0);
                        rt_spec_release(&s);
                        continue;
                }
                if (r >= 0 || !strstr(err.msg, cases[i].error))
                        fail_msg("case %zu: want '%s', got %d '%s'", i, cases[i].error, r, err.msg);
                assert_int_equal(err.kind, KERR_INVALID);
        }
}

static const char full[] =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":40,"
    "\"width\":100},\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[10,20]},"
    "\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"PATH=/bin\",\"A=b\"],\"cwd\":\"/work\","
    "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"kill\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1048576,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"box\","
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":"
    "[\"nosuid\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
    "{\"destination\":\"/data\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\",\"rprivate\"]}],"
    "\"annotations\":{\"org.kedge.rootfs.lowerdirs\":\"/l2:/l1\","
    "\"org.kedge.rootfs.upperdir\":\"/u\",\"org.kedge.rootfs.workdir\":\"/w\"},"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/"
    "net\"},"
    "{\"type\":\"mount\"}],\"cgroupsPath\":\"kedge/abc\",\"resources\":{\"memory\":"
    "{\"limit\":67108864,\"swap\":-1},\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},"
    "\"pids\":{\"limit\":100}},\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
    "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"}}}";

static void test_full(void **state)
{
        (void)state;
        struct rt_spec s;
        struct kerr err = {0};
        assert_int_equal(rt_spec_parse(full, strlen(full), "/bundle", &s, &err), 0);
        const struct rt_process *p = &s.process;
        assert_string_equal(p->args[2], "true");
        assert_null(p->args[3]);
        assert_string_equal(p->env[1], "A=b");
        assert_string_equal(p->cwd, "/work");
        assert_int_equal(p->uid, 1000);
        assert_int_equal(p->gid, 100);
        assert_int_equal(p->n_additional_gids, 2);
        assert_int_equal(p->additional_gids[1], 20);
        assert_true(p->terminal);
        assert_int_equal(p->console_rows, 40);
        assert_int_equal(p->console_cols, 100);
        assert_true(p->no_new_privileges);
        assert_int_equal(p->n_rlimits, 1);
        assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(p->rlimits[0].soft, 1024);
        assert_true(p->has_caps);
        assert_int_equal(p->caps.bounding, RT_CAP_BIT(0) | RT_CAP_BIT(5));
        assert_int_equal(p->caps.effective, RT_CAP_BIT(5));
        assert_int_equal(p->caps.ambient, 0);
        assert_string_equal(s.root_path, "/bundle/rootfs");
        assert_true(s.root_readonly);
        assert_string_equal(s.hostname, "box");
        assert_int_equal(s.n_mounts, 3);
        assert_int_equal(s.mounts[0].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
        assert_null(s.mounts[0].data);
        assert_string_equal(s.mounts[1].data, "newinstance,ptmxmode=0666,mode=0620");
        assert_true(s.mounts[2].bind);
        assert_true(s.mounts[2].recursive);
        assert_int_equal(s.mounts[2].flags, MS_RDONLY);
        assert_int_equal(s.mounts[2].propagation, MS_PRIVATE | MS_REC);
        assert_true(s.ns[RT_NS_PID].enabled);
        assert_string_equal(s.ns[RT_NS_NET].path, "/proc/1/ns/net");
        assert_false(s.ns[RT_NS_UTS].enabled);
        assert_string_equal(s.cgroups_path, "kedge/abc");
        assert_int_equal(s.resources.memory_limit, 67108864);
        assert_int_equal(s.resources.memory_swap, -1);
        assert_int_equal(s.resources.cpu_shares, 512);
        assert_int_equal(s.resources.cpu_quota, 50000);
        assert_int_equal(s.resources.cpu_period, 100000);
        assert_int_equal(s.resources.pids_limit, 100);
        assert_string_equal(s.masked_paths[0], "/proc/kcore");
        assert_string_equal(s.readonly_paths[0], "/proc/sys");
        assert_non_null(strstr(s.seccomp_json, "SCMP_ACT_ERRNO"));
        assert_string_equal(s.lowerdirs, "/l2:/l1");
        assert_string_equal(s.upperdir, "/u");
        rt_spec_release(&s);
}

static void test_devices(void **state)
{
        (void)state;
        static const char json[] =
            "{" PROC "," ROOT ",\"linux\":{\"resources\":{\"devices\":["
            "{\"allow\":false,\"access\":\"rwm\"},"
            "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
            "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"m\"}]}}}";
        struct rt_spec s;
        struct kerr err = {0};
        assert_int_equal(rt_spec_parse(json, strlen(json), "/b", &s, &err), 0);
        const struct rt_resources *r = &s.resources;
        assert_true(r->devices_set);
        assert_int_equal(r->n_devices, 3);
        assert_false(r->devices[0].allow);
        assert_int_equal(r->devices[0].type, 'a');
        assert_int_equal(r->devices[0].major, -1);
        assert_int_equal(r->devices[0].access, RT_DEV_ALL);
        assert_int_equal(r->devices[1].type, 'c');
        assert_int_equal(r->devices[1].minor, 3);
        assert_int_equal(r->devices[1].access, RT_DEV_READ | RT_DEV_WRITE);
        assert_int_equal(r->devices[2].major, 8);
        assert_int_equal(r->devices[2].minor, -1);
        assert_int_equal(r->devices[2].access, RT_DEV_MKNOD);
        rt_spec_release(&s);
        /* absent: the runtime leaves the device policy alone */
        static const char none[] = "{" PROC "," ROOT "}";
        assert_int_equal(rt_spec_parse(none, strlen(none), "/b", &s, &err), 0);
        assert_false(s.resources.devices_set);
        rt_spec_release(&s);
}

static void test_caps_names(void **state)
{
        (void)state;
        assert_int_equal(rt_cap_from_name("CAP_CHOWN"), 0);
        assert_int_equal(rt_cap_from_name("net_raw"), 13);
        assert_int_equal(rt_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
        assert_int_equal(rt_cap_from_name("CAP_NOPE"), -1);
        assert_string_equal(rt_cap_name(21), "CAP_SYS_ADMIN");
        assert_null(rt_cap_name(64));
        /* the CapBnd /proc/self/status shows in a Docker container */
        assert_int_equal(rt_caps_docker_default_mask(), 0xa80425fbULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table),
            cmocka_unit_test(test_full),
            cmocka_unit_test(test_caps_names),
            cmocka_unit_test(test_devices),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
