/* test-filters: the `filters` query parameter in both of Docker's JSON
 * shapes, unknown keys, booleans, label matching; and the time values
 * filters such as prune's `until` take (base/timestamp.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/filters.h"
#include "base/timestamp.h"

static const char *const keys[] = {"dangling", "label", "reference", "until", NULL};

static void test_shapes(void **state)
{
        (void)state;
        static const char *const inputs[] = {
                "{\"label\":[\"a=b\",\"c\"],\"dangling\":[\"true\"]}", /* docker-py */
                "{\"label\":{\"a=b\":true,\"c\":true},\"dangling\":{\"true\":true}}", /* Go */
        };
        for (size_t i = 0; i < 2; i++) {
                struct filters f;
                struct kerr err = {0};
                assert_int_equal(filters_parse(inputs[i], keys, &f, &err), 0);
                assert_int_equal(filters_count(&f, "label"), 2);
                assert_string_equal(filters_get(&f, "label", 0), "a=b");
                assert_string_equal(filters_get(&f, "label", 1), "c");
                assert_null(filters_get(&f, "label", 2));
                assert_int_equal(filters_count(&f, "reference"), 0);
                assert_null(filters_get(&f, "reference", 0));
                int b;
                assert_int_equal(filters_bool(&f, "dangling", &b, &err), 0);
                assert_int_equal(b, 1);
                filters_release(&f);
                assert_null(f.map);
        }
}

static void test_empty(void **state)
{
        (void)state;
        static const char *const inputs[] = {NULL, "", "{}"};
        for (size_t i = 0; i < 3; i++) {
                struct filters f;
                assert_int_equal(filters_parse(inputs[i], keys, &f, NULL), 0);
                assert_non_null(f.map);
                assert_int_equal(filters_count(&f, "label"), 0);
                int b = 7;
                assert_int_equal(filters_bool(&f, "dangling", &b, NULL), 0);
                assert_int_equal(b, -1); /* absent */
                filters_release(&f);
        }
}

