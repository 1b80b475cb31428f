/* test-container-options: the create body checks (container-options.h)
 * from a table: what clients send by default passes; every refused option,
 * wrong type and out-of-range number is an invalid error naming the field;
 * huge values never wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "engine/container/container-options.h"

/* body: a create body; want: NULL to pass, else a substring of the error. */
static const struct {
        const char *body, *want;
} cases[] = {
    /* CLI 28's `docker create busybox` HostConfig, verbatim */
    {"{\"HostConfig\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\","
     "\"Config\":{}},\"NetworkMode\":\"default\",\"PortBindings\":{},\"RestartPolicy\":{"
     "\"Name\":\"no\",\"MaximumRetryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\","
     "\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":null,\"CapDrop\":null,"
     "\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,"
     "\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,"
     "\"PidMode\":\"\",\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,"
     "\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":0,\"Isolation\":\"\","
     "\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,"
     "\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],"
     "\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,"
     "\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\","
     "\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,"
     "\"MemorySwap\":0,\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,"
     "\"Ulimits\":[],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,"
     "\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,\"ReadonlyPaths\":null},"
     "\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"IPAMConfig\":null,"
     "\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,"
     "\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\","
     "\"IPPrefixLen\":0,\"DNSNames\":null}}}}",
     NULL},
    /* docker-py's defaults */
    {"{\"Tty\":false,\"NetworkDisabled\":false,\"HostConfig\":{\"NetworkMode\":\"default\"}}",
     NULL},
    {"{}", NULL},
    /* numbers carried out, in range */
    {"{\"HostConfig\":{\"Memory\":67108864,\"MemorySwap\":-1,\"ShmSize\":1048576,"
     "\"CpuShares\":512,\"CpuQuota\":50000,\"CpuPeriod\":100000,\"PidsLimit\":-1,"
     "\"NanoCpus\":500000000,\"ConsoleSize\":[24,80],\"Ulimits\":[{\"Name\":\"nofile\","
     "\"Soft\":10,\"Hard\":20},{\"Name\":\"core\",\"Soft\":-1,\"Hard\":-1}]},"
     "\"StopTimeout\":-1}",
     NULL},
    {"{\"HostConfig\":{\"IpcMode\":\"private\",\"UsernsMode\":\"host\","
     "\"CgroupnsMode\":\"private\",\"Isolation\":\"default\",\"RestartPolicy\":{\"Name\":\"\"},"
     "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}},"
     "\"ExtraHosts\":[\"a:1.2.3.4\",\"b=fd00::1\"]},\"Healthcheck\":{\"Test\":[\"NONE\"]}}",
     NULL},
    /* wrong types */
    {"{\"HostConfig\":{\"Memory\":1.5}}", "HostConfig.Memory: wrong type"},
    {"{\"HostConfig\":{\"Memory\":\"1g\"}}", "HostConfig.Memory: wrong type"},
    {"{\"HostConfig\":{\"PidsLimit\":true}}", "HostConfig.PidsLimit: wrong type"},
    {"{\"HostConfig\":{\"ShmSize\":[1]}}", "HostConfig.ShmSize: wrong type"},
    {"{\"StopTimeout\":\"10\"}", "StopTimeout: wrong type"},
    {"{\"HostConfig\":{\"Ulimits\":{}}}", "Ulimits: wrong type"},
    {"{\"HostConfig\":{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":1.5,\"Hard\":2}]}}",
     "wrong type"},
    /* out of range */
    {"{\"HostConfig\":{\"CpuShares\":-1}}", "HostConfig.CpuShares -1: out of range"},
    {"{\"HostConfig\":{\"CpuShares\":1099511627776}}", "HostConfig.CpuShares"},
    {"{\"HostConfig\":{\"Memory\":-2}}", "HostConfig.Memory -2"},
    {"{\"HostConfig\":{\"Memory\":4611686018427387904}}", "HostConfig.Memory"},
    {"{\"HostConfig\":{\"Memory\":9223372036854775807}}", "HostConfig.Memory"},
    {"{\"HostConfig\":{\"MemorySwap\":-7}}", "HostConfig.MemorySwap"},
    {"{\"HostConfig\":{\"MemoryReservation\":1.5}}", "HostConfig.MemoryReservation: wrong type"},
    {"{\"HostConfig\":{\"MemoryReservation\":-1}}", "HostConfig.MemoryReservation -1"},
    {"{\"HostConfig\":{\"ShmSize\":-1}}", "HostConfig.ShmSize"},
    {"{\"HostConfig\":{\"NanoCpus\":-1}}", "HostConfig.NanoCpus"},
    {"{\"HostConfig\":{\"CpuQuota\":500}}", "HostConfig.CpuQuota"},
    {"{\"HostConfig\":{\"CpuQuota\":-2}}", "HostConfig.CpuQuota"},
    {"{\"HostConfig\":{\"CpuPeriod\":999}}", "HostConfig.CpuPeriod"},
    {"{\"HostConfig\":{\"CpuPeriod\":1000001}}", "HostConfig.CpuPeriod"},
    {"{\"HostConfig\":{\"PidsLimit\":-5}}", "HostConfig.PidsLimit"},
    {"{\"HostConfig\":{\"PidsLimit\":4294967296}}", "HostConfig.PidsLimit"},
    {"{\"StopTimeout\":-2}", "StopTimeout"},
    {"{\"StopTimeout\":2147484}", "StopTimeout"},
    {"{\"HostConfig\":{\"ConsoleSize\":[1,-1]}}", "ConsoleSize"},
    {"{\"HostConfig\":{\"ConsoleSize\":[65536,1]}}", "ConsoleSize"},
    {"{\"HostConfig\":{\"ConsoleSize\":[1]}}", "ConsoleSize"},
    {"{\"HostConfig\":{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":20,\"Hard\":10}]}}",
     "soft limit"},
    {"{\"HostConfig\":{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":-1,\"Hard\":10}]}}",
     "soft limit"},
    {"{\"HostConfig\":{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":-3,\"Hard\":10}]}}",
     "Ulimits Soft"},
    {"{\"HostConfig\":{\"Ulimits\":[{\"Name\":\"bogus\",\"Soft\":1,\"Hard\":1}]}}",
     "invalid ulimit type: bogus"},
    {"{\"HostConfig\":{\"Ulimits\":[\"nofile\"]}}", "Ulimits"},
    /* refused options */
    {"{\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":2}}}",
     "kedge does not support restart policy 'on-failure' yet"},
    {"{\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"bogus\"}}}",
     "invalid restart policy: unknown policy 'bogus'"},
    {"{\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":-1}}}",
     "cannot be negative"},
    {"{\"HostConfig\":{\"Links\":[\"a:b\"]}}", "HostConfig.Links"},
    {"{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}}}",
     "HostConfig.PortBindings"},
    {"{\"HostConfig\":{\"PublishAllPorts\":true}}", "HostConfig.PublishAllPorts"},
    {"{\"HostConfig\":{\"OomKillDisable\":true}}", "HostConfig.OomKillDisable"},
    {"{\"HostConfig\":{\"MemorySwappiness\":0}}", "HostConfig.MemorySwappiness"},
    {"{\"HostConfig\":{\"MemorySwappiness\":1.5}}", "HostConfig.MemorySwappiness"},
    {"{\"HostConfig\":{\"Sysctls\":{\"a\":\"b\"}}}", "HostConfig.Sysctls"},
    {"{\"HostConfig\":{\"BlkioWeight\":0.5}}", "HostConfig.BlkioWeight"},
    {"{\"HostConfig\":{\"PidMode\":\"host\"}}", "PidMode 'host'"},
    {"{\"HostConfig\":{\"IpcMode\":5}}", "IpcMode"},
    {"{\"HostConfig\":{\"LogConfig\":{\"Type\":\"nope\"}}}",
     "logger: no log driver named 'nope' is registered"},
    {"{\"HostConfig\":{\"LogConfig\":{\"Type\":\"journald\"}}}", "logging driver 'journald'"},
    {"{\"HostConfig\":{\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-file\":\"0\"}}}}",
     "max-file"},
    {"{\"HostConfig\":{\"ExtraHosts\":[\"h:host-gateway\"]}}", "host-gateway"},
    {"{\"HostConfig\":{\"ExtraHosts\":[\"nohost\"]}}", "invalid add-host"},
    {"{\"HostConfig\":{\"NetworkMode\":\"container:x\"}}", "NetworkMode 'container:x'"},
    {"{\"NetworkingConfig\":{\"EndpointsConfig\":{\"bridge\":{\"IPAMConfig\":"
     "{\"IPv4Address\":\"10.0.0.2\"}}}}}",
     "EndpointsConfig.bridge.IPAMConfig"},
    {"{\"HostConfig\":{\"NetworkMode\":\"none\"},\"NetworkingConfig\":{\"EndpointsConfig\":"
     "{\"bridge\":{}}}}",
     "network 'bridge'"},
    {"{\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"]}}", "healthchecks"},
    {"{\"MacAddress\":\"02:42:ac:11:00:02\"}", "MacAddress"},
    {"{\"NetworkDisabled\":true}", "NetworkDisabled"},
    /* dockerd's config checks */
    {"{\"WorkingDir\":\"rel\"}", "the working directory 'rel' is invalid"},
    {"{\"StopSignal\":\"SIGNOPE\"}", "Invalid signal: SIGNOPE"},
    {"{\"StopSignal\":\"SIGUSR1\",\"WorkingDir\":\"/x\",\"Env\":[\"A=1\",\"B\"]}", NULL},
    {"{\"Env\":[\"=x\"]}", "invalid environment variable: =x"},
};

