/* fuzz-request-line: the first bytes of a connection as src/api/accept.c
 * judges them before libmicrohttpd sees them (api_request_line_check). Its
 * verdict must be stable as bytes arrive: a prefix judged bad or good stays
 * so, and a whole input judged incomplete has only incomplete prefixes;
 * OK needs a line end; every refusal says why. */
#include "fuzz.h"

#include "api/accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *d = (const char *)data;
        const char *why = NULL;
        enum api_line_verdict whole = api_request_line_check(d, size, &why);
        if (whole == API_LINE_BAD && !why)
                abort();
        if (whole == API_LINE_OK && !memchr(d, '\n', size))
                abort();
        for (size_t cut = 0; cut < size; cut += 1 + cut / 8) {
                enum api_line_verdict part = api_request_line_check(d, cut, NULL);
                if (part != API_LINE_INCOMPLETE && part != whole)
                        abort(); /* a decided prefix changed its mind */
                if (whole == API_LINE_INCOMPLETE && part != API_LINE_INCOMPLETE)
                        abort();
        }
        return 0;
}
