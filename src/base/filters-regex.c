/* filters-regex.c - the regular expressions of filters_match (moby's
 * Match: Go's RE2), with POSIX ERE standing in for RE2 and RE2's bounds
 * applied before glibc sees a pattern: no back-references, no count over
 * 1000, and a request's expressions unroll to at most FILTERS_REGEX_BUDGET
 * states in all. glibc would compile ((a{1,100}){1,100}){1,100} into
 * millions of states (4.5 s and a gigabyte, once per container listed);
 * RE2 refuses it ("expression too large"), so it matches only exactly in
 * both. Each value is compiled once per request. */
#include "filters-internal.h"

#include "xalloc.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define REGEX_MAX_REPEAT 1000
#define REGEX_MAX_DEPTH  32

/* The compiled values of one key; ok[i] false: value i is no expression. */
struct filters_regex {
        char *key;
        size_t n;
        regex_t *re;
        bool *ok;
        long *size;
        struct filters_regex *next;
};

/* The end of a bracket expression starting at p ('['), or NULL. */
static const char *bracket_end(const char *p)
{
        p++;
        if (*p == '^')
                p++;
        if (*p == ']')
                p++; /* a ']' first is a member */
        for (; *p && *p != ']'; p++)
                if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                        const char close[] = {p[1], ']', 0};
                        const char *c = strstr(p + 2, close);
                        if (!c)
                                return NULL;
                        p = c + 1;
                }
        return *p ? p : NULL;
}

/* A counted repetition {m}, {m,} or {m,n} at p: the largest count, with
 * *ret_end at its '}'; -1 when p starts none (then '{' is a literal). */
static long repeat_at(const char *p, const char **ret_end)
{
        char *end;
        /* glibc also reads {,n} as {0,n} (RE2 reads it as text): it counts */
        if (!isdigit((unsigned char)p[1]) && !(p[1] == ',' && isdigit((unsigned char)p[2])))
                return -1;
        unsigned long m = strtoul(p + 1, &end, 10), n = m;
        if (*end == ',' && isdigit((unsigned char)end[1]))
                n = strtoul(end + 1, &end, 10);
        else if (*end == ',')
                end++;
        if (*end != '}')
                return -1;
        *ret_end = end;
        unsigned long max = m > n ? m : n;
        return max > REGEX_MAX_REPEAT ? REGEX_MAX_REPEAT + 1 : (long)max;
}

/* Where regex_size is in the pattern, for RE2's rules on repetitions. */
enum after {
        AFTER_NOTHING, /* start, '(' or '|': nothing to repeat */
        AFTER_ATOM,
        AFTER_REPEAT, /* '*', '+', '?' or {m,n} */
        AFTER_LAZY,   /* a repetition's '?' (non-greedy in RE2) */
};

/* A repetition operator at p: its count (1 for '*', '+', '?'), *ret_end at
 * its last byte; -1 when p is none. */
static long repeat_op(const char *p, const char **ret_end)
{
        *ret_end = p;
        if (*p == '*' || *p == '+' || *p == '?')
                return 1;
        return *p == '{' ? repeat_at(p, ret_end) : -1;
}

/* The pattern's size with its counted repetitions unrolled, or -1 when it
 * is no RE2 expression within budget: RE2 also refuses a repetition of a
 * repetition (a**, a{2}{3}) and one with nothing to repeat, which glibc
 * accepts and compiles in exponential time. */
static long regex_size(const char *p, long budget)
{
        long size[REGEX_MAX_DEPTH + 1] = {0}, last = 0, rep;
        int depth = 0;
        enum after at = AFTER_NOTHING;
        for (const char *end; *p; p++) {
                if ((rep = repeat_op(p, &end)) >= 0) {
                        bool lazy = *p == '?' && at == AFTER_REPEAT;
                        if (at == AFTER_NOTHING || at == AFTER_LAZY ||
                            (at == AFTER_REPEAT && !lazy) || rep > REGEX_MAX_REPEAT)
                                return -1;
                        size[depth] += last * (rep > 0 ? rep - 1 : 0);
                        last *= rep > 0 ? rep : 1;
                        at = lazy ? AFTER_LAZY : AFTER_REPEAT;
                        p = end;
                } else if (*p == '(') {
                        if (++depth > REGEX_MAX_DEPTH)
                                return -1;
                        size[depth] = 0;
                        at = AFTER_NOTHING;
                } else if (*p == ')' && depth > 0) {
                        last = size[depth--] + 1; /* an empty group is a node too */
                        size[depth] += last;
                        at = AFTER_ATOM;
                } else {
                        bool alternation = *p == '|';
                        if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
                                return -1; /* a back-reference */
                        if (*p == '[' && bracket_end(p))
                                p = bracket_end(p);
                        else if (*p == '\\' && p[1])
                                p++;
                        last = 1;
                        size[depth]++;
                        at = alternation ? AFTER_NOTHING : AFTER_ATOM;
                }
                if (size[depth] > budget)
                        return -1;
        }
        return size[0] <= budget ? size[0] : -1;
}

static struct filters_regex *regex_compile(const struct filters *f, const char *key, long budget)
{
        struct filters_regex *r = xnew0(struct filters_regex);
        r->key = xstrdup(key);
        r->n = filters_count(f, key);
        r->re = xzalloc((r->n ? r->n : 1) * sizeof(*r->re));
        r->ok = xzalloc((r->n ? r->n : 1) * sizeof(*r->ok));
        r->size = xzalloc((r->n ? r->n : 1) * sizeof(*r->size));
        for (size_t i = 0; i < r->n; i++) {
                const char *pattern = filters_get(f, key, i);
                long size = regex_size(pattern, budget);
                if (size < 0 || regcomp(&r->re[i], pattern, REG_EXTENDED | REG_NOSUB) != 0)
                        continue;
                r->ok[i] = true;
                r->size[i] = size;
                budget -= size;
        }
        return r;
}

void filters_regex_free(struct filters_regex *r)
{
        while (r) {
                struct filters_regex *next = r->next;
                for (size_t i = 0; i < r->n; i++)
                        if (r->ok[i])
                                regfree(&r->re[i]);
                free(r->re);
                free(r->ok);
                free(r->size);
                free(r->key);
                free(r);
                r = next;
        }
}

/* key's compiled values, from the request's cache or compiled now with
 * what the budget has left. */
static struct filters_regex *regex_of(const struct filters *f, const char *key)
{
        long budget = FILTERS_REGEX_BUDGET;
        for (struct filters_regex *r = *f->regex; r; r = r->next) {
                if (strcmp(r->key, key) == 0)
                        return r;
                for (size_t i = 0; i < r->n; i++)
                        budget -= r->size[i];
        }
        struct filters_regex *r = regex_compile(f, key, budget);
        r->next = *f->regex;
        *f->regex = r;
        return r;
}

bool filters_regex_match(const struct filters *f, const char *key, const char *source)
{
        struct filters_regex *r = regex_of(f, key);
        for (size_t i = 0; i < r->n; i++)
                if (r->ok[i] && regexec(&r->re[i], source, 0, NULL, 0) == 0)
                        return true;
        return false;
}
