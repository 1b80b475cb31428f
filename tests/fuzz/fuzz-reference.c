/* fuzz-reference: image reference parsing and normalisation
 * (src/image/reference.c) with every flag combination, and each string form
 * of whatever parses, which must parse again to the same thing. */
#include "fuzz.h"

#include "image/reference.h"

static void round_trip(const struct image_ref *r)
{
        char *name = image_ref_name(r), *full = image_ref_string(r), *fam = image_ref_familiar(r);
        char *again = image_ref_familiar_of(full);
        struct image_ref r2;
        struct kerr err = {0};
        if (image_ref_parse(full, 0, &r2, &err) < 0)
                abort(); /* the canonical form must parse */
        char *full2 = image_ref_string(&r2);
        if (strcmp(full, full2) != 0)
                abort(); /* and normalise to itself */
        image_ref_release(&r2);
        free(full2);
        free(name);
        free(full);
        free(fam);
        free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 4096)
                return 0;
        char *s = fuzz_strndup(data, size);
        static const enum image_ref_flags flags[] = {
            0,
            IMAGE_REF_DEFAULT_TAG,
            IMAGE_REF_NAME_ONLY,
            IMAGE_REF_DEFAULT_TAG | IMAGE_REF_NAME_ONLY,
        };
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
                struct image_ref r;
                struct kerr err = {0};
                if (image_ref_parse(s, flags[i], &r, &err) == 0) {
                        round_trip(&r);
                        image_ref_release(&r);
                }
        }
        free(image_ref_familiar_of(s));
        (void)image_ref_tag_valid(s);
        free(s);
        return 0;
}
