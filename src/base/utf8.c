#include "utf8.h"

#include "buf.h"

#include <stdint.h>

/* Length of the well-formed character at s[0, n), or 0 if there is none. */
static size_t char_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        if (c < 0x80)
                return 1;
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                cp = c & 0x07;
        } else {
                return 0; /* a continuation byte, 0xc0/0xc1 or past 0xf4 */
        }
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

bool utf8_valid(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        for (size_t i = 0; i < n;) {
                size_t l = char_len(p + i, n - i);
                if (l == 0)
                        return false;
                i += l;
        }
        return true;
}

size_t utf8_cut(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        /* Step back over at most 3 continuation bytes to the lead byte. */
        size_t i = n;
        while (i > 0 && n - i < 4 && (p[i - 1] & 0xc0) == 0x80)
                i--;
        if (i == 0 || p[i - 1] < 0x80)
                return n; /* ASCII or only continuation bytes: nothing to cut */
        size_t lead = i - 1;
        unsigned char c = p[lead];
        size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return n - lead >= want ? n : lead;
}

char *utf8_sanitize(const char *s, size_t n)
{
        static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
        const unsigned char *p = (const unsigned char *)s;
        struct buf b;
        buf_init(&b, 0);
        for (size_t i = 0; i < n;) {
                size_t l = p[i] ? char_len(p + i, n - i) : 0;
                if (l == 0) {
                        buf_append(&b, replacement, 3);
                        i++;
                } else {
                        buf_append(&b, s + i, l);
                        i += l;
                }
        }
        return buf_steal(&b);
}
