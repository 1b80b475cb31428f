#include "names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

bool names_valid(const char *name)
{
        if (name[0] == '/')
                name++;
        size_t n = strlen(name);
        if (n < 2)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                bool alnum =
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
                        return false;
        }
        return true;
}

static const char *const adjectives[] = {
    "agile",    "amazing",    "bold",    "brave",    "bright",  "calm",     "clever",  "cool",
    "curious",  "daring",     "eager",   "elegant",  "epic",    "fervent",  "festive", "focused",
    "friendly", "gallant",    "gentle",  "happy",    "hopeful", "humble",   "jolly",   "keen",
    "kind",     "laughing",   "lively",  "loving",   "lucid",   "magical",  "modest",  "nifty",
    "noble",    "optimistic", "patient", "peaceful", "pensive", "quirky",   "relaxed", "serene",
    "sharp",    "steady",     "stoic",   "sweet",    "tender",  "trusting", "upbeat",  "vibrant",
    "vigilant", "wise",       "witty",   "zealous",
};

/* Scientists, engineers and inventors, as in Docker's tradition. */
static const char *const surnames[] = {
    "agnesi",   "archimedes", "babbage",  "bardeen",  "bell",    "bohr",    "boole",    "cerf",
    "curie",    "darwin",     "dijkstra", "einstein", "euclid",  "euler",   "faraday",  "fermat",
    "fermi",    "feynman",    "franklin", "galileo",  "gauss",   "goodall", "hamilton", "hawking",
    "hodgkin",  "hopper",     "hypatia",  "johnson",  "kepler",  "knuth",   "lamarr",   "lamport",
    "leakey",   "lovelace",   "maxwell",  "mayer",    "meitner", "mendel",  "newton",   "noether",
    "pascal",   "pasteur",    "perlman",  "planck",   "ritchie", "sammet",  "shannon",  "tesla",
    "thompson", "turing",     "wilson",   "wozniak",  "wright",  "yalow",
};

static unsigned rnd(unsigned n)
{
        unsigned v = 0;
        if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
                v = (unsigned)random();
        return v % n;
}

void names_generate(char *buf, size_t size, unsigned attempt)
{
        const char *a = adjectives[rnd(sizeof(adjectives) / sizeof(adjectives[0]))];
        const char *s = surnames[rnd(sizeof(surnames) / sizeof(surnames[0]))];
        if (attempt > 0)
                snprintf(buf, size, "%s_%s%u", a, s, rnd(10));
        else
                snprintf(buf, size, "%s_%s", a, s);
}
