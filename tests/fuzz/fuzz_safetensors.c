/* libFuzzer target: the safetensors reader.  Whatever the bytes, open_mem either fails with
 * a message or yields a table whose every entry lies inside the data area, does not overlap
 * another, has span = elements x dtype size, and converts to float32 without reading past
 * its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned elem_bytes(const fnrt_st_tensor *t)
{
    switch (t->dtype) {
    case FNRT_DT_F32:
    case FNRT_DT_I32:
        return 4;
    case FNRT_DT_F16:
    case FNRT_DT_BF16:
        return 2;
    case FNRT_DT_U8:
        return 1;
    default:
        return 0; /* FNRT_DT_OTHER: size not exposed */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fnrt_st_limits lim = {1u << 20, 1u << 24, 4096};
    fnrt_safetensors *st = NULL;
    if (fnrt_safetensors_open_mem(data, size, &lim, &st) != FNRT_OK) {
        if (st || fnrt_last_error()[0] == '\0')
            abort();
        return 0;
    }
    size_t n = fnrt_safetensors_count(st);
    const uint8_t *lo = data, *hi = data + size;
    for (size_t i = 0; i < n; i++) {
        const fnrt_st_tensor *t = fnrt_safetensors_at(st, i);
        if (!t || t->begin > t->end || t->ndim < 0 || t->ndim > FNRT_ST_MAX_DIMS)
            abort();
        if (fnrt_safetensors_find(st, t->name) != t)
            abort();
        const uint8_t *p = fnrt_safetensors_data(st, t);
        if (p < lo || p + (t->end - t->begin) > hi)
            abort();
        unsigned eb = elem_bytes(t);
        if (eb && t->end - t->begin != t->n_elems * eb)
            abort();
        if ((t->dtype == FNRT_DT_F32 || t->dtype == FNRT_DT_F16 || t->dtype == FNRT_DT_BF16) &&
            t->n_elems <= (1u << 20)) {
            float *buf = malloc((size_t)t->n_elems * sizeof(float) + 1);
            if (!buf)
                abort();
            if (fnrt_safetensors_read_f32(st, t, buf, (size_t)t->n_elems) != FNRT_OK)
                abort();
            free(buf);
        }
    }
    (void)fnrt_safetensors_meta(st, "architecture");
    (void)fnrt_safetensors_find(st, "");
    fnrt_safetensors_close(st);
    return 0;
}