static void test_refused(void **state)
{
        (void)state;
        static const struct {
                const char *in, *msg;
        } cases[] = {
                {"{\"colour\":[\"red\"]}", "invalid filter 'colour'"},
                {"{\"label\":[\"a\"],\"bogus\":{\"x\":true}}", "invalid filter 'bogus'"},
                {"[\"label\"]", "invalid filters: not a JSON object: [\"label\"]"},
                {"label=a", "invalid filters: not a JSON object: label=a"},
                {"{\"label\":\"a=b\"}", "invalid filter 'label': values must be a list of strings"},
                {"{\"label\":[1]}", "invalid filter 'label': values must be a list of strings"},
                {"{\"label\":null}", "invalid filter 'label': values must be a list of strings"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct filters f = {0};
                struct kerr err = {0};
                assert_int_equal(filters_parse(cases[i].in, keys, &f, &err), -EINVAL);
                assert_int_equal(err.kind, KERR_INVALID);
                assert_string_equal(err.msg, cases[i].msg);
                assert_null(f.map);
        }
}

static void test_bools(void **state)
{
        (void)state;
        static const struct {
                const char *in;
                int want; /* -2: refused */
        } cases[] = {
                {"{\"dangling\":[\"true\"]}", 1},   {"{\"dangling\":[\"1\"]}", 1},
                {"{\"dangling\":[\"false\"]}", 0},  {"{\"dangling\":[\"0\"]}", 0},
                {"{\"dangling\":{\"false\":true}}", 0}, {"{\"dangling\":[]}", -1},
                {"{\"dangling\":[\"maybe\"]}", -2}, {"{\"dangling\":[\"\"]}", -2},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct filters f;
                struct kerr err = {0};
                assert_int_equal(filters_parse(cases[i].in, keys, &f, &err), 0);
                int b;
                int r = filters_bool(&f, "dangling", &b, &err);
                if (cases[i].want == -2) {
                        assert_int_equal(r, -EINVAL);
                        assert_non_null(strstr(err.msg, "invalid filter 'dangling="));
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(b, cases[i].want);
                }
                filters_release(&f);
        }
}

static void test_labels(void **state)
{
        (void)state;
        json_t *labels = json_pack("{ss ss ss}", "a", "b", "empty", "", "com.x.y", "v=w");
        static const struct {
                const char *in;
                bool match_labels, match_null;
        } cases[] = {
                {"{}", true, true},
                {"{\"label\":[\"a\"]}", true, false},
                {"{\"label\":[\"a=b\"]}", true, false},
                {"{\"label\":[\"a=c\"]}", false, false},
                {"{\"label\":[\"a=\"]}", false, false},
                {"{\"label\":[\"empty=\"]}", true, false},
                {"{\"label\":[\"empty\"]}", true, false},
                {"{\"label\":[\"com.x.y=v=w\"]}", true, false}, /* split at the first '=' */
                {"{\"label\":[\"missing\"]}", false, false},
                {"{\"label\":[\"a=b\",\"empty\"]}", true, false}, /* every value must match */
                {"{\"label\":{\"a=b\":true,\"missing\":true}}", false, false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct filters f;
                assert_int_equal(filters_parse(cases[i].in, keys, &f, NULL), 0);
                if (filters_match_labels(&f, "label", labels) != cases[i].match_labels)
                        fail_msg("%s against labels", cases[i].in);
                if (filters_match_labels(&f, "label", NULL) != cases[i].match_null)
                        fail_msg("%s against no labels", cases[i].in);
                filters_release(&f);
        }
        json_decref(labels);
}

#define S 1000000000LL

static void test_timestamps(void **state)
{
        (void)state;
        const int64_t now = 1700000000 * S;
        static const struct {
                const char *in;
                int64_t want; /* ns; relative ones against now above */
        } cases[] = {
                {"0", 0},
                {"24", 24 * S}, /* no unit: Unix seconds, not a duration */
                {"1600000000", 1600000000 * S},
                {"1600000000.5", 1600000000 * S + S / 2},
                {"1600000000.123456789123", 1600000000 * S + 123456789},
                {"24h", 1700000000 * S - 86400 * S},
                {"1h30m", 1700000000 * S - 5400 * S},
                {"1.5h", 1700000000 * S - 5400 * S},
                {"90s", 1700000000 * S - 90 * S},
                {"300ms", 1700000000 * S - 300000000},
                {"-5m", 1700000000 * S + 300 * S},
                {"2024-01-02T03:04:05Z", 1704164645 * S},
                {"2024-01-02T03:04:05.25Z", 1704164645 * S + S / 4},
                {"2024-01-02T03:04:05+01:00", 1704164645 * S - 3600 * S},
                {"2024-01-02T03:04:05-02:30", 1704164645 * S + 9000 * S},
                {"2024-01-02Z", 1704153600 * S},
                {"2024-01-02T03Z", 1704164400 * S},
                {"2024-01-02T03:04Z", 1704164640 * S},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int64_t got = -1;
                if (timestamp_parse(cases[i].in, now, &got) < 0)
                        fail_msg("'%s' refused", cases[i].in);
                if (got != cases[i].want)
                        fail_msg("'%s': got %lld, want %lld", cases[i].in, (long long)got,
                                 (long long)cases[i].want);
        }
        /* no zone: local time, as the daemon's clock reads it */
        int64_t got;
        assert_int_equal(timestamp_parse("2024-01-02", now, &got), 0);
        struct tm tm = {.tm_year = 124, .tm_mon = 0, .tm_mday = 2, .tm_isdst = -1};
        assert_int_equal(got, (int64_t)mktime(&tm) * S);

        static const char *const bad[] = {"", "yesterday", "h", "1x", "2024-13-01",
                                           "2024-01-02T", "2024-01-02T03:04:05+0100x",
                                           "2024-1-2", "12:00", "1.2.3", "--1h"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int64_t v = 42;
                if (timestamp_parse(bad[i], now, &v) != -EINVAL)
                        fail_msg("'%s' accepted as %lld", bad[i], (long long)v);
                assert_int_equal(v, 42); /* untouched */
        }
        int64_t d;
        assert_int_equal(timestamp_parse_duration("2h45m30.5s", &d), 0);
        assert_int_equal(d, (2 * 3600 + 45 * 60 + 30) * S + S / 2);
        assert_int_equal(timestamp_parse_duration("1us", &d), 0);
        assert_int_equal(d, 1000);
        assert_int_equal(timestamp_parse_duration("1\xc2\xb5s", &d), 0);
        assert_int_equal(d, 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shapes),   cmocka_unit_test(test_empty),
                cmocka_unit_test(test_refused),  cmocka_unit_test(test_bools),
                cmocka_unit_test(test_labels),   cmocka_unit_test(test_timestamps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
