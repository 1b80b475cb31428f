#include "digest.h"

#include "base/xalloc.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digester {
        EVP_MD_CTX *ctx;
};

struct digester *digester_new(void)
{
        struct digester *d = xnew0(struct digester);
        d->ctx = EVP_MD_CTX_new();
        if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1)
                abort(); /* only on OOM */
        return d;
}

struct digester *digester_free(struct digester *d)
{
        if (!d)
                return NULL;
        EVP_MD_CTX_free(d->ctx);
        free(d);
        return NULL;
}

void digester_update(struct digester *d, const void *data, size_t len)
{
        EVP_DigestUpdate(d->ctx, data, len);
}

void digester_final(struct digester *d, char out[DIGEST_STR_LEN + 1])
{
        unsigned char md[32];
        unsigned int n = 0;
        EVP_DigestFinal_ex(d->ctx, md, &n);
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
        EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL);
}

void digest_buffer(const void *data, size_t len, char out[DIGEST_STR_LEN + 1])
{
        _cleanup_(digester_freep) struct digester *d = digester_new();
        digester_update(d, data, len);
        digester_final(d, out);
}

bool digest_hex_valid(const char *s, size_t len)
{
        if (len != DIGEST_HEX_LEN)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

bool digest_valid(const char *s)
{
        return strncmp(s, "sha256:", 7) == 0 && strlen(s) == DIGEST_STR_LEN &&
               digest_hex_valid(s + 7, DIGEST_HEX_LEN);
}