static void test_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                json_error_t jerr;
                json_t *body = json_loads(cases[i].body, 0, &jerr);
                if (!body)
                        fail_msg("case %zu does not parse: %s", i, jerr.text);
                json_t *hc = json_object_get(body, "HostConfig");
                json_t *nc = json_object_get(body, "NetworkingConfig");
                struct kerr err = {0};
                json_t *empty = json_object();
                int r = container_options_check(body, hc ? hc : empty, nc, &err);
                json_decref(empty);
                if (!cases[i].want && r < 0)
                        fail_msg("case %zu refused: %s", i, err.msg);
                if (cases[i].want && (r >= 0 || !strstr(err.msg, cases[i].want)))
                        fail_msg("case %zu: want an error with '%s', got %d '%s'", i, cases[i].want,
                                 r, err.msg);
                if (cases[i].want)
                        assert_int_equal(err.kind, KERR_INVALID);
                json_decref(body);
        }
}

static void test_merged(void **state)
{
        (void)state;
        json_t *warnings = json_array();
        json_t *empty_hc = json_object();
        struct kerr err = {0};
        json_t *cfg = json_loads("{\"Healthcheck\":{\"Test\":[\"CMD\",\"x\"]}}", 0, NULL);
        assert_true(container_options_check_merged(cfg, empty_hc, warnings, &err) < 0);
        assert_non_null(strstr(err.msg, "--no-healthcheck"));
        json_decref(cfg);
        cfg = json_loads("{\"Healthcheck\":{\"Test\":[\"NONE\"]},\"Volumes\":{\"/data\":{}}}", 0,
                         NULL);
        assert_int_equal(container_options_check_merged(cfg, empty_hc, warnings, &err), 0);
        assert_int_equal(json_array_size(warnings), 1);
        assert_non_null(strstr(json_string_value(json_array_get(warnings, 0)), "/data"));
        json_decref(cfg);
        json_decref(warnings);
        json_decref(empty_hc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table),
            cmocka_unit_test(test_merged),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
