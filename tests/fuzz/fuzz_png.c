/* libFuzzer target: the PNG reader (libpng with fnrt's limits and transforms) and the resize
 * that follows it in `fnrt infer`.  Any input must either decode to a 3-channel image with
 * samples in [0,1] or fail with a message; never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* limits small enough that one input decodes in milliseconds */
    fnrt_png_limits lim = {1024, 1024, 1u << 20, 16, 1u << 20};
    fnrt_image img = {0};
    fnrt_status st = fnrt_png_read_mem(data, size, &lim, &img);
    if (st != FNRT_OK) {
        if (img.data || fnrt_last_error()[0] == '\0')
            abort(); /* failure must leave out untouched and say why */
        return 0;
    }
    if (img.c != 3 || img.w <= 0 || img.h <= 0 || (uint64_t)img.w * (uint64_t)img.h > (1u << 20))
        abort();
    size_t n = (size_t)3 * (size_t)img.w * (size_t)img.h;
    for (size_t i = 0; i < n; i++)
        if (!(img.data[i] >= 0.0f && img.data[i] <= 1.0f))
            abort();
    /* the CLI resizes every input to the network size */
    float small[3 * 17 * 13];
    fnrt_image dst = {3, 17, 13, small};
    if (fnrt_image_resize(&img, &dst) != FNRT_OK)
        abort();
    fnrt_image_free(&img);
    return 0;
}
