/* test-filters: the `filters` query parameter in both of Docker's JSON
 * shapes, unknown keys, booleans, label matching; and the time values
 * filters such as prune's `until` take (base/timestamp.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/filters.h"
#include "base/timestamp.h"

static const char *const keys[] = {"dangling", "label", "reference", "until", NULL};

static void test_shapes(void **state)
{
        (void)state;
        static const char *const inputs[] = {
            "{\"label\":[\"a=b\",\"c\"],\"dangling\":[\"true\"]}",                /* docker-py */
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
            {"{\"label\":{\"a\":\"yes\"}}",
             "invalid filter 'label': values must be a list of strings"},
            {"{\"label\":{\"a\":1}}", "invalid filter 'label': values must be a list of strings"},
            {"{\"label!\":[\"a\"]}", "invalid filter 'label!'"},
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
                int want;        /* -2: refused */
                const char *msg; /* when refused */
        } cases[] = {
            {"{\"dangling\":[\"true\"]}", 1, NULL},
            {"{\"dangling\":[\"1\"]}", 1, NULL},
            {"{\"dangling\":[\"false\"]}", 0, NULL},
            {"{\"dangling\":[\"0\"]}", 0, NULL},
            {"{\"dangling\":{\"false\":true}}", 0, NULL},
            {"{\"dangling\":{\"true\":false}}", 1, NULL}, /* the inner bool is not read */
            {"{}", -1, NULL},
            /* moby's GetBoolOrDefault: other values beside a valid one are ignored */
            {"{\"dangling\":[\"true\",\"maybe\"]}", 1, NULL},
            {"{\"dangling\":[]}", -2, "invalid filter 'dangling'"},
            {"{\"dangling\":[\"maybe\"]}", -2, "invalid filter 'dangling=[maybe]'"},
            {"{\"dangling\":[\"\"]}", -2, "invalid filter 'dangling=[]'"},
            {"{\"dangling\":[\"true\",\"0\"]}", -2, "invalid filter 'dangling=[true 0]'"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct filters f;
                struct kerr err = {0};
                assert_int_equal(filters_parse(cases[i].in, keys, &f, &err), 0);
                int b = 7;
                int r = filters_bool(&f, "dangling", &b, &err);
                if (cases[i].want == -2) {
                        assert_int_equal(r, -EINVAL);
                        assert_int_equal(err.kind, KERR_INVALID);
                        assert_string_equal(err.msg, cases[i].msg);
                } else {
                        assert_int_equal(r, 0);
                        if (b != cases[i].want)
                                fail_msg("%s: got %d", cases[i].in, b);
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

/* Prune's label and label! (moby daemon/prune.go matchLabels): label! holds
 * a record back only when every label! value matches it. */
static void test_prune_labels(void **state)
{
        (void)state;
        static const char *const pk[] = {"label", "label!", "until", NULL};
        json_t *keep = json_pack("{ss ss}", "keep", "1", "team", "a");
        json_t *other = json_pack("{ss}", "keep", "2");
        static const struct {
                const char *in;
                bool keep, other, none; /* whether prune takes each */
        } cases[] = {
            {"{}", true, true, true},
            {"{\"label!\":[\"keep=1\"]}", false, true, true},
            {"{\"label!\":{\"keep=1\":true}}", false, true, true},
            {"{\"label!\":[\"keep\"]}", false, false, true},
            {"{\"label!\":[\"keep=1\",\"team=a\"]}", false, true, true},
            {"{\"label!\":[\"keep=1\",\"team=b\"]}", true, true, true}, /* not all hold */
            {"{\"label\":[\"keep\"]}", true, true, false},
            {"{\"label\":[\"keep\"],\"label!\":[\"keep=2\"]}", true, false, false},
            {"{\"label\":[\"team=a\"],\"label!\":[\"team=a\"]}", false, false, false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct filters f;
                assert_int_equal(filters_parse(cases[i].in, pk, &f, NULL), 0);
                if (filters_match_prune_labels(&f, keep) != cases[i].keep ||
                    filters_match_prune_labels(&f, other) != cases[i].other ||
                    filters_match_prune_labels(&f, NULL) != cases[i].none)
                        fail_msg("%s", cases[i].in);
                filters_release(&f);
        }
        json_decref(keep);
        json_decref(other);
}

/* exact (ExactMatch), match (Match: exact or unanchored regexp) and
 * prefix (FuzzyMatch); an absent key matches everything. */
static void test_matchers(void **state)
{
        (void)state;
        static const char *const mk[] = {"name", NULL};
        static const struct {
                const char *in, *source;
                bool exact, match, prefix;
        } cases[] = {
            {"{}", "web", true, true, true},
            {"{\"name\":[\"web\"]}", "web", true, true, true},
            {"{\"name\":[\"we\"]}", "web", false, true, true},
            {"{\"name\":[\"eb\"]}", "web", false, true, false},
            {"{\"name\":[\"^w.b$\"]}", "web", false, true, false},
            {"{\"name\":[\"^eb\"]}", "web", false, false, false},
            {"{\"name\":[\"[\"]}", "[", true, true, true}, /* not a regexp: exact */
            {"{\"name\":[\"[\"]}", "a[", false, false, false},
            {"{\"name\":[\"x\",\"w\"]}", "web", false, true, true}, /* any value */
            {"{\"name\":[]}", "web", true, true, true},
            {"{\"name\":[\"(w)\\\\1\"]}", "ww", false, false, false}, /* no back-references */
            {"{\"name\":[\"w\\\\.b\"]}", "w.b", false, true, false},
            {"{\"name\":[\"w\\\\\"]}", "w\\", true, true, true}, /* a trailing '\\' */
            /* counted repetitions as RE2 bounds them (glibc would take seconds) */
            {"{\"name\":[\"^[a-z]{1,64}$\"]}", "web", false, true, false},
            {"{\"name\":[\"^(w[e]{1,3}){1,9}b\"]}", "web", false, true, false},
            {"{\"name\":[\"((a{1,100}){1,100}){1,100}\"]}", "aaa", false, false, false},
            {"{\"name\":[\"(a{1,100}){1,100}\"]}", "aaa", false, false, false},
            {"{\"name\":[\"a{1001}\"]}", "aaa", false, false, false},
            {"{\"name\":[\"((){1,100}){1,100}\"]}", "aaa", false, false, false},
            {"{\"name\":[\"a{1,100}{1,100}\"]}", "aaa", false, false, false},
            {"{\"name\":[\"((a{10}){,100}){1,100}\"]}", "aaa", false, false, false},
            /* RE2 refuses a repetition of a repetition, or of nothing */
            {"{\"name\":[\"w*******************b\"]}", "wb", false, false, false},
            {"{\"name\":[\"*w\"]}", "w", false, false, false},
            {"{\"name\":[\"(|*)w\"]}", "w", false, false, false},
            {"{\"name\":[\"w+?e*?b??\"]}", "web", false, true, false}, /* RE2's lazy forms */
            {"{\"name\":[\"^[a-z]+(-[a-z0-9]+)*$\"]}", "web-1", false, true, false},
            {"{\"name\":[\"[]{]{1,999}\"]}", "{", false, true, false},
            {"{\"name\":[\"[[:alpha:]]{2}b\"]}", "web", false, true, false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct filters f;
                assert_int_equal(filters_parse(cases[i].in, mk, &f, NULL), 0);
                if (filters_exact(&f, "name", cases[i].source) != cases[i].exact ||
                    filters_match(&f, "name", cases[i].source) != cases[i].match ||
                    filters_prefix(&f, "name", cases[i].source) != cases[i].prefix)
                        fail_msg("%s against '%s'", cases[i].in, cases[i].source);
                assert_int_equal(filters_contains(&f, "name"), strcmp(cases[i].in, "{}") != 0);
                filters_release(&f);
        }
}

/* filters_time: prune's until (one value, Go's messages). */
static void test_filter_time(void **state)
{
        (void)state;
        const int64_t now = 1700000000LL * 1000000000LL;
        static const struct {
                const char *in;
                int64_t want; /* s; -1 absent; -2 refused */
                const char *msg;
        } cases[] = {
            {"{}", -1, NULL},
            {"{\"until\":[\"24h\"]}", 1700000000 - 86400, NULL},
            {"{\"until\":{\"10m\":true}}", 1700000000 - 600, NULL},
            {"{\"until\":[\"1h30m\"]}", 1700000000 - 5400, NULL},
            {"{\"until\":[\"24\"]}", 24, NULL}, /* Unix seconds, not a duration */
            {"{\"until\":[\"1600000000.5\"]}", 1600000000, NULL},
            {"{\"until\":[\"2024-01-02T03:04:05Z\"]}", 1704164645, NULL},
            {"{\"until\":[\"1h\",\"2h\"]}", -2, "more than one until filter specified"},
            {"{\"until\":[\"soon\"]}", -2,
             "failed to parse value as time or duration: invalid seconds \"soon\": invalid "
             "syntax"},
            {"{\"until\":[\"\"]}", -2, "failed to parse value as time or duration: value is empty"},
            {"{\"until\":[\"2024-13-01\"]}", -2,
             "parsing time \"2024-13-01\": not a valid RFC 3339 time"},
        };
        static const char *const tk[] = {"until", NULL};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct filters f;
                struct kerr err = {0};
                int64_t ns = 42;
                assert_int_equal(filters_parse(cases[i].in, tk, &f, NULL), 0);
                int r = filters_time(&f, "until", now, &ns, &err);
                if (cases[i].want == -2) {
                        assert_int_equal(r, -EINVAL);
                        assert_string_equal(err.msg, cases[i].msg);
                        assert_int_equal(ns, 42);
                } else {
                        assert_int_equal(r, 0);
                        assert_int_equal(cases[i].want < 0 ? ns : ns / 1000000000, cases[i].want);
                }
                filters_release(&f);
        }
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

        static const char *const bad[] = {"",
                                          "yesterday",
                                          "h",
                                          "1x",
                                          "2024-13-01",
                                          "2024-01-02T",
                                          "2024-01-02T03:04:05+0100x",
                                          "2024-1-2",
                                          "12:00",
                                          "1.2.3",
                                          "--1h"};
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

/* Values form a set; a request carries a bounded number of them. */
static void test_sets_and_bounds(void **state)
{
        (void)state;
        struct filters f;
        struct kerr err = {0};
        assert_int_equal(filters_parse("{\"label\":[\"a\",\"a\",\"b\"]}", keys, &f, &err), 0);
        assert_int_equal(filters_count(&f, "label"), 2);
        filters_release(&f);
        /* the map shape's false values are values too, as Go's Get sees them */
        assert_int_equal(filters_parse("{\"label\":{\"a\":false}}", keys, &f, &err), 0);
        assert_string_equal(filters_get(&f, "label", 0), "a");
        filters_release(&f);
        char *big = malloc(16 * (FILTERS_MAX_VALUES + 2) + 32);
        size_t n = (size_t)sprintf(big, "{\"label\":[");
        for (int i = 0; i <= FILTERS_MAX_VALUES; i++)
                n += (size_t)sprintf(big + n, "%s\"v%d\"", i ? "," : "", i);
        sprintf(big + n, "]}");
        assert_int_equal(filters_parse(big, keys, &f, &err), -EINVAL);
        assert_string_equal(err.msg, "invalid filters: more than 256 values");
        big[n - 1 - strlen(",\"v256\"") + 1] = 0; /* drop the last value */
        strcat(big, "]}");
        assert_int_equal(filters_parse(big, keys, &f, &err), 0);
        assert_int_equal(filters_count(&f, "label"), FILTERS_MAX_VALUES);
        filters_release(&f);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_shapes),       cmocka_unit_test(test_empty),
            cmocka_unit_test(test_refused),      cmocka_unit_test(test_bools),
            cmocka_unit_test(test_labels),       cmocka_unit_test(test_timestamps),
            cmocka_unit_test(test_prune_labels), cmocka_unit_test(test_matchers),
            cmocka_unit_test(test_filter_time),  cmocka_unit_test(test_sets_and_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
